from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from rvwheels.adopt.debs import extract_debs, python_tree_from_debs, read_ar_members
from rvwheels.adopt.elfcheck import check_machine
from rvwheels.adopt.rewrap import rewrap_wheel
from rvwheels.errors import BuildError

from ._fakes import elf_bytes, make_deb, write

SITE = "usr/lib/python3/dist-packages"
LIBDIR = "usr/lib/riscv64-linux-gnu"
PKG_INFO = """\
Metadata-Version: 2.2
Name: torch
Version: 2.6.0+debian
Requires-Dist: filelock
Requires-Dist: sympy==1.13.1; python_version >= "3.9"
Provides-Extra: optree
Requires-Dist: optree>=0.13.0; extra == "optree"

Long description: not a field.
"""


def python_deb(path: Path, **kwargs) -> Path:
    """Like python3-torch: the package, with torch/lib and torch/include linking out of it."""
    files = {
        f"{SITE}/torch/__init__.py": "import torch._C\n",
        f"{SITE}/torch/_C.cpython-313-riscv64-linux-gnu.so": elf_bytes(needed=["libtorch.so.2"]),
        f"{SITE}/torch/__pycache__/__init__.cpython-313.pyc": b"pyc",
        f"{SITE}/torchgen/__init__.py": "",
        f"{SITE}/torch-2.6.0+debian.egg-info/PKG-INFO": PKG_INFO,
        f"{SITE}/torch-2.6.0+debian.egg-info/top_level.txt": "torch\ntorchgen\n",
        f"{SITE}/torch-2.6.0+debian.egg-info/entry_points.txt": "[console_scripts]\nt = torch:m\n",
        "usr/share/doc/python3-torch/copyright": "BSD",
    }
    symlinks = {
        f"{SITE}/torch/lib/libtorch.so": "../../../../riscv64-linux-gnu/libtorch.so.2",
        f"{SITE}/torch/lib/libc10.so": f"/{LIBDIR}/libc10.so.2",
        f"{SITE}/torch/include/c10": "../../../../../include/c10",
    }
    return make_deb(path, files, symlinks=symlinks, package="python3-torch", **kwargs)


def lib_deb(path: Path, **kwargs) -> Path:
    """Like libtorch2.6: versioned libraries plus their SONAME links."""
    files = {
        f"{LIBDIR}/libtorch.so.2.0": elf_bytes(soname="libtorch.so.2", needed=["libc10.so.2"]),
        f"{LIBDIR}/libc10.so.2.0": elf_bytes(soname="libc10.so.2"),
    }
    symlinks = {
        f"{LIBDIR}/libtorch.so.2": "libtorch.so.2.0",
        f"{LIBDIR}/libc10.so.2": "libc10.so.2.0",
    }
    return make_deb(path, files, symlinks=symlinks, package="libtorch2", **kwargs)


def headers_deb(path: Path) -> Path:
    return make_deb(path, {"usr/include/c10/core.h": "// c10\n"}, package="libtorch-dev")


@pytest.fixture
def debs(tmp_path) -> list[Path]:
    return [python_deb(tmp_path / "py.deb"), lib_deb(tmp_path / "lib.deb", compression="gz")]


def test_extract_overlays_every_deb_and_keeps_links_as_debian_wrote_them(tmp_path, debs):
    root = extract_debs(debs, tmp_path / "root")
    assert (root / SITE / "torch/__init__.py").read_text() == "import torch._C\n"
    assert (root / LIBDIR / "libtorch.so.2.0").read_bytes()[:4] == b"\x7fELF"
    assert os.readlink(root / SITE / "torch/lib/libc10.so") == f"/{LIBDIR}/libc10.so.2"
    assert os.access(root / SITE / "torch/_C.cpython-313-riscv64-linux-gnu.so", os.X_OK)


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_the_fake_deb_is_a_real_deb_and_we_read_what_dpkg_reads(tmp_path, debs):
    listed = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", debs[0]], capture_output=True, check=True
    ).stdout
    reference = tmp_path / "reference"
    reference.mkdir()
    subprocess.run(["tar", "-x", "-C", reference], input=listed, check=True)
    ours = extract_debs(debs[:1], tmp_path / "ours")
    assert _listing(ours) == _listing(reference)
    ar_names = subprocess.run(["ar", "t", debs[0]], capture_output=True, text=True, check=True)
    assert list(read_ar_members(debs[0])) == ar_names.stdout.split()


