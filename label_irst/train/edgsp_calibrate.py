"""``eval-masks --calibrate N --fine-tune``: the learned generator fine-tuned on the N
calibration targets before it is scored on the others, as the app's "Learn from confirmed
targets" does it (``train-generator --init CURRENT --epochs 8 --val-fraction 0.2``: a fifth of
the targets held back, the initial weights kept unless an epoch beats them there).

Adoption compares like with like: the convention (edge margin) is fitted on the other four
fifths for the current and for the fine-tuned model, and the fine-tuned model is used only if
its mean IoU on the held-back fifth, with its convention, beats the current model's with its
own. (The trainer's own held-out score has no convention: on a team that draws its edges one
pixel out, the current model scores low there although a margin alone puts it right.)

The fine-tuned model is written to a temporary folder; the hook returns the model to score
with (the fine-tuned one if adopted, else the current one), which the evaluation passes
explicitly to the generator; :meth:`FineTune.close` removes the folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from label_irst.core.convention import fit
from label_irst.core.metrics import cropped_iou
from label_irst.infer import edgsp as registry
from label_irst.train.edgsp_trainer import GeneratorTrainConfig, split_examples, train_generator

#: the app's settings (label_irst/gui/learn.py)
EPOCHS = 8
HELD_OUT = 0.2


class FineTune:
    """A ``prepare`` hook for :func:`label_irst.batch.evaluate.evaluate_masks`."""

    def __init__(self, init: str | Path | None = None, threads: int = 1, log=None):
        self.init = Path(init) if init is not None else registry.model_path()
        self.threads = threads
        self.log = log
        self.folder = Path(tempfile.mkdtemp(prefix="label-irst-finetune-"))
        self.result = None
        self.adopted = False
        self.held_back = (float("nan"), float("nan"))

    def __call__(self, examples) -> str:
        cfg = GeneratorTrainConfig(
            epochs=EPOCHS, val_fraction=HELD_OUT, init=str(self.init), threads=self.threads
        )
        self.result = train_generator(
            examples, self.folder / "edgsp", cfg, {"calibration_targets": len(examples)}
        )
        train, held = split_examples(examples, HELD_OUT, cfg.seed)  # the trainer's split
        current = calibrated_miou(self.init, train, held)
        tuned = calibrated_miou(self.result.metadata, train, held)
        self.held_back = (current, tuned)
        self.adopted = not held or tuned > current
        if self.log is not None:
            self.log(
                f"fine-tuned on {len(examples)} targets in {self.result.seconds:.0f} s: held-back "
                f"mIoU with the fitted margin {current:.1f} -> {tuned:.1f} "
                f"({'adopted' if self.adopted else 'not adopted'})"
            )
        return str(self.result.metadata if self.adopted else self.init)

    def summary(self) -> dict:
        r = self.result
        if r is None:
            return {}
        return {
            "fine_tune_seconds": r.seconds,
            "fine_tune_best_epoch": r.best_epoch,
            "fine_tune_held_out_before": r.init_val_miou,
            "fine_tune_held_out_after": r.best_val_miou,
            "fine_tune_held_back_current": self.held_back[0],
            "fine_tune_held_back_tuned": self.held_back[1],
            "fine_tune_adopted": self.adopted,
        }

    def close(self) -> None:
        registry.forget_models()
        shutil.rmtree(self.folder, ignore_errors=True)


def calibrated_miou(model, train, held) -> float:
    """Mean IoU (%) on ``held`` of the edgsp ``model`` with the convention fitted on ``train``."""
    if not held:
        return float("nan")
    convention = fit(train, "edgsp", model=str(model))
    ious = [
        cropped_iou(convention.generate(ex.image, ex.seed, ex.support_radius).mask, ex.mask)
        for ex in held
    ]
    return 100.0 * float(np.mean(ious))
