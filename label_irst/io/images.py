"""Frame reading with the raw dtype kept, and atomic mask writing.

Grey 8/16-bit PNG, TIFF (8/16-bit, float), BMP, JPEG are read as they are; RGB, RGBA, LA and
palette images are converted to grey (ITU-R 601 luma). 16-bit data is never squashed to 8-bit:
algorithms run on the raw frame, contrast is a display matter.

Only regular files are opened, and an image whose header claims more than
:func:`max_pixels` pixels (100 million by default; the ``LABEL_IRST_MAX_PIXELS`` environment
variable raises it) is refused before it is decoded: a decompression bomb or a forged header
is a :class:`LabelIrstError` naming the file, which batch commands skip with a warning.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from label_irst.errors import LabelIrstError
from label_irst.io.atomic import atomic_path
from label_irst.io.files import is_folder, regular_file, scan_folder

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg")
_TIFF = (".tif", ".tiff")
MAX_PIXELS_ENV = "LABEL_IRST_MAX_PIXELS"
DEFAULT_MAX_PIXELS = 100_000_000


def max_pixels() -> int:
    """The largest image (width x height) read: ``LABEL_IRST_MAX_PIXELS`` or 100 million."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(float(text))
    except (ValueError, OverflowError):
        raise LabelIrstError(f"{MAX_PIXELS_ENV}={text!r}: expected a number of pixels") from None
    if value <= 0:
        raise LabelIrstError(f"{MAX_PIXELS_ENV}={text!r}: expected a positive number of pixels")
    return value


def check_size(path: Path, width: int, height: int) -> None:
    """Refuse an image larger than :func:`max_pixels` (before decoding it)."""
    limit = max_pixels()
    if int(width) * int(height) > limit:
        raise LabelIrstError(
            f"{path}: {width}x{height} pixels is above the limit of {limit} "
            f"(a damaged or hostile file? set {MAX_PIXELS_ENV} to read larger images)"
        )


def _open_pillow(path):
    """Image.open with the size checked here (:func:`check_size`) rather than by Pillow,
    so that one limit and one message serve every format."""
    Image.MAX_IMAGE_PIXELS = None
    return Image.open(path)


