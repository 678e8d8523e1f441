"""Frame reading keeps the raw dtype; odd and broken files give one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from label_irst.errors import LabelIrstError
from label_irst.io.images import list_images, natural_key, read_image, read_mask, write_mask


@pytest.fixture
def grey():
    return (np.arange(48 * 64) % 251).reshape(48, 64).astype(np.uint8)


def test_8_bit_png_bmp_and_jpeg(tmp_path, grey):
    for suffix in (".png", ".bmp"):
        Image.fromarray(grey).save(tmp_path / f"a{suffix}")
        out = read_image(tmp_path / f"a{suffix}")
        assert out.dtype == np.uint8 and np.array_equal(out, grey)
    Image.fromarray(grey).save(tmp_path / "a.jpg", quality=95)
    jpeg = read_image(tmp_path / "a.jpg")
    assert jpeg.shape == grey.shape and jpeg.dtype == np.uint8


def test_16_bit_png_and_tiff_stay_16_bit(tmp_path):
    data = (np.arange(30 * 40, dtype=np.uint32) * 50 % 65536).reshape(30, 40).astype(np.uint16)
    Image.fromarray(data).save(tmp_path / "a.png")
    tifffile.imwrite(tmp_path / "a.tif", data)
    for name in ("a.png", "a.tif"):
        out = read_image(tmp_path / name)
        assert out.dtype == np.uint16 and np.array_equal(out, data), name


def test_float_tiff_and_nan_refused(tmp_path):
    data = np.linspace(0, 1, 200, dtype=np.float32).reshape(10, 20)
    tifffile.imwrite(tmp_path / "f.tif", data)
    assert np.array_equal(read_image(tmp_path / "f.tif"), data)
    data[3, 3] = np.nan
    tifffile.imwrite(tmp_path / "nan.tif", data)
    with pytest.raises(LabelIrstError, match="NaN"):
        read_image(tmp_path / "nan.tif")


def test_colour_palette_and_alpha_become_grey(tmp_path, grey):
    rgb = np.dstack([grey, grey, grey])
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(np.dstack([grey, grey, grey, np.full_like(grey, 255)])).save(
        tmp_path / "rgba.png"
    )
    Image.fromarray(grey).convert("P").save(tmp_path / "p.png")
    for name in ("rgb.png", "rgba.png", "p.png"):
        out = read_image(tmp_path / name)
        assert out.ndim == 2 and out.dtype == np.uint8, name
        assert np.abs(out.astype(int) - grey).max() <= 1, name


def test_truncated_and_missing_files(tmp_path, grey):
    Image.fromarray(grey).save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(LabelIrstError, match="cut.png"):
        read_image(tmp_path / "cut.png")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(LabelIrstError, match="cannot read"):
        read_image(tmp_path / "junk.png")
    with pytest.raises(LabelIrstError, match="no such file"):
        read_image(tmp_path / "missing.png")


def test_write_mask_is_atomic_and_0_255(tmp_path):
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:7] = True
    write_mask(tmp_path / "m.png", mask)
    raw = np.asarray(Image.open(tmp_path / "m.png"))
    assert set(np.unique(raw)) == {0, 255}
    assert np.array_equal(read_mask(tmp_path / "m.png"), mask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png"]  # no temporary left


def test_natural_order(tmp_path, grey):
    for name in ("f10.png", "f2.png", "f1.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_images(tmp_path)] == ["f1.png", "f2.png", "f10.png"]
    assert sorted(["a10", "a9"], key=natural_key) == ["a9", "a10"]
