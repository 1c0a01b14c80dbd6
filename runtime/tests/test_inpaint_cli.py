"""The ``inpaint`` command and its progress display."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rvwheels_runtime
from rvwheels_runtime.cli import main
from rvwheels_runtime.image import encode_png, read_image
from rvwheels_runtime.model.config import LamaConfig
from rvwheels_runtime.model.layout import random_weights
from rvwheels_runtime.progress import Progress
from rvwheels_runtime.weights import load_weights, save_npz
from weights.torchfiles import checkpoint, state_dict, write_legacy

SMALL = LamaConfig(ngf=8, n_downsampling=3, n_blocks=2)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_npz(random_weights(SMALL, seed=3), tmp_path_factory.mktemp("model") / "small.npz")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    mask = np.zeros((40, 52), np.uint8)
    mask[8:20, 10:30] = 255
    (tmp_path / "image.png").write_bytes(encode_png(image))
    (tmp_path / "mask.png").write_bytes(encode_png(mask))
    return tmp_path / "image.png", tmp_path / "mask.png", image, mask


def _one_line_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("inpaint: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_inpaints_with_a_model(tmp_path: Path, model: Path, files, capsys) -> None:
    image_path, mask_path, image, mask = files
    out = tmp_path / "out.png"
    status = main(
        [str(image_path), str(mask_path), "-o", str(out), "--model", str(model), "--threads", "1"]
    )
    assert status == 0
    result = read_image(out)
    hole = mask > 0
    np.testing.assert_array_equal(result[~hole], image[~hole])
    assert (result[hole] != image[hole]).mean() > 0.9
    err = capsys.readouterr().err
    assert "blocks 2/2" in err and f"wrote {out}" in err


def test_crop_strategy_on_the_command_line(tmp_path: Path, model: Path, files) -> None:
    image_path, mask_path, image, mask = files
    out = tmp_path / "out.png"
    args = [str(image_path), str(mask_path), "-o", str(out), "--model", str(model), "-q"]
    assert main([*args, "--strategy", "crop", "--crop-trigger", "20", "--crop-margin", "4"]) == 0
    result = read_image(out)
    np.testing.assert_array_equal(result[mask == 0], image[mask == 0])
    assert (result[mask > 0] != image[mask > 0]).mean() > 0.9


def test_empty_mask_writes_the_image_unchanged(tmp_path: Path, model: Path, files) -> None:
    image_path, _, image, _ = files
    (tmp_path / "empty.png").write_bytes(encode_png(np.zeros(image.shape[:2], np.uint8)))
    out = tmp_path / "out.png"
    assert (
        main([str(image_path), str(tmp_path / "empty.png"), "-o", str(out), "--model", str(model)])
        == 0
    )
    np.testing.assert_array_equal(read_image(out), image)


def test_unreadable_image(tmp_path: Path, model: Path, files, capsys) -> None:
    _, mask_path, _, _ = files
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    status = main(
        [
            str(tmp_path / "broken.png"),
            str(mask_path),
            "-o",
            str(tmp_path / "o.png"),
            "--model",
            str(model),
        ]
    )
    assert status == 1
    _one_line_error(capsys, "broken.png")


def test_mask_of_another_size(tmp_path: Path, model: Path, files, capsys) -> None:
    image_path, _, _, _ = files
    (tmp_path / "small_mask.png").write_bytes(encode_png(np.ones((10, 10), np.uint8)))
    status = main(
        [
            str(image_path),
            str(tmp_path / "small_mask.png"),
            "-o",
            str(tmp_path / "o.png"),
            "--model",
            str(model),
        ]
    )
    assert status == 1
    _one_line_error(capsys, "is 10×10 but image", "52×40", "same size")


def test_image_over_the_pixel_limit(tmp_path: Path, model: Path, files, capsys) -> None:
    image_path, mask_path, _, _ = files
    args = [str(image_path), str(mask_path), "-o", str(tmp_path / "o.png"), "--model", str(model)]
    assert main([*args, "--max-pixels", "1000"]) == 1
    _one_line_error(capsys, "52×40 = 2080 pixels", "--max-pixels")


def test_bad_model_file(tmp_path: Path, files, capsys) -> None:
    image_path, mask_path, _, _ = files
    (tmp_path / "model.ckpt").write_bytes(b"PK\x03\x04 not really a zip")
    status = main(
        [
            str(image_path),
            str(mask_path),
            "-o",
            str(tmp_path / "o.png"),
            "--model",
            str(tmp_path / "model.ckpt"),
        ]
    )
    assert status == 1
    _one_line_error(capsys, "model.ckpt", "damaged or truncated")


def test_a_model_is_required(tmp_path: Path, files, capsys) -> None:
    image_path, mask_path, _, _ = files
    assert main([str(image_path), str(mask_path), "-o", str(tmp_path / "o.png")]) == 2
    _one_line_error(capsys, "a model is needed", "--model", "--tiny")


def test_unwritable_output_fails_before_any_work(
    tmp_path: Path, model: Path, files, capsys
) -> None:
    image_path, mask_path, _, _ = files
    out = tmp_path / "missing" / "o.png"
    assert main([str(image_path), str(mask_path), "-o", str(out), "--model", str(model)]) == 1
    _one_line_error(capsys, "does not exist")


def test_bad_arguments_exit_with_usage(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["a.png", "m.png", "-o", "o.png", "--threads", "0"])
    assert exit_info.value.code == 2
    assert "expected a whole number >= 1" in capsys.readouterr().err


def test_convert_writes_an_equivalent_npz(tmp_path: Path, model: Path, capsys) -> None:
    out = tmp_path / "converted.npz"
    assert main(["convert", str(model), "-o", str(out)]) == 0
    original, converted = load_weights(model), load_weights(out)
    assert original.keys() == converted.keys()
    assert all(np.array_equal(original[k], converted[k]) for k in original)
    assert "M parameters" in capsys.readouterr().err


def test_convert_reports_bad_input(tmp_path: Path, capsys) -> None:
    assert main(["convert", str(tmp_path / "absent.ckpt"), "-o", str(tmp_path / "x.npz")]) == 1
    _one_line_error(capsys, "absent.ckpt", "no such model file")


@pytest.fixture(scope="module")
def legacy_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The small model in torch's legacy format (no checksums), and its sha256."""
    stored = state_dict(random_weights(SMALL, seed=3), legacy=True)
    path = tmp_path_factory.mktemp("legacy") / "best.ckpt"
    write_legacy(path, checkpoint(stored), stored.storages)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_convert_needs_the_sha256_of_a_legacy_checkpoint(
    tmp_path: Path, model: Path, legacy_model: tuple[Path, str], capsys
) -> None:
    path, digest = legacy_model
    out = tmp_path / "big-lama.npz"
    assert main(["convert", str(path), "-o", str(out)]) == 1
    _one_line_error(capsys, "legacy PyTorch format", "--model-sha256")
    assert not out.exists()
    assert main(["convert", str(path), "-o", str(out), "--model-sha256", digest.upper()]) == 0
    original, converted = load_weights(model), load_weights(out)
    assert all(np.array_equal(original[k], converted[k]) for k in original)
    assert main(["convert", str(path), "-o", str(out), "--model-sha256", "0" * 64]) == 1
    _one_line_error(capsys, f"sha256 is {digest}")


