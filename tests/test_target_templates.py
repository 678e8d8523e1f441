"""Real target appearance in synthetic sequences: templates cut from masks, moved and scaled."""

from __future__ import annotations

import numpy as np
import pytest

from label_irst.core import synthetic_sequences as ss
from label_irst.core.target_templates import cut_templates, template_patch


def _scene():
    rng = np.random.default_rng(0)
    img = rng.normal(80, 2, (60, 80))
    mask = np.zeros((60, 80), bool)
    img[20:23, 30:36] += 60  # a bright 3x6 bar
    mask[20:23, 30:36] = True
    img[40:42, 10:12] -= 30  # a dark 2x2 target
    mask[40:42, 10:12] = True
    mask[0:3, 70:73] = True  # touches the border: skipped
    return img, mask


def test_templates_keep_shape_sign_and_unit_peak():
    img, mask = _scene()
    bar, dark = cut_templates(img, mask)
    assert not bar.dark and dark.dark
    assert bar.mask.sum() == 18 and dark.mask.sum() == 4
    assert bar.profile.max() == pytest.approx(1.0)
    assert bar.profile[bar.mask].min() > 0.5  # the bar is flat-topped, not a spot
    rows, cols = np.nonzero(bar.mask)
    assert (cols.max() - cols.min() + 1, rows.max() - rows.min() + 1) == (6, 3)


def test_a_moved_template_lands_where_asked_and_turns_by_quarters():
    img, mask = _scene()
    bar = cut_templates(img, mask)[0]
    # the bar's centroid sits on a half pixel in x: whole-pixel moves keep it exact
    profile, m, (x0, y0) = template_patch(bar, 50.5, 30.0, (60, 80))
    rows, cols = np.nonzero(m)
    assert (x0 + cols.mean(), y0 + rows.mean()) == pytest.approx((50.5, 30.0), abs=1e-6)
    assert m.sum() == 18 and profile[m].min() > 0.5
    _, m90, (x1, y1) = template_patch(bar, 50.0, 30.5, (60, 80), angle=np.pi / 2)
    rows, cols = np.nonzero(m90)
    assert (cols.max() - cols.min() + 1, rows.max() - rows.min() + 1) == (3, 6)
    assert (x1 + cols.mean(), y1 + rows.mean()) == pytest.approx((50.0, 30.5), abs=1e-6)
    # a sub-pixel move keeps the centroid within a quarter pixel
    _, ms, (x2, y2) = template_patch(bar, 50.2, 29.7, (60, 80))
    rows, cols = np.nonzero(ms)
    assert abs(x2 + cols.mean() - 50.2) < 0.3 and abs(y2 + rows.mean() - 29.7) < 0.3
    assert template_patch(bar, -30.0, -30.0, (60, 80)) is None


def test_sequences_with_templates_hold_real_shapes_at_the_asked_contrast():
    img, mask = _scene()
    templates = cut_templates(img, mask)[:1]
    base = np.full((64, 96), 100.0)
    frames, targets = ss.render_sequence(
        base, 6, np.random.default_rng(3), count=3, templates=templates, template_share=1.0
    )
    for frame, tlist in zip(frames, targets):
        for t in tlist:
            x0, y0, x1, y1 = t.bbox
            if x0 == 0 or y0 == 0 or x1 == 96 or y1 == 64:
                continue  # entering or leaving: cut by the frame
            assert 15 <= t.mask.sum() <= 28  # every target is the 3x6 bar, moved sub-pixel
            inside = frame[y0:y1, x0:x1][t.mask].astype(float).mean()
            assert inside - 100 > 0.5 * t.scr  # SCR over sigma_B >= the sensor noise (>= 1)
    plain, _ = ss.render_sequence(base, 6, np.random.default_rng(3), count=3)
    assert not all(np.array_equal(a, b) for a, b in zip(frames, plain))
