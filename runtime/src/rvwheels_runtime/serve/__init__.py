"""The photo eraser: an offline web page with brush and lasso, served by the runtime.

``inpaint serve`` (or ``python -m rvwheels_runtime.serve``) starts it; ``create_server`` builds
one in-process. The API:

- ``POST /api/inpaint``: multipart ``image`` + ``mask`` → the result as PNG.
- ``POST /api/jobs``: the same, answered 202 ``{"id": ...}`` at once; ``GET /api/jobs/<id>``
  gives status, fraction done and elapsed seconds; ``GET /api/jobs/<id>/result`` the PNG.
- ``POST /predict``: JSON ``{"image": dataURL, "mask": dataURL}`` → ``{"result_image": dataURL}``.
- ``GET /api/info``: the model in use and the server's limits.
"""

from rvwheels_runtime.serve.context import Context, ModelInfo, Settings
from rvwheels_runtime.serve.server import BackendFactory, EraserServer, create_server

__all__ = ["BackendFactory", "Context", "EraserServer", "ModelInfo", "Settings", "create_server"]
