"""Finding listed words in a comment, however they are disguised.

People who want a banned word past a filter spell it "1d10t", "iddiiot", "i.d.i.o.t",
"i d i o t", with a Cyrillic "і" or with a zero-width space inside. Both the comment and the
listed words are folded the same way (``confusables.fold``: look-alike letters to one
prototype, case ignored, invisibles dropped), so a Ukrainian list is matched in Cyrillic and
an English one in Latin without guessing the language. Each listed word then becomes a
pattern that tolerates leetspeak, repeated letters and separators, but only ever matches a
whole word: "ass" is not found in "class" or "assassin".

This runs on every comment, so each list is compiled once into one scanning pattern that
finds where some word starts, and per-word patterns that name which ones start there.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from rejoinder.domain.confusables import fold

# Characters that stand for a (folded) letter. After folding, "i" has become "l" (capital I
# and small l look alike), so "1", "!" and "|" all stand for that one letter.
_LEET: dict[str, str] = {
    "a": "a4@",
    "e": "e3",
    "l": "l1!|",
    "o": "o0",
    "s": "s$5",
    "t": "t7+",
}
# Between the letters of one word: punctuation only ("i.d.i.o.t", "id-iot"), or a separator
# in every gap ("i d i o t"). Requiring every gap keeps "a ss" and "as s" from matching.
_PUNCT = "[.\\-_*~'\"`·•,:;/\\\\]"
_SPACED = f"(?:\\s|{_PUNCT})+"
# What may not touch either end of a match: a letter or digit, or a leetspeak symbol that
# would make the word longer ("cl@ss"). A plain "!" after a word is punctuation.
_BOUNDARY = "[\\w@$|+]"
_BEFORE = f"(?<!{_BOUNDARY})"
_AFTER = f"(?!{_BOUNDARY})"
_TOKEN_SPLIT = re.compile(r"[\W_]+")


def _unit(ch: str) -> str:
    """One letter of a listed word, any of its stand-ins, repeated any number of times."""
    stand_ins = _LEET.get(ch)
    if stand_ins is None:
        return re.escape(ch) + "+"
    return "[" + re.escape(stand_ins) + "]+"


_PHRASE_GAP = r"[\W_]+"
# Phrases up to this many words get every mix of tight and spaced words (2**n spellings).
MAX_MIXED_TOKENS = 3
_END = ""  # trie key marking that a listed word ends here


def _tokens(word: str) -> list[str]:
    """The folded words of a listing ("Go  die!" -> ["go", "dle"])."""
    return [token for token in _TOKEN_SPLIT.split(fold(word)) if token]


def _spellings(tokens: list[str]) -> list[list[str]]:
    """Each spelling of a listing as a sequence of pattern pieces: letters and gaps.

    A word is written tight ("i.diot", punctuation at most) or spaced out in every gap
    ("i d i o t"), never a mix; the words of a phrase may be apart by anything, and each word
    of a short phrase is tight or spaced on its own ("k i l l yourself").
    """
    gaps = (f"{_PUNCT}*", _SPACED)
    if len(tokens) <= MAX_MIXED_TOKENS:
        choices = list(itertools.product(gaps, repeat=len(tokens)))
    else:
        choices = [(gap,) * len(tokens) for gap in gaps]
    spellings = []
    for chosen in choices:
        pieces: list[str] = []
        for number, (token, gap) in enumerate(zip(tokens, chosen, strict=True)):
            if number:
                pieces.append(_PHRASE_GAP)
            for position, ch in enumerate(token):
                if position:
                    pieces.append(gap)
                pieces.append(_unit(ch))
        if pieces not in spellings:
            spellings.append(pieces)
    return spellings


def _alternatives(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


class _Matcher:
    """A compiled word list: one scanning pattern that says which word starts where.

    All spellings of all words go into one trie, turned into one pattern, so at each word
    start the engine follows shared prefixes once instead of trying every word in turn; an
    empty group marks where each word ends, so the match says which word it was. The scan is
    zero-width, so a phrase and a word inside it that starts later are both seen. Where two
    words start at the same place ("go" and "go die") the scan names one; the others with
    that first letter are then tried there directly, which is cheap because it is rare.
    """

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words: list[str] = []
        self.heads: list[str] = []
        self.patterns: list[re.Pattern[str]] = []
        trie: dict[str, Any] = {}
        for word in dict.fromkeys(words):
            tokens = _tokens(word)
            if not tokens:
                continue
            index = len(self.words)
            self.words.append(word)
            self.heads.append(_unit(tokens[0][0]))
            spellings = _spellings(tokens)
            self.patterns.append(
                re.compile(_BEFORE + _alternatives(["".join(s) for s in spellings]) + _AFTER)
            )
            for pieces in spellings:
                node = trie
                for piece in pieces:
                    node = node.setdefault(piece, {})
                node.setdefault(_END, []).append(index)
        self.group_words: dict[int, list[int]] = {}
        self.scan = re.compile(f"{_BEFORE}(?={self._emit(trie)})") if self.words else None

    def _emit(self, node: dict[str, Any]) -> str:
        """The pattern for a trie node; numbers its end markers in the order they appear."""
        parts = [piece + self._emit(child) for piece, child in node.items() if piece != _END]
        if _END in node:
            self.group_words[len(self.group_words) + 1] = node[_END]
            parts.append(f"(){_AFTER}")
        return _alternatives(parts)

    def find(self, text: str) -> list[str]:
        if self.scan is None:
            return []
        folded = fold(text)
        found: set[int] = set()
        starts: dict[str, set[int]] = {}  # first letter -> where a listed word began
        for match in self.scan.finditer(folded):
            for index in self.group_words[match.lastindex or 0]:
                found.add(index)
                starts.setdefault(self.heads[index], set()).add(match.start())
        for index, pattern in enumerate(self.patterns):
            if (
                index not in found
                and self.heads[index] in starts
                and any(pattern.match(folded, start) for start in starts[self.heads[index]])
            ):
                found.add(index)
        return [self.words[index] for index in sorted(found)]


@lru_cache(maxsize=64)
def _matcher(words: tuple[str, ...]) -> _Matcher:
    return _Matcher(words)


def find_words(text: str, words: Iterable[str]) -> list[str]:
    """The listed ``words`` that ``text`` contains, as they were listed, in list order.

    Matching ignores case, look-alike letters, zero-width characters, leetspeak ("1d10t"),
    repeated letters ("iddiiot") and separators inside a word ("i.d.i.o.t", "i d i o t"),
    but a word is only found whole, never inside a longer word. A phrase matches with any
    spacing or punctuation between its words.
    """
    return _matcher(tuple(words)).find(text)
