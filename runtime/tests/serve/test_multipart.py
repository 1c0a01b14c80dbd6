"""multipart/form-data parsing with the email parser."""

from __future__ import annotations

import os

import pytest
from rvwheels_runtime.serve.multipart import MultipartError, parse_form

from .conftest import multipart


def test_binary_parts_come_back_byte_for_byte():
    blob = os.urandom(50_000) + b"\r\n--\r\n\n\r\r--x"
    body, content_type = multipart({"image": blob, "mask": b"\x00\xff\r\n"})
    form = parse_form(body, content_type)
    assert form["image"].data == blob and form["mask"].data == b"\x00\xff\r\n"
    assert form["image"].filename == "image.png"


def test_wrong_content_type_and_boundary():
    body, _ = multipart({"image": b"x"})
    with pytest.raises(MultipartError, match="expected a multipart"):
        parse_form(body, "application/json")
    with pytest.raises(MultipartError, match="boundary"):
        parse_form(body, "multipart/form-data; boundary=other")
    with pytest.raises(MultipartError, match="boundary"):
        parse_form(body, "multipart/form-data")
