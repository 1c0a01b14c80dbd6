"""Instructions the TH1520's vector kernels save: OpenBLAS's C910V kernel set against its scalar
RISCV64_GENERIC one, both in the one DYNAMIC_ARCH library our numpy wheel ships.

    python benchmarks/c910v_instructions.py [--wheelhouse DIR]

Every program runs single-threaded under QEMU 5.2 (``-cpu rv64,x-v=true,vext_spec=v0.7.1,
vlen=128``: RVV 0.7.1 with 128-bit registers, the C910's unit) with a TCG plugin that counts the
guest instructions executed (benchmarks/c910v/rvcount.c), once per kernel set
(``OPENBLAS_CORETYPE``), each workload with and without the part measured:

- sgemm n=512: benchmarks/c910v/sgemm_bench.c, compiled by the cross root's GCC against the
  openblas wheel, with and without its cblas_sgemm call;
- one LaMa FFC block: the runtime's NumPy big-lama (random weights) on a 128×128 input with 1
  and with 0 residual blocks (benchmarks/c910v/lama_block.py), run by the target root's
  Python 3.13 with the numpy wheel; both kernel sets' outputs must agree.

Prints the instruction counts, the ratio generic/C910V and the (emulated) wall times; exits 1
when a ratio is below the goal of 3× fewer instructions. Instructions are not time: what a
vector instruction costs on the C910 is measured on the RVBook (``rvwheels verify --bench``).

The first run builds QEMU 5.2 with plugins from Debian's source package (a few minutes, cached
under ``<cache>/bench/``). Without ``--wheelhouse`` it runs ``rvwheels build numpy`` into
``<cache>/bench/wheelhouse`` (the DYNAMIC OpenBLAS first: about an hour on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import PROJECT, run_rvwheels
from _qemu_plugins import CountingQemu, ensure_counting_qemu

from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.roots import ensure_root, load_root_spec
from rvwheels.errors import RvwheelsError
from rvwheels.paths import cache_dir
from rvwheels.progress import log_path
from rvwheels.run import run
from rvwheels.wheelhouse import Wheelhouse

CPU = "rv64,x-v=true,vext_spec=v0.7.1,vlen=128"
CORES = {"RISCV64_GENERIC": "riscv64_generic", "C910V": "c910v"}
GOAL = 3.0
SGEMM_N = 512
LAMA_SIZE = 128
# max |generic − C910V| of LaMa's outputs (in [0, 1]): float32 sums in another order.
LAMA_TOLERANCE = 1e-4
SOURCES = PROJECT / "benchmarks" / "c910v"


class BenchError(RvwheelsError):
    """The benchmark cannot measure, or measured something wrong."""


@dataclass(frozen=True)
class Counted:
    insns: int
    vector: int
    seconds: float  # wall, under the emulator
    stdout: str


@dataclass(frozen=True)
class Row:
    """One workload: the measured part's instructions per kernel set (with minus without)."""

    name: str
    runs: Mapping[str, tuple[Counted, Counted]]  # OPENBLAS_CORETYPE -> (with, without)

    def part(self, core: str) -> tuple[int, int]:
        with_part, without = self.runs[core]
        return with_part.insns - without.insns, with_part.vector - without.vector

    @property
    def ratio(self) -> float:
        return self.part("RISCV64_GENERIC")[0] / self.part("C910V")[0]


@dataclass(frozen=True)
class Setup:
    """What the counted runs need, ready."""

    qemu: CountingQemu
    target_root: Path
    work: Path
    log: Path


def count(setup: Setup, name: str, argv: list[str], env: Mapping[str, str]) -> Counted:
    """Run a riscv64 program under the counting QEMU, one OpenBLAS thread."""
    counts = setup.work / f"{name}.counts"
    counts.unlink(missing_ok=True)
    prefix = [*setup.qemu.argv(CPU, counts), "-L", str(setup.target_root)]
    env = {"OPENBLAS_NUM_THREADS": "1", **env}
    started = time.monotonic()
    stdout = run([*prefix, *argv], env=env, log=setup.log, capture=True)
    seconds = time.monotonic() - started
    found = re.search(r"rvcount: insns (\d+) vector (\d+)", counts.read_text())
    if found is None:
        raise BenchError(f"the counting plugin wrote no count for {name}; see {setup.log}")
    return Counted(int(found[1]), int(found[2]), seconds, stdout)


