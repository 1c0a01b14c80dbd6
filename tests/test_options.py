from __future__ import annotations

from pathlib import Path

import pytest

from rvwheels.errors import ConfigurationError
from rvwheels.options import resolve_options


def test_defaults_depend_on_the_machine():
    assert (
        resolve_options(
            mode=None, wheelhouse=None, jobs=1, recipes_dir=None, env={}, machine="x86_64"
        ).mode
        == "cross"
    )
    assert (
        resolve_options(
            mode=None, wheelhouse=None, jobs=1, recipes_dir=None, env={}, machine="riscv64"
        ).mode
        == "native"
    )


def test_environment_sets_cache_and_mode(tmp_path):
    opts = resolve_options(
        mode=None,
        wheelhouse=Path("wh"),
        jobs=2,
        recipes_dir=None,
        env={"RVWHEELS_CACHE": str(tmp_path), "RVWHEELS_MODE": "emulated"},
        machine="x86_64",
    )
    assert opts.mode == "emulated" and opts.cache == tmp_path and opts.jobs == 2
    assert opts.work_dir == tmp_path / "work" and opts.wheelhouse.is_absolute()


@pytest.mark.parametrize(
    ("mode", "jobs", "text"), [("qemu", 1, "unknown mode"), ("cross", 0, "--jobs")]
)
def test_bad_options_are_configuration_errors(mode, jobs, text):
    with pytest.raises(ConfigurationError, match=text):
        resolve_options(mode=mode, wheelhouse=None, jobs=jobs, recipes_dir=None, env={})


def test_pythons_and_variants_are_parsed_once():
    opts = resolve_options(
        mode="cross",
        wheelhouse=None,
        jobs=1,
        recipes_dir=None,
        pythons="3.11, 3.13,3.11",
        variants=("OpenBLAS=C910V",),
        env={},
        machine="x86_64",
    )
    assert opts.pythons == ("3.11", "3.13")
    assert opts.variants == {"openblas": "C910V"}


@pytest.mark.parametrize(
    ("pythons", "variants", "text"),
    [("3.11,py3", (), "'py3' is not a Python version"), (None, ("openblas",), "RECIPE=VARIANT")],
)
def test_bad_pythons_and_variants_say_how_to_write_them(pythons, variants, text):
    with pytest.raises(ConfigurationError, match=text):
        resolve_options(
            mode="cross",
            wheelhouse=None,
            jobs=1,
            recipes_dir=None,
            pythons=pythons,
            variants=variants,
            env={},
            machine="x86_64",
        )
