"""One-pixel grow and shrink of cropped masks."""

import numpy as np

from label_irst.core.geometry import CroppedMask
from label_irst.core.morphology import grow, shrink


def test_grow_adds_the_four_neighbours_and_stays_in_the_frame():
    full = np.zeros((6, 6), bool)
    full[0, 0] = full[3, 3] = True
    grown = grow(CroppedMask.from_full(full), (6, 6)).to_full((6, 6))
    expected = full.copy()
    expected[[1, 0, 2, 4, 3, 3], [0, 1, 3, 3, 2, 4]] = True
    assert np.array_equal(grown, expected)


def test_shrink_undoes_grow_on_a_square_and_keeps_a_single_pixel():
    full = np.zeros((9, 9), bool)
    full[2:7, 2:7] = True
    mask = CroppedMask.from_full(full)
    inner = shrink(mask).to_full((9, 9))
    assert inner.sum() == 9 and inner[3:6, 3:6].all()
    one = CroppedMask.from_full(np.eye(3, dtype=bool)[:1])
    assert shrink(one) is one
