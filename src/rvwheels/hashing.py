"""The one way to hash a file: sha256, streamed in chunks, optionally refusing files over a size
limit (a recipe's patch is text; a 1 TB sparse file must not be read to find out)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class TooLarge(Exception):
    """A file is over the size limit given to ``sha256_file`` (callers turn it into their error)."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(f"{path} is larger than {limit} bytes")
        self.path = path
        self.limit = limit


def sha256_file(path: Path, *, limit: int | None = None) -> str:
    """The sha256 hex digest of ``path``'s bytes; TooLarge when it holds more than ``limit``."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        update_from(digest, f, path=path, limit=limit)
    return digest.hexdigest()


def update_from(digest, stream: BinaryIO, *, path: Path, limit: int | None = None) -> int:
    """Feed ``stream`` into ``digest`` chunk by chunk; return the bytes read."""
    total = 0
    while chunk := stream.read(CHUNK):
        total += len(chunk)
        if limit is not None and total > limit:
            raise TooLarge(path, limit)
        digest.update(chunk)
    return total


def sha256_text(*parts: object) -> str:
    """A digest of several values (their str forms, NUL-separated): keys for caches."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()
