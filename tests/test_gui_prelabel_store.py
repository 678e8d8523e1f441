"""Saving pre-annotations: one transaction per frame that replaces the frame's model candidates."""

import numpy as np
import pytest

from label_irst.core.geometry import CroppedMask
from label_irst.core.pamg import pamg_guided
from label_irst.core.synthetic import synthetic_frame
from label_irst.io.project import ProjectStore, Target


def _target(seq, frame, col, row, source="model", status="candidate"):
    crop = np.ones((3, 3), bool)
    return Target(
        sequence_id=seq,
        frame=frame,
        mask=CroppedMask(crop, (row - 1, col - 1)),
        seed=(col, row),
        source=source,
        status=status,
        rho=1.0,
    )


def test_replace_candidates_keeps_reviewed_and_other_sources(tmp_path):
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as store:
        seq = store.add_sequence(tmp_path, "folder", 3)
        store.save_target(_target(seq, 1, 10, 10, "pamg"), "f1", (32, 32))
        kept = store.save_target(_target(seq, 1, 20, 20, status="confirmed"), "f1", (32, 32))
        first = store.replace_candidates(seq, 1, "model", [_target(seq, 1, 5, 5)], "f1", (32, 32))
        assert [t.source for t in first] == ["model"] and first[0].id is not None
        second = store.replace_candidates(
            seq, 1, "model", [_target(seq, 1, 6, 6), _target(seq, 1, 25, 5)]
        )
        targets = store.targets(seq, frame=1)
        ids = {t.id for t in targets}
        assert {t.id for t in second} <= ids and kept.id in ids
        assert (5, 5) not in {t.seed for t in targets}  # the first run's candidate is gone
        assert sorted((t.source, t.status) for t in targets) == [
            ("model", "candidate"), ("model", "candidate"), ("model", "confirmed"),
            ("pamg", "candidate"),
        ]  # fmt: skip
        assert store.targets(seq, frame=0) == []
        assert store.frames(seq)[1] == ("f1", (32, 32))


def test_fresh_drops_detections_inside_kept_targets():
    pytest.importorskip("PySide6")
    from label_irst.infer.project import fresh

    image, _, truths, _ = synthetic_frame((64, 64), count=2, seed=3, dtype=np.uint16)
    results = [pamg_guided(image, (t.x, t.y), max(t.radius, 1.0)) for t in truths]
    col, row = results[0].seed
    kept = [_target(0, 0, col, row, status="confirmed")]
    assert [id(r) for r in fresh(results, kept)] == [id(r) for r in results[1:]]
    assert len(fresh(results, [])) == 2