def test_inpaint_with_a_legacy_checkpoint_and_its_sha256(
    tmp_path: Path, model: Path, legacy_model: tuple[Path, str], files, capsys
) -> None:
    image_path, mask_path, _, _ = files
    path, digest = legacy_model
    args = [str(image_path), str(mask_path), "--threads", "1", "-q", "--model"]
    assert main([*args, str(path), "-o", str(tmp_path / "a.png")]) == 1
    _one_line_error(capsys, "legacy PyTorch format")
    assert main([*args, str(path), "-o", str(tmp_path / "a.png"), "--model-sha256", digest]) == 0
    assert main([*args, str(model), "-o", str(tmp_path / "b.png")]) == 0
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), read_image(tmp_path / "b.png"))
    # Other formats are checked too when a digest is given.
    assert main([*args, str(model), "-o", str(tmp_path / "c.png"), "--model-sha256", digest]) == 1
    _one_line_error(capsys, "small.npz", "but --model-sha256 says")


def test_model_sha256_must_be_a_digest_for_a_model_file(tmp_path: Path, files, capsys) -> None:
    image_path, mask_path, _, _ = files
    args = [str(image_path), str(mask_path), "-o", str(tmp_path / "o.png")]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--tiny", "--model-sha256", "xyz"])
    assert exit_info.value.code == 2
    assert "'xyz' is not a sha256" in capsys.readouterr().err
    assert main([*args, "--tiny", "--model-sha256", "a" * 64]) == 2
    _one_line_error(capsys, "--model-sha256 checks a --model file")


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    stream, ticks = io.StringIO(), iter([0.0, 1.0, 2.0, 3.5])
    progress = Progress(stream, tty=True, clock=lambda: next(ticks))
    progress("blocks", 1, 2)
    progress("blocks", 2, 2)
    progress.message("done")
    assert stream.getvalue() == "\r\x1b[Kblocks 1/2  [1.0s]\r\x1b[Kblocks 2/2  [2.0s]\ndone\n"


def test_progress_prints_few_plain_lines_in_logs() -> None:
    stream, now = io.StringIO(), [0.0]
    progress = Progress(stream, tty=False, clock=lambda: now[0])
    progress.section("region 1/2")
    for done in range(11):
        now[0] = done * 1.0
        progress("encoder", done, 10)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "region 1/2: encoder 0/10  [0.0s]",
        "region 1/2: encoder 5/10  [5.0s]",
        "region 1/2: encoder 10/10  [10.0s]",
    ]


def test_tiny_bundled_model(tmp_path: Path, files) -> None:
    image_path, mask_path, image, mask = files
    out = tmp_path / "out.bmp"
    assert main([str(image_path), str(mask_path), "-o", str(out), "--tiny", "-q"]) == 0
    result = read_image(out)
    np.testing.assert_array_equal(result[mask == 0], image[mask == 0])
    assert (result[mask > 0] != image[mask > 0]).mean() > 0.9


def test_entry_point_reports_errors_without_traceback(tmp_path: Path) -> None:
    package_root = Path(rvwheels_runtime.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    args = [sys.executable, "-m", "rvwheels_runtime.cli", str(tmp_path / "missing.png")]
    done = subprocess.run(
        [*args, str(tmp_path / "m.png"), "-o", str(tmp_path / "o.png"), "--tiny"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"inpaint: error: cannot read {tmp_path / 'missing.png'}: no such file"
    ]
