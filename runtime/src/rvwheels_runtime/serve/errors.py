"""The one error type of the eraser's HTTP layer: answered as JSON with its status."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with this HTTP status (and headers)."""

    def __init__(self, *, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
