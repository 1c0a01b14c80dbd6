from __future__ import annotations

from pathlib import Path

from rvwheels.appset.lock import lock_path, lock_text, write_lock
from rvwheels.appset.resolve import Pinned

PINS = (
    Pinned(name="numpy", version="2.4.6", url="file:///wh/numpy.whl", sha256="1" * 64),
    Pinned(name="six", version="1.17.0", url="https://x/six.whl", sha256="2" * 64),
)


def test_every_line_pins_a_version_and_its_hash():
    text = lock_text(PINS, requirements_file=Path("requirements/lama.txt"), abi="cp313")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [
        f"numpy==2.4.6 --hash=sha256:{'1' * 64}",
        f"six==1.17.0 --hash=sha256:{'2' * 64}",
    ]
    assert "--require-hashes" in text and "lama.txt" in text and "cp313" in text


def test_one_lock_per_requirements_file_and_python(tmp_path):
    assert lock_path(tmp_path, Path("requirements/lama.txt"), "cp311") == (
        tmp_path / "locks" / "lama-cp311.txt"
    )


def test_the_lock_is_replaced_whole_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "locks" / "lama-cp313.txt"
    write_lock(path, "old\n")
    write_lock(path, "new\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in path.parent.iterdir()] == ["lama-cp313.txt"]
