"""Frame normalisation and padding shared by RPR-Net training and inference.

Frames keep their raw dtype on disk; the network sees each frame standardised on its own
(zero mean, unit standard deviation), so 8-bit, 16-bit and float frames look alike. Frames are
padded by edge replication on the right and bottom to a multiple of 16 (the encoder's maximum
stride), never stretched, so decoded coordinates are original pixels.
"""

from __future__ import annotations

import numpy as np

MULTIPLE = 16
NORMALISATION = "per-frame standardisation: (I - mean(I)) / max(std(I), 1e-6)"


def normalise(frame: np.ndarray) -> np.ndarray:
    x = np.asarray(frame, np.float32)
    mean = float(x.mean(dtype=np.float64))
    std = float(x.std(dtype=np.float64))
    return (x - mean) / max(std, 1e-6)


def padded_shape(height: int, width: int, multiple: int = MULTIPLE) -> tuple[int, int]:
    return -(-height // multiple) * multiple, -(-width // multiple) * multiple


def pad(frame: np.ndarray, multiple: int = MULTIPLE) -> np.ndarray:
    """Replicate the last row/column up to the next multiple of ``multiple``."""
    h, w = frame.shape
    ph, pw = padded_shape(h, w, multiple)
    if (ph, pw) == (h, w):
        return frame
    return np.pad(frame, ((0, ph - h), (0, pw - w)), mode="edge")
