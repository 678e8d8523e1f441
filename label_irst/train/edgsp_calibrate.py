"""``eval-masks --calibrate N --fine-tune``: the learned generator fine-tuned on the N
calibration targets before it is scored on the others, as the app's "Learn from confirmed
targets" does it (``train-generator --init CURRENT --epochs 8 --val-fraction 0.2``: a fifth of
the targets held back, the initial weights kept unless an epoch beats them there).

The fine-tuned model is written to a temporary folder and made the registry's ``edgsp`` model
for the scoring pass (:func:`label_irst.infer.edgsp.use_model`); :meth:`FineTune.close` puts
the previous model back and removes the folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from label_irst.infer import edgsp as registry
from label_irst.train.edgsp_trainer import GeneratorTrainConfig, train_generator

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
        self.previous = registry.model_path()
        self.result = None

    def __call__(self, examples) -> None:
        cfg = GeneratorTrainConfig(
            epochs=EPOCHS, val_fraction=HELD_OUT, init=str(self.init), threads=self.threads
        )
        self.result = train_generator(
            examples, self.folder / "edgsp", cfg, {"calibration_targets": len(examples)}
        )
        registry.use_model(self.result.metadata)
        if self.log is not None:
            self.log(
                f"fine-tuned on {len(examples)} targets in {self.result.seconds:.0f} s: held-out "
                f"mIoU {self.result.init_val_miou:.1f} -> {self.result.best_val_miou:.1f} "
                f"(epoch {self.result.best_epoch}; 0 keeps the initial weights)"
            )

    def summary(self) -> dict:
        r = self.result
        if r is None:
            return {}
        return {
            "fine_tune_seconds": r.seconds,
            "fine_tune_best_epoch": r.best_epoch,
            "fine_tune_held_out_before": r.init_val_miou,
            "fine_tune_held_out_after": r.best_val_miou,
        }

    def close(self) -> None:
        registry.use_model(self.previous)
        registry.forget_models()
        shutil.rmtree(self.folder, ignore_errors=True)
