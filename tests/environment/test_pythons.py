from __future__ import annotations

import hashlib
import io
import shlex
import shutil
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from rvwheels.environment import pythons, pythonspec
from rvwheels.environment.pythons import (
    available_python_versions,
    built_python,
    configure_argv,
    ensure_cpython,
    fetch_python_source,
    interpreter,
    is_ready,
    load_python_spec,
    make_argv,
    mount_point,
    python_dir,
    read_sysconfigdata_name,
    smoke_argv,
)
from rvwheels.errors import EnvError, FetchError, ToolchainError
from rvwheels.paths import TOOLCHAIN_DIR

SHIPPED = TOOLCHAIN_DIR / "pythons" / "3.11.toml"


def toolchain_with(tmp_path: Path, text: str, version: str = "3.11") -> Path:
    (tmp_path / "pythons").mkdir(parents=True, exist_ok=True)
    (tmp_path / "pythons" / f"{version}.toml").write_text(text)
    return tmp_path


def shipped_text() -> str:
    return SHIPPED.read_text()


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ToolchainError) as info:
        load_python_spec("3.11", toolchain_with(tmp_path, text))
    message = info.value.message
    assert "\n" not in message and message.startswith(f"{tmp_path / 'pythons' / '3.11.toml'}: ")
    return message


def test_the_shipped_spec_loads():
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    assert (spec.version, spec.release) == ("3.11", "3.11.2")
    assert spec.filename == "python3.11_3.11.2.orig.tar.gz"
    assert list(spec.sides) == ["x86_64", "riscv64"]
    assert spec.sides["riscv64"].test_root == "target"
    assert len(spec.key) == 12 and int(spec.key, 16) >= 0


def test_available_versions_sort_numerically(tmp_path):
    for version in ("3.12", "3.9", "3.11"):
        toolchain_with(tmp_path, "", version)
    assert available_python_versions(tmp_path) == ["3.9", "3.11", "3.12"]
    assert available_python_versions(TOOLCHAIN_DIR) == ["3.11"]


def test_a_missing_version_names_the_file_and_the_available_ones():
    with pytest.raises(EnvError) as info:
        load_python_spec("3.99", TOOLCHAIN_DIR)
    message = info.value.message
    assert "3.99.toml" in message and "available versions: 3.11" in message
    assert "\n" not in message


def test_bad_toml_is_reported(tmp_path):
    assert "invalid TOML" in load_error(tmp_path, "version = ")


def test_a_misspelled_key_gets_a_suggestion(tmp_path):
    text = shipped_text().replace("\nconfigure = [", "\nconfgure = [", 1)
    assert ": confgure: unknown key; did you mean 'configure'?" in load_error(tmp_path, text)


def test_a_misspelled_side_key_names_its_table(tmp_path):
    text = shipped_text().replace('test-root = "target"', 'tset-root = "target"')
    assert ": riscv64.tset-root: unknown key; did you mean 'test-root'?" in load_error(
        tmp_path, text
    )


def test_the_old_underscore_spelling_gets_the_dashed_one(tmp_path):
    text = shipped_text().replace("build-root =", "build_root =")
    message = load_error(tmp_path, text)
    assert ": build_root: unknown key; keys are spelled with dashes: write build-root" in message


def test_wrong_types_are_refused(tmp_path):
    text = shipped_text().replace('build-root = "cross"', "build-root = 3")
    assert "build-root: expected a string, got the bare number 3" in load_error(tmp_path, text)
    text = shipped_text().replace('CC = "riscv64-linux-gnu-gcc"', "CC = 1")
    assert "riscv64.env.CC: expected a string" in load_error(tmp_path, text)
    text = shipped_text().replace('check-imports = ["ssl",', "check-imports = [1,")
    assert "check-imports[0]: expected a string" in load_error(tmp_path, text)


def test_a_missing_machine_table_is_reported(tmp_path):
    text = shipped_text().split("[x86_64]")[0]
    message = load_error(tmp_path, text)
    assert ": x86_64: missing required table; add a [x86_64] section" in message


def test_version_and_release_must_match_the_file_name(tmp_path):
    text = shipped_text().replace('release = "3.11.2"', 'release = "3.12.1"')
    assert 'release: "3.12.1" is not a 3.11.x release' in load_error(tmp_path, text)
    text = shipped_text().replace('version = "3.11"', 'version = "3.12"')
    assert "named for 3.11" in load_error(tmp_path, text)


