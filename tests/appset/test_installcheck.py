from __future__ import annotations

from types import SimpleNamespace

import pytest

from rvwheels.appset import installcheck
from rvwheels.appset.installcheck import top_level_modules
from rvwheels.appset.resolve import Pinned
from rvwheels.errors import WheelTestError
from rvwheels.hashing import sha256_file

from .conftest import write_wheel


def test_top_level_txt_is_what_imports(tmp_path):
    wheel = write_wheel(tmp_path, "PyYAML", top_level="_yaml\nyaml\n", files=("yaml/__init__.py",))
    assert top_level_modules(wheel) == ["yaml"]


def test_without_top_level_txt_the_files_say(tmp_path):
    wheel = write_wheel(
        tmp_path,
        "mixed",
        files=(
            "pkg/__init__.py",
            "pkg/sub/mod.py",
            "single.py",
            "fast.cpython-313-riscv64-linux-gnu.so",
            "tests/test_x.py",
            "mixed-1.0.data/scripts/tool",
            "README.md",
        ),
    )
    assert top_level_modules(wheel) == ["fast", "pkg", "single"]


def test_a_distribution_of_private_modules_only_imports_those(tmp_path):
    wheel = write_wheel(tmp_path, "cffi-backend", files=("_cffi_backend.cpython-313.so",))
    assert top_level_modules(wheel) == ["_cffi_backend"]


def test_a_distribution_that_does_not_import_is_named(monkeypatch, tmp_path):
    wheel = write_wheel(tmp_path, "broken", files=("broken/__init__.py",))
    pinned = [Pinned(name="broken", version="1.0", url=wheel.as_uri(), sha256=sha256_file(wheel))]
    ran = []

    class Executor:
        def inside(self, path):
            return str(path)

        def run(self, argv, **kwargs):
            ran.append(argv)
            return 'noise\n{"broken": ["broken: ImportError(\'libfoo.so.1\')"]}\n'

    side = SimpleNamespace(executor=Executor(), wheels_dir=tmp_path / "wheels")
    venv = SimpleNamespace(python="/venv/bin/python", cwd="/run")
    monkeypatch.setattr(installcheck, "make_test_venv", lambda *a, **k: venv)
    monkeypatch.setattr(installcheck, "pip_install", lambda *a, **k: None)
    with pytest.raises(WheelTestError, match=r"do not import: broken \(broken: ImportError"):
        installcheck.check_install(
            tmp_path / "lock.txt",
            pinned,
            side=side,
            wheelhouse=tmp_path,
            cache=tmp_path / "cache",
            work=tmp_path / "work",
            log=tmp_path / "log",
        )
    assert ran[0][-1] == '{"broken": ["broken"]}'