def check_core(stdout_core: str, coretype: str, what: str) -> None:
    if stdout_core != CORES[coretype]:
        raise BenchError(
            f"{what}: OPENBLAS_CORETYPE={coretype} ran OpenBLAS's {stdout_core or 'unknown'} "
            f"kernels, not {CORES[coretype]}; is the openblas wheel the DYNAMIC variant?"
        )


def sgemm_row(setup: Setup, openblas: Path, cross_root: Path) -> Row:
    program = compile_sgemm(setup, openblas, cross_root)
    runs = {}
    for coretype in CORES:
        env = {"OPENBLAS_CORETYPE": coretype, "LD_LIBRARY_PATH": str(openblas / "openblas/lib")}
        pair = tuple(
            count(setup, f"sgemm-{coretype}-{gemm}", [str(program), str(SGEMM_N), gemm], env)
            for gemm in ("1", "0")
        )
        for counted in pair:
            found = re.search(r"core=(\S+) n=\d+ gemm=(\d) maxabserr=\S+ (\S+)", counted.stdout)
            if found is None or found[3] not in ("OK", "-"):
                raise BenchError(f"sgemm_bench with {coretype} failed: {counted.stdout.strip()}")
            check_core(found[1], coretype, "sgemm")
        runs[coretype] = pair
    return Row(f"sgemm n={SGEMM_N}", runs)


def compile_sgemm(setup: Setup, openblas: Path, cross_root: Path) -> Path:
    """sgemm_bench.c by the cross root's riscv64 GCC, linked to the openblas wheel's library."""
    shutil.copy2(SOURCES / "sgemm_bench.c", setup.work / "sgemm_bench.c")
    ex = RootExecutor(root=cross_root, binds={setup.work: "/rvw/work"})
    lib = ex.inside(openblas / "openblas" / "lib")
    grafted = ex.inside(openblas / "openblas.libs")
    ex.run(
        ["riscv64-linux-gnu-gcc", "-O2", "/rvw/work/sgemm_bench.c", "-o", "/rvw/work/sgemm_bench"]
        + [f"-L{lib}", f"-Wl,-rpath-link,{grafted}", "-lopenblas", "-lm"],
        log=setup.log,
    )
    return setup.work / "sgemm_bench"


def lama_row(setup: Setup, numpy_dir: Path) -> Row:
    python = str(setup.target_root / "usr" / "bin" / "python3.13")
    script = str(SOURCES / "lama_block.py")
    base = {
        "PYTHONPATH": f"{numpy_dir}:{PROJECT / 'runtime' / 'src'}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LD_LIBRARY_PATH": "",
    }
    runs = {}
    for coretype in CORES:
        env = {**base, "OPENBLAS_CORETYPE": coretype}
        pair = []
        for blocks in ("1", "0"):
            out = setup.work / f"lama-{coretype}-{blocks}.npy"
            argv = [python, "-s", script, blocks, str(LAMA_SIZE), str(out)]
            counted = count(setup, f"lama-{coretype}-{blocks}", argv, env)
            check_core(
                json.loads(counted.stdout.strip().splitlines()[-1])["core"], coretype, "LaMa"
            )
            pair.append(counted)
        runs[coretype] = tuple(pair)
    return Row(f"LaMa FFC block {LAMA_SIZE}x{LAMA_SIZE}", runs)


def lama_difference(work: Path) -> float:
    """max |generic − C910V| over both LaMa runs' outputs; raises when above the tolerance."""
    worst = 0.0
    for blocks in ("1", "0"):
        generic = np.load(work / f"lama-RISCV64_GENERIC-{blocks}.npy")
        vector = np.load(work / f"lama-C910V-{blocks}.npy")
        worst = max(worst, float(np.abs(generic - vector).max()))
    if not worst <= LAMA_TOLERANCE:
        raise BenchError(
            f"LaMa's outputs differ by {worst:.2e} between the generic and the C910V kernels "
            f"(tolerance {LAMA_TOLERANCE:g}): a C910V kernel computes something else"
        )
    return worst


