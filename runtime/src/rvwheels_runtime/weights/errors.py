"""The one error the weights package raises, and bounded descriptions of what a file holds."""

from __future__ import annotations

from typing import Any

_CLIP_CHARS = 80


class WeightsError(ValueError):
    """A model file is missing, foreign, truncated or not a LaMa generator; one-line message."""


def clip(text: str, limit: int = _CLIP_CHARS) -> str:
    """``text`` on one line and at most ``limit`` characters: file contents go into messages."""
    if not text.isprintable():
        text = repr(text)[1:-1]
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def reason(err: BaseException) -> str:
    """A library's error message (it may quote the file) as a short clause."""
    return clip(str(err) or type(err).__name__, 2 * _CLIP_CHARS)


def describe(value: Any) -> str:
    """What a value from a file is, without repr: repr recurses through shared structure."""
    if value is None or isinstance(value, bool | float):
        return repr(value)
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else f"an int of {value.bit_length()} bits"
    if isinstance(value, str | bytes):
        return repr(value) if len(value) <= _CLIP_CHARS // 2 else f"a {type(value).__name__}"
    if isinstance(value, tuple | list | dict | set | frozenset):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


class BadPickle(Exception):
    """Internal to this package: a pickle is malformed; callers turn it into WeightsError."""
