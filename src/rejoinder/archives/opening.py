"""Opening an archive: gzipped or not (told by its first bytes, not its name), and which
format it is when the user says ``auto``."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import IO, cast

from rejoinder.archives import commento, disqus, isso, remark42, wordpress
from rejoinder.domain.archive import ArchiveError, Entry

FORMATS: dict[str, ModuleType] = {
    module.NAME: module for module in (disqus, wordpress, isso, remark42, commento)
}
_GZIP = b"\x1f\x8b"
_SNIFF = 64 * 1024


@contextmanager
def opened(path: Path) -> Iterator[IO[bytes]]:
    with path.open("rb") as raw:
        gzipped = raw.read(2) == _GZIP
        raw.seek(0)
        if not gzipped:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw) as unpacked:
            yield cast(IO[bytes], unpacked)


def detect(path: Path) -> str:
    """The format whose files start like this one, or ``ArchiveError``."""
    try:
        with opened(path) as source:
            head = source.read(_SNIFF)
    except (OSError, EOFError) as error:
        raise ArchiveError(f"cannot read {path}: {error}") from None
    for name, module in FORMATS.items():
        if module.looks_like(head):
            return name
    raise ArchiveError(f"{path} is in no format Rejoinder knows ({', '.join(FORMATS)})")


def reader(name: str, path: Path) -> Callable[[], Iterator[Entry]]:
    """A function that reads ``path`` afresh as format ``name`` each time it is called."""
    module = FORMATS[name]
    if hasattr(module, "read_file"):  # a database, not a stream (Isso's SQLite file)
        return lambda: cast(Iterator[Entry], module.read_file(path))

    def read() -> Iterator[Entry]:
        try:
            with opened(path) as source:
                yield from module.read(source)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise ArchiveError(f"cannot read {path}: {error}") from None

    return read
