"""How fast the reader's page shows the discussion, and how big the widget is.

Starts `rejoinder demo` on a fresh SQLite file, opens the demo article in Debian's Chromium
(headless, via Playwright) again and again, and measures inside the page:
- count ready: from navigation start until the widget shows "Comments (N)";
- first comment: from pressing "Show comments" until the first comment is on the page;
- first comment after load: from navigation start, pressing as soon as the button exists.
Also prints the gzipped size of /embed.js with its modules and stylesheet.

Run: .venv/bin/python benchmarks/widget_timing.py [--runs 30]
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, DEMO_SLUG  # noqa: E402
from tests.browser.test_embed_and_look import WIDGET_FILES  # noqa: E402
from tests.cli.conftest import free_port  # noqa: E402

MEASURE = """async () => {
  const widget = () => document.querySelector("rejoinder-comments");
  const until = (test) => new Promise((done) => {
    const look = () => (test() ? done(performance.now()) : requestAnimationFrame(look));
    look();
  });
  const countReady = await until(() => widget()?.shadowRoot?.querySelector("h2")
      ?.textContent.startsWith("Comments (") && !widget().shadowRoot.querySelector("h2")
      .textContent.includes("(0)"));
  const pressed = performance.now();
  widget().shadowRoot.querySelector("button.show").click();
  const shown = await until(() => widget().shadowRoot.querySelector("li.comment"));
  return {countReady, firstComment: shown - pressed, firstCommentFromStart: shown};
}"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    env = {k: v for k, v in os.environ.items() if not k.startswith("REJOINDER_")}
    env["REJOINDER_DATABASE_URL"] = f"sqlite:///{folder / 'rejoinder.db'}"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "rejoinder", "demo", "--port", str(port), "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        sizes = {name: len(httpx.get(f"{url}/static/{name}").content) for name in WIDGET_FILES}
        sizes["embed.js"] = len(httpx.get(f"{url}/embed.js").content)
        raw = sum(sizes.values())
        zipped = sum(
            len(gzip.compress(httpx.get(f"{url}/static/{name}").content, 9))
            for name in WIDGET_FILES
        )
        results: dict[str, list[float]] = {"countReady": [], "firstComment": [],
                                           "firstCommentFromStart": []}  # fmt: skip
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            for run in range(args.runs + 1):
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"{url}/articles/{DEMO_SLUG}", wait_until="commit")
                measured = page.evaluate(MEASURE)
                context.close()
                if run == 0:
                    continue  # the first run warms Chromium's and the server's caches
                for key, value in measured.items():
                    results[key].append(value)
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print(f"widget: {len(WIDGET_FILES)} files, {raw:,} bytes, {zipped:,} bytes gzipped (-9)")
    print(f"{'measure':<34}{'median ms':>10}{'p95 ms':>10}  runs={args.runs}")
    labels = {
        "countReady": "navigation -> 'Comments (2)'",
        "firstComment": "'Show comments' -> first comment",
        "firstCommentFromStart": "navigation -> first comment",
    }
    for key, label in labels.items():
        values = results[key]
        print(f"{label:<34}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}")


if __name__ == "__main__":
    main()
