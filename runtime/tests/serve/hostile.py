"""Generators of hostile HTTP requests for the eraser, as raw bytes (nothing checked in).

Each ``Hostile`` is what a hostile client or web page sends on a fresh connection and the
statuses a correct server may answer. ``HOST`` and ``TOKEN`` stand for the server's address
and page token; ``bind`` puts the real ones in.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from rvwheels_runtime.image import encode_png
from rvwheels_runtime.pngbmp import encode_bmp

from .conftest import disc_mask, multipart, smooth_image

HOST = b"@HOST@"
TOKEN = b"@TOKEN@"
EVIL = b"https://evil.example"


@dataclass(frozen=True)
class Hostile:
    name: str
    raw: bytes
    statuses: tuple[int, ...]

    def bind(self, host: str, token: str) -> bytes:
        return self.raw.replace(HOST, host.encode()).replace(TOKEN, token.encode())


def request(
    method: bytes = b"GET",
    target: bytes = b"/api/info",
    headers: list[bytes] | None = None,
    body: bytes = b"",
    *,
    version: bytes = b"HTTP/1.1",
    host: bool = True,
    length: bool | None = None,
) -> bytes:
    """A request: Host first unless ``host`` is False, Content-Length when there is a body."""
    lines = [b"%s %s %s" % (method, target, version)]
    lines += [b"Host: " + HOST] if host else []
    lines += headers or []
    if length if length is not None else bool(body):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def png_claiming(width: int, height: int) -> bytes:
    """A 1×1 PNG whose header says ``width``×``height`` (CRC fixed, so only the size lies)."""
    data = bytearray(encode_png(np.zeros((1, 1, 3), np.uint8)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    data = bytearray(encode_bmp(np.zeros((1, 1, 3), np.uint8)))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    """Start of image, a baseline frame header of that size, a scan header: no pixel data."""
    frame = struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes([1, 17, 0, 2, 17, 1, 3, 17, 1])
    scan = struct.pack(">HB", 12, 3) + bytes([1, 0, 2, 17, 3, 17, 0, 63, 0])
    return b"\xff\xd8\xff\xc0" + frame + b"\xff\xda" + scan + bytes(10) + b"\xff\xd9"


EPS = (
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n%%EndComments\n"
    b"newpath 0 0 moveto 16 16 lineto stroke showpage\n%%EOF\n"
)
OTHER_FORMATS = {
    "eps": EPS,
    "tiff": b"II*\x00\x08\x00\x00\x00\x00\x00",
    "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
    "psd": b"8BPS\x00\x01" + bytes(20),
    "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    "webp-broken": b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(8),
}


def good_pair(height: int = 48, width: int = 64) -> dict[str, bytes]:
    return {
        "image": encode_png(smooth_image(height, width)),
        "mask": encode_png(disc_mask(height, width, height // 2, width // 2, 6)),
    }


def form_post(fields: dict[str, bytes], headers: list[bytes], target: bytes = b"/api/inpaint"):
    body, content_type = multipart(fields)
    return request(b"POST", target, [b"Content-Type: " + content_type.encode(), *headers], body)


def predict_post(payload: bytes, headers: list[bytes] | None = None) -> bytes:
    return request(
        b"POST", b"/predict", [b"Content-Type: application/json", *(headers or [])], payload
    )


def _data_url(data: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(data).decode()


def request_lines() -> Iterator[Hostile]:
    yield Hostile("http/2.0", request(version=b"HTTP/2.0"), (505,))
    yield Hostile("http/9.9", request(version=b"HTTP/9.9"), (505,))
    yield Hostile("http/1.2", request(version=b"HTTP/1.2"), (505,))
    yield Hostile("http/0.9", b"GET /\r\n\r\n", (400,))
    yield Hostile("h2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", (400, 505))
    yield Hostile("absolute url", request(target=b"http://evil.example/"), (400,))
    yield Hostile("asterisk", request(b"OPTIONS", b"*"), (400,))
    yield Hostile("connect", request(b"CONNECT", b"evil.example:443"), (400,))
    yield Hostile("double space", b"GET  /api/info HTTP/1.1\r\nHost: @HOST@\r\n\r\n", (400,))
    yield Hostile("tab separator", b"GET\t/api/info HTTP/1.1\r\nHost: @HOST@\r\n\r\n", (400,))
    yield Hostile("lowercase version", request(version=b"http/1.1"), (400,))
    yield Hostile("nul in target", request(target=b"/api\x00/info"), (400,))
    yield Hostile("utf-8 target", request(target="/ä".encode()), (400,))
    yield Hostile("empty lines only", b"\r\n\r\n\r\n", (400,))
    yield Hostile("no newline", b"GET / HTTP/1.1", (408,))
    yield Hostile("head never ends", b"GET / HTTP/1.1\r\nHost: @HOST@\r\nX-A: b", (408,))
    yield Hostile("20 KB target", request(target=b"/" + b"a" * 20_000), (400, 414, 431))
    yield Hostile("lowercase method", request(b"get"), (501,))
    yield Hostile("delete", request(b"DELETE"), (501,))
    yield Hostile("head", request(b"HEAD", b"/"), (501,))
    yield Hostile("path traversal", request(target=b"/../../etc/passwd"), (404,))
    yield Hostile("encoded traversal", request(target=b"/%2e%2e/%2e%2e/etc/passwd"), (404,))
    yield Hostile(
        "tls client hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40), (400,)
    )
    rng = random.Random(7)
    for seed in range(6):
        noise = bytes(rng.randrange(256) for _ in range(200 + 50 * seed))
        yield Hostile(f"random bytes {seed}", noise + b"\r\n\r\n", (400,))


def hosts() -> Iterator[Hostile]:
    yield Hostile("two hosts", request(headers=[b"Host: evil.example"]), (400,))
    yield Hostile("foreign host", request(host=False, headers=[b"Host: evil.example"]), (403,))
    yield Hostile(
        "rebinding", request(host=False, headers=[b"Host: localhost.evil.example"]), (403,)
    )
    yield Hostile("host with space", request(host=False, headers=[b"Host: 127.0.0.1 x"]), (400,))
    yield Hostile("host userinfo", request(host=False, headers=[b"Host: a@127.0.0.1"]), (400,))
    yield Hostile("host bad ipv6", request(host=False, headers=[b"Host: [::1"]), (400,))
    yield Hostile(
        "host huge port", request(host=False, headers=[b"Host: 127.0.0.1:99999999"]), (400,)
    )
    yield Hostile("no host in 1.1", request(host=False), (400,))


def lengths() -> Iterator[Hostile]:
    form = [b"Content-Type: multipart/form-data; boundary=x"]
    body = b"--x--\r\n"

    def post(*extra: bytes, data: bytes = body) -> bytes:
        return request(b"POST", b"/api/inpaint", [*form, *extra], data, length=False)

    yield Hostile("superscript two", post(b"Content-Length: \xb2"), (400,))
    yield Hostile(
        "superscript + expect", post(b"Content-Length: \xb2", b"Expect: 100-continue"), (400,)
    )
    yield Hostile("arabic digits", post("Content-Length: ٣".encode()), (400,))
    yield Hostile("negative length", post(b"Content-Length: -1"), (400,))
    yield Hostile("exponent length", post(b"Content-Length: 1e3"), (400,))
    yield Hostile("list length", post(b"Content-Length: 7, 8"), (400,))
    yield Hostile("two lengths", post(b"Content-Length: 7", b"Content-Length: 8"), (400,))
    yield Hostile("30 digits", post(b"Content-Length: " + b"9" * 30), (400,))
    yield Hostile(
        "length and chunked", post(b"Content-Length: 7", b"Transfer-Encoding: chunked"), (400, 411)
    )
    yield Hostile("gzip coding", post(b"Transfer-Encoding: gzip"), (400, 501))
    yield Hostile("chunked", post(b"Transfer-Encoding: chunked", data=b"0\r\n\r\n"), (411,))
    yield Hostile("no length", post(data=b""), (411,))
    yield Hostile("petabyte", post(b"Content-Length: 1000000000000000", data=b""), (413,))
    yield Hostile(
        "gigabyte expecting",
        post(b"Content-Length: 1000000000", b"Expect: 100-continue", data=b""),
        (413,),
    )
    yield Hostile("body stalls", post(b"Content-Length: 5000", data=b"--x\r\n"), (408,))


def headers() -> Iterator[Hostile]:
    yield Hostile("no colon", request(headers=[b"X-Broken"]), (400,))
    yield Hostile("space before colon", request(headers=[b"X-A : b"]), (400,))
    yield Hostile("nul in value", request(headers=[b"X-A: b\x00c"]), (400,))
    yield Hostile("utf-8 name", request(headers=["X-Ä: b".encode()]), (400,))
    yield Hostile("bare cr lines", b"GET /api/info HTTP/1.1\rHost: @HOST@\r\r", (400, 408))
    yield Hostile("one 20 KB header", request(headers=[b"X-A: " + b"a" * 20_000]), (431,))
    many = [b"X-H%d: %s" % (i, b"v" * 90) for i in range(300)]
    yield Hostile("300 headers", request(headers=many), (431,))
    yield Hostile(
        "two origins", request(headers=[b"Origin: http://@HOST@", b"Origin: " + EVIL]), (400,)
    )
    pair = good_pair()
    yield Hostile("two content types", form_post(pair, [b"Content-Type: text/plain"]), (400,))


def cross_site() -> Iterator[Hostile]:
    pair = good_pair()
    same = b"Origin: http://@HOST@"
    token = b"X-Eraser-Token: " + TOKEN
    payload = json.dumps({"image": _data_url(pair["image"]), "mask": _data_url(pair["mask"])})
    text_plain = request(
        b"POST", b"/predict", [b"Content-Type: text/plain", b"Origin: " + EVIL], payload.encode()
    )
    yield Hostile("evil multipart inpaint", form_post(pair, [b"Origin: " + EVIL]), (403,))
    yield Hostile(
        "evil multipart jobs", form_post(pair, [b"Origin: " + EVIL], b"/api/jobs"), (403,)
    )
    yield Hostile("evil text/plain predict", text_plain, (403,))
    yield Hostile("evil with stolen token", form_post(pair, [b"Origin: " + EVIL, token]), (403,))
    yield Hostile(
        "cross-site fetch", form_post(pair, [b"Sec-Fetch-Site: cross-site", token]), (403,)
    )
    yield Hostile("same-site fetch", form_post(pair, [b"Sec-Fetch-Site: same-site", token]), (403,))
    yield Hostile("typed-in post", form_post(pair, [b"Sec-Fetch-Site: none", token]), (403,))
    yield Hostile("null origin", form_post(pair, [b"Origin: null"]), (403,))
    yield Hostile("other port", form_post(pair, [b"Origin: http://127.0.0.1:1", token]), (403,))
    yield Hostile("https origin", form_post(pair, [b"Origin: https://@HOST@", token]), (403,))
    yield Hostile("origin with path", form_post(pair, [b"Origin: http://@HOST@/x", token]), (403,))
    yield Hostile("same origin no token", form_post(pair, [same]), (403,))
    yield Hostile(
        "same origin bad token", form_post(pair, [same, b"X-Eraser-Token: guess"]), (403,)
    )
    yield Hostile("script bad token", form_post(pair, [b"X-Eraser-Token: guess"]), (403,))
    yield Hostile("cross-site info", request(headers=[b"Sec-Fetch-Site: cross-site"]), (403,))
    yield Hostile(
        "evil job poll", request(target=b"/api/jobs/0123abcd", headers=[b"Origin: " + EVIL]), (403,)
    )


def json_bodies() -> Iterator[Hostile]:
    yield Hostile("json 100k arrays", predict_post(b"[" * 100_000 + b"]" * 100_000), (400,))
    yield Hostile(
        "json 100k objects", predict_post(b'{"a":' * 100_000 + b"1" + b"}" * 100_000), (400,)
    )
    yield Hostile(
        "json 10k digits", predict_post(b'{"image": ' + b"7" * 10_000 + b', "mask": 1}'), (400,)
    )
    yield Hostile("json huge exponent", predict_post(b'{"image": 1e999999, "mask": 1}'), (400,))
    yield Hostile("json bad utf-8", predict_post(b'{"image": "\xff\xfe", "mask": ""}'), (400,))
    yield Hostile("json array", predict_post(b'["image", "mask"]'), (400,))
    yield Hostile(
        "json surrogates",
        predict_post(b'{"image": "\\ud800\\udfff\\ud800", "mask": "x"}'),
        (400, 415),
    )
    yield Hostile(
        "json text data url",
        predict_post(b'{"image": "data:text/html;base64,PGI+", "mask": "x"}'),
        (415,),
    )
    yield Hostile(
        "json base64 junk", predict_post(b'{"image": "%%%%", "mask": "@@@@"}'), (400, 415)
    )
    empty = request(b"POST", b"/predict", [b"Content-Type: application/json"], length=True)
    yield Hostile("json empty", empty, (400,))


def multipart_bodies() -> Iterator[Hostile]:
    pair = good_pair()
    body, content_type = multipart(pair)

    def post(data: bytes, kind: bytes = content_type.encode()) -> bytes:
        return request(b"POST", b"/api/inpaint", [b"Content-Type: " + kind], data)

    yield Hostile("no boundary", post(body, b"multipart/form-data"), (400,))
    yield Hostile("wrong boundary", post(body, b"multipart/form-data; boundary=nope"), (400,))
    yield Hostile("multipart mixed", post(body, b"multipart/mixed; boundary=x"), (415,))
    yield Hostile("no final boundary", post(body[: body.rindex(b"--")]), (400,))
    many = b"".join(
        b'--x\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i for i in range(500)
    )
    yield Hostile(
        "500 parts", post(many + b"--x--\r\n", b"multipart/form-data; boundary=x"), (400,)
    )
    params = (
        b"--x\r\nContent-Disposition: form-data; "
        + b"a=b; " * 100_000
        + b'name="image"\r\n\r\nv\r\n--x--\r\n'
    )
    yield Hostile("100k parameters", post(params, b"multipart/form-data; boundary=x"), (400,))
    headerless = b"--x\r\n\r\nv\r\n--x--\r\n"
    yield Hostile(
        "part without headers", post(headerless, b"multipart/form-data; boundary=x"), (400,)
    )
    only_image, only_type = multipart({"image": pair["image"]})
    yield Hostile("only image", post(only_image, only_type.encode()), (400,))


def images() -> Iterator[Hostile]:
    pair = good_pair()
    for name, data in OTHER_FORMATS.items():
        yield Hostile(f"{name} upload", form_post({**pair, "image": data}, []), (415,))
        yield Hostile(f"{name} mask", form_post({**pair, "mask": data}, []), (415,))
    yield Hostile(
        "png claims 100k²", form_post({**pair, "image": png_claiming(100_000, 100_000)}, []), (413,)
    )
    yield Hostile(
        "bmp claims 100k²",
        form_post({**pair, "image": bmp_claiming(100_000, -100_000)}, []),
        (413,),
    )
    yield Hostile(
        "jpeg claims 65000²",
        form_post({**pair, "image": jpeg_claiming(65_000, 65_000)}, []),
        (413, 415),
    )
    yield Hostile("png 0×0", form_post({**pair, "image": png_claiming(0, 0)}, []), (400, 415))
    yield Hostile("png cut short", form_post({**pair, "image": pair["image"][:60]}, []), (415,))
    flipped = pair["image"][:40] + bytes([pair["image"][40] ^ 0xFF]) + pair["image"][41:]
    yield Hostile("png bad crc", form_post({**pair, "image": flipped}, []), (415,))
    yield Hostile("empty image", form_post({**pair, "image": b""}, []), (400,))
    other = good_pair(32, 32)
    yield Hostile(
        "sizes differ", form_post({"image": pair["image"], "mask": other["mask"]}, []), (400,)
    )
    big = np.full((4096, 4096), 255, np.uint8)
    full = {"image": encode_png(np.zeros((4096, 4096, 3), np.uint8)), "mask": encode_png(big)}
    yield Hostile("fully masked 4096²", form_post(full, []), (413,))


def all_hostile() -> list[Hostile]:
    groups = (
        request_lines,
        hosts,
        lengths,
        headers,
        cross_site,
        json_bodies,
        multipart_bodies,
        images,
    )
    return [case for group in groups for case in group()]
