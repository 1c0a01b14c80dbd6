"""The runs of a recipe's tests: each under an emulator (or the default qemu-user through
binfmt) with its own variables ([[test.under]], or a variant's test-under).

An emulator runs the venv's Python (or a riscv64 program) explicitly, with its -cpu; programs
those start go through binfmt again, so the run tells them the emulator in
``$RVWHEELS_EMULATOR`` (OpenBLAS's testers use it). On a riscv64 machine (native mode) no
emulator is needed: the run keeps its variables and runs on the machine's own CPU.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rvwheels.environment.emulators import MOUNT, ensure_emulator, load_emulator_spec
from rvwheels.environment.sides import Side
from rvwheels.recipe.spec import EmulationSpec, Recipe, VariantSpec

EMULATOR_VARIABLE = "RVWHEELS_EMULATOR"


@dataclass(frozen=True, kw_only=True)
class TestRun:
    __test__ = False  # not a pytest class

    label: str  # for the log and messages: "default", "qemu-rvv071 OPENBLAS_CORETYPE=C910V"
    prefix: tuple[str, ...] = ()  # the emulator's argv, as the test side sees it
    env: Mapping[str, str] = field(default_factory=dict)
    binds: Mapping[Path, str] = field(default_factory=dict)  # host folders the run needs


DEFAULT_RUN = TestRun(label="default")


def run_specs(recipe: Recipe, variant: VariantSpec | None) -> tuple[EmulationSpec, ...]:
    """A variant's own runs (its CPU's emulator), else the recipe's."""
    if variant is not None and variant.test_under:
        return variant.test_under
    return recipe.test.under


def prepare_runs(
    specs: tuple[EmulationSpec, ...], *, side: Side, toolchain_dir: Path, cache: Path, log: Path
) -> list[TestRun]:
    """Each spec as a ready run, its emulator fetched (hash-checked) if it needs one."""
    emulating = side.info.machine != platform.machine()
    return [_prepare(spec, emulating, toolchain_dir, cache, log) for spec in specs]


def _prepare(
    spec: EmulationSpec, emulating: bool, toolchain_dir: Path, cache: Path, log: Path
) -> TestRun:
    variables = " ".join(f"{k}={v}" for k, v in spec.env.items())
    label = " ".join(filter(None, (spec.emulator or "default", variables)))
    if not spec.emulator or not emulating:
        return TestRun(label=label, env=dict(spec.env))
    emulator = ensure_emulator(load_emulator_spec(spec.emulator, toolchain_dir), cache, log=log)
    prefix = tuple(emulator.argv())
    return TestRun(
        label=label,
        prefix=prefix,
        env={**spec.env, EMULATOR_VARIABLE: " ".join(prefix)},
        binds={emulator.host_path.parent: MOUNT},
    )
