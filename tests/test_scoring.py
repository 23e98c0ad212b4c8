"""Toxicity scorers: the offline model, a Perspective-style API, and what happens when it fails."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rejoinder.config import Settings
from rejoinder.scoring import HttpScorer, LocalModelScorer, Score, toxicity_verdict
from rejoinder.service.services import make_scorer

ABUSIVE = "You are a fucking idiot, shut up you stupid piece of shit."
KIND = "Thanks for the explainer, the transcript was useful."


# The offline model


def test_local_model_scores_plain_abuse_high_and_thanks_low():
    async def main() -> tuple[Score, Score]:
        scorer = LocalModelScorer()
        await scorer.warm()
        return await scorer.score(ABUSIVE), await scorer.score(KIND)

    abusive, kind = asyncio.run(main())
    assert abusive.source == kind.source == "local-model"
    assert abusive.error is None and kind.error is None
    assert abusive.value is not None and abusive.value > 0.8
    assert kind.value is not None and kind.value < 0.3


def test_local_model_loads_itself_on_first_use():
    score = asyncio.run(LocalModelScorer().score(""))
    assert score.value is not None and 0.0 <= score.value <= 1.0


# A real Perspective-style server


class FakePerspective(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), PerspectiveHandler)
        self.requests: list[tuple[str, dict[str, list[str]], Any]] = []
        self.release = threading.Event()


class PerspectiveHandler(BaseHTTPRequestHandler):
    """Answers in Perspective's response shape, or fails in the way the path names."""

    server: FakePerspective

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((url.path, parse_qs(url.query), body))
        if url.path == "/slow":
            self.server.release.wait(timeout=10)
        if url.path == "/error":
            self._send(500, b'{"error": "boom"}')
        elif url.path == "/html":
            self._send(200, b"<html>Service unavailable</html>", "text/html")
        elif url.path == "/wrong-shape":
            self._send(200, b'{"attributeScores": {"INSULT": {}}}')
        elif url.path == "/out-of-range":
            self._send(200, json.dumps(perspective_answer(1.7)).encode())
        elif url.path == "/huge":
            self._send(200, b" " * 100_000 + json.dumps(perspective_answer(0.1)).encode())
        else:
            value = 0.97 if "idiot" in body["comment"]["text"] else 0.04
            self._send(200, json.dumps(perspective_answer(value)).encode())

    def _send(self, status: int, payload: bytes, kind: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the scorer gave up waiting, as it should

    def log_message(self, format: str, *args: Any) -> None:
        pass


def perspective_answer(value: float) -> dict[str, Any]:
    return {
        "attributeScores": {
            "TOXICITY": {
                "spanScores": [{"begin": 0, "end": 10, "score": {"value": value}}],
                "summaryScore": {"value": value, "type": "PROBABILITY"},
            }
        },
        "languages": ["en"],
        "detectedLanguages": ["en"],
    }


@pytest.fixture
def perspective() -> Iterator[FakePerspective]:
    server = FakePerspective()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def base(server: FakePerspective) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def score_with(url: str, text: str = KIND, **options: Any) -> Score:
    async def main() -> Score:
        async with HttpScorer(url, **options) as scorer:
            return await scorer.score(text)

    return asyncio.run(main())


def test_http_scorer_reads_perspectives_summary_score(perspective):
    url = base(perspective) + "/v1alpha1/comments:analyze"
    assert score_with(url, ABUSIVE, api_key="k-123", languages=["en"]) == Score(0.97, "http")

    path, query, body = perspective.requests[0]
    assert path == "/v1alpha1/comments:analyze"
    assert query == {"key": ["k-123"]}
    assert body == {
        "comment": {"text": ABUSIVE},
        "languages": ["en"],
        "requestedAttributes": {"TOXICITY": {}},
    }


def test_http_scorer_sends_no_key_or_languages_unless_configured(perspective):
    assert score_with(base(perspective) + "/analyze").value == 0.04
    _, query, body = perspective.requests[0]
    assert query == {}
    assert "languages" not in body


def test_one_client_serves_many_scores(perspective):
    async def main() -> list[Score]:
        async with HttpScorer(base(perspective) + "/analyze") as scorer:
            return list(await asyncio.gather(*(scorer.score(KIND) for _ in range(5))))

    assert [score.value for score in asyncio.run(main())] == [0.04] * 5


def test_slow_scorer_gives_up_at_the_timeout(perspective):
    started = time.monotonic()
    score = score_with(base(perspective) + "/slow", timeout=0.2)
    assert time.monotonic() - started < 5
    assert score.value is None
    assert score.source == "http"
    assert score.error == "no answer within 0.2s"


def test_slow_scorer_verdict_honours_fail_open_and_fail_closed(perspective):
    score = score_with(base(perspective) + "/slow", timeout=0.2)
    assert toxicity_verdict(score, 0.9, fail_open=True) == (
        False,
        "toxicity unavailable: no answer within 0.2s",
    )
    assert toxicity_verdict(score, 0.9, fail_open=False) == (
        True,
        "toxicity unavailable (fail closed): no answer within 0.2s",
    )


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/error", "HTTP 500"),
        ("/html", "response was not JSON"),
        ("/wrong-shape", "response had no TOXICITY summary score"),
        ("/out-of-range", "response had no TOXICITY summary score"),
        ("/huge", "response larger than 65536 bytes"),
    ],
)
def test_bad_answers_become_an_error_score(perspective, path, error):
    assert score_with(base(perspective) + path) == Score(None, "http", error=error)


