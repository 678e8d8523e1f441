"""The demo project: the demo sequence as a user's first minutes leave it (Sec. III-C2).

* one target confirmed on the first frame: PAMG seeded at its labelled centre, as one click
  gives;
* the whole sequence pre-annotated as ``label-irst prelabel PROJECT`` and Sequence >
  Pre-annotate do it (the shipped model, tracking with :data:`DEFAULT_TRACKING`, guided masks
  of the project's generator): ``model`` candidates with track ids waiting in the review queue
  and the Tracks dock, to confirm or reject track by track;
* :func:`detect` also scores the model over the whole sequence against the clip's labels (Pd
  and false alarms per frame; a detection counts within :data:`MATCH_PX` px of a labelled
  centre, the centre of a loose box), which ``label-irst demo`` prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from label_irst.batch.demo import DEMO, DemoSettings, demo_sequence, write_demo_sequence
from label_irst.core.generators import get_generator
from label_irst.errors import LabelIrstError
from label_irst.infer.decode import DEFAULT_THRESHOLD, Detection
from label_irst.infer.detector_model import SHIPPED_DETECTOR
from label_irst.infer.matching import match
from label_irst.infer.rprnet import SequenceRunner
from label_irst.infer.session import load_model
from label_irst.io.project import ProjectStore, Target
from label_irst.io.sequence import open_sequence

#: The detector every project starts from (its metadata record).
SHIPPED_MODEL = SHIPPED_DETECTOR
PROJECT_NAME = "demo.lirst"
#: match distance (px) to the clip's labelled centres: box centres, not mask centroids
MATCH_PX = 5.0


@dataclass
class DemoDetections:
    """The model's detections on the demo sequence, scored against its truth."""

    model: str
    threshold: float
    frames: int
    targets: int
    found: int
    false_alarms: int
    detections: list[list[Detection]]

    @property
    def pd(self) -> float:
        return 100.0 * self.found / max(self.targets, 1)

    @property
    def false_alarms_per_frame(self) -> float:
        return self.false_alarms / max(self.frames, 1)


def detect(
    settings: DemoSettings = DEMO, model_path: str | Path = SHIPPED_MODEL, threads: int | None = 1
) -> DemoDetections:
    """Run the model over the demo sequence at its calibrated threshold and score it."""
    images, truths = demo_sequence(settings)
    model = load_model(model_path, "cpu", threads=threads)
    threshold = float(model.meta.get("threshold", DEFAULT_THRESHOLD))
    found = false_alarms = targets = 0
    detections: list[list[Detection]] = []
    for t, _img, dets in SequenceRunner(model, threshold).run(lambda i: images[i], len(images)):
        pred_hit, gt_hit = match(
            [(d.x, d.y) for d in dets], [(s.x, s.y) for s in truths[t]], MATCH_PX
        )
        found += sum(gt_hit)
        targets += len(gt_hit)
        false_alarms += len(pred_hit) - sum(pred_hit)
        detections.append(dets)
    return DemoDetections(
        Path(model.path).name, threshold, len(images), targets, found, false_alarms, detections
    )


def write_demo_project(
    root: Path,
    settings: DemoSettings = DEMO,
    model_path: str | Path | None = SHIPPED_MODEL,
    warn=None,
) -> Path:
    """Write (once) the demo sequence under ``root`` and its project ``root/demo.lirst``.

    The project is built under a temporary name and renamed, so it is complete or absent.
    Without a model (``None`` or a missing file) the project holds only the confirmed target.
    """
    project = root / PROJECT_NAME
    if project.is_file():
        return project
    write_demo_sequence(root, settings)
    images, truths = demo_sequence(settings)
    sequence = open_sequence(root / "images")
    names, kind = list(sequence.names), sequence.kind
    sequence.close()
    partial = root / f".{PROJECT_NAME}.partial"
    partial.unlink(missing_ok=True)
    with ProjectStore.open(partial, create=True) as store:
        seq_id = store.add_sequence(root / "images", kind, len(names))
        first = truths[0][0]
        result = get_generator(None).fn(images[0], (round(first.x), round(first.y)), 20.0)
        target = Target.from_generated(
            result, sequence_id=seq_id, frame=0, source="pamg", status="confirmed",
            track_id=store.new_track_id(),
        )  # fmt: skip
        store.save_target(target, names[0], images[0].shape)
    if model_path is not None and Path(model_path).is_file():
        try:
            _prelabel(partial, Path(model_path))
        except LabelIrstError as exc:
            if warn is not None:
                warn(f"demo pre-annotation skipped: {exc}")
    os.replace(partial, project)
    partial.with_name(partial.name + ".lock").unlink(missing_ok=True)
    return project


def _prelabel(project: Path, model_path: Path) -> None:
    """Pre-annotate every frame of ``project`` with tracking, as ``prelabel PROJECT`` does."""
    from label_irst.infer.prelabel import prelabel
    from label_irst.infer.tracks import DEFAULT_TRACKING

    model = load_model(model_path, "cpu", threads=1)
    prelabel(project, model, None, tracking=DEFAULT_TRACKING)  # the project alone
