"""Every kind of toolchain file (target, root, host, distros, Python, libraries, emulator) is
checked by the schema of its dataclasses: a misspelled key, an old underscore spelling, a wrong
value or a broken file is one line naming the file, the key and the fix."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from rvwheels.drafting.draft import load_libraries
from rvwheels.environment.distro import detect_distro, load_distro_families
from rvwheels.environment.emulators import load_emulator_spec
from rvwheels.environment.host import load_host_spec
from rvwheels.environment.pythonspec import load_python_spec
from rvwheels.environment.roots import available_roots, load_root_spec
from rvwheels.environment.target import load_target
from rvwheels.errors import ToolchainError
from rvwheels.paths import TOOLCHAIN_DIR

LOADERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "target": ("targets/riscv64-linux-gnu.toml", lambda d: load_target(toolchain_dir=d)),
    "root": ("roots/cross.toml", lambda d: load_root_spec("cross", d)),
    "host": ("host.toml", load_host_spec),
    "distros": ("distros.toml", load_distro_families),
    "python": ("pythons/3.11.toml", lambda d: load_python_spec("3.11", d)),
    "libraries": ("libraries.toml", lambda d: load_libraries(d / "libraries.toml")),
    "emulator": ("emulators/qemu-rvv071.toml", lambda d: load_emulator_spec("qemu-rvv071", d)),
}

# kind -> (old text, new text, fragment of the error after "FILE: ")
MISTAKES = {
    "target": [
        ('qemu = "', 'qmeu = "', "qmeu: unknown key; did you mean 'qemu'?"),
        ("qemu-in-root =", "qemu_in_root =", "keys are spelled with dashes: write qemu-in-root"),
        ("\n[cross.host-machine]", "\n[cross.host_machine]", "write host-machine"),
        ("pkgconfig-libdir = [", "pkgconfig-libdirs = [", "did you mean 'pkgconfig-libdir'?"),
        ('manylinux-floor = "2.31"', 'manylinux-floor = "2.x"', "manylinux-floor: "),
        ('manylinux-floor = "2.31"', "manylinux-floor = 2.31", "put it in quotes"),
        ('CC = "riscv64', '"C C" = "riscv64', "is not an environment variable name"),
        ('triplet = "riscv64-linux-gnu"', 'triplet = "x"', "named for riscv64-linux-gnu"),
    ],
    "root": [
        ("suite =", "suit =", "suit: unknown key; did you mean 'suite'?"),
        ('variant = "apt"', 'variant = "apd"', "did you mean 'apt'?"),
        ('"pkgconf",', '"pkgconf,evil",', "is not a Debian package name"),
        ('"pkgconf",', '"pkg conf",', "is not a Debian package name"),
        ('architectures = ["amd64", "riscv64"]', "architectures = []", "is empty"),
        ('mirror = "http://', 'mirror = "file://', "is not a mirror URL"),
    ],
    "host": [
        ("binfmt-flags =", "binfmt_flags =", "write binfmt-flags"),
        ("binfmt-mask =", "binfmt-msak =", "did you mean 'binfmt-mask'?"),
        ('binfmt-flags = "OCF"', 'binfmt-flags = "OCF:x"', "binfmt-flags: "),
        ('"patchelf",', '"patchelf --evil",', "is not a Debian package name"),
        ('roots = ["cross",', 'roots = ["../cross",', "is not a root name"),
    ],
    "distros": [
        ("cross-fortran =", "cross_fortran =", "debian.cross_fortran: unknown key"),
        ('fortran = "gfortran"', 'fotran = "gfortran"', "did you mean 'fortran'?"),
        ("{packages}", "{pakages}", "unknown placeholder {pakages}; did you mean '{packages}'?"),
        ("apt-get install -y {packages}", "apt-get install -y", "add {packages} to it"),
        ("[debian]", "[debain]", "debian: missing"),
        ('ids = ["debian", "ubuntu"]', "ids = []", "debian.ids: is empty"),
    ],
    "python": [
        ("check-imports =", "check_imports =", "write check-imports"),
        ('test-root = "target"', 'test-rot = "target"', "riscv64.test-rot: unknown key"),
        ("https://deb.debian.org", "file:///deb.debian.org", "url: "),
        ('sha256 = "2411', 'sha256 = "zz11', "sha256: "),
    ],
    "libraries": [
        ('names = ["zlib"', 'nmes = ["zlib"', "zlib.nmes: unknown key; did you mean 'names'?"),
        ('lib = "z"', 'lib = "libz.so.1"', 'zlib.lib: "libz.so.1" is a file name'),
        ('headers = ["zlib.h"]', 'headers = ["../../zlib.h"]', "zlib.headers[0]: "),
        ('debian = "zlib1g-dev"', 'debian = "zlib1g-dev; rm"', "is not a Debian package name"),
        ('names = ["zlib", "z", "ZLIB"]', "names = []", "zlib.names: is empty"),
    ],
    "emulator": [
        ("cpu =", "cpus =", "cpus: unknown key; did you mean 'cpu'?"),
        ('member = "usr/bin', 'member = "/usr/bin', "member: is not a path inside the .deb"),
        ('member = "usr/bin', 'member = "../usr/bin', "member: is not a path inside the .deb"),
        ("https://deb.debian.org", "file:///deb.debian.org", "url: "),
        ('sha256 = "0b75', 'sha256 = "0B75', "sha256: "),
    ],
}
CASES = [(kind, *mistake) for kind, mistakes in MISTAKES.items() for mistake in mistakes]


def toolchain_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "toolchain"
    shutil.copytree(TOOLCHAIN_DIR, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"test bug: {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def load_error(kind: str, folder: Path) -> str:
    relative, load = LOADERS[kind]
    with pytest.raises(ToolchainError) as caught:
        load(folder)
    message = caught.value.message
    assert message.startswith(f"{folder / relative}: "), message
    assert "\n" not in message, message
    return message


@pytest.mark.parametrize("kind", LOADERS)
def test_the_shipped_files_load(kind: str) -> None:
    assert LOADERS[kind][1](TOOLCHAIN_DIR) is not None


def test_every_shipped_root_loads() -> None:
    assert {load_root_spec(name).name for name in available_roots()} >= {"cross", "target"}


@pytest.mark.parametrize(("kind", "old", "new", "fragment"), CASES)
def test_a_mistake_is_one_line_naming_file_key_and_fix(
    kind: str, old: str, new: str, fragment: str, tmp_path: Path
) -> None:
    folder = toolchain_copy(tmp_path)
    edit(folder / LOADERS[kind][0], old, new)
    message = load_error(kind, folder)
    assert fragment in message, message


@pytest.mark.parametrize("kind", LOADERS)
@pytest.mark.parametrize(
    "data",
    [b"x = " + b"[" * 5000 + b"]" * 5000, b"\xff\xfe", b"a = ", b"x = " + b"9" * 5000],
    ids=["nested 5,000 deep", "not UTF-8", "bad TOML", "a 5,000-digit number"],
)
def test_a_broken_file_is_one_line(kind: str, data: bytes, tmp_path: Path) -> None:
    folder = toolchain_copy(tmp_path)
    (folder / LOADERS[kind][0]).write_bytes(data)
    load_error(kind, folder)


def test_an_unknown_root_is_named_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError) as caught:
        load_root_spec("crosss")
    assert "no such root package list; did you mean 'cross'?" in caught.value.message


def test_a_root_name_cannot_leave_the_roots_folder() -> None:
    with pytest.raises(ToolchainError, match="no such root package list"):
        load_root_spec("../host")


def test_the_distro_roles_keep_their_dashed_names() -> None:
    distro = detect_distro(Path("/nonexistent"))
    assert distro.family == "unknown"
    assert distro.package("cross-fortran") == "gfortran-riscv64-linux-gnu"
    assert distro.install_command("a", "b") == "apt-get install -y a b"
