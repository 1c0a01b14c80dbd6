from __future__ import annotations

import base64
import csv
import email.parser
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from rvwheels.adopt.rewrap import rewrap_wheel, rewrite_metadata, unpack_wheel, wheel_text
from rvwheels.errors import BuildError, RecipeError

from ._fakes import elf_bytes, symlink, write

OLD_METADATA = """\
Metadata-Version: 2.1
Name: pytorch-riscv64
Version: 2.3.0a1
Summary: Tensors
Description: first line
        |second line of an old-style folded description
Requires-Python: >=3.8.0
Requires-Dist: filelock
Requires-Dist: typing-extensions (>=4.8.0)
Requires-Dist: mkl (<=2021.4.0,>=2021.1.1) ; platform_system == "Windows"
Provides-Extra: optree
Requires-Dist: optree (>=0.9.1) ; extra == 'optree'

# The README

Body text: with a colon, kept as is.
"""


def make_tree(root: Path) -> Path:
    write(root / "pkg/__init__.py", "VALUE = 1\n")
    write(root / "pkg/_C.cpython-311-riscv64-linux-gnu.so", elf_bytes(), mode=0o755)
    write(root / "pkg/bin/tool", elf_bytes(), mode=0o775)
    write(root / "pkg/data.txt", "data", mode=0o600)
    info = root / "pytorch_riscv64-2.3.0a1.dist-info"
    write(info / "METADATA", OLD_METADATA)
    write(info / "WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-none-any\n")
    write(info / "RECORD", "stale,,\n")
    write(info / "INSTALLER", "pip\n")
    write(info / "entry_points.txt", "[console_scripts]\ntool = pkg:main\n")
    write(info / "licenses/LICENSE", "BSD\n")
    write(root / "pytorch_riscv64-2.3.0a1.data/scripts/helper", "#!python\n", mode=0o755)
    return root