def test_values_are_checked(tmp_path):
    text = shipped_text().replace('build-root = "cross"', 'build-root = "../cross"')
    assert 'build-root: "../cross" is not a root name' in load_error(tmp_path, text)
    text = shipped_text().replace("https://deb.debian.org", "ftp://deb.debian.org")
    assert "url: " in load_error(tmp_path, text)
    text = shipped_text().replace('"ssl",', '"ssl-x",')
    assert "check-imports[0]: " in load_error(tmp_path, text)


def test_prefix_and_build_python_belong_to_the_code(tmp_path):
    text = shipped_text().replace('"--disable-test-modules",', '"--prefix=/usr",')
    message = load_error(tmp_path, text)
    assert 'configure[1]: "--prefix=/usr": --prefix and --with-build-python are added by' in message


def test_mount_points_are_the_same_string_as_the_prefix():
    assert mount_point("3.11", "riscv64") == "/rvw/pythons/cpython-3.11-riscv64"
    assert interpreter("3.11", "x86_64") == "/rvw/pythons/cpython-3.11-x86_64/bin/python3.11"
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    for machine in spec.sides:
        assert f"--prefix={mount_point('3.11', machine)}" in configure_argv(spec, machine, "/s")


def test_the_key_follows_the_file_content_and_the_format(tmp_path, monkeypatch):
    same = load_python_spec("3.11", toolchain_with(tmp_path / "a", shipped_text()))
    assert same.key == load_python_spec("3.11", TOOLCHAIN_DIR).key
    edited = load_python_spec("3.11", toolchain_with(tmp_path / "b", shipped_text() + "# x\n"))
    assert edited.key != same.key
    before = same.key
    monkeypatch.setattr(pythonspec, "PYTHON_FORMAT", pythonspec.PYTHON_FORMAT + 1)
    assert same.key != before


def test_x86_64_is_configured_natively():
    argv = configure_argv(load_python_spec("3.11", TOOLCHAIN_DIR), "x86_64", "/rvw/work/Py")
    assert argv[0] == "/rvw/work/Py/configure"
    assert "--with-ensurepip=no" in argv and "--disable-test-modules" in argv
    assert not [a for a in argv if a.startswith(("--host", "--with-build-python", "ac_cv_"))]


def test_riscv64_is_cross_configured_with_the_x86_64_interpreter():
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    argv = configure_argv(spec, "riscv64", "/rvw/work/Py")
    assert "--host=riscv64-linux-gnu" in argv and "--build=x86_64-linux-gnu" in argv
    assert argv[-1] == "--with-build-python=/rvw/pythons/cpython-3.11-x86_64/bin/python3.11"
    assert "ac_cv_file__dev_ptmx=yes" in argv and "ac_cv_file__dev_ptc=no" in argv
    pc_dirs = spec.sides["riscv64"].env["PKG_CONFIG_LIBDIR"].split(":")
    assert pc_dirs and all("x86_64" not in d for d in pc_dirs)
    assert "/usr/lib/riscv64-linux-gnu/pkgconfig" in pc_dirs


def test_make_uses_the_given_jobs():
    assert make_argv(2) == ["make", "-j2"]


def test_the_smoke_check_imports_checks_the_machine_and_makes_a_venv_in_one_shell():
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    shell, flag, script = smoke_argv(spec, "riscv64")
    assert (shell, flag) == ("sh", "-c")
    steps = [shlex.split(step) for step in script.split(" && ")]
    python = "/rvw/pythons/cpython-3.11-riscv64/bin/python3.11"
    assert steps[0][:2] == [python, "-c"]
    assert "import platform, ssl, ctypes, zlib, bz2, lzma, sqlite3, json, uuid" in steps[0][2]
    assert "platform.machine() == 'riscv64'" in steps[0][2]
    assert steps[1] == [python, "-m", "venv", "/tmp/smoke"]
    assert steps[2] == ["/tmp/smoke/bin/python", "-m", "pip", "--version"]


def fake_install(folder: Path, machine: str, sysconfig_names: list[str]) -> None:
    lib = folder / f"cpython-3.11-{machine}" / "lib" / "python3.11"
    lib.mkdir(parents=True)
    for name in sysconfig_names:
        (lib / f"{name}.py").write_text("build_time_vars = {}\n")


def test_sysconfigdata_name_is_read_from_the_tree(tmp_path):
    fake_install(tmp_path, "riscv64", ["_sysconfigdata__linux_riscv64-linux-gnu"])
    name = read_sysconfigdata_name(tmp_path / "cpython-3.11-riscv64", "3.11")
    assert name == "_sysconfigdata__linux_riscv64-linux-gnu"


