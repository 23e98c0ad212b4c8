"""The wheel is the product: built, installed in a virtualenv of its own, it migrates, checks
and serves, with every template, static file, catalogue, demo file and migration it needs.

An editable install reads those files from the source tree, so a file left out of
``package-data`` is found only here. Building needs setuptools and installing needs the
dependencies, both from the package registry: without it the test is skipped, saying so
(``-m "not network"`` leaves it out altogether).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import launch

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "rejoinder"
# The data the package reads at run time, beside its modules.
DATA = ("templates", "static", "locales", "demo", "store/migrations")
_OFFLINE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "Read timed out",
)  # not "No matching distribution": online, that is a packaging fault to fail on

pytestmark = pytest.mark.network


def _pip(*args: str, python: Path | str = sys.executable, cwd: Path | None = None) -> None:
    """Run pip; skip the test when it fails for want of the registry."""
    done = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )
    if done.returncode != 0:
        said = done.stdout + done.stderr
        offline = [line.strip() for line in said.splitlines() if any(s in line for s in _OFFLINE)]
        if offline:
            pytest.skip(f"the package registry cannot be reached (pip {args[0]}): {offline[-1]}")
        raise AssertionError(f"pip {' '.join(args)} failed:\n{said[-4000:]}")


def _skip_without_the_registry(into: Path) -> None:
    """Skip unless pip can fetch the build's own requirement, past its cache."""
    download = ["download", "--no-deps", "--no-cache-dir", "--dest", str(into), "setuptools>=77"]
    done = subprocess.run(
        [sys.executable, "-m", "pip", *download],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        said = (done.stdout + done.stderr).strip().splitlines() or ["(nothing said)"]
        pytest.skip(f"the package registry cannot be reached: pip download said {said[-1]}")


def _source_copy(into: Path) -> Path:
    """The files a release is built from, without the editable install's leftovers, so the
    build neither reads them nor writes into the work tree."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    shutil.copytree(ROOT / "src", into / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, into / name)
    return into


def _data_files() -> set[str]:
    """Every data file of the package as the wheel names it: ``rejoinder/templates/...``."""
    found = set()
    for folder in DATA:
        for path in (PACKAGE / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.add("rejoinder/" + path.relative_to(PACKAGE).as_posix())
    return found


def _translated_message() -> tuple[str, str]:
    """A message the Ukrainian catalogue translates, and its translation."""
    from babel.messages.pofile import read_po

    with (PACKAGE / "locales" / "uk" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale="uk")
    for message in catalogue:
        if message.id and isinstance(message.id, str) and message.string:
            return message.id, str(message.string)
    raise AssertionError("the Ukrainian catalogue translates nothing")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtualenv with the built wheel installed in it."""
    work = tmp_path_factory.mktemp("wheel")
    _skip_without_the_registry(work / "probe")
    source = _source_copy(work / "source")
    wheels = work / "wheels"
    _pip("wheel", "--no-deps", "--wheel-dir", str(wheels), str(source), cwd=work)
    (wheel,) = wheels.glob("rejoinder-*.whl")
    with zipfile.ZipFile(wheel) as built:
        names = set(built.namelist())
    missing = sorted(_data_files() - names)
    assert not missing, f"left out of the wheel: {missing}"
    environment = work / "venv"
    venv.create(environment, with_pip=True, system_site_packages=False)
    _pip("install", "--quiet", str(wheel), python=environment / "bin" / "python", cwd=work)
    return environment / "bin"


def _env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REJOINDER_", "VIRTUAL"))}
    return {
        **clean,
        "REJOINDER_DATABASE_URL": f"sqlite:///{tmp_path / 'installed.db'}",
        "REJOINDER_LANGUAGE": "uk",
    }


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_installed_wheel_migrates_checks_and_serves(installed: Path, tmp_path: Path):
    env = _env(tmp_path)
    rejoinder = str(installed / "rejoinder")
    # Run outside the work tree, so that nothing is imported from the source.
    assert "serve" in _run([rejoinder, "--help"], env, tmp_path)
    assert "migrated database from empty to" in _run([rejoinder, "migrate"], env, tmp_path)
    checked = _run([rejoinder, "check"], env, tmp_path)
    assert "schema up to date" in checked, checked
    where = _run(
        [str(installed / "python"), "-c", "import rejoinder; print(rejoinder.__file__)"],
        env,
        tmp_path,
    )
    assert where.startswith(str(installed.parent)), where

    message, translation = _translated_message()
    said = _run(
        [
            str(installed / "python"),
            "-c",
            "import sys; from rejoinder.catalogues import translations; "
            "print(translations('uk').gettext(sys.argv[1]))",
            message,
        ],
        env,
        tmp_path,
    )
    assert said.strip() == translation.strip()

    server = launch(["demo"], env, program=[rejoinder], cwd=tmp_path)
    try:
        home = httpx.get(server.url + "/", timeout=10)
        assert home.status_code == 200 and 'lang="uk"' in home.text, home.text[:500]
        article = httpx.get(server.url + "/articles/" + _demo_slug(), timeout=10)
        assert article.status_code == 200, article.text[:500]
        script = httpx.get(server.url + "/embed.js", timeout=10)
        assert script.status_code == 200, script.text[:500]
        assert "javascript" in script.headers["content-type"]
    finally:
        server.stop()
    assert "Traceback" not in server.output, server.output[-4000:]


def _demo_slug() -> str:
    import tomllib

    article = (PACKAGE / "demo" / "article.md").read_text(encoding="utf-8")
    front = article.split("+++")[1]
    return str(tomllib.loads(front)["slug"])
