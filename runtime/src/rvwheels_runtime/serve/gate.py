"""Who may use the eraser: its own page, and programs that are not browsers.

A web page on another site can make the user's browser send requests to 127.0.0.1, and the
browser adds what tells them apart: ``Origin`` on every cross-origin request and on every POST,
``Sec-Fetch-Site`` on everything (Chromium, Firefox, Safari). So:

- ``Host`` must be a name of this server when it listens on loopback (DNS rebinding).
- API requests whose ``Sec-Fetch-Site`` is not ``same-origin`` (``none`` too, for a GET typed
  into the address bar), or whose ``Origin`` is not this server's, are refused (403).
- A POST that comes from a browser (it has ``Origin`` or ``Sec-Fetch-Site``) must also carry
  the token that the page was served with (``X-Eraser-Token``). Another site can neither read
  it nor send that header without a CORS preflight, which this server never grants.
- A request with none of these headers does not come from a browser page: curl, scripts and
  IOPaint-style clients keep working as before. A wrong token is refused from anyone.

The page itself and its script and style files are served to anyone, so that a link to the
eraser works from anywhere.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlsplit

from rvwheels_runtime.serve.errors import ApiError

TOKEN_HEADER = "x-eraser-token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
_HOST = re.compile(r"(?P<name>[a-z0-9._~-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True, kw_only=True)
class Gate:
    """``hosts``: the ``Host`` names to accept (None: any); ``url``: where the page is."""

    hosts: frozenset[str] | None
    url: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)

    def check_host(self, headers: Mapping[str, str]) -> None:
        """Browsers send the address they were pointed at: a page from another site that
        resolves its own name to 127.0.0.1 (DNS rebinding) is refused."""
        host = headers.get("host", "").lower()
        if not host:
            return  # HTTP/1.0 without Host: not a browser
        match = _HOST.fullmatch(host)
        if match is None:
            raise ApiError(status=400, message=f"malformed Host header {host!r}")
        if self.hosts is not None and match["name"] not in self.hosts:
            message = f"host {host!r} is not this server's address; open {self.url}"
            raise ApiError(status=403, message=message)

    def check_site(self, method: str, headers: Mapping[str, str]) -> None:
        """Refuse an API request that another site's page made the browser send."""
        site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        typed_in = site == "none" and method == "GET"  # the address bar, not a page
        if site is not None and site != "same-origin" and not typed_in:
            _refuse_cross_site("Sec-Fetch-Site", site)
        if origin is not None and not _same_origin(origin, headers.get("host", "")):
            _refuse_cross_site("Origin", origin)
        token = headers.get(TOKEN_HEADER)
        if token is not None and not hmac.compare_digest(token.encode(), self.token.encode()):
            message = "this page is from an earlier run of the eraser; reload it"
            raise ApiError(status=403, message=message)
        from_browser = site is not None or origin is not None
        if method == "POST" and from_browser and token is None:
            message = f"a browser may send work only from the eraser's own page; open {self.url}"
            raise ApiError(status=403, message=message)


def _refuse_cross_site(header: str, value: str) -> NoReturn:
    message = f"cross-site request refused ({header}: {value[:100]}); use the eraser's own page"
    raise ApiError(status=403, message=message)


def _same_origin(origin: str, host: str) -> bool:
    """``origin`` (``http://name:port``) names the same server as the ``Host`` header."""
    parts = urlsplit(origin.lower())
    if parts.scheme != "http" or parts.path or parts.query or parts.fragment or not host:
        return False
    return _authority(parts.netloc) == _authority(host.lower())


def _authority(text: str) -> str:
    return text.removesuffix(":80")
