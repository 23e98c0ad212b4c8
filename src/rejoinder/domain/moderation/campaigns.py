"""Recognising coordinated campaigns: the same text posted again and again, lightly varied.

Campaigns copy one message across many accounts and articles, changing a word here and there
to slip past exact matching. Comparing the sets of overlapping three-word runs ("shingles")
of two comments sees through that: a few changed words leave most runs intact. Short texts
are never compared, so a hundred readers each writing "Thanks, great article!" is not a
campaign.

The store cannot keep every comment's shingles, so ``shingle_signature`` keeps a short
sketch (the smallest hashes, a "bottom-k" sketch) from which ``signature_similarity``
estimates the same similarity later. Hashes are stable across processes and versions
(BLAKE2b, not Python's per-process randomised ``hash``), so stored signatures stay valid.
"""

from __future__ import annotations

import re
from hashlib import blake2b

from rejoinder.domain.confusables import fold

NEAR_DUPLICATE = 0.6  # Jaccard similarity at or above which two comments are one message
MIN_WORDS = 4  # texts shorter than this are never part of a campaign
SHINGLE_WORDS = 3
SIGNATURE_SIZE = 32  # hashes kept per comment: about 290 characters stored
BANDS = 16  # locality-sensitive hash bands per comment ...
ROWS = 3  # ... of three min-hashes each: texts 0.6 alike share a band 98% of the time

_URL = re.compile(r"(?i)\b(?:(?:https?|ftp)://|www\.)\S+")
_WORD = re.compile(r"[^\W\d_]+")


def fingerprint(text: str) -> str:
    """The comment's words alone, in one spelling.

    Case, look-alike letters, markdown, punctuation, digits and links are dropped, so that
    changing "Vote NOW!!!" to "vote now" or swapping the link does not make a new message.
    """
    return " ".join(_WORD.findall(fold(_URL.sub(" ", text))))


def _hash(shingle: str) -> int:
    return int.from_bytes(blake2b(shingle.encode("utf-8"), digest_size=4).digest(), "big")


def shingles(text: str) -> frozenset[int]:
    """Stable hashes of the text's three-word runs; empty for texts under ``MIN_WORDS``."""
    words = fingerprint(text).split()
    if len(words) < MIN_WORDS:
        return frozenset()
    return frozenset(
        _hash(" ".join(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)
    )


def similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard similarity of two shingle sets; 0.0 when either is empty (a short text)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def is_near_duplicate(a_text: str, b_text: str) -> bool:
    """True if the two texts are one message, lightly varied."""
    return similarity(shingles(a_text), shingles(b_text)) >= NEAR_DUPLICATE


def shingle_signature(text: str) -> str:
    """A short string to store with a comment, for comparing it with later ones.

    The ``SIGNATURE_SIZE`` smallest shingle hashes as hex, comma-separated; "" for a short
    text. A text with fewer shingles keeps them all, and is then compared exactly.
    """
    return ",".join(f"{value:08x}" for value in sorted(shingles(text))[:SIGNATURE_SIZE])


_PRIME = (1 << 61) - 1
# Fixed coefficients for BANDS * ROWS hash functions h(x) = (a*x + b) mod p: derived from
# BLAKE2b, so every process and every version computes the same band keys.
_COEFFICIENTS = [
    (
        int.from_bytes(blake2b(f"a{i}".encode(), digest_size=8).digest(), "big") % _PRIME | 1,
        int.from_bytes(blake2b(f"b{i}".encode(), digest_size=8).digest(), "big") % _PRIME,
    )
    for i in range(BANDS * ROWS)
]


def band_keys(text: str) -> list[str]:
    """Keys under which to index a comment so that near-duplicates are found by lookup.

    MinHash locality-sensitive hashing: each band is a few min-hashes of the shingle set,
    and two texts share a band's key with a probability that rises steeply with their
    similarity (about 98% at ``NEAR_DUPLICATE``, 24% at 0.3). A shared key only makes a
    candidate; ``is_near_duplicate`` decides. Short texts have no keys. Each key fits in
    24 characters.
    """
    values = shingles(text)
    if not values:
        return []
    minima = [min((a * x + b) % _PRIME for x in values) for a, b in _COEFFICIENTS]
    keys = []
    for band in range(BANDS):
        rows = ",".join(str(m) for m in minima[band * ROWS : (band + 1) * ROWS])
        digest = blake2b(rows.encode(), digest_size=8).hexdigest()
        keys.append(f"b{band:02d}:{digest}")
    return keys


def _parse(signature: str) -> list[int]:
    return sorted({int(part, 16) for part in signature.split(",") if part})


def signature_similarity(sig_a: str, sig_b: str) -> float:
    """The similarity of two comments estimated from their signatures alone.

    If both signatures hold every shingle the answer is exact. Otherwise it is the bottom-k
    estimate: among the k smallest hashes of both together, the share found in both, where k
    is the shorter signature's length (each signature holds at least its own k smallest).
    """
    a, b = _parse(sig_a), _parse(sig_b)
    if not a or not b:
        return 0.0
    set_a, set_b = set(a), set(b)
    if len(a) < SIGNATURE_SIZE and len(b) < SIGNATURE_SIZE:
        return len(set_a & set_b) / len(set_a | set_b)
    k = min(len(a), len(b))
    smallest = sorted(set_a | set_b)[:k]
    return sum(1 for value in smallest if value in set_a and value in set_b) / k