def test_unreachable_scorer_is_an_error_score_without_the_api_key(perspective):
    url = base(perspective) + "/analyze"
    perspective.shutdown()
    perspective.server_close()
    score = score_with(url, api_key="secret-key")
    assert score.value is None
    assert score.error is not None and score.error.startswith("request failed")
    assert "secret-key" not in score.error


# The verdict


def test_score_at_or_over_the_threshold_is_queued_with_a_reason():
    assert toxicity_verdict(Score(0.9, "http"), 0.9, fail_open=True) == (
        True,
        "toxicity 0.90 ≥ 0.90",
    )
    assert toxicity_verdict(Score(0.97, "local-model"), 0.9, fail_open=False)[0] is True


def test_score_under_the_threshold_passes_silently():
    assert toxicity_verdict(Score(0.89, "http"), 0.9, fail_open=False) == (False, None)


def test_the_fast_local_model_gives_exactly_the_packages_own_probabilities():
    from profanity_check import predict_prob

    texts = [
        ABUSIVE,
        KIND,
        "",
        "The minister is a traitor and a liar.",
        "go k1ll yourself",
        "Дякую за відео, дуже корисно.",
        "x" * 5000,
    ]
    scorer = LocalModelScorer()
    asyncio.run(scorer.warm())
    for text in texts:
        fast = asyncio.run(scorer.score(text)).value
        assert fast == pytest.approx(float(predict_prob([text])[0]), abs=1e-9)


def test_the_fast_local_model_agrees_with_the_package_on_thousands_of_texts():
    """Texts made of the model's own words (so every feature is exercised), in varied case,
    repeated and punctuated, against the package's sparse-matrix path."""
    import random

    from profanity_check import predict_prob, profanity_check

    vocabulary = sorted(profanity_check.vectorizer.vocabulary_)
    rng = random.Random(5)
    texts = []
    for _ in range(2000):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(0, 60))]
        words = [w.upper() if rng.random() < 0.1 else w for w in words]
        texts.append(rng.choice([" ", ", ", "! ", "\n"]).join(words * rng.randint(1, 2)))
    scorer = LocalModelScorer()
    asyncio.run(scorer.warm())
    expected = predict_prob(texts)
    for text, probability in zip(texts, expected, strict=True):
        assert asyncio.run(scorer.score(text)).value == pytest.approx(probability, abs=1e-9)


def test_the_settings_reach_the_external_scorer(perspective):
    """REJOINDER_TOXICITY_API_KEY and _LANGUAGES are what the scorer sends (they used to be
    options of the scorer that no setting reached)."""
    settings = Settings.load(
        {
            "REJOINDER_TOXICITY_URL": base(perspective) + "/analyze",
            "REJOINDER_TOXICITY_API_KEY": "k-456",
            "REJOINDER_TOXICITY_LANGUAGES": "en uk",
        }
    )

    async def main() -> Score:
        scorer = make_scorer(settings)
        try:
            return await scorer.score(ABUSIVE)
        finally:
            await scorer.aclose()

    assert asyncio.run(main()).value == 0.97
    _, query, body = perspective.requests[0]
    assert query == {"key": ["k-456"]}
    assert body["languages"] == ["en", "uk"]
    assert "k-456" not in str(settings.describe())