def dynamic_wheels(wheelhouse: Path) -> tuple[Path, Path]:
    """The wheelhouse's openblas (which must be the DYNAMIC variant) and cp313 numpy wheels."""
    house = Wheelhouse(wheelhouse)
    found = {}
    for wheel in house.wheels_for_python("3.13"):
        name = wheel.name.split("-")[0]
        if name in ("openblas", "numpy"):
            found[name] = wheel
    missing = [n for n in ("openblas", "numpy") if n not in found]
    if missing:
        raise BenchError(
            f"{wheelhouse} has no {' or '.join(missing)} wheel; build them with "
            f"`rvwheels build numpy --wheelhouse {wheelhouse}` or leave out --wheelhouse"
        )
    variant = (house.record(found["openblas"].name) or {}).get("variant")
    if variant != "DYNAMIC":
        raise BenchError(
            f"{found['openblas'].name} in {wheelhouse} is the {variant} variant, not DYNAMIC; "
            "build numpy with the default variant into another wheelhouse"
        )
    return found["openblas"], found["numpy"]


def unpacked(wheel: Path, dest: Path) -> Path:
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(dest)
    return dest


def prepare(wheelhouse: Path | None) -> tuple[Setup, Path, Path, Path]:
    """(setup, unpacked openblas wheel, unpacked numpy wheel, cross root)."""
    cache = cache_dir()
    log = log_path(cache / "logs", "_bench_c910v")
    log.parent.mkdir(parents=True, exist_ok=True)
    if wheelhouse is None:
        wheelhouse = cache / "bench" / "wheelhouse"
        run_rvwheels("build", "numpy", "--wheelhouse", str(wheelhouse))
    openblas_wheel, numpy_wheel = dynamic_wheels(wheelhouse)
    work = cache / "bench" / "c910v-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"counting under QEMU 5.2 with {openblas_wheel.name} and {numpy_wheel.name}; log: {log}")
    qemu = ensure_counting_qemu(cache, log=log)
    target = ensure_root(load_root_spec("target"), cache, log=log)
    cross = ensure_root(load_root_spec("cross"), cache, log=log)
    setup = Setup(qemu=qemu, target_root=target, work=work, log=log)
    openblas = unpacked(openblas_wheel, work / "openblas")
    return setup, openblas, unpacked(numpy_wheel, work / "numpy"), cross


def print_table(rows: list[Row], lama_diff: float) -> list[str]:
    """The table; returns the workloads below the goal."""
    print(f"\nOpenBLAS kernel sets, one thread, QEMU 5.2 -cpu {CPU} (wall times are emulated)")
    head = f"{'workload':<24}{'RISCV64_GENERIC':>16}{'C910V':>14}{'(vector)':>13}"
    print(f"{head}{'generic/C910V':>15}   wall s with/without: generic | C910V")
    below = []
    for row in rows:
        (generic, _), (vector_total, vector) = row.part("RISCV64_GENERIC"), row.part("C910V")
        walls = " | ".join(
            f"{row.runs[c][0].seconds:.1f}/{row.runs[c][1].seconds:.1f}" for c in CORES
        )
        print(
            f"{row.name:<24}{generic:>16,}{vector_total:>14,}{vector:>13,}"
            f"{row.ratio:>14.2f}×   {walls}"
        )
        if row.ratio < GOAL:
            below.append(f"{row.name} ({row.ratio:.2f}×)")
    print(f"LaMa outputs, generic vs C910V: max abs difference {lama_diff:.1e}")
    return below


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheelhouse", type=Path, help="with the DYNAMIC openblas and numpy")
    opts = parser.parse_args()
    try:
        setup, openblas, numpy_dir, cross = prepare(opts.wheelhouse)
        rows = [sgemm_row(setup, openblas, cross), lama_row(setup, numpy_dir)]
        below = print_table(rows, lama_difference(setup.work))
    except RvwheelsError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except subprocess.CalledProcessError as exc:
        print(f"error: rvwheels build failed (exit {exc.returncode}); see its output above")
        return 1
    if below:
        print(f"below the goal of {GOAL:g}× fewer instructions: {', '.join(below)}")
        return 1
    print(f"goal met: at least {GOAL:g}× fewer instructions with the C910V kernels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
