"""COCO run-length encoding of binary masks, compressed-string form, without pycocotools.

A mask of size (h, w) is read in column-major order; ``counts`` alternates runs of 0 and 1,
starting with 0. The string form stores each count as 5-bit groups offset by 48, with counts
after the second stored as the difference to the count two places before (the encoding of
``maskApi.c``: rleToString / rleFrString).
"""

from __future__ import annotations

import numpy as np

from label_irst.errors import LabelIrstError


def mask_to_counts(mask: np.ndarray) -> list[int]:
    """Uncompressed run lengths of a 2-D bool mask, column-major, first run of zeros."""
    flat = np.asarray(mask, dtype=bool).ravel(order="F")
    if flat.size == 0:
        return []
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def counts_to_mask(counts: list[int], shape: tuple[int, int]) -> np.ndarray:
    """The 2-D bool mask of uncompressed run lengths."""
    h, w = int(shape[0]), int(shape[1])
    from label_irst.io.images import max_pixels

    if h < 0 or w < 0 or h * w > max_pixels():
        raise LabelIrstError(f"RLE size {h}x{w} is not a frame this program reads")
    try:
        runs = np.asarray(counts, dtype=np.int64)
    except (OverflowError, ValueError, TypeError):
        raise LabelIrstError("RLE counts must be integers that fit 64 bits") from None
    if runs.ndim != 1:
        raise LabelIrstError("RLE counts must be a flat list of integers")
    values = np.zeros(len(counts), bool)
    values[1::2] = True
    if (runs < 0).any() or int(runs.sum()) != h * w:
        raise LabelIrstError(f"RLE counts sum to {int(runs.sum())}, not {h}x{w} = {h * w}")
    return np.repeat(values, runs).reshape((h, w), order="F")


def encode_counts(counts: list[int]) -> str:
    """Compressed string of run lengths (maskApi.c rleToString)."""
    out = []
    for i, count in enumerate(counts):
        x = int(count) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def decode_counts(text: str) -> list[int]:
    """Run lengths of a compressed string (maskApi.c rleFrString)."""
    counts: list[int] = []
    data = text.encode("ascii") if isinstance(text, str) else bytes(text)
    p = 0
    while p < len(data):
        x, k, more = 0, 0, True
        while more:
            if p >= len(data):
                raise LabelIrstError("truncated RLE string")
            c = data[p] - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def encode(mask: np.ndarray) -> dict:
    """``{"size": [h, w], "counts": str}``, the COCO compressed RLE of a mask."""
    mask = np.asarray(mask, dtype=bool)
    return {
        "size": [int(mask.shape[0]), int(mask.shape[1])],
        "counts": encode_counts(mask_to_counts(mask)),
    }


def decode(rle: dict) -> np.ndarray:
    """The bool mask of a COCO RLE (compressed string or uncompressed list of counts)."""
    try:
        h, w = (int(v) for v in rle["size"])
        counts = rle["counts"]
    except (KeyError, TypeError, ValueError):
        raise LabelIrstError("an RLE needs 'size' [h, w] and 'counts'") from None
    if isinstance(counts, (str, bytes)):
        counts = decode_counts(counts)
    elif not isinstance(counts, list):
        raise LabelIrstError("RLE 'counts' must be a string or a list of integers")
    return counts_to_mask(counts, (h, w))
