"""The generator learns from the review: masks the annotator drew or edited teach it fully,
generated masks confirmed unchanged only weakly (they would teach it its own output)."""

from __future__ import annotations

import numpy as np

from label_irst.batch.convention import WEAK, learning_examples
from label_irst.core.convention import Example
from label_irst.core.geometry import CroppedMask
from label_irst.io.images import write_image
from label_irst.io.project import ProjectStore, Target
from label_irst.io.project_edits import edited_targets


def _project(tmp_path):
    folder = tmp_path / "frames"
    frame = np.full((40, 40), 20, np.uint8)
    frame[10:14, 10:14] = frame[25:28, 25:28] = frame[5:8, 30:33] = 200
    write_image(folder / "f_0.png", frame)
    store = ProjectStore.open(tmp_path / "p.lirst", create=True)
    seq = store.add_sequence(folder, "folder", 1)
    return store, seq


def _save(store, target):
    return store.save_target(target, "f_0.png", (40, 40))


def test_drawn_and_edited_targets_teach_fully_and_unchanged_ones_weakly(tmp_path):
    store, seq = _project(tmp_path)
    box = CroppedMask(np.ones((4, 4), bool), (10, 10))
    kept = _save(
        store,
        Target(
            sequence_id=seq,
            frame=0,
            mask=box,
            seed=(11, 11),
            source="pamg",
            status="candidate",
            rho=0.0,
        ),
    )
    _save(store, kept.copy(status="confirmed"))  # confirmed as proposed: same area
    grown = _save(
        store,
        Target(
            sequence_id=seq,
            frame=0,
            mask=CroppedMask(np.ones((2, 2), bool), (25, 25)),
            seed=(25, 25),
            source="model",
            status="candidate",
            rho=0.0,
        ),
    )
    _save(store, grown.copy(mask=CroppedMask(np.ones((3, 3), bool), (25, 25)), status="confirmed"))
    drawn = CroppedMask(np.ones((3, 3), bool), (5, 30))
    _save(
        store,
        Target(
            sequence_id=seq,
            frame=0,
            mask=drawn,
            seed=(0, 0),
            source="manual",
            status="confirmed",
            rho=0.0,
        ),
    )
    _save(
        store,
        Target(
            sequence_id=seq,
            frame=0,
            mask=box,
            seed=(11, 11),
            source="pamg",
            status="candidate",
            rho=0.0,
        ),
    )  # a candidate: not taught
    assert edited_targets(store) == {grown.id}
    examples = learning_examples(store)
    store.close()
    weights = sorted((ex.mask.area, ex.weight) for ex in examples)
    assert weights == [(9, 1.0), (9, 1.0), (16, WEAK)]
    manual = [ex for ex in examples if ex.mask.offset == (5, 30)][0]
    assert manual.seed == (31, 6)  # the drawn mask's centre pixel stands for the click


def test_a_weak_example_draws_fewer_training_crops():
    from label_irst.train.edgsp_data import draw_epoch

    image = np.zeros((48, 48), np.float32)
    mask = CroppedMask(np.ones((3, 3), bool), (20, 20))
    strong = Example(image, (21, 21), mask)
    weak = Example(image, (21, 21), mask, weight=WEAK)
    rng = np.random.default_rng(0)
    xs, ys = draw_epoch([strong, weak], 8, 32, 3.0, rng)
    assert len(xs) == 8 + 2 and len(ys) == 10
