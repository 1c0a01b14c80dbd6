"""One package through its phases: the order, the progress, the timings and the record
(each phase replaced by a stand-in that notes it ran)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rvwheels.builder.check import Checked
from rvwheels.builder.compile import Compiled
from rvwheels.builder.fetching import Fetched
from rvwheels.builder.prepare import Prepared
from rvwheels.errors import BuildError
from rvwheels.pipeline import package
from rvwheels.progress import Progress
from rvwheels.repair import Repaired
from rvwheels.verify.wheeltest import Tested
from tests.builder._jobs import job

WHEEL = Path("/w/demo-1.0-cp313-cp313-manylinux_2_38_riscv64.whl")


@pytest.fixture
def phases(monkeypatch) -> list[str]:
    ran: list[str] = []

    def stand_in(name, result):
        def phase(*args):
            ran.append(name)
            return result

        monkeypatch.setattr(package, name, phase)

    stand_in("check_environment", Checked(generated_pc=(Path("/w/openblas.pc"),)))
    stand_in(
        "fetch",
        Fetched(source=Path("/s.tar.gz"), extra_sources=(), build_requirements=(), build_links=()),
    )
    stand_in("prepare", Prepared(tree=None, target_site=Path("/t"), cross_file=None))
    stand_in("compile_wheel", Compiled(wheel=Path("/w/raw.whl"), venv_bin="/v", compiler="gcc 14"))
    stand_in("repair", Repaired(wheel=WHEEL, auditwheel_show="consistent"))
    stand_in("run_tests", Tested(ran=True, seconds=12.34))
    return ran


def test_phases_run_in_order_and_the_record_says_what_happened(tmp_path, phases):
    out = io.StringIO()
    built = package.build_package(job(tmp_path), progress=Progress(out, heartbeat=None))
    assert phases == [
        "check_environment",
        "fetch",
        "prepare",
        "compile_wheel",
        "repair",
        "run_tests",
    ]
    assert built.wheel == WHEEL
    record = built.record
    assert record["tag"] == "manylinux_2_38_riscv64" and record["mode"] == "cross"
    assert record["compilers"] == {"c": "gcc 14"}
    assert record["generated_pc_files"] == ["openblas.pc"]
    assert record["test"] == {"ran": True, "passed": True, "seconds": 12.3}
    assert list(record["seconds"]) == [
        "checking",
        "fetching",
        "preparing",
        "building",
        "repairing",
        "testing",
    ]
    states = [line.split("] ", 1)[1].split(" — ")[0] for line in out.getvalue().splitlines()]
    assert states == [
        "demo: checking",
        "demo: fetching",
        "demo: preparing",
        "demo: building",
        "demo: repairing",
        "demo: testing",
    ]


def test_no_tests_when_asked(tmp_path, phases):
    built = package.build_package(
        job(tmp_path), progress=Progress(io.StringIO(), heartbeat=None), run_tests_after=False
    )
    assert "run_tests" not in phases and built.record["test"]["ran"] is False


def test_a_failing_phase_stops_the_build(tmp_path, phases, monkeypatch):
    def broken(*args):
        raise BuildError("demo: the meson-python build failed; see log")

    monkeypatch.setattr(package, "compile_wheel", broken)
    with pytest.raises(BuildError):
        package.build_package(job(tmp_path), progress=Progress(io.StringIO(), heartbeat=None))
    assert phases == ["check_environment", "fetch", "prepare"]
