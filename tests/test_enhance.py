"""Display-only enhancement: windows, gamma, CLAHE, colour maps, inversion; raw never changes."""

import numpy as np
import pytest

from label_irst.core.enhance import (
    COLORMAPS,
    DisplaySettings,
    colormap_lut,
    normalise,
    pseudo_colour,
    to_display,
    window_levels,
)
from label_irst.errors import LabelIrstError


def _ramp16():
    return (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 3 + 1000).astype(np.uint16)


def test_minmax_window_spans_full_range_and_keeps_raw():
    raw = _ramp16()
    before = raw.copy()
    rgb = to_display(raw, DisplaySettings(mode="minmax"))
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0, 0] == 0 and rgb[-1, -1, 0] == 255
    np.testing.assert_array_equal(raw, before)


def test_percentile_window_clips_outliers():
    raw = np.full((50, 50), 100, np.uint16)
    raw[10:40, 10:40] = 110
    raw[0, 0] = 60000  # a hot pixel must not flatten a 10-level target
    lo, hi = window_levels(raw, DisplaySettings(low=1, high=99))
    assert lo == 100 and hi == 110
    grey = to_display(raw, DisplaySettings(low=1, high=99))[..., 0]
    assert grey[20, 20] == 255 and grey[45, 45] == 0


def test_gamma_brightens_midtones():
    mid = np.array([[0.0, 0.25, 1.0]], np.float32)
    plain = normalise(mid, (0.0, 1.0), 1.0)
    bright = normalise(mid, (0.0, 1.0), 2.0)
    assert plain[0, 1] == 64 and bright[0, 1] == 128


def test_invert_and_colormaps():
    raw = _ramp16()
    normal = to_display(raw, DisplaySettings(mode="minmax"))
    inverted = to_display(raw, DisplaySettings(mode="minmax", invert=True))
    assert inverted[0, 0, 0] == 255 and normal[0, 0, 0] == 0
    for name in COLORMAPS:
        lut = colormap_lut(name)
        assert lut.shape == (256, 3) and lut.dtype == np.uint8
    assert not np.array_equal(colormap_lut("iron"), colormap_lut("grey"))
    iron = colormap_lut("iron")
    assert tuple(iron[0]) == (0, 0, 0) and tuple(iron[255]) == (255, 255, 255)
    turbo = to_display(raw, DisplaySettings(colormap="turbo"))
    assert not np.array_equal(turbo[..., 0], turbo[..., 2])


def test_clahe_raises_local_contrast():
    rng = np.random.default_rng(0)
    flat = (rng.normal(0, 1, (64, 64)) + 100).astype(np.float32)
    flat[:, :32] += 50
    plain = to_display(flat, DisplaySettings(mode="minmax"))[..., 0]
    local = to_display(flat, DisplaySettings(mode="minmax", clahe=True))[..., 0]
    assert local[:, 40:].std() > plain[:, 40:].std()


def test_constant_image_and_bad_settings():
    rgb = to_display(np.zeros((4, 4), np.uint8))
    assert rgb.shape == (4, 4, 3)
    with pytest.raises(LabelIrstError):
        to_display(np.zeros((4, 4)), DisplaySettings(colormap="rainbow"))
    with pytest.raises(LabelIrstError):
        to_display(np.zeros((4, 4)), DisplaySettings(low=50, high=10))


@pytest.mark.parametrize("name", COLORMAPS)
def test_pseudo_colour_is_the_colour_maps_table(name):
    """OpenCV's look-up gives the very bytes of ``colormap_lut(name)[grey]``: every level, odd
    shapes, a strided view, one pixel."""
    lut = colormap_lut(name)
    every = np.arange(256, dtype=np.uint8).reshape(16, 16)
    rng = np.random.default_rng(3)
    odd = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    for grey in (every, odd, odd[::2, 1::3], odd[:1, :1], odd.T):
        out = pseudo_colour(grey, name)
        assert out.shape == (*grey.shape, 3) and out.dtype == np.uint8
        np.testing.assert_array_equal(out, lut[grey])
    # the whole display path, window + gamma + inversion + CLAHE, against the table by hand
    raw = (rng.normal(1000, 40, (64, 80))).astype(np.uint16)
    settings = DisplaySettings(gamma=1.7, invert=True, clahe=True, colormap=name)
    levels = window_levels(raw, settings)
    from label_irst.core.enhance import clahe

    grey = 255 - clahe(normalise(raw, levels, 1.7), settings.clahe_clip)
    np.testing.assert_array_equal(to_display(raw, settings), lut[grey])
