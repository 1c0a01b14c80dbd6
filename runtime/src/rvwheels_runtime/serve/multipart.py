"""``multipart/form-data`` bodies, parsed with the standard library's email parser.

The ``cgi`` module that used to do this is gone in Python 3.13. The email parser keeps binary
payloads byte for byte (it carries undecodable bytes as surrogate escapes and gives them back
with ``get_payload(decode=True)``).
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass
from email import errors as email_errors


class MultipartError(ValueError):
    """The body is not a well-formed multipart/form-data message."""


@dataclass(frozen=True, kw_only=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


# Defects after which the parts cannot be trusted (a missing final boundary is tolerated:
# the parts before it are complete).
_FATAL_DEFECTS = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)


def parse_form(body: bytes, content_type: str) -> dict[str, Part]:
    """The named parts of ``body`` sent with header ``Content-Type: content_type``."""
    if not content_type.lower().startswith("multipart/form-data"):
        msg = f"expected a multipart/form-data body, got {content_type or 'no Content-Type'}"
        raise MultipartError(msg)
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart() or any(isinstance(d, _FATAL_DEFECTS) for d in message.defects):
        msg = "malformed multipart/form-data body (missing or wrong boundary)"
        raise MultipartError(msg)
    parts: dict[str, Part] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        payload = part.get_payload(decode=True)
        parts[name] = Part(
            name=name,
            filename=part.get_filename(),
            content_type=part.get_content_type(),
            data=payload if isinstance(payload, bytes) else b"",
        )
    return parts