def _listing(root: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(root.rglob("*")):
        kind = os.readlink(path) if path.is_symlink() else "dir" if path.is_dir() else "file"
        out.append((path.relative_to(root).as_posix(), kind))
    return out


def test_extracting_again_replaces_the_old_root(tmp_path, debs):
    root = extract_debs(debs, tmp_path / "root")
    write(root / "stale", "x")
    extract_debs(debs, root)
    assert not (root / "stale").exists()
    assert not (tmp_path / "root.part").exists()


def test_tree_copies_real_files_for_relative_and_absolute_links(tmp_path, debs):
    root = extract_debs([*debs, headers_deb(tmp_path / "dev.deb")], tmp_path / "root")
    tree = python_tree_from_debs(root, packages=["torch", "torchgen"], dest=tmp_path / "tree")
    lib = tree.path / "torch/lib"
    assert not any(p.is_symlink() for p in tree.path.rglob("*"))
    assert (lib / "libtorch.so").read_bytes() == (root / LIBDIR / "libtorch.so.2.0").read_bytes()
    assert (lib / "libc10.so").read_bytes() == (root / LIBDIR / "libc10.so.2.0").read_bytes()
    assert (tree.path / "torch/include/c10/core.h").read_text() == "// c10\n"
    assert not list(tree.path.rglob("__pycache__"))
    assert sorted(p.name for p in tree.path.iterdir()) == ["torch", "torchgen"]


def test_tree_returns_debians_metadata(tmp_path, debs):
    root = extract_debs([*debs, headers_deb(tmp_path / "dev.deb")], tmp_path / "root")
    tree = python_tree_from_debs(root, packages=["torch"])
    assert tree.path == tmp_path / "root-python"
    assert tree.version == "2.6.0+debian"
    assert tree.requires_dist == (
        "filelock",
        'sympy==1.13.1; python_version >= "3.9"',
        'optree>=0.13.0; extra == "optree"',
    )
    assert tree.entry_points == "[console_scripts]\nt = torch:m\n"
    assert tree.metadata_source == "torch-2.6.0+debian.egg-info"


def test_a_link_out_of_the_extracted_debs_names_the_link_and_the_missing_target(tmp_path, debs):
    root = extract_debs(debs, tmp_path / "root")  # without the headers' deb
    with pytest.raises(BuildError) as info:
        python_tree_from_debs(root, packages=["torch"])
    message = info.value.message
    assert "\n" not in message
    assert message.startswith(
        f"/{SITE}/torch/include/c10 links to ../../../../../include/c10, "
        "but /usr/include/c10 is not in the extracted debs; add the .deb that provides it"
    )


def test_excluded_paths_are_left_out(tmp_path, debs):
    root = extract_debs(debs, tmp_path / "root")
    tree = python_tree_from_debs(root, packages=["torch"], exclude=["torch/include"])
    assert not (tree.path / "torch/include").exists()
    assert (tree.path / "torch/lib/libtorch.so").is_file()


def test_absolute_links_never_resolve_on_the_host(tmp_path):
    # /bin/sh exists on the host; inside the root it does not, so the link is dangling.
    deb = make_deb(
        tmp_path / "a.deb", {f"{SITE}/pkg/__init__.py": ""}, symlinks={f"{SITE}/pkg/sh": "/bin/sh"}
    )
    root = extract_debs([deb], tmp_path / "root")
    with pytest.raises(BuildError, match="/bin/sh is not in the extracted debs"):
        python_tree_from_debs(root, packages=["pkg"])


def test_a_symlink_loop_is_an_error(tmp_path):
    deb = make_deb(
        tmp_path / "a.deb",
        {f"{SITE}/pkg/__init__.py": ""},
        symlinks={f"{SITE}/pkg/loop": "loop2", f"{SITE}/pkg/loop2": "loop"},
    )
    root = extract_debs([deb], tmp_path / "root")
    with pytest.raises(BuildError, match="symlink loop"):
        python_tree_from_debs(root, packages=["pkg"])


def test_a_directory_link_to_its_ancestor_is_an_error(tmp_path):
    deb = make_deb(
        tmp_path / "a.deb", {f"{SITE}/pkg/__init__.py": ""}, symlinks={f"{SITE}/pkg/sub/up": ".."}
    )
    root = extract_debs([deb], tmp_path / "root")
    with pytest.raises(BuildError, match="symlink loop"):
        python_tree_from_debs(root, packages=["pkg"])


def test_a_missing_package_lists_what_is_there(tmp_path, debs):
    root = extract_debs(debs, tmp_path / "root")
    with pytest.raises(BuildError, match=r"'functorch' is not in .* \(found: torch, torch-2"):
        python_tree_from_debs(root, packages=["functorch"])


def test_zstd_data_is_refused_with_a_remedy(tmp_path):
    deb = make_deb(tmp_path / "z.deb", {"x": ""}, compression="zst")
    with pytest.raises(BuildError, match=r"data.tar.zst, which Python's stdlib cannot read"):
        extract_debs([deb], tmp_path / "root")


def test_a_file_that_is_not_a_deb_is_refused(tmp_path):
    path = write(tmp_path / "x.deb", "<html>404</html>")
    with pytest.raises(BuildError, match="is not a .deb"):
        extract_debs([path], tmp_path / "root")


def test_debs_to_wheel(tmp_path, debs):
    root = extract_debs(debs, tmp_path / "root")
    tree = python_tree_from_debs(root, packages=["torch", "torchgen"], exclude=["torch/include"])
    assert len(check_machine(tree.path)) == 3
    wheel = rewrap_wheel(
        tree.path,
        tmp_path / "out",
        name="torch",
        version="2.6.0",
        tag="cp313-cp313-linux_riscv64",
        requires_dist=tree.requires_dist,
        extra_dist_info={"entry_points.txt": tree.entry_points or ""},
    )
    assert wheel.name == "torch-2.6.0-cp313-cp313-linux_riscv64.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read("torch-2.6.0.dist-info/METADATA").decode()
    assert "torch/lib/libc10.so" in names and "torch-2.6.0.dist-info/entry_points.txt" in names
    assert 'Requires-Dist: sympy==1.13.1; python_version >= "3.9"' in metadata
