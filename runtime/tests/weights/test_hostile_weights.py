"""The hostile-input suite: hundreds of generated hostile weights files, each refused with one
WeightsError line, no crash, no code run, no effect on the next load, and a peak RSS under
300 MB. The loads run in forked children of one helper process (hostile_runner.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import rvwheels_runtime

from weights.hostile import MARKER, Case, genuine_weights, pickle_cases
from weights.hostile_archives import archive_cases
from weights.hostile_calls import call_cases
from weights.torchfiles import checkpoint, state_dict, write_torch_zip

CASES = [*pickle_cases(), *call_cases(), *archive_cases()]
MAX_RSS_BYTES = 300 * 10**6
TIMEOUT_SECONDS = 60


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def outcomes(hostile_dir: Path) -> dict[str, dict]:
    genuine = state_dict(genuine_weights())
    reference = write_torch_zip(hostile_dir / "genuine.ckpt", checkpoint(genuine), genuine.storages)
    paths = {}
    for case in CASES:
        folder = hostile_dir / case.name
        folder.mkdir()
        paths[str(case.write(folder / "model.ckpt"))] = case.name
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("hostile_runner.py")), str(reference)]
        + [str(TIMEOUT_SECONDS)],
        input="".join(f"{path}\n" for path in paths),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(rvwheels_runtime.__file__).parents[1])},
        check=False,
        timeout=TIMEOUT_SECONDS * 20,  # one child may take TIMEOUT_SECONDS; all take far less
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {paths[result["path"]]: result for result in results}


def test_the_suite_is_large() -> None:
    assert len(CASES) >= 150
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_file_is_refused(case: Case, outcomes: dict[str, dict], hostile_dir: Path) -> None:
    result = outcomes[case.name]
    assert result["signal"] is None, f"the reader crashed or hung: signal {result['signal']}"
    assert result["outcome"] == "refused", result["message"]
    message = result["message"]
    assert "\n" not in message and "Traceback" not in message
    assert len(message) < 1000, message
    assert re.search(case.expect, message), message
    assert result["events"] == [], "the file made the reader run, import or write something"
    assert result["genuine_after"], "a genuine file loaded differently after this one"
    assert result["maxrss_kb"] * 1024 < MAX_RSS_BYTES, f"peak RSS {result['maxrss_kb']} KiB"
    assert not list((hostile_dir / case.name).glob(MARKER))