def read_wheel(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def record_rows(files: dict[str, bytes]) -> list[list[str]]:
    record = next(name for name in files if name.endswith(".dist-info/RECORD"))
    return list(csv.reader(io.StringIO(files[record].decode())))


def test_rewrap_renames_retags_and_records_every_file(tmp_path):
    tree = make_tree(tmp_path / "tree")
    wheel = rewrap_wheel(
        tree,
        tmp_path / "out",
        name="torch",
        version="2.3.0a1",
        tag="cp311-cp311-linux_riscv64",
        drop_requires=["MKL"],
    )
    assert wheel.name == "torch-2.3.0a1-cp311-cp311-linux_riscv64.whl"
    name, version, build, tags = parse_wheel_filename(wheel.name)
    assert (name, version, build) == ("torch", Version("2.3.0a1"), ())
    assert tags == frozenset({Tag("cp311", "cp311", "linux_riscv64")})
    files = read_wheel(wheel)
    assert sorted(files) == [
        "pkg/_C.cpython-311-riscv64-linux-gnu.so",
        "pkg/__init__.py",
        "pkg/bin/tool",
        "pkg/data.txt",
        "torch-2.3.0a1.data/scripts/helper",
        "torch-2.3.0a1.dist-info/METADATA",
        "torch-2.3.0a1.dist-info/RECORD",
        "torch-2.3.0a1.dist-info/WHEEL",
        "torch-2.3.0a1.dist-info/entry_points.txt",
        "torch-2.3.0a1.dist-info/licenses/LICENSE",
    ]
    assert files["torch-2.3.0a1.dist-info/WHEEL"].decode() == (
        "Wheel-Version: 1.0\nGenerator: rvwheels\nRoot-Is-Purelib: false\n"
        "Tag: cp311-cp311-linux_riscv64\n"
    )
    assert files["pkg/bin/tool"] == (tree / "pkg/bin/tool").read_bytes()


def test_record_holds_sha256_and_size_of_each_entry_and_dist_info_comes_last(tmp_path):
    wheel = rewrap_wheel(
        make_tree(tmp_path / "tree"), tmp_path, name="torch", version="2.3.0a1", tag="py3-none-any"
    )
    files = read_wheel(wheel)
    rows = record_rows(files)
    assert rows[-1] == ["torch-2.3.0a1.dist-info/RECORD", "", ""]
    assert {r[0] for r in rows} == set(files)
    for path, digest, size in rows[:-1]:
        expected = base64.urlsafe_b64encode(hashlib.sha256(files[path]).digest()).rstrip(b"=")
        assert (digest, int(size)) == (f"sha256={expected.decode()}", len(files[path]))
    order = [r[0] for r in rows]
    assert order.index("torch-2.3.0a1.data/scripts/helper") < order.index(
        "torch-2.3.0a1.dist-info/METADATA"
    )


def test_wheel_librarys_reader_accepts_the_record(tmp_path):
    wheelfile = pytest.importorskip("wheel.wheelfile")
    wheel = rewrap_wheel(
        make_tree(tmp_path / "tree"), tmp_path, name="torch", version="2.3.0a1", tag="py3-none-any"
    )
    with wheelfile.WheelFile(wheel) as wf:  # checks each file against RECORD as it reads
        for name in wf.namelist():
            wf.read(name)


def test_metadata_gets_name_and_version_and_keeps_the_rest(tmp_path):
    wheel = rewrap_wheel(
        make_tree(tmp_path / "tree"),
        tmp_path,
        name="torch",
        version="2.3.0a1",
        tag="cp311-cp311-linux_riscv64",
        drop_requires=["mkl"],
    )
    text = read_wheel(wheel)["torch-2.3.0a1.dist-info/METADATA"].decode()
    message = email.parser.Parser().parsestr(text)
    assert message["Metadata-Version"] == "2.1"
    assert message.get_all("Name") == ["torch"] and message.get_all("Version") == ["2.3.0a1"]
    assert message.get_all("Requires-Dist") == [
        "filelock",
        "typing-extensions (>=4.8.0)",
        "optree (>=0.9.1) ; extra == 'optree'",
    ]
    assert "|second line of an old-style folded description" in text
    assert text.endswith("\n\n# The README\n\nBody text: with a colon, kept as is.\n")


def test_requires_dist_can_be_replaced():
    text = rewrite_metadata(
        OLD_METADATA,
        name="torch",
        version="2.3.0a1",
        requires_dist=["numpy>=1.26", "sympy==1.13.1; python_version >= '3.9'", "mkl"],
        drop_requires=["mkl"],
    )
    message = email.parser.Parser().parsestr(text)
    assert message.get_all("Requires-Dist") == [
        "numpy>=1.26",
        "sympy==1.13.1; python_version >= '3.9'",
    ]
    assert message.get_all("Provides-Extra") == ["optree"]


def test_fresh_metadata_without_a_dist_info(tmp_path):
    tree = tmp_path / "tree"
    write(tree / "torch/_C.so", elf_bytes())
    wheel = rewrap_wheel(
        tree,
        tmp_path / "out",
        name="torch",
        version="2.6.0",
        tag="cp313-cp313-linux_riscv64",
        requires_dist=["filelock"],
        extra_dist_info={"entry_points.txt": "[console_scripts]\ntorchrun = torch.run:main\n"},
    )
    files = read_wheel(wheel)
    assert files["torch-2.6.0.dist-info/METADATA"].decode() == (
        "Metadata-Version: 2.1\nName: torch\nVersion: 2.6.0\nRequires-Dist: filelock\n"
    )
    assert b"torchrun" in files["torch-2.6.0.dist-info/entry_points.txt"]


def test_names_and_versions_are_normalised_per_the_wheel_spec(tmp_path):
    tree = tmp_path / "tree"
    write(tree / "m.so", elf_bytes())
    wheel = rewrap_wheel(tree, tmp_path, name="My.Odd-Name", version="2.6", tag="py3-none-any")
    assert wheel.name == "my_odd_name-2.6-py3-none-any.whl"
    assert "my_odd_name-2.6.dist-info/METADATA" in read_wheel(wheel)
    wheel = rewrap_wheel(tree, tmp_path, name="x", version="1.0.0-alpha1", tag="py3-none-any")
    assert wheel.name == "x-1.0.0a1-py3-none-any.whl"


def test_a_compressed_tag_set_writes_one_tag_line_each():
    assert wheel_text("cp311-cp311-manylinux_2_39_riscv64.linux_riscv64").splitlines()[3:] == [
        "Tag: cp311-cp311-linux_riscv64",
        "Tag: cp311-cp311-manylinux_2_39_riscv64",
    ]


def test_output_is_deterministic_and_modes_normalised(tmp_path):
    tree = make_tree(tmp_path / "tree")
    first = rewrap_wheel(tree, tmp_path / "a", name="t", version="1", tag="py3-none-any")
    os.utime(tree / "pkg/__init__.py", (0, 2_000_000_000))
    (tree / "pkg/data.txt").chmod(0o640)
    second = rewrap_wheel(tree, tmp_path / "b", name="t", version="1", tag="py3-none-any")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        stamps = {i.date_time for i in zf.infolist()}
    assert modes["pkg/bin/tool"] == 0o755 and modes["pkg/data.txt"] == 0o644
    assert stamps == {(1980, 1, 1, 0, 0, 0)}
    third = rewrap_wheel(
        tree, tmp_path / "c", name="t", version="1", tag="py3-none-any", epoch=1_700_000_000
    )
    with zipfile.ZipFile(third) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_unpack_then_rewrap_round_trips_and_keeps_executable_bits(tmp_path):
    wheel = rewrap_wheel(
        make_tree(tmp_path / "tree"), tmp_path, name="t", version="1", tag="py3-none-any"
    )
    unpacked = unpack_wheel(wheel, tmp_path / "unpacked")
    assert os.access(unpacked / "pkg/bin/tool", os.X_OK)
    assert not os.access(unpacked / "pkg/data.txt", os.X_OK)
    again = rewrap_wheel(unpacked, tmp_path / "again", name="t", version="1", tag="py3-none-any")
    assert again.read_bytes() == wheel.read_bytes()


def test_pip_installs_the_rewrapped_wheel(tmp_path):
    tree = make_tree(tmp_path / "tree")
    wheel = rewrap_wheel(tree, tmp_path / "out", name="demo", version="1.0", tag="py3-none-any")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
        + ["--disable-pip-version-check", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    assert (target / "pkg/__init__.py").read_text() == "VALUE = 1\n"
    assert (target / "demo-1.0.dist-info/RECORD").is_file()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"tag": "cp311-linux_riscv64"}, "is not a wheel tag"),
        ({"version": "two"}, "is not a PEP 440 version"),
        ({"name": "-bad-"}, "is not a valid project name"),
        ({"requires_dist": ["numpy >>= 1"]}, "is not a PEP 508 requirement"),
    ],
)
def test_bad_inputs_are_one_line_recipe_errors(tmp_path, kwargs, error):
    args = {"name": "t", "version": "1", "tag": "py3-none-any", **kwargs}
    with pytest.raises(RecipeError, match=error) as info:
        rewrap_wheel(make_tree(tmp_path / "tree"), tmp_path / "out", **args)
    assert "\n" not in info.value.message
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_two_dist_infos_are_refused(tmp_path):
    tree = make_tree(tmp_path / "tree")
    write(tree / "other-1.dist-info/METADATA", "Metadata-Version: 2.1\n")
    with pytest.raises(BuildError, match="holds 2 .dist-info folders"):
        rewrap_wheel(tree, tmp_path, name="t", version="1", tag="py3-none-any")


def test_a_symlink_cannot_go_into_a_wheel(tmp_path):
    tree = make_tree(tmp_path / "tree")
    symlink(tree / "pkg/lib", "/usr/lib")
    with pytest.raises(BuildError, match="pkg/lib in .* is a symlink to /usr/lib"):
        rewrap_wheel(tree, tmp_path / "out", name="t", version="1", tag="py3-none-any")
    assert not list((tmp_path / "out").glob("*"))


def test_unpack_refuses_paths_outside_dest(tmp_path):
    evil = tmp_path / "evil-1-py3-none-any.whl"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(BuildError, match="unsafe path '../escape.txt'"):
        unpack_wheel(evil, tmp_path / "dest")
    assert not (tmp_path / "escape.txt").exists()
