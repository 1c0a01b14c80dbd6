"""`rvwheels build -r`: a requirements file with one of our fixtures, a pure PyPI project and a
compiled one we have no recipe for (psutil: drafted by `rvwheels new`, built, tested), resolved
by pip for riscv64, locked, and installed from the lock in a clean riscv64 root."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import EM_RISCV, FIXTURE_RECIPES, clean_target_root, elf_machines, rvwheels

pytestmark = pytest.mark.integration

REQUIREMENTS = "rvw-meson-c\nsix\npsutil>=7\n"


@pytest.fixture(scope="module")
def built_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("appset")
    requirements = folder / "app.txt"
    requirements.write_text(REQUIREMENTS)
    wheelhouse = folder / "wheelhouse"
    result = rvwheels(
        "build",
        "-r",
        str(requirements),
        "--recipes",
        str(FIXTURE_RECIPES),
        "--wheelhouse",
        str(wheelhouse),
    )
    assert result.returncode == 0, result.stderr
    return wheelhouse, requirements, result


def test_what_pypi_lacks_is_built_and_the_rest_is_left_to_pypi(built_set):
    wheelhouse, _, result = built_set
    names = sorted(p.name.split("-")[0] for p in wheelhouse.glob("*.whl"))
    assert names == ["psutil", "rvw_meson_c"]
    for wheel in wheelhouse.glob("*.whl"):
        assert wheel.name.endswith("_riscv64.whl") and elf_machines(wheel) == {EM_RISCV}
    assert "drafted recipe that builds:" in result.stderr and "psutil.toml" in result.stderr
    assert "install check: ok" in result.stderr


def test_the_lock_pins_every_distribution_with_its_hash(built_set):
    wheelhouse, _, _ = built_set
    lines = (wheelhouse / "locks" / "app-cp313.txt").read_text().splitlines()
    pins = [line.split() for line in lines if not line.startswith("#")]
    assert sorted(p[0].split("==")[0] for p in pins) == ["psutil", "rvw-meson-c", "six"]
    assert all(len(p) == 2 and p[1].startswith("--hash=sha256:") for p in pins)


def test_pip_installs_the_lock_from_the_index_and_pypi_in_a_clean_root(built_set, tmp_path):
    """The issue's own check: pip alone, --require-hashes, our index first and PyPI after."""
    wheelhouse, _, _ = built_set
    shutil.copyfile(_host_ca_bundle(), tmp_path / "ca.crt")
    ex = clean_target_root(wheelhouse, tmp_path)
    ex.run(["python3", "-m", "venv", "/rvw/work/venv"])
    ex.run(
        ["/rvw/work/venv/bin/pip", "install", "--no-cache-dir", "--cert", "/rvw/work/ca.crt"]
        + ["--require-hashes", "--only-binary=:all:", "-r", "/rvw/wheelhouse/locks/app-cp313.txt"]
        + ["--index-url", "file:///rvw/wheelhouse/simple"]
        + ["--extra-index-url", "https://pypi.org/simple"]
    )
    out = ex.run(
        ["/rvw/work/venv/bin/python", "-c"]
        + ["import psutil, six, rvw_meson_c; print(psutil.cpu_count() > 0, rvw_meson_c.machine())"],
        cwd="/rvw/work",
        capture=True,
    )
    assert out.split() == ["True", "riscv64"]


def _host_ca_bundle() -> Path:
    """The certificates this machine's pip trusts (a proxy may add its own)."""
    for variable in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        if os.environ.get(variable) and Path(os.environ[variable]).is_file():
            return Path(os.environ[variable])
    return Path("/etc/ssl/certs/ca-certificates.crt")
