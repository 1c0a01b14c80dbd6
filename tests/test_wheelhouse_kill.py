"""Issue 10, done when: a SIGKILL loop over publish leaves a wheelhouse that merge, verify and
pip all accept. A child process publishes in a loop (replacing wheels with other bytes under the
same names, adding new ones, rebuilding the index) and is killed at random moments."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _wheelhouse_fakes import anchors, indexed_files, make_wheel, pip_env, sha256, temp_files
from packaging.utils import parse_wheel_filename

import rvwheels
from rvwheels.environment.sides import PythonInfo
from rvwheels.run import run
from rvwheels.verify.wheeltest import pypi_requirements
from rvwheels.wheelhouse import Wheelhouse

CHILD = """
import itertools, random, sys
from pathlib import Path
from rvwheels.wheelhouse import Wheelhouse

house, variants, seed = Wheelhouse(Path(sys.argv[1])), Path(sys.argv[2]), int(sys.argv[3])
folders = sorted(variants.iterdir())
rng = random.Random(seed)
print("ready", flush=True)
for n in itertools.count():
    wheels = sorted(rng.choice(folders).glob("*.whl"))
    house.publish_many([(w, {"round": n}) for w in rng.sample(wheels, rng.randint(1, len(wheels)))])
    if rng.random() < 0.2:
        house.rebuild_index()
"""
# (project, version); each variant folder holds them all with other bytes, the last one more.
WHEELS = [("alpha", "1.0"), ("alpha", "1.1"), ("beta_pkg", "2.0"), ("gamma", "0.1")]
PROJECTS = ["alpha", "beta-pkg", "gamma"]
TARGET = PythonInfo(version="3.11", full="3.11.2", glibc=(2, 41), machine="riscv64")


def build_variants(folder: Path) -> Path:
    for number, variant in enumerate("abc"):
        for name, version in WHEELS:
            make_wheel(folder / variant, name, version, payload=variant * 3000)
        if number == 2:
            make_wheel(folder / variant, "alpha", "1.2", payload=variant)
    return folder


def kill_mid_publish(house: Path, variants: Path, seed: int, rng: random.Random) -> None:
    """Start the publishing child, let it publish for a random while (one publish: tens of ms),
    kill it."""
    src = Path(rvwheels.__file__).parents[1]  # the code under test, not an installed copy
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(house), str(variants), str(seed)],
        env={**os.environ, "PYTHONPATH": str(src)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline() == "ready\n"
    time.sleep(rng.uniform(0, 0.3))
    child.send_signal(signal.SIGKILL)
    child.communicate()
    # Killed by us, not dead of an error on the wheelhouse the last kill left.
    assert child.returncode == -signal.SIGKILL


def assert_accepted(killed: Wheelhouse, scratch: Path) -> None:
    """What merge and verify do with the killed wheelhouse works, and its index holds up."""
    wheels = killed.wheels()
    assert wheels and killed.wheels_for_python("3.11") == wheels
    own = {parse_wheel_filename(w.name)[0] for w in wheels}
    assert all(pypi_requirements(w, own=own, target=TARGET) == [] for w in wheels)
    projects = [a["href"].rstrip("/") for a in anchors(killed.simple_dir / "index.html")]
    assert projects == PROJECTS  # every page stayed, whatever the moment
    assert set(indexed_files(killed.root, hashless_ok=True)) <= {w.name for w in wheels}
    merged = Wheelhouse(scratch)
    assert [p.name for p in merged.merge(killed.root)] == [w.name for w in wheels]
    assert set(indexed_files(merged.root)) == {w.name for w in wheels}
    assert all(sha256(merged.root / w.name) == sha256(w) for w in wheels)


def kill_rounds(killed: Wheelhouse, tmp_path: Path, seed: int) -> Iterator[bool]:
    """Kill a child publishing into ``killed`` again and again; after each kill check the
    wheelhouse and yield whether the kill landed inside a publish (it left temp files behind)."""
    variants = build_variants(tmp_path / "variants")
    killed.publish_many([(w, {}) for w in sorted((variants / "a").glob("*.whl"))])
    rng = random.Random(seed)
    for round_ in itertools.count():
        kill_mid_publish(killed.root, variants, seed + round_, rng)
        mid_publish = bool(temp_files(killed.root))
        assert_accepted(killed, tmp_path / f"merged{round_}")
        yield mid_publish


def test_kills_mid_publish_leave_an_accepted_wheelhouse(tmp_path: Path) -> None:
    # About one kill in three lands while a temp file exists; go on until two have.
    killed = Wheelhouse(tmp_path / "killed")
    mid_publish = 0
    for landed_inside in itertools.islice(kill_rounds(killed, tmp_path, seed=10), 30):
        mid_publish += landed_inside
        if mid_publish == 2:
            break
    assert mid_publish == 2

    killed.publish(make_wheel(tmp_path / "late", "delta", "1.0"), {})  # as verify does first
    assert temp_files(killed.root) == []
    assert set(indexed_files(killed.root)) == {w.name for w in killed.wheels()}


@pytest.mark.integration
def test_fifty_kills_mid_publish_leave_a_wheelhouse_pip_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = Wheelhouse(tmp_path / "killed")
    assert sum(itertools.islice(kill_rounds(killed, tmp_path, seed=50), 50)) >= 5
    env = pip_env(monkeypatch)
    index = ["--index-url", killed.simple_dir.as_uri()]
    pip = [sys.executable, "-m", "pip"]
    downloads = tmp_path / "downloads"

    run([*pip, "download", "--no-deps", *index, "-d", downloads, *PROJECTS], env=env)

    got = sorted(downloads.iterdir())
    assert [parse_wheel_filename(p.name)[0] for p in got] == PROJECTS
    assert all(sha256(p) == sha256(killed.root / p.name) for p in got)
    # What verify does next: publish (its runtime wheel), then install every project it finds.
    killed.publish(make_wheel(tmp_path / "late", "delta", "1.0"), {})
    projects = sorted({parse_wheel_filename(w.name)[0] for w in killed.wheels_for_python("3.11")})
    target = tmp_path / "target"
    run([*pip, "install", "--no-deps", *index, "--target", target, *projects], env=env)
    assert sorted(p.name for p in target.glob("*.py")) == [
        "alpha.py",
        "beta_pkg.py",
        "delta.py",
        "gamma.py",
    ]
