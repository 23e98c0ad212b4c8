"""Toxicity scorers: the offline model shipped with the package, or a Perspective-style API.

Both answer the same question behind one small protocol, and neither raises: a scorer that
cannot answer says so in a ``Score`` with no value, and ``toxicity_verdict`` applies the
site's fail-open or fail-closed policy. The moderation pipeline therefore never needs to know
which scorer it has, nor how it failed.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import httpx
import msgspec

# Perspective answers in a few hundred bytes; anything far bigger is not a score.
MAX_RESPONSE_BYTES = 64 * 1024


class Score(msgspec.Struct, frozen=True):
    """A probability that the text is abusive, or ``None`` with the reason it is missing."""

    value: float | None
    source: str
    error: str | None = None


class Scorer(Protocol):
    async def score(self, text: str) -> Score: ...


class LocalModelScorer:
    """alt-profanity-check's linear model: offline, English only, well under a millisecond.

    The package's own ``predict_prob`` goes through scikit-learn's input checks on every call
    (about 2 ms of CPU per comment, measured). The model is five linear SVMs, each calibrated
    by a sigmoid, averaged; ``_LinearModel`` computes exactly that from the same weights (a
    test pins it to ``predict_prob``), in about 0.3 ms. Loading scikit-learn and the model
    takes about a second, so it happens in ``warm()`` at startup or on first use.
    """

    source = "local-model"

    def __init__(self) -> None:
        self._predict: Callable[[str], float] | None = None
        self._lock = threading.Lock()

    async def warm(self) -> None:
        """Load the model now (at startup) so the first comment does not pay for it."""
        await asyncio.to_thread(self._load)

    async def score(self, text: str) -> Score:
        try:
            predict = self._predict
            if predict is None:
                predict = await asyncio.to_thread(self._load)
            value = _probability(predict(text))
        except Exception as error:  # a broken model must not break posting
            return Score(None, self.source, error=f"local model failed: {type(error).__name__}")
        return Score(value, self.source)

    def _load(self) -> Callable[[str], float]:
        with self._lock:
            if self._predict is None:
                # The package ships no type information (no stubs, no py.typed).
                from profanity_check import profanity_check  # type: ignore[import-untyped]

                try:
                    self._predict = _LinearModel(profanity_check.vectorizer, profanity_check.model)
                except (AttributeError, IndexError, ValueError):  # a model of another shape
                    predict_prob = profanity_check.predict_prob
                    self._predict = lambda text: float(predict_prob([text])[0])
            return self._predict


class _LinearModel:
    """``CalibratedClassifierCV(LinearSVC, method="sigmoid")`` over a tf-idf vectorizer, computed
    directly: mean over folds of expit(-(a * (w·x + b) + c)), x the l2-normalised tf-idf.

    scikit-learn builds a sparse matrix and validates it for every call, about 0.5 ms for one
    comment; a comment has a few dozen words, so summing their weights here takes 15 µs.
    The vectorizer's own analyzer splits the words, so the features are the same ones (a test
    compares the two on thousands of texts).
    """

    def __init__(self, vectorizer: Any, model: Any) -> None:
        folds = model.calibrated_classifiers_
        if list(model.classes_) != [0, 1] or any(f.method != "sigmoid" for f in folds):
            raise ValueError("not a binary sigmoid-calibrated linear model")
        plain = vectorizer.use_idf and not vectorizer.sublinear_tf and not vectorizer.binary
        if vectorizer.norm != "l2" or not plain:
            raise ValueError("not a plain l2-normalised tf-idf vectorizer")
        self._analyze = vectorizer.build_analyzer()
        coefficients = [f.estimator.coef_.ravel() for f in folds]
        # Each known word: its idf, and its weight in each fold.
        self._terms = {
            term: (float(vectorizer.idf_[j]), tuple(float(c[j]) for c in coefficients))
            for term, j in vectorizer.vocabulary_.items()
        }
        self._intercepts = tuple(float(f.estimator.intercept_[0]) for f in folds)
        self._sigmoids = tuple(
            (float(f.calibrators[0].a_), float(f.calibrators[0].b_)) for f in folds
        )

    def __call__(self, text: str) -> float:
        terms = self._terms
        counts = Counter(word for word in self._analyze(text) if word in terms)
        decisions = list(self._intercepts)
        if counts:
            weighted = [(count * terms[word][0], terms[word][1]) for word, count in counts.items()]
            norm = math.sqrt(sum(tf_idf * tf_idf for tf_idf, _ in weighted))
            for tf_idf, weights in weighted:
                x = tf_idf / norm
                for fold, weight in enumerate(weights):
                    decisions[fold] += x * weight
        probabilities = [
            1.0 / (1.0 + math.exp(a * decision + b))
            for (a, b), decision in zip(self._sigmoids, decisions, strict=True)
        ]
        return sum(probabilities) / len(probabilities)


class HttpScorer:
    """A Perspective-compatible API (Perspective itself, or a self-hosted model behind it).

    The text leaves the server, so this is only used when the publisher configures it. One
    client is kept for the scorer's life so connections are reused; ``timeout`` bounds the
    whole request, not just each read, so a server that trickles bytes cannot hold a post up.
    """

    source = "http"

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = 2.0,
        languages: Sequence[str] = (),
    ) -> None:
        self.url = url
        self.timeout = float(timeout)
        self.languages = tuple(languages)
        self._params = {"key": api_key} if api_key else None
        self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> HttpScorer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def score(self, text: str) -> Score:
        request: dict[str, Any] = {
            "comment": {"text": text},
            "requestedAttributes": {"TOXICITY": {}},
        }
        if self.languages:
            request["languages"] = list(self.languages)
        try:
            async with asyncio.timeout(self.timeout):
                status, body = await self._post(request)
        except (TimeoutError, httpx.TimeoutException):
            return self._failed(f"no answer within {self.timeout:g}s")
        except httpx.HTTPError as error:
            # The exception text can carry the URL and so the API key: name the type only.
            return self._failed(f"request failed ({type(error).__name__})")
        if status != 200:
            return self._failed(f"HTTP {status}")
        if body is None:
            return self._failed(f"response larger than {MAX_RESPONSE_BYTES} bytes")
        return self._parse(body)

    async def _post(self, request: dict[str, Any]) -> tuple[int, bytes | None]:
        """The status and body, reading no more than ``MAX_RESPONSE_BYTES`` (None if over)."""
        async with self._client.stream(
            "POST", self.url, params=self._params, json=request
        ) as response:
            if response.status_code != 200:
                return response.status_code, b""
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    return response.status_code, None
            return response.status_code, bytes(body)

    def _parse(self, body: bytes) -> Score:
        try:
            answer = json.loads(body)
        except ValueError:
            return self._failed("response was not JSON")
        try:
            raw = answer["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
            value = _probability(raw)
        except (KeyError, TypeError, ValueError):
            return self._failed("response had no TOXICITY summary score")
        return Score(value, self.source)

    def _failed(self, error: str) -> Score:
        return Score(None, self.source, error=error)


def toxicity_verdict(score: Score, threshold: float, fail_open: bool) -> tuple[bool, str | None]:
    """Whether to queue the comment, and the reason a moderator will read.

    A missing score is still worth a note either way: with fail-open the comment goes out but
    the moderator can see it was never scored.
    """
    if score.value is None:
        error = score.error or "no score"
        if fail_open:
            return False, f"toxicity unavailable: {error}"
        return True, f"toxicity unavailable (fail closed): {error}"
    if score.value >= threshold:
        return True, f"toxicity {score.value:.2f} ≥ {threshold:.2f}"
    return False, None


def _probability(raw: Any) -> float:
    """A float in 0..1, refusing what is not a number rather than guessing."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):  # numpy floats are floats
        raise ValueError(f"not a number: {raw!r}")
    value = float(raw)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"not a probability: {value}")
    return value
