from __future__ import annotations

import json
from pathlib import Path

from packaging.requirements import Requirement

from rvwheels.appset.resolve import (
    Pinned,
    Resolution,
    TargetPython,
    missing_requirement,
    pinned_from_report,
    resolve,
)
from rvwheels.environment.sides import PythonInfo
from rvwheels.hashing import sha256_file

from .conftest import write_wheel

PIP_FAILED = """\
Collecting kornia>=0.8
  Using cached kornia-0.8.2-py2.py3-none-any.whl.metadata (18 kB)
INFO: pip is looking at multiple versions of kornia to determine which version is compatible.
ERROR: Could not find a version that satisfies the requirement kornia_rs>=0.1.9 (from kornia) \
(from versions: none)
ERROR: No matching distribution found for kornia_rs>=0.1.9
"""


def riscv64(version: str = "3.13") -> TargetPython:
    info = PythonInfo(version=version, full=f"{version}.5", glibc=(2, 41), machine="riscv64")
    return TargetPython(info=info, platforms=("manylinux_2_38_riscv64", "linux_riscv64"))


def test_the_requirement_pip_found_no_wheel_for_is_named():
    assert missing_requirement(PIP_FAILED) == Requirement("kornia_rs>=0.1.9")


def test_a_failure_for_another_reason_names_nothing():
    assert missing_requirement("ERROR: ResolutionImpossible: a conflict\n") is None


def test_pip_args_describe_the_target_not_this_machine():
    args = riscv64("3.11").pip_args()
    assert args[:3] == ["--only-binary=:all:", "--python-version", "3.11"]
    assert args[args.index("--abi") : args.index("--abi") + 2] == ["--abi", "cp311"]
    assert "manylinux_2_38_riscv64" in args and "x86_64" not in " ".join(args)


def test_pins_take_the_index_hash_or_hash_the_local_file(tmp_path):
    wheel = write_wheel(tmp_path, "ours")
    report = {
        "install": [
            {
                "metadata": {"name": "six", "version": "1.17.0"},
                "download_info": {
                    "url": "https://files.example/six-1.17.0-py2.py3-none-any.whl",
                    "archive_info": {"hashes": {"sha256": "ab" * 32}},
                },
            },
            {
                "metadata": {"name": "ours", "version": "1.0"},
                "download_info": {"url": wheel.as_uri(), "archive_info": {}},
            },
        ]
    }
    ours, six = pinned_from_report(report)
    assert six == Pinned(
        name="six",
        version="1.17.0",
        url=report["install"][0]["download_info"]["url"],
        sha256="ab" * 32,
    )
    assert ours.sha256 == sha256_file(wheel) and ours.local_file == wheel


def test_markers_are_decided_for_the_target_machine_and_python(tmp_path):
    """pip alone would evaluate these for the x86_64 Python running it."""
    links = tmp_path / "links"
    links.mkdir()
    write_wheel(
        links,
        "app",
        requires=(
            'onriscv; platform_machine == "riscv64"',
            'onx86; platform_machine == "x86_64"',
            'old; python_version < "3.12"',
        ),
    )
    for name in ("onriscv", "onx86", "old"):
        write_wheel(links, name)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--no-index\n--find-links {links}\napp\n")
    for version, expected in (("3.13", {"app", "onriscv"}), ("3.11", {"app", "onriscv", "old"})):
        resolution = resolve(
            requirements,
            target=riscv64(version),
            wheelhouse=links,
            report=tmp_path / "report.json",
            log=tmp_path / "log",
        )
        assert resolution.missing is None
        assert {p.name for p in resolution.pinned} == expected, version


def resolve_app_offline(folder: Path) -> Resolution:
    """Resolve "app" from the wheels in ``folder`` alone, for riscv64 cp313."""
    requirements = folder / "requirements.txt"
    requirements.write_text(f"--no-index\n--find-links {folder}\napp\n")
    return resolve(
        requirements,
        target=riscv64(),
        wheelhouse=folder,
        report=folder / "r.json",
        log=folder / "log",
    )


def test_a_dependency_without_a_wheel_is_reported_missing(tmp_path):
    write_wheel(tmp_path, "app", requires=("nowheel>=2",))
    resolution = resolve_app_offline(tmp_path)
    assert resolution.missing == Requirement("nowheel>=2") and resolution.pinned == ()
    assert "nowheel" in (tmp_path / "log").read_text()
    assert not (tmp_path / "r.json").exists()


def test_an_earlier_failure_in_the_same_log_is_not_read_again(tmp_path):
    (tmp_path / "log").write_text(PIP_FAILED)
    write_wheel(tmp_path, "app")
    resolution = resolve_app_offline(tmp_path)
    assert resolution.missing is None and [p.name for p in resolution.pinned] == ["app"]
    assert json.loads((tmp_path / "r.json").read_text())["install"]
