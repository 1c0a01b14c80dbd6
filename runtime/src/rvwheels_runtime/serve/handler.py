"""HTTP routes of the eraser: the page, the inpainting API, jobs with progress, ``/predict``.

Every failure is answered as JSON ``{"error": "one line"}`` with a fitting status; tracebacks
go to the server's stderr, never to the client.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np

from rvwheels_runtime import __version__
from rvwheels_runtime.serve.jobs import Job, QueueFull
from rvwheels_runtime.serve.multipart import MultipartError, parse_form
from rvwheels_runtime.serve.uploads import (
    ApiError,
    check_same_size,
    data_url_bytes,
    decode_upload,
    png_data_url,
)

if TYPE_CHECKING:
    from rvwheels_runtime.serve.server import EraserServer

_JOB = re.compile(r"/api/jobs/(?P<id>[0-9a-f]{1,64})(?P<result>/result)?")
# An over-size upload is read and thrown away up to this size so that the client sees the 413
# (browsers report a reset connection, not the answer, when the server stops reading early).
DRAIN_LIMIT = 256 << 20
_CHUNK = 1 << 20


class EraserHandler(BaseHTTPRequestHandler):
    server: EraserServer
    server_version = f"rvwheels-eraser/{__version__}"
    protocol_version = "HTTP/1.1"
    timeout = 120  # seconds a client may stall mid-request before its thread gives up
    _body_read = False

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        if not self.server.settings.quiet:
            super().log_message(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, unsupported method…) as JSON too."""
        self.close_connection = True
        reason = message or self.responses.get(code, ("error",))[0]
        self._send_json(code, {"error": reason})

    def handle_expect_100(self) -> bool:
        # Refuse an over-size upload before the client sends it.
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.server.settings.max_upload_bytes:
            self.close_connection = True
            self._send_error(self._too_large(int(length)))
            return False
        return super().handle_expect_100()

    def _dispatch(self, method: str) -> None:
        self._body_read = False
        try:
            self._check_host()
            self._route(method, urlsplit(self.path).path)
        except ApiError as err:
            self._send_error(err)
        except QueueFull as err:
            headers = {"Retry-After": str(err.retry_after)}
            self._send_error(ApiError(status=503, message=str(err), headers=headers))
        except Exception as err:  # noqa: BLE001 - the client gets one line, the log the rest
            traceback.print_exc(file=sys.stderr)
            first_line = (str(err).splitlines() or [""])[0]
            message = f"internal error: {type(err).__name__}: {first_line}"
            self._send_error(ApiError(status=500, message=message))

    def _route(self, method: str, path: str) -> None:
        get = {"/api/info": self._info}
        post = {
            "/api/inpaint": self._inpaint,
            "/api/jobs": self._new_job,
            "/predict": self._predict,
        }
        job = _JOB.fullmatch(path)
        if method == "GET" and path in get:
            get[path]()
        elif method == "POST" and path in post:
            post[path]()
        elif method == "GET" and job and job["result"]:
            self._job_result(job["id"])
        elif method == "GET" and job:
            self._job_status(job["id"])
        elif method == "GET" and path in self.server.static:
            content_type, body = self.server.static[path]
            self._send(200, body, content_type)
        elif path in get or path in post or job or path in self.server.static:
            raise ApiError(status=405, message=f"{method} is not allowed on {path}")
        else:
            raise ApiError(status=404, message=f"no such page or API: {path}")

    # --- API ---------------------------------------------------------------------------------

    def _info(self) -> None:
        self._send_json(200, self.server.info())

    def _inpaint(self) -> None:
        image, mask = self._form_pair()
        job = self._run_now(image, mask)
        self._send(200, job.result or b"", "image/png")

    def _predict(self) -> None:
        try:
            request = json.loads(self._read_body())
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(status=400, message="the body must be JSON") from None
        if not isinstance(request, dict) or not {"image", "mask"} <= request.keys():
            message = 'expected a JSON object {"image": dataURL, "mask": dataURL}'
            raise ApiError(status=400, message=message)
        image = self._decode(data_url_bytes(request["image"], "image"), "image")
        mask = self._decode(data_url_bytes(request["mask"], "mask"), "mask", as_mask=True)
        check_same_size(image, mask)
        job = self._run_now(image, mask)
        self._send_json(200, {"result_image": png_data_url(job.result or b"")})

    def _new_job(self) -> None:
        image, mask = self._form_pair()
        job = self.server.engine.submit(image, mask)
        status = self.server.engine.status(job)
        status["status_url"] = f"/api/jobs/{job.id}"
        status["result_url"] = f"/api/jobs/{job.id}/result"
        self._send_json(202, status, headers={"Location": f"/api/jobs/{job.id}"})

    def _job_status(self, job_id: str) -> None:
        self._send_json(200, self.server.engine.status(self._job(job_id)))

    def _job_result(self, job_id: str) -> None:
        job = self._job(job_id)
        if job.state == "failed":
            raise ApiError(status=500, message=job.error or "inpainting failed")
        if job.state != "done" or job.result is None:
            message = (
                f"job {job_id} is {job.state} ({job.fraction:.0%} done); poll "
                f"/api/jobs/{job_id} until its status is done"
            )
            raise ApiError(status=409, message=message)
        self._send(200, job.result, "image/png")

    def _job(self, job_id: str) -> Job:
        job = self.server.engine.find(job_id)
        if job is None:
            message = f"no job {job_id}: it never existed or its result was already dropped"
            raise ApiError(status=404, message=message)
        return job

    def _run_now(self, image: np.ndarray, mask: np.ndarray) -> Job:
        engine = self.server.engine
        job = engine.submit(image, mask)
        job.done.wait()
        engine.forget(job)
        if job.error is not None:
            raise ApiError(status=500, message=job.error)
        return job

    # --- request bodies ----------------------------------------------------------------------

    def _form_pair(self) -> tuple[np.ndarray, np.ndarray]:
        content_type = self.headers.get("Content-Type", "")
        body = self._read_body()
        try:
            form = parse_form(body, content_type)
        except MultipartError as err:
            status = 415 if "expected a multipart" in str(err) else 400
            raise ApiError(status=status, message=str(err)) from None
        missing = [name for name in ("image", "mask") if name not in form]
        if missing:
            message = (
                f"missing form field {' and '.join(missing)}; send multipart fields 'image' "
                f"and 'mask' (got {', '.join(sorted(form)) or 'none'})"
            )
            raise ApiError(status=400, message=message)
        image = self._decode(form["image"].data, "image")
        mask = self._decode(form["mask"].data, "mask", as_mask=True)
        check_same_size(image, mask)
        return image, mask

    def _decode(self, data: bytes, what: str, *, as_mask: bool = False) -> np.ndarray:
        settings = self.server.settings
        return decode_upload(
            data, what, workdir=self.server.workdir, max_pixels=settings.max_pixels, as_mask=as_mask
        )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            message = "chunked uploads are not supported; send a Content-Length"
            raise ApiError(status=411, message=message)
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.strip().isdigit():
            raise ApiError(status=411, message="a Content-Length header is required")
        length = int(length_text)
        if length > self.server.settings.max_upload_bytes:
            self._discard(length)
            raise self._too_large(length)
        body = self.rfile.read(length)
        self._body_read = True
        if len(body) < length:
            raise ApiError(status=400, message=f"the upload ended after {len(body)} of {length} B")
        return body

    def _discard(self, length: int) -> None:
        if length > DRAIN_LIMIT:
            return
        left = length
        while left > 0 and (chunk := self.rfile.read(min(left, _CHUNK))):
            left -= len(chunk)
        self._body_read = left == 0

    def _too_large(self, length: int) -> ApiError:
        limit = self.server.settings.max_upload_mb
        message = (
            f"the upload is {length / 1e6:.1f} MB, more than this server's limit of {limit:g} MB; "
            "send a smaller photo or restart the server with a larger --max-upload-mb"
        )
        return ApiError(status=413, message=message)

    def _check_host(self) -> None:
        """Browsers send the address they were pointed at: a page from another site that
        resolves its own name to 127.0.0.1 (DNS rebinding) is refused."""
        allowed = self.server.allowed_hosts
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if allowed is not None and host and name not in allowed:
            message = f"host {host!r} is not this server's address; open {self.server.url}"
            raise ApiError(status=403, message=message)

    # --- responses ---------------------------------------------------------------------------

    def _send_error(self, err: ApiError) -> None:
        self._send_json(err.status, {"error": err.message}, headers=err.headers)

    def _send_json(
        self, status: int, payload: dict[str, object], headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        if getattr(self, "command", None) == "POST" and not self._body_read:
            self.close_connection = True  # the unread body would be taken for a next request
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy", self.server.content_security_policy)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing left to tell it