@pytest.mark.parametrize("names", [[], ["_sysconfigdata__a", "_sysconfigdata__b"]])
def test_no_or_several_sysconfigdata_modules_are_an_error(tmp_path, names):
    fake_install(tmp_path, "riscv64", names)
    with pytest.raises(EnvError) as info:
        read_sysconfigdata_name(tmp_path / "cpython-3.11-riscv64", "3.11")
    assert f"found {len(names)}" in info.value.message and "delete the folder" in info.value.message


def fake_build(spec, final: Path, **_kwargs) -> None:
    fake_install(final, "x86_64", ["_sysconfigdata__linux_x86_64-linux-gnu"])
    fake_install(final, "riscv64", ["_sysconfigdata__linux_riscv64-linux-gnu"])
    (final / pythons.MARKER).write_text("{}")


def test_a_built_python_describes_each_machine_and_one_bind(tmp_path):
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    folder = python_dir(spec, tmp_path)
    fake_build(spec, folder)
    built = built_python(spec, folder)
    riscv = built.install("riscv64")
    assert riscv.host_dir == folder / "cpython-3.11-riscv64"
    assert riscv.mount_point == "/rvw/pythons/cpython-3.11-riscv64"
    assert riscv.interpreter == "/rvw/pythons/cpython-3.11-riscv64/bin/python3.11"
    assert riscv.sysconfigdata_dir == "/rvw/pythons/cpython-3.11-riscv64/lib/python3.11"
    assert built.sysconfigdata_name == "_sysconfigdata__linux_riscv64-linux-gnu"
    assert built.binds() == riscv.binds() == {folder: "/rvw/pythons"}
    with pytest.raises(EnvError, match="not arm"):
        built.install("arm")


def test_ensure_builds_once_then_reuses_the_cache(tmp_path, monkeypatch):
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    calls = []
    monkeypatch.setattr(pythons, "_build", lambda *a, **k: (calls.append(a), fake_build(*a, **k)))
    kwargs = {"cache": tmp_path, "toolchain_dir": TOOLCHAIN_DIR, "log": tmp_path / "log"}
    first = ensure_cpython(spec, **kwargs)
    second = ensure_cpython(spec, **kwargs)
    assert len(calls) == 1 and first == second
    assert first.folder == tmp_path / "pythons" / f"cpython-3.11-{spec.key}"


def test_an_unfinished_build_does_not_count(tmp_path):
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    folder = python_dir(spec, tmp_path)
    fake_install(folder, "riscv64", ["_sysconfigdata__linux_riscv64-linux-gnu"])
    assert not is_ready(folder)


def tarball(tmp_path: Path, names: list[str]) -> tuple[Path, str]:
    path = tmp_path / "python3.11_3.11.2.orig.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name in names:
            info = tarfile.TarInfo(name)
            tf.addfile(info, io.BytesIO(b""))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def spec_for(url: str, sha256: str):
    # A file:// URL: the loader takes only https ones, the fetch any that urllib opens.
    return replace(load_python_spec("3.11", TOOLCHAIN_DIR), url=url, sha256=sha256)


def test_the_source_is_hash_checked_cached_and_unpacked(tmp_path):
    archive, digest = tarball(tmp_path, ["Python-3.11.2/configure", "Python-3.11.2/Lib/os.py"])
    spec = spec_for(archive.as_uri(), digest)
    got = fetch_python_source(spec, tmp_path / "cache")
    assert got == tmp_path / "cache" / "sources" / digest / archive.name
    archive.unlink()  # the second fetch must not need the network (or the file) again
    assert fetch_python_source(spec, tmp_path / "cache") == got
    assert pythons._unpack(got, tmp_path / "work") == "Python-3.11.2"
    assert (tmp_path / "work" / "Python-3.11.2" / "Lib" / "os.py").is_file()


def test_a_wrong_hash_keeps_nothing(tmp_path):
    archive, _ = tarball(tmp_path, ["Python-3.11.2/configure"])
    spec = spec_for(archive.as_uri(), "0" * 64)
    with pytest.raises(FetchError) as info:
        fetch_python_source(spec, tmp_path / "cache")
    assert "put its hash in sha256" in info.value.message and "\n" not in info.value.message
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_a_tarball_with_several_top_folders_is_refused(tmp_path):
    archive, _ = tarball(tmp_path, ["a/configure", "b/configure"])
    with pytest.raises(EnvError, match="one top-level folder, found 2"):
        pythons._unpack(archive, tmp_path / "work")
    shutil.rmtree(tmp_path / "work", ignore_errors=True)
