"""Venvs on a side: which pip can install manylinux riscv64 wheels."""

from __future__ import annotations

from rvwheels.environment.venvs import pip_knows_riscv64_manylinux


def test_pip_before_24_1_cannot_see_riscv64_manylinux_tags():
    assert not pip_knows_riscv64_manylinux("pip 22.3.1 from /v/lib/python3.11/site-packages/pip")
    assert not pip_knows_riscv64_manylinux("pip 23.3.1 from …")
    assert pip_knows_riscv64_manylinux("pip 24.1 from …")
    assert pip_knows_riscv64_manylinux("pip 25.1.1 from …")
