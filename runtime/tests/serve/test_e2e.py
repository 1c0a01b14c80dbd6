"""The eraser page end to end in headless Chromium: upload, brush, lasso, erase, download.

Needs Debian's ``chromium`` (/usr/bin/chromium) and ``pip install playwright``; Playwright's own
browser download is not used. Writes ``runtime/docs/eraser.png`` when it is missing or when
RVWHEELS_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import base64
import http.server
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from rvwheels_runtime.backends.classical import ClassicalBackend
from rvwheels_runtime.image import decode_png
from rvwheels_runtime.serve import ModelInfo, Settings, create_server
from rvwheels_runtime.serve.cli import build_server, serve_parser

from .conftest import png, smooth_image

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "eraser.png"
HEIGHT, WIDTH = 360, 480
CABLE = ((100, 282), (380, 262))  # (x, y) ends of a dark line crossing the compare split
BLOB = (240, 130, 38)  # centre x, y and radius of a dark disc on the split

pytestmark = pytest.mark.integration


def _scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(clean background, the photo with a cable and a blob on it, where the objects are)."""
    clean = smooth_image(HEIGHT, WIDTH)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    (x0, y0), (x1, y1) = CABLE
    t = np.clip(
        ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2), 0, 1
    )
    cable = np.hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0))) <= 2.5
    blob = np.hypot(x - BLOB[0], y - BLOB[1]) <= BLOB[2]
    photo = clean.copy()
    photo[cable] = (30, 30, 35)
    photo[blob] = (60, 40, 90)
    return clean, photo, cable | blob


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the playwright package: pip install playwright"
    )
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def default_server():
    """The server as ``inpaint serve`` builds it: the classical model, no download."""
    server = build_server(serve_parser().parse_args(["--port", "0", "--quiet"]))
    server.start_background()
    yield server
    server.close()


def _mask_of(page) -> np.ndarray:
    url = page.evaluate("() => document.getElementById('mask').toDataURL('image/png')")
    rgba = decode_png(base64.b64decode(url.split(",", 1)[1]), "mask canvas")
    return rgba[:, :, 3] > 0


def _draw(page, points: list[tuple[float, float]]) -> None:
    box = page.locator("#overlay").bounding_box()
    scale = box["width"] / WIDTH

    def at(x: float, y: float) -> tuple[float, float]:
        return box["x"] + x * scale, box["y"] + y * scale

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(*point), steps=4)
    page.mouse.up()


def _set_brush(page, size: int) -> None:
    page.eval_on_selector(
        "#size", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", size
    )


def test_erase_a_cable_and_a_blob(browser, default_server, tmp_path):
    server = default_server
    clean, photo, objects = _scene()
    upload = tmp_path / "street.png"
    upload.write_bytes(png(photo))
    page = browser.new_page(viewport={"width": 960, "height": 600}, accept_downloads=True)
    page.goto(server.url)
    page.wait_for_selector("#model:has-text('classical')")
    page.set_input_files("#file", str(upload))
    page.wait_for_selector("body[data-mode=edit]")

    _set_brush(page, 16)
    (x0, y0), (x1, y1) = CABLE
    _draw(page, [(x0 - 6, y0 + 0.5), ((x0 + x1) / 2, (y0 + y1) / 2), (x1 + 6, y1 - 0.5)])
    after_brush = _mask_of(page)
    _draw(page, [(20, 20), (30, 25)])  # a stray stroke, then undone
    page.keyboard.press("Control+z")
    assert np.array_equal(_mask_of(page), after_brush)
    page.click("[data-tool=lasso]")
    cx, cy, radius = BLOB
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    ring = [(cx + (radius + 14) * np.cos(a), cy + (radius + 14) * np.sin(a)) for a in angles]
    _draw(page, ring)
    mask = _mask_of(page)
    assert not objects[~mask].any(), "brush and lasso must cover both objects"
    assert mask.sum() < 0.15 * mask.size

    page.click("#erase")
    page.wait_for_selector("body[data-mode=result]", timeout=60_000)
    assert page.eval_on_selector("#progress", "el => el.value") == 1
    assert page.inner_text("#progress-text").startswith("100 %")

    with page.expect_download() as download:
        page.click("#download")
    result = decode_png(Path(download.value.path()).read_bytes(), "download")[:, :, :3]
    assert download.value.suggested_filename == "street-erased.png"
    assert np.array_equal(result[~mask], photo[~mask]), "pixels outside the mask changed"
    mean_fill = np.broadcast_to(photo[~mask].mean(axis=0), clean[mask].shape)
    filled, baseline = _psnr(result[mask], clean[mask]), _psnr(mean_fill, clean[mask])
    assert filled > baseline + 10, (filled, baseline)

    page.mouse.move(0, 0)
    shot = tmp_path / "eraser.png"
    page.screenshot(path=str(shot))
    if not SCREENSHOT.exists() or os.environ.get("RVWHEELS_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)

    page.click("#keep")
    page.wait_for_selector("body[data-mode=edit]")
    assert not _mask_of(page).any()
    assert page.is_disabled("#erase")
    page.close()


# A page on another site that makes the browser send work to the eraser: a form-like upload
# (no preflight needed) and IOPaint's JSON as text/plain.
ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><script>
async function attack(eraser, png) {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append("image", new Blob([bytes], {type: "image/png"}), "a.png");
  form.append("mask", new Blob([bytes], {type: "image/png"}), "m.png");
  const url = "data:image/png;base64," + png;
  const json = JSON.stringify({image: url, mask: url});
  const sent = [];
  for (const [path, body] of [["/api/inpaint", form], ["/api/jobs", form], ["/predict", json]]) {
    try { await fetch(eraser + path, {method: "POST", mode: "no-cors", body}); sent.push(path); }
    catch (error) { sent.push(path + ": " + error); }
  }
  return sent;
}
</script>"""


class CountingBackend:
    """The classical fill, counting how often the server ran it."""

    def __init__(self, progress) -> None:
        self.calls = 0
        self._fill = ClassicalBackend(progress=progress)

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self._fill.inpaint(image, mask)


@pytest.fixture
def attack_site():
    """Another web server on this machine (a dev server, a notebook…) whose page attacks: its
    origin is http://localhost:PORT, another site than the eraser's 127.0.0.1. (A page from
    the internet is also stopped by Chromium's local-network checks; other browsers lack them.)
    """

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the base class's name
            body = ATTACK_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=site.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://localhost:{site.server_address[1]}/"
    site.shutdown()
    site.server_close()


def test_another_site_cannot_make_the_browser_erase(browser, attack_site):
    backends: list[CountingBackend] = []
    server = create_server(
        Settings(port=0, quiet=True),
        lambda progress: backends.append(CountingBackend(progress)) or backends[0],
        model=ModelInfo(name="counting", backend="classical", strategy="-"),
    )
    server.start_background()
    try:
        page = browser.new_page()
        statuses: dict[str, int] = {}
        eraser = server.url.rstrip("/")
        page.on(
            "response",
            lambda r: (
                r.url.startswith(eraser) and statuses.__setitem__(r.url[len(eraser) :], r.status)
            ),
        )
        page.goto(attack_site)
        square = np.zeros((16, 16), np.uint8)
        square[4:12, 4:12] = 255
        payload = base64.b64encode(png(square)).decode()
        sent = page.evaluate("([e, p]) => attack(e, p)", [eraser, payload])
        assert sent == ["/api/inpaint", "/api/jobs", "/predict"]  # the browser did send them
        assert statuses == {"/api/inpaint": 403, "/api/jobs": 403, "/predict": 403}
        assert backends[0].calls == 0
        page.close()
    finally:
        server.close()
