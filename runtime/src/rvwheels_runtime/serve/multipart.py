"""``multipart/form-data`` bodies, parsed by the ``multipart`` library (pure Python).

Its push parser has limits made for hostile input: here at most ``MAX_PARTS`` parts of at most
``MAX_PART_HEADERS`` header lines of ``MAX_PART_HEADER_BYTES`` each. The standard library's
email parser, used before, spent minutes on a 2.5 MB part header of repeated ``a=b;``
parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import multipart

# The eraser's forms have two fields (image, mask); room for a few a client adds. A part's
# headers: Content-Disposition and Content-Type, and a few more.
MAX_PARTS = 16
MAX_PART_HEADERS = 8
MAX_PART_HEADER_BYTES = 4096


class MultipartError(ValueError):
    """The body is not a well-formed multipart/form-data message."""


@dataclass(frozen=True, kw_only=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_form(body: bytes, content_type: str) -> dict[str, Part]:
    """The named parts of ``body`` sent with header ``Content-Type: content_type``."""
    kind, options = multipart.parse_options_header(content_type)
    if kind != "multipart/form-data":
        msg = f"expected a multipart/form-data body, got {content_type or 'no Content-Type'}"
        raise MultipartError(msg)
    boundary = options.get("boundary")
    if not boundary:
        msg = "malformed multipart/form-data body: the Content-Type has no boundary"
        raise MultipartError(msg)
    try:
        return _parts(body, boundary)
    except multipart.ParserLimitReached as err:
        msg = (
            f"multipart/form-data body refused: {_first_line(err)} (limits: {MAX_PARTS} parts, "
            f"{MAX_PART_HEADERS} header lines of {MAX_PART_HEADER_BYTES} B per part)"
        )
        raise MultipartError(msg) from None
    except multipart.MultipartError as err:
        msg = f"malformed multipart/form-data body: {_first_line(err)}; check the boundary"
        raise MultipartError(msg) from None


def _parts(body: bytes, boundary: str) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    segment: multipart.MultipartSegment | None = None
    chunks: list[bytes] = []
    parser = multipart.PushMultipartParser(
        boundary,
        content_length=len(body),
        max_header_size=MAX_PART_HEADER_BYTES,
        max_header_count=MAX_PART_HEADERS,
        max_segment_count=MAX_PARTS,
    )
    with parser:
        for event in parser.parse(body):
            if isinstance(event, multipart.MultipartSegment):
                segment, chunks = event, []
            elif event is not None:
                chunks.append(bytes(event))
            elif segment is not None and segment.name:
                parts[segment.name] = Part(
                    name=segment.name,
                    filename=segment.filename,
                    content_type=segment.content_type or "application/octet-stream",
                    data=b"".join(chunks),
                )
    return parts


def _first_line(err: Exception) -> str:
    text = str(err.args[0]) if err.args else str(err)
    return (text.splitlines() or ["unreadable"])[0][:200]
