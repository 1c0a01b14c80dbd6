"""Adopt the two real riscv64 torch builds: PyPI's mis-tagged wheel and Debian trixie's debs.

Downloads are cached under the rvwheels cache (``sources/<sha256>/<file>``, as recipe sources
are) and hash-checked. Run with ``pytest --integration -s tests/adopt`` to see the numbers.
"""

from __future__ import annotations

import base64
import csv
import email.parser
import hashlib
import io
import shutil
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from rvwheels.adopt.debs import extract_debs, python_tree_from_debs
from rvwheels.adopt.elfcheck import check_machine, read_dynamic, unresolved_needed
from rvwheels.adopt.rewrap import rewrap_wheel, unpack_wheel
from rvwheels.adopt.sonames import patchelf_edits
from rvwheels.errors import BuildError
from rvwheels.paths import cache_dir
from rvwheels.run import run

PYPI_WHEEL = (
    "https://files.pythonhosted.org/packages/6c/c5/"
    "3cb69a9fc791ed71782e874f9ddb43b1911f3d05bdd142ed432ef99fbcef/"
    "pytorch_riscv64-2.3.0a1-cp311-none-any.whl",
    "ef8c1c6de94f98fb67dfc86308e28ac52ba413779723f23c19e1277e3866975e",
)
# From trixie's main/binary-riscv64/Packages.xz (fields Filename and SHA256).
DEBIAN = "https://deb.debian.org/debian/"
PYTHON3_TORCH = (
    DEBIAN + "pool/main/p/pytorch/python3-torch_2.6.0+dfsg-7_riscv64.deb",
    "f4a88dd60f083623cc2404f08bc5a6cfa51336e21f0f111bf07ea4b6b7eaaebe",
)
LIBTORCH = (
    DEBIAN + "pool/main/p/pytorch/libtorch2.6_2.6.0+dfsg-7_riscv64.deb",
    "b7e4c1323cdd5c04335b1283b237b1dadbbb39c89ff2a962757c23084f61d59e",
)
TORCH_PACKAGES = ["torch", "functorch", "torchgen"]


