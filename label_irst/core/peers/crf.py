"""Fully connected CRF refinement of MCLC's target probability map (Sec. 4.3, "dCRF").

MCLC's published pipeline post-processes the TPM with a dense CRF (Krähenbühl and Koltun,
2011): unary -ln P from the TPM (target) and 1 - TPM (background), Potts pairwise terms with a
smoothness kernel exp(-|p_i - p_j|^2 / (2 theta_g^2)) and an appearance kernel
exp(-|p_i - p_j|^2 / (2 theta_a^2) - |I_i - I_j|^2 / (2 theta_b^2)), and mean-field inference.
MCLC's crops are at most a few thousand pixels, so the kernels are evaluated exactly (no
permutohedral lattice), each normalised symmetrically. Colour distances are those of a grey pixel stored as three equal RGB
channels on a 0-255 scale, as in MCLC's own pipeline.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

THETA_G = 3.0
W_G = 3.0
THETA_A = 80.0
THETA_B = 13.0
W_A = 10.0
ITERATIONS = 1
CLIP = 1e-5


@lru_cache(maxsize=8)
def _spatial(h: int, w: int, theta: float) -> np.ndarray:
    """exp(-|p_i - p_j|^2 / (2 theta^2)) for all pixel pairs of an h x w crop (float32)."""
    rows, cols = np.divmod(np.arange(h * w), w)
    d2 = (rows[:, None] - rows[None, :]) ** 2 + (cols[:, None] - cols[None, :]) ** 2
    return np.exp(-d2 / (2.0 * theta**2)).astype(np.float32)


@lru_cache(maxsize=8)
def _smoothness(h: int, w: int, theta: float) -> np.ndarray:
    return _normalised(_spatial(h, w, theta))


def _normalised(kernel: np.ndarray) -> np.ndarray:
    """Symmetric normalisation D^-1/2 K D^-1/2 (the usual dense-CRF kernel normalisation)."""
    norm = 1.0 / np.sqrt(kernel.sum(axis=1))
    return kernel * norm[:, None] * norm[None, :]


def dense_crf(
    tpm: np.ndarray,
    grey: np.ndarray,
    *,
    iterations: int = ITERATIONS,
    w_g: float = W_G,
    theta_g: float = THETA_G,
    w_a: float = W_A,
    theta_a: float = THETA_A,
    theta_b: float = THETA_B,
) -> np.ndarray:
    """Mean-field target marginals (H x W) of the two-label dense CRF.

    ``tpm`` holds target probabilities in [0, 1]; ``grey`` the crop on a 0-255 scale.
    """
    h, w = tpm.shape
    p = np.clip(tpm.ravel(), 0.0, 1.0)
    unary = -np.log(np.clip(np.stack([1.0 - p, p]), CLIP, None)).astype(np.float32)  # 2 x N
    g = grey.ravel().astype(np.float32)
    appearance = _spatial(h, w, float(theta_a)) * np.exp(
        np.float32(-3.0 / (2.0 * theta_b**2)) * (g[:, None] - g[None, :]) ** 2
    )
    kernel = np.float32(w_g) * _smoothness(h, w, float(theta_g)) + np.float32(w_a) * _normalised(
        appearance
    )
    q = np.exp(-unary - (-unary).max(axis=0))
    q /= q.sum(axis=0)
    for _ in range(iterations):
        logits = -unary + q @ kernel  # Potts: agreement with similar pixels lowers the energy
        q = np.exp(logits - logits.max(axis=0))
        q /= q.sum(axis=0)
    return q[1].reshape(h, w)
