from __future__ import annotations

from rvwheels.appset.installcheck import top_level_modules

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