def cached(url: str, sha256: str) -> Path:
    dest = cache_dir() / "sources" / sha256 / url.rsplit("/", 1)[1]
    if dest.is_file() and _sha256(dest) == sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=300) as response, partial.open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
    assert _sha256(partial) == sha256, f"{url} changed upstream"
    partial.replace(dest)
    return dest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_record(wheel: Path) -> dict[str, int]:
    """Verify every RECORD hash and size against the zip; return name -> size."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(wheel) as zf:
        record = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        rows = list(csv.reader(io.StringIO(zf.read(record).decode())))
        assert {r[0] for r in rows} == set(zf.namelist())
        for name, digest, size in rows:
            if name == record:
                continue
            h = hashlib.sha256()
            with zf.open(name) as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            encoded = base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode()
            assert digest == f"sha256={encoded}", name
            assert int(size) == zf.getinfo(name).file_size, name
            sizes[name] = int(size)
    return sizes


def read_dist_info(wheel: Path, dist_info: str) -> tuple[str, email.message.Message]:
    with zipfile.ZipFile(wheel) as zf:
        wheel_text = zf.read(f"{dist_info}/WHEEL").decode()
        metadata = email.parser.Parser().parsestr(zf.read(f"{dist_info}/METADATA").decode())
    return wheel_text, metadata


def report(title: str, **numbers) -> None:
    print(f"\n[{title}] " + ", ".join(f"{k}={v}" for k, v in numbers.items()))


@pytest.mark.integration
def test_adopt_pypi_pytorch_riscv64(tmp_path):
    source = cached(*PYPI_WHEEL)
    start = time.monotonic()
    tree = unpack_wheel(source, tmp_path / "tree")
    unpacked = time.monotonic()
    elf_files = check_machine(tree)
    checked = time.monotonic()
    wheel = rewrap_wheel(
        tree,
        tmp_path / "out",
        name="torch",
        version="2.3.0a1",
        tag="cp311-cp311-linux_riscv64",
        drop_requires=["mkl"],  # Windows-only (its marker says so); never for riscv64
    )
    rewrapped = time.monotonic()

    assert parse_wheel_filename(wheel.name) == (
        "torch",
        Version("2.3.0a1"),
        (),
        frozenset({Tag("cp311", "cp311", "linux_riscv64")}),
    )
    assert tree / "torch/lib/libtorch_cpu.so" in elf_files
    wheel_text, metadata = read_dist_info(wheel, "torch-2.3.0a1.dist-info")
    assert "Tag: cp311-cp311-linux_riscv64\n" in wheel_text
    assert "Root-Is-Purelib: false\n" in wheel_text and "Generator: rvwheels\n" in wheel_text
    assert (metadata["Name"], metadata["Version"]) == ("torch", "2.3.0a1")
    requires = metadata.get_all("Requires-Dist")
    assert "filelock" in requires and not [r for r in requires if r.startswith("mkl")]
    sizes = check_record(wheel)
    with zipfile.ZipFile(source) as original:
        expected = {
            n.replace("pytorch_riscv64-2.3.0a1.dist-info/", "torch-2.3.0a1.dist-info/")
            for n in original.namelist()
            if not n.endswith("/")
        }
    assert set(sizes) | {"torch-2.3.0a1.dist-info/RECORD"} == expected

    missing = unresolved_needed(elf_files)
    report(
        "pytorch-riscv64",
        source_mb=round(source.stat().st_size / 1e6, 1),
        wheel_mb=round(wheel.stat().st_size / 1e6, 1),
        files=len(sizes),
        elf_files=len(elf_files),
        unpack_s=round(unpacked - start, 1),
        elfcheck_s=round(checked - unpacked, 1),
        rewrap_s=round(rewrapped - checked, 1),
    )
    print("Requires-Dist:", requires)
    print("DT_NEEDED outside the wheel:", {k: len(v) for k, v in missing.items()})


@pytest.mark.integration
def test_adopt_debian_trixie_torch(tmp_path):
    debs = [cached(*PYTHON3_TORCH), cached(*LIBTORCH)]
    start = time.monotonic()
    root = extract_debs(debs, tmp_path / "root")
    extracted = time.monotonic()
    # torch/include links to /usr/include (libtorch-dev), torch/test to libtorch-test.
    with pytest.raises(BuildError, match=r"torch/include/ATen links to .* /usr/include/ATen is"):
        python_tree_from_debs(root, packages=TORCH_PACKAGES, dest=tmp_path / "tree")
    tree = python_tree_from_debs(
        root,
        packages=TORCH_PACKAGES,
        dest=tmp_path / "tree",
        exclude=["torch/include", "torch/test"],
    )
    copied = time.monotonic()
    elf_files = check_machine(tree.path)
    checked = time.monotonic()
    wheel = rewrap_wheel(
        tree.path,
        tmp_path / "out",
        name="torch",
        version="2.6.0",
        tag="cp313-cp313-linux_riscv64",
        requires_dist=tree.requires_dist,
        extra_dist_info={"entry_points.txt": tree.entry_points or ""},
    )
    rewrapped = time.monotonic()

    assert wheel.name == "torch-2.6.0-cp313-cp313-linux_riscv64.whl"
    assert tree.version == "2.6.0+debian" and "filelock" in tree.requires_dist
    wheel_text, metadata = read_dist_info(wheel, "torch-2.6.0.dist-info")
    assert "Tag: cp313-cp313-linux_riscv64\n" in wheel_text
    assert metadata.get_all("Requires-Dist") == list(tree.requires_dist)
    sizes = check_record(wheel)
    real_cpu = root / "usr/lib/riscv64-linux-gnu/libtorch_cpu.so.2.6.0"
    assert sizes["torch/lib/libtorch_cpu.so"] == real_cpu.stat().st_size
    assert "torch-2.6.0.dist-info/entry_points.txt" in sizes
    assert not [n for n in sizes if "__pycache__" in n or ".egg-info/" in n]

    extension = next(p for p in elf_files if p.name.startswith("_C.cpython-313"))
    missing = unresolved_needed(elf_files)
    report(
        "debian python3-torch",
        debs_mb=round(sum(d.stat().st_size for d in debs) / 1e6, 1),
        wheel_mb=round(wheel.stat().st_size / 1e6, 1),
        files=len(sizes),
        elf_files=len(elf_files),
        extract_s=round(extracted - start, 1),
        tree_s=round(copied - extracted, 1),
        elfcheck_s=round(checked - copied, 1),
        rewrap_s=round(rewrapped - checked, 1),
    )
    print("Requires-Dist:", list(tree.requires_dist))
    print("_C:", read_dynamic(extension))
    print("DT_NEEDED outside the wheel:", {k: len(v) for k, v in missing.items()})


@pytest.mark.integration
def test_debian_torch_libraries_find_each_other_after_the_patchelf_edits(tmp_path):
    root = extract_debs([cached(*PYTHON3_TORCH), cached(*LIBTORCH)], tmp_path / "root")
    tree = python_tree_from_debs(
        root,
        packages=TORCH_PACKAGES,
        dest=tmp_path / "tree",
        exclude=["torch/include", "torch/test"],
    )
    lib = tree.path / "torch/lib"
    # Debian's layout: development names holding versioned sonames, no RUNPATH to each other.
    assert read_dynamic(lib / "libc10.so").soname == "libc10.so.2.6"
    elf_files = check_machine(tree.path)
    assert "libc10.so.2.6" in unresolved_needed(elf_files)
    for path, operations in patchelf_edits(elf_files).items():
        for operation in operations:
            run(["patchelf", *operation, path])
    for name in ("libc10.so", "libtorch_cpu.so", "libtorch_python.so", "libtorch_global_deps.so"):
        assert read_dynamic(lib / name).soname == name
    python = read_dynamic(lib / "libtorch_python.so")
    assert {"libtorch_cpu.so", "libc10.so", "libshm.so", "libtorch.so"} <= set(python.needed)
    assert python.runpath == ("$ORIGIN",)
    # Every library of the tree that a file needs is now found by file name.
    left = unresolved_needed(elf_files)
    assert not [name for name in left if "torch" in name or "c10" in name or "shm" in name], left
    assert patchelf_edits(elf_files) == {}  # a second pass has nothing left to do
