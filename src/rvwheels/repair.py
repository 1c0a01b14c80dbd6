"""Repair: auditwheel grafts the target's shared libraries into the wheel and gives it the
lowest manylinux tag its symbols allow. It runs where the build ran, so it resolves libraries
inside the build environment's root (Debian's absolute /etc/alternatives links included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rvwheels.builder.compile import Compiled
from rvwheels.builder.job import BuildJob
from rvwheels.environment.sides import Side
from rvwheels.environment.venvs import venv_path
from rvwheels.errors import CommandFailed, RepairError


@dataclass(frozen=True, kw_only=True)
class Repaired:
    wheel: Path  # the repaired wheel, in job.work / "repaired"
    auditwheel_show: str  # what `auditwheel show` says of it, one paragraph


def repair(job: BuildJob, compiled: Compiled) -> Repaired:
    """Phase "repairing": bundle what the wheel needs from the target, tag it manylinux, and
    check the result with ``auditwheel show``."""
    repaired = repair_wheel(
        compiled.wheel,
        job.work / "repaired",
        side=job.env.build,
        venv_bin=compiled.venv_bin,
        log=job.log,
        library_dirs=job.provided("libdirs"),
        exclude=job.recipe.repair.exclude,
    )
    show = show_wheel(repaired, side=job.env.build, venv_bin=compiled.venv_bin, log=job.log)
    return Repaired(wheel=repaired, auditwheel_show=show)


def repair_wheel(
    wheel: Path,
    out_dir: Path,
    *,
    side: Side,
    venv_bin: str,
    log: Path,
    library_dirs: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> Path:
    """``library_dirs``: where else to look for needed libraries (those of library recipes,
    e.g. OpenBLAS unpacked in the target site), as the build side sees them; ``exclude``:
    sonames (glob patterns) left to another wheel, which must be loaded first (libtorch)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {"PATH": venv_path(venv_bin)}
    if library_dirs:
        # auditwheel's lddtree searches LD_LIBRARY_PATH first, as the dynamic loader would.
        env["LD_LIBRARY_PATH"] = ":".join(library_dirs)
    try:
        side.executor.run(
            [
                f"{venv_bin}/auditwheel",
                "repair",
                "--plat",
                "auto",
                "-w",
                side.executor.inside(out_dir),
                *[arg for pattern in exclude for arg in ("--exclude", pattern)],
                side.executor.inside(wheel),
            ],
            env=env,
            log=log,
        )
    except CommandFailed as exc:
        msg = f"auditwheel could not repair {wheel.name}; see {log}"
        raise RepairError(msg) from exc
    repaired = sorted(out_dir.glob("*.whl"))
    if len(repaired) != 1:
        msg = f"auditwheel produced {len(repaired)} wheels for {wheel.name}; see {log}"
        raise RepairError(msg)
    return repaired[0]


def show_wheel(wheel: Path, *, side: Side, venv_bin: str, log: Path) -> str:
    """``auditwheel show`` of a repaired wheel, as one paragraph for the build record."""
    try:
        out = side.executor.run(
            [f"{venv_bin}/auditwheel", "show", side.executor.inside(wheel)],
            env={"PATH": venv_path(venv_bin)},
            capture=True,
            log=log,
        )
    except CommandFailed as exc:
        msg = f"auditwheel show rejects the repaired {wheel.name}; see {log}"
        raise RepairError(msg) from exc
    return " ".join(out.split())


def platform_tag(wheel: Path) -> str:
    """The platform part of a wheel file name: manylinux_2_38_riscv64."""
    return wheel.name[: -len(".whl")].split("-")[-1]
