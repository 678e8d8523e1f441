"""The review queue's mask-free rows: the store query, the queue built from it, the window's list
and the per-target overlay windows (the cheap frame step with thousands of targets)."""

import math

import numpy as np
import pytest

from label_irst.core.geometry import CroppedMask
from label_irst.gui.review import QueueRow, group_by_track, queue_rows, review_queue
from label_irst.io.project import ProjectStore, Target


def _mask(rng, shape=(7, 9)) -> CroppedMask:
    crop = rng.random(shape) < 0.5
    crop[0, 0] = crop[-1, -1] = True  # the crop is the mask's bounding box
    return CroppedMask(crop, (int(rng.integers(0, 50)), int(rng.integers(0, 50))))


@pytest.fixture
def store(tmp_path):
    """Two sequences; targets of every source and status, odd mask sizes (padding bits), NaN
    rho, source boxes, detection scores (model targets), tracks and untracked targets."""
    rng = np.random.default_rng(3)
    with ProjectStore.open(tmp_path / "p.lirst", create=True) as s:
        sids = [s.add_sequence(tmp_path / n, "folder", 6) for n in ("a", "b")]
        for k in range(40):
            sid = sids[k % 2]
            mask = _mask(rng, (1 + k % 5, 1 + (3 * k) % 11))
            t = Target(
                sequence_id=sid,
                frame=k % 6,
                mask=mask,
                seed=(mask.offset[1], mask.offset[0]),
                source=("pamg", "manual", "model", "box")[k % 4],
                status=("candidate", "confirmed", "rejected")[k % 3],
                rho=float("nan") if k % 7 == 0 else 0.1 * k,
                track_id=None if k % 5 == 0 else 1 + k % 3,
                box=(k, k, k + 2 + k % 4, k + 3) if k % 4 == 3 else None,
                score=(k % 9) / 10 if k % 4 == 2 else None,
            )
            s.save_target(t, f"f_{k % 6}.png", (80, 80))
        s.delete_target(s.targets(sids[0])[0].id)
        yield s, sids


def test_target_rows_match_the_targets_without_reading_masks(store):
    s, sids = store
    for sid in sids:
        full = s.targets(sid)
        rows = s.target_rows(sid)
        assert len(rows) == len(full) > 0
        for row, t in zip(rows, full):
            tid, frame, status, source, rho, track, area, box, score = row
            assert (tid, frame, status, source, track, box, score) == (
                t.id, t.frame, t.status, t.source, t.track_id, t.box, t.score)  # fmt: skip
            assert area == t.mask.area  # the bit count ignores the packing's padding
            assert (math.isnan(rho) and math.isnan(t.rho)) or rho == t.rho
    assert s.target_rows(99) == []


def test_queue_from_rows_equals_the_queue_from_full_targets(store):
    s, sids = store
    for sid in sids:
        rows = queue_rows(s, sid)
        from_targets = [QueueRow.of(t) for t in s.targets(sid)]

        def same(a, b):
            return [(r.id, r.area, r.box, r.score) for r in a] == [
                (r.id, r.area, r.box, r.score) for r in b
            ]

        for order in ("rho", "frame"):
            for suspects in (False, True):
                assert same(review_queue(rows, suspects, order),
                            review_queue(from_targets, suspects, order))  # fmt: skip
        assert [(g[0].id, *g[1:]) for g in group_by_track(review_queue(rows))] == [
            (g[0].id, *g[1:]) for g in group_by_track(review_queue(from_targets))
        ]
    suspects = review_queue(queue_rows(s, sids[1]), suspects_only=True)
    assert suspects and all(r.box is not None for r in suspects)


def test_overlay_windows_paint_what_the_whole_region_painting_did():
    """Per-target windows against a reference that paints every mask over the whole region."""
    from label_irst.gui.display import CONFIRMED_RGBA, SELECTED_ALPHA, overlay_rgba, palette

    rng = np.random.default_rng(0)
    targets = []
    for k in range(12):
        crop = rng.random((int(rng.integers(1, 8)), int(rng.integers(1, 8)))) < 0.7
        offset = (int(rng.integers(-6, 40)), int(rng.integers(-6, 50)))  # some cross the edges
        targets.append(
            Target(
                sequence_id=1,
                frame=0,
                mask=CroppedMask(crop, offset),
                seed=(0, 0),
                id=k + 1,
                status=("candidate", "confirmed")[k % 2],
                source="pamg",
                rho=0.0,
            )
        )
    region = (3, 2, 40, 30)  # x0, y0, w, h
    x0, y0, w, h = region
    for ring in (False, True):
        got = overlay_rgba(targets, region, selected=4, ring=ring, colormap="inferno")
        ref = np.zeros((h, w, 4), np.uint8)
        for t in sorted(targets, key=lambda t: t.id == 4):
            inside = np.zeros((h, w), bool)
            CroppedMask(t.mask.crop, (t.mask.offset[0] - y0, t.mask.offset[1] - x0)).paint(inside)
            rgb = list(palette("inferno")[t.status])
            if ring:
                grown = inside.copy()
                grown[1:] |= inside[:-1]
                grown[:-1] |= inside[1:]
                grown[:, 1:] |= inside[:, :-1]
                grown[:, :-1] |= inside[:, 1:]
                ref[grown & ~inside] = rgb + [255]
            else:
                alpha = SELECTED_ALPHA if t.id == 4 else CONFIRMED_RGBA[3]
                ref[inside] = rgb + [alpha]
        assert np.array_equal(got, ref)
    outlined = overlay_rgba(targets, region, outline=True)
    assert np.array_equal(outlined[..., 3] > 0, overlay_rgba(targets, region)[..., 3] > 0)
