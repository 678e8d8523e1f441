"""eval-masks --calibrate N --fine-tune: the learned generator fine-tuned on the N targets."""

import json

import torch

from label_irst.cli import main
from label_irst.infer import edgsp as registry

torch.set_num_threads(1)


def write_dataset(root, frames=3, margin=1):
    """Generated frames whose annotators drew every target ``margin`` pixels wider."""
    import cv2
    import numpy as np

    from label_irst.core.synthetic import synthetic_frame
    from label_irst.io.images import write_image, write_mask

    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    for s in range(frames):
        frame, union, _, _ = synthetic_frame((96, 128), count=3, seed=40 + s)
        wide = cv2.dilate(union.astype(np.uint8), cross, iterations=margin) > 0
        write_image(root / "images" / f"f{s}.png", frame)
        write_mask(root / "masks" / f"f{s}.png", wide)


def test_fine_tune_trains_on_the_calibration_targets_and_puts_the_model_back(tmp_path, capsys):
    write_dataset(tmp_path / "d", frames=3, margin=1)
    before = registry.model_path()
    args = ["eval-masks", "--dataset", str(tmp_path / "d"), "--generator", "edgsp"]
    args += ["--calibrate", "5", "--json", "--quiet"]
    assert main([*args, "--fine-tune"]) == 0
    tuned = json.loads(capsys.readouterr().out)
    assert tuned["calibrated_on"] == 5 and tuned["fine_tune_seconds"] > 0
    assert tuned["fine_tune_held_out_before"] is not None
    assert tuned["fine_tune_adopted"] == (
        tuned["fine_tune_held_back_tuned"] > tuned["fine_tune_held_back_current"]
    )
    assert registry.model_path() == before  # the scoring pass's model is not left behind
    assert main(args) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["targets"] == tuned["targets"] and "fine_tune_seconds" not in plain


def test_fine_tune_needs_calibration_and_the_learned_generator(tmp_path, capsys):
    write_dataset(tmp_path / "d", frames=2, margin=1)
    args = ["eval-masks", "--dataset", str(tmp_path / "d"), "--fine-tune", "--quiet"]
    assert main([*args, "--generator", "edgsp"]) == 2
    assert main([*args, "--calibrate", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["label-irst: error: --fine-tune needs --calibrate N and --generator edgsp"] * 2
