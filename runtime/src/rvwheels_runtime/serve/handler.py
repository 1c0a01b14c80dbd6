"""HTTP routes of the eraser: the page, the inpainting API, jobs with progress, ``/predict``.

``serve_connection`` runs one client connection: h11 reads each request (``connection``),
``EraserHandler`` answers it from a ``Context``. Every failure is answered as JSON
``{"error": "one line"}`` with a fitting status; tracebacks go to the server's stderr, never to
the client. Work is admitted before it costs anything: the body's length is checked (411,
413) and a place in the queue taken (503) before the body is read, and sizes come from the
image headers before anything is decoded.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import traceback
from collections.abc import Callable

import h11

from rvwheels_runtime.serve.connection import Channel, ConnectionGone, Request
from rvwheels_runtime.serve.context import Context
from rvwheels_runtime.serve.errors import ApiError
from rvwheels_runtime.serve.jobs import Job, QueueFull
from rvwheels_runtime.serve.multipart import MultipartError, parse_form
from rvwheels_runtime.serve.uploads import Limits, data_url_bytes, decode_pair, png_data_url

_JOB = re.compile(r"/api/jobs/(?P<id>[0-9a-f]{1,64})(?P<result>/result)?")
JSON_TYPE = "application/json; charset=utf-8"
# The page loads nothing from elsewhere; pictures are blob: URLs of the user's own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
ParsePair = Callable[[bytes], tuple[bytes, bytes]]


def serve_connection(sock: socket.socket, context: Context) -> None:
    """Answer the requests on one connection until either side closes it."""
    settings = context.settings
    channel = Channel(
        sock,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        quiet=settings.quiet,
    )
    try:
        while True:
            try:
                request = channel.next_request()
            except ApiError as err:
                channel.respond(err.status, _error_body(err), [("Content-Type", JSON_TYPE)])
                break
            if request is None:
                break
            EraserHandler(context, channel).handle(request)
            if not channel.next_cycle():
                break
        channel.linger()
    except ConnectionGone:
        pass  # the client went away; nothing left to tell it
    except h11.LocalProtocolError:
        traceback.print_exc(file=sys.stderr)  # our own mistake in the protocol: log it


class EraserHandler:
    """Answers one request; sees the ``Context`` and its channel, never the server."""

    def __init__(self, context: Context, channel: Channel) -> None:
        self.context = context
        self.channel = channel

    def handle(self, request: Request) -> None:
        try:
            self._route(request)
        except ApiError as err:
            self._send_error(err)
        except QueueFull as err:
            headers = {"Retry-After": str(err.retry_after)}
            self._send_error(ApiError(status=503, message=str(err), headers=headers))
        except ConnectionGone:
            raise
        except Exception as err:  # noqa: BLE001 - the client gets one line, the log the rest
            traceback.print_exc(file=sys.stderr)
            first_line = (str(err).splitlines() or [""])[0]
            message = f"internal error: {type(err).__name__}: {first_line}"
            self._send_error(ApiError(status=500, message=message))

    def _route(self, request: Request) -> None:
        method, path = request.method, request.path
        if method not in ("GET", "POST"):
            raise ApiError(status=501, message=f"{method} is not supported; use GET or POST")
        self.context.gate.check_host(request.headers)
        static = self.context.static
        if method == "GET" and path in static:
            content_type, body = static[path]
            self._send(200, body, content_type)
            return
        action = self._action(method, path)
        self.context.gate.check_site(method, request.headers)
        action()

    def _action(self, method: str, path: str) -> Callable[[], None]:
        routes: dict[tuple[str, str], Callable[[], None]] = {
            ("GET", "/api/info"): self._info,
            ("POST", "/api/inpaint"): self._inpaint,
            ("POST", "/api/jobs"): self._new_job,
            ("POST", "/predict"): self._predict,
        }
        job = _JOB.fullmatch(path)
        if (method, path) in routes:
            return routes[method, path]
        if method == "GET" and job:
            job_id = job["id"]
            if job["result"]:
                return lambda: self._job_result(job_id)
            return lambda: self._job_status(job_id)
        if job or path in self.context.static or path in {p for _, p in routes}:
            raise ApiError(status=405, message=f"{method} is not allowed on {path}")
        raise ApiError(status=404, message=f"no such page or API: {path[:100]}")

    # --- API ---------------------------------------------------------------------------------

    def _info(self) -> None:
        self._send_json(200, dict(self.context.info))

    def _inpaint(self) -> None:
        job = self._finished(self._submit(self._form_pair))
        self._send(200, job.result or b"", "image/png")

    def _predict(self) -> None:
        job = self._finished(self._submit(_json_pair))
        self._send_json(200, {"result_image": png_data_url(job.result or b"")})

    def _new_job(self) -> None:
        job = self._submit(self._form_pair)
        status = self.context.engine.status(job)
        status["status_url"] = f"/api/jobs/{job.id}"
        status["result_url"] = f"/api/jobs/{job.id}/result"
        self._send_json(202, status, headers={"Location": f"/api/jobs/{job.id}"})

    def _job_status(self, job_id: str) -> None:
        self._send_json(200, self.context.engine.status(self._job(job_id)))

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
        job = self.context.engine.find(job_id)
        if job is None:
            message = f"no job {job_id}: it never existed or its result was already dropped"
            raise ApiError(status=404, message=message)
        return job

    def _finished(self, job: Job) -> Job:
        job.done.wait()
        self.context.engine.forget(job)
        if job.error is not None:
            raise ApiError(status=500, message=job.error)
        return job

    # --- admission and request bodies --------------------------------------------------------

    def _submit(self, parse: ParsePair) -> Job:
        """Length (411, 413), then a place in the queue (503), then the body, the image
        headers (413, 400) and only then decoding."""
        self._check_length()
        settings = self.context.settings
        limits = Limits(
            max_pixels=settings.max_pixels, max_masked_pixels=settings.max_masked_pixels
        )
        with self.context.engine.reserve() as ticket:
            image_data, mask_data = parse(self.channel.read_body())
            image, mask = decode_pair(image_data, mask_data, limits)
            return self.context.engine.submit(image, mask, ticket)

    def _check_length(self) -> None:
        assert self.channel.request is not None
        headers = self.channel.request.headers
        if "transfer-encoding" in headers:
            message = "chunked uploads are not supported; send a Content-Length"
            raise ApiError(status=411, message=message)
        if "content-length" not in headers:
            raise ApiError(status=411, message="a Content-Length header is required")
        length = int(headers["content-length"])  # h11 has checked it: ASCII digits only
        limit = self.context.settings.max_upload_mb
        if length > self.context.settings.max_upload_bytes:
            message = (
                f"the upload is {length / 1e6:.1f} MB, more than this server's limit of "
                f"{limit:g} MB; send a smaller photo or restart the server with a larger "
                "--max-upload-mb"
            )
            raise ApiError(status=413, message=message)

    def _form_pair(self, body: bytes) -> tuple[bytes, bytes]:
        assert self.channel.request is not None
        content_type = self.channel.request.headers.get("content-type", "")
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
        return form["image"].data, form["mask"].data

    # --- responses ---------------------------------------------------------------------------

    def _send_error(self, err: ApiError) -> None:
        self._send(err.status, _error_body(err), JSON_TYPE, err.headers)

    def _send_json(
        self, status: int, payload: dict[str, object], headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, JSON_TYPE, headers)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        fields = [
            ("Content-Type", content_type),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *(headers or {}).items(),
        ]
        if content_type.startswith("text/html"):
            fields.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        self.channel.respond(status, body, fields)


def _json_pair(body: bytes) -> tuple[bytes, bytes]:
    """``{"image": dataURL, "mask": dataURL}``; anything else (deeply nested, numbers too long
    to convert, not UTF-8) is a one-line 400."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(status=400, message="the body must be JSON") from None
    if not isinstance(request, dict) or not {"image", "mask"} <= request.keys():
        message = 'expected a JSON object {"image": dataURL, "mask": dataURL}'
        raise ApiError(status=400, message=message)
    return data_url_bytes(request["image"], "image"), data_url_bytes(request["mask"], "mask")


def _error_body(err: ApiError) -> bytes:
    return json.dumps({"error": err.message}, ensure_ascii=False).encode("utf-8")
