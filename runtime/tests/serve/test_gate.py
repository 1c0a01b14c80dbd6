"""The eraser's gate: which requests count as its own page's, without a server."""

from __future__ import annotations

import pytest
from rvwheels_runtime.serve.errors import ApiError
from rvwheels_runtime.serve.gate import LOOPBACK_NAMES, Gate

LOOPBACK = Gate(hosts=LOOPBACK_NAMES, url="http://127.0.0.1:8080/", token="t0ken")
ANYWHERE = Gate(hosts=None, url="http://0.0.0.0:8080/", token="t0ken")


def refused(check, *args) -> int | None:
    try:
        check(*args)
    except ApiError as err:
        return err.status
    return None


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("POST", {}),  # curl
        ("POST", {"x-eraser-token": "t0ken"}),
        ("POST", {"host": "localhost", "origin": "http://localhost:80", "x-eraser-token": "t0ken"}),
        (
            "POST",
            {"host": "127.0.0.1:8080", "sec-fetch-site": "same-origin", "x-eraser-token": "t0ken"},
        ),
        ("GET", {"host": "127.0.0.1:8080", "sec-fetch-site": "none"}),
        ("GET", {"host": "127.0.0.1:8080", "sec-fetch-site": "same-origin"}),
    ],
)
def test_own_page_and_plain_clients_pass(method, headers):
    assert refused(LOOPBACK.check_site, method, headers) is None


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("POST", {"host": "127.0.0.1:8080", "origin": "http://127.0.0.1:8080"}),  # no token
        ("POST", {"host": "127.0.0.1:8080", "sec-fetch-site": "none", "x-eraser-token": "t0ken"}),
        (
            "POST",
            {
                "host": "127.0.0.1:8080",
                "origin": "http://127.0.0.1:8081",
                "x-eraser-token": "t0ken",
            },
        ),
        ("POST", {"x-eraser-token": "t0ken-old"}),
        ("GET", {"host": "127.0.0.1:8080", "sec-fetch-site": "same-site"}),
        ("GET", {"host": "127.0.0.1:8080", "origin": "null"}),
    ],
)
def test_other_sites_and_stale_pages_are_refused(method, headers):
    assert refused(LOOPBACK.check_site, method, headers) == 403


def test_host_names():
    assert refused(LOOPBACK.check_host, {"host": "[::1]:8080"}) is None
    assert refused(LOOPBACK.check_host, {}) is None  # HTTP/1.0 without Host: not a browser
    assert refused(LOOPBACK.check_host, {"host": "evil.example:8080"}) == 403
    assert refused(LOOPBACK.check_host, {"host": "127.0.0.1:8080/x"}) == 400
    assert refused(ANYWHERE.check_host, {"host": "eraser.lan:8080"}) is None


def test_bound_elsewhere_the_origin_must_still_match_the_host():
    same = {
        "host": "eraser.lan:8080",
        "origin": "http://eraser.lan:8080",
        "x-eraser-token": "t0ken",
    }
    assert refused(ANYWHERE.check_site, "POST", same) is None
    other = {**same, "origin": "http://evil.example"}
    assert refused(ANYWHERE.check_site, "POST", other) == 403