def image_header(path: str | os.PathLike) -> tuple[int, int, str]:
    """(height, width, mode) from the header, size-checked; the mode is Pillow's or the dtype
    of a TIFF page."""
    path = regular_file(path)
    if path.suffix.lower() in _TIFF:
        import tifffile

        try:
            with tifffile.TiffFile(path) as tif:
                page = tif.pages[0]
                shape, dtype = page.shape, str(page.dtype)
        except Exception as exc:  # noqa: BLE001 - tifffile raises many types on damaged files
            raise LabelIrstError(f"{path}: cannot read TIFF ({_first_line(exc)})") from None
        if len(shape) >= 3 and shape[0] in (3, 4) and shape[-1] not in (3, 4):
            shape = shape[1:]
        check_size(path, shape[1], shape[0])
        return int(shape[0]), int(shape[1]), dtype
    try:
        with _open_pillow(path) as im:
            width, height = im.size
            mode = im.mode
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise LabelIrstError(f"{path}: cannot read image ({_first_line(exc)})") from None
    check_size(path, width, height)
    return int(height), int(width), mode


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def is_image_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def natural_key(name: str) -> list:
    """Sort key that puts frame_2 before frame_10."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _to_grey(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        return array
    if array.ndim == 3 and array.shape[2] in (1, 2):
        return array[..., 0]
    if array.ndim == 3 and array.shape[2] in (3, 4):
        rgb = array[..., :3].astype(np.float64)
        grey = rgb @ np.array([0.299, 0.587, 0.114])
        if np.issubdtype(array.dtype, np.integer):
            return np.clip(np.rint(grey), 0, np.iinfo(array.dtype).max).astype(array.dtype)
        return grey.astype(array.dtype)
    raise LabelIrstError(f"unsupported image layout {array.shape}")


def _read_tiff(path: Path) -> np.ndarray:
    import tifffile

    image_header(path)
    try:
        array = tifffile.imread(path)
    except MemoryError:
        raise LabelIrstError(f"{path}: too large to decode") from None
    except Exception as exc:  # noqa: BLE001 - tifffile raises many types on damaged files
        raise LabelIrstError(f"{path}: cannot read TIFF ({_first_line(exc)})") from None
    while array.ndim > 3:  # multi-page: take the first page
        array = array[0]
    if array.ndim == 3 and array.shape[0] in (3, 4) and array.shape[2] not in (3, 4):
        array = np.moveaxis(array, 0, -1)
    return _to_grey(array)


def _read_pillow(path: Path) -> np.ndarray:
    image_header(path)
    try:
        with _open_pillow(path) as im:
            im.load()
            mode = im.mode
            if mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(im, dtype=np.uint16).copy()
            if mode == "I":
                array = np.asarray(im)
                if array.min() >= 0 and array.max() <= 65535:
                    return array.astype(np.uint16)
                return array.astype(np.float32)
            if mode == "F":
                return np.asarray(im, dtype=np.float32).copy()
            if mode in ("1", "L"):
                return np.asarray(im.convert("L"), dtype=np.uint8).copy()
            if mode == "P":
                im = im.convert("RGBA" if "transparency" in im.info else "RGB")
            elif mode not in ("RGB", "RGBA", "LA"):
                im = im.convert("RGB")
            return _to_grey(np.asarray(im))
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise LabelIrstError(f"{path}: cannot read image ({_first_line(exc)})") from None
    except MemoryError:
        raise LabelIrstError(f"{path}: too large to decode") from None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read one frame as a 2-D array in its raw dtype (uint8, uint16 or float32)."""
    path = regular_file(path)
    if path.suffix.lower() in _TIFF:
        array = _read_tiff(path)
    else:
        array = _read_pillow(path)
    if array.size == 0:
        raise LabelIrstError(f"{path}: the image is empty")
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise LabelIrstError(f"{path}: the image holds NaN or infinite values")
        array = array.astype(np.float32, copy=False)
    elif array.dtype not in (np.uint8, np.uint16):
        array = array.astype(np.float32)
    return np.ascontiguousarray(array)


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a mask image as bool (any non-zero pixel is target)."""
    return read_image(path) > 0


def write_mask(path: str | os.PathLike, mask: np.ndarray) -> None:
    """Write a 0/255 8-bit PNG atomically (temporary file + rename)."""
    data = np.where(np.asarray(mask, dtype=bool), 255, 0).astype(np.uint8)
    with atomic_path(path, suffix=".png") as tmp:
        Image.fromarray(data, mode="L").save(tmp, format="PNG")


def write_image(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write a grey frame atomically; uint16 stays 16-bit (PNG) and float32 goes to TIFF."""
    path = Path(path)
    if image.dtype == np.float32 or path.suffix.lower() in _TIFF:
        import tifffile

        with atomic_path(path) as tmp:
            tifffile.imwrite(tmp, image)
        return
    if image.dtype == np.uint16:
        pil = Image.fromarray(image)
    else:
        pil = Image.fromarray(np.asarray(image, dtype=np.uint8), mode="L")
    with atomic_path(path, suffix=path.suffix or ".png") as tmp:
        pil.save(tmp, format=_pil_format(path))


def _pil_format(path: Path) -> str:
    return {".bmp": "BMP", ".jpg": "JPEG", ".jpeg": "JPEG"}.get(path.suffix.lower(), "PNG")


def list_images(folder: str | os.PathLike, warn=None) -> list[Path]:
    """Image files of a folder in natural order (no recursion, no hidden files).

    An image name that cannot be read as a regular file (a symbolic-link loop, a FIFO) is
    skipped; ``warn`` (when given) is told which and why.
    """
    folder = Path(folder)
    if not is_folder(folder):
        raise LabelIrstError(f"{folder}: no such folder")
    files = scan_folder(folder, warn, lambda n: is_image_file(n) and not n.startswith("."))
    return sorted(files, key=lambda p: natural_key(p.name))
