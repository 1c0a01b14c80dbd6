from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rvwheels.environment.host import binfmt_line, load_host_spec


@pytest.mark.skipif(
    not Path("/usr/lib/binfmt.d/qemu-riscv64.conf").is_file()
    or shutil.which("qemu-riscv64-static") is None,
    reason="needs Debian's qemu-user-static (rvwheels setup installs it)",
)
def test_fallback_registration_matches_the_qemu_packages_magic_and_mask():
    spec = load_host_spec()
    packaged = binfmt_line(spec).split(":")
    ours = binfmt_line(replace(spec, binfmt_conf=Path("/nonexistent"))).split(":")
    assert ours[:6] == packaged[:6]
    assert ours[6] == shutil.which("qemu-riscv64-static") and "F" in ours[7]
