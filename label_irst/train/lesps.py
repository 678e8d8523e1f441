"""LESPS label evolution (Ying et al., "Mapping Degeneration Meets Label Evolution", Sec. 4).

A network trained from one point per target first predicts a blob around each point larger than
the point (the "mapping degeneration" of Sec. 3), then shrinks back onto the point. LESPS uses
the intermediate predictions to grow each point label towards its target's mask. Given the
current label ``L_n`` (soft, in [0, 1]) and the network prediction ``P_n`` of a whole training
frame, every target ``i`` is updated in a d x d neighbourhood centred on the centroid of its
positive label pixels (``L_hat``: label > 0.5):

* Eq. 2, evolution threshold: ``T_adapt = max(P_i) * (T_b + k (1 - T_b) |L_hat_i| / (h w r))``
  with ``T_b`` the minimum threshold (0.5), ``k`` its growth rate (1/2), ``h, w`` the frame size
  and ``r = 0.15 %`` the largest expected share of a target in the frame. The threshold rises as
  the label grows, which slows and eventually stops the evolution (the convergence conditions).
* Eq. 1, candidates: ``C_i = P_i * (P_i > T_adapt)``.
* Eq. 3, false-alarm elimination: ``E_i = C_i * F_i`` where ``F_i`` keeps the 8-connected
  regions of ``P_i > T_adapt`` that touch a positive label pixel.
* Eq. 4, update: ``L_{n+1} = L_n * (1 - N_i) + (L_n + E_i) / 2 * N_i`` with
  ``N_i = (P_i > T_adapt) * F_i`` -- below the threshold the label is kept, above it the label
  moves half-way towards the prediction.

Evolution starts once an epoch's mean loss falls below ``T_loss`` and then runs every ``f``
epochs (:class:`EvolutionConfig`). The annotated point itself stays 1 (it is the one certain
label pixel). Pure numpy: the trainer calls :func:`evolve` with predictions it computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

POSITIVE = 0.5  # a label pixel above this is positive (footnote 3 of the paper)


@dataclass
class EvolutionConfig:
    """The hyper-parameters of Sec. 4 with the paper's values (Sec. 5.2.2)."""

    t_b: float = 0.5  # minimum evolution threshold, Eq. 2
    k: float = 0.5  # growth rate of the threshold, Eq. 2
    r: float = 0.0015  # largest target share of the frame, Eq. 2
    neighbourhood: int = 33  # d: side of the window updated around each target
    period: int = 5  # f: epochs between label updates
    t_loss: float = 10.0  # start once an epoch's mean loss is below this
    start_epoch: int = 0  # ... or at this epoch at the latest (0: loss rule only)

    def due(self, epoch: int, loss: float, started: int | None) -> bool:
        """Whether the labels are updated after ``epoch`` (1-based) given the epoch's mean loss
        and the epoch evolution started at (None: not yet)."""
        if started is None:
            return loss < self.t_loss or (0 < self.start_epoch <= epoch)
        return (epoch - started) % max(1, self.period) == 0


def point_label(shape: tuple[int, int], points) -> np.ndarray:
    """The initial label: 1 at each point's pixel (x, y rounded), 0 elsewhere."""
    label = np.zeros(shape, np.float32)
    for x, y in points:
        c, r = point_pixel(shape, x, y)
        label[r, c] = 1.0
    return label


def point_pixel(shape: tuple[int, int], x: float, y: float) -> tuple[int, int]:
    """(col, row) of a point, clipped into the frame."""
    h, w = shape
    return min(max(int(round(x)), 0), w - 1), min(max(int(round(y)), 0), h - 1)


def adaptive_threshold(
    peak: float, positives: int, shape: tuple[int, int], cfg: EvolutionConfig
) -> float:
    """Eq. 2: ``max(P) (T_b + k (1 - T_b) |L_hat| / (h w r))``."""
    h, w = shape
    return float(peak * (cfg.t_b + cfg.k * (1.0 - cfg.t_b) * positives / (h * w * cfg.r)))


def target_window(label: np.ndarray, x: float, y: float, d: int) -> tuple[slice, slice]:
    """The d x d window around the centroid of the positive label pixels of the target at
    point (x, y): the 8-connected positive region holding the point (the point alone when it
    is not positive), clipped to the frame."""
    h, w = label.shape
    c, r = point_pixel(label.shape, x, y)
    cy, cx = float(r), float(c)
    positive = (label > POSITIVE).astype(np.uint8)
    if positive[r, c]:
        half = d  # the region may reach beyond the window; look within 2d
        y0, x0 = max(r - half, 0), max(c - half, 0)
        sub = positive[y0 : r + half + 1, x0 : c + half + 1]
        _, lab = cv2.connectedComponents(sub, connectivity=8)
        ys, xs = np.nonzero(lab == lab[r - y0, c - x0])
        cy, cx = ys.mean() + y0, xs.mean() + x0
    half = d // 2
    r0 = min(max(int(round(cy)) - half, 0), max(h - d, 0))
    c0 = min(max(int(round(cx)) - half, 0), max(w - d, 0))
    return slice(r0, min(r0 + d, h)), slice(c0, min(c0 + d, w))


def evolve_window(
    label: np.ndarray, pred: np.ndarray, shape: tuple[int, int], cfg: EvolutionConfig
) -> np.ndarray:
    """Eq. 1-4 on one target's window: the updated label window (``label`` is not changed).
    ``shape`` is the whole frame's (h, w), used by Eq. 2."""
    positive = label > POSITIVE
    peak = float(pred.max()) if pred.size else 0.0
    if peak <= 0.0 or not positive.any():
        return label.copy()
    t = adaptive_threshold(peak, int(positive.sum()), shape, cfg)
    above = (pred > t).astype(np.uint8)  # Eq. 1's indicator
    count, regions = cv2.connectedComponents(above, connectivity=8)
    touching = np.unique(regions[positive & (above > 0)])
    keep = np.isin(regions, touching[touching > 0])  # F_i, Eq. 3
    n = keep  # N_i = (P > T_adapt) * F_i
    e = np.where(n, pred, 0.0)  # E_i = C_i * F_i
    return np.where(n, (label + e) / 2.0, label).astype(np.float32)  # Eq. 4


def evolve(label: np.ndarray, pred: np.ndarray, points, cfg: EvolutionConfig) -> np.ndarray:
    """One round of label update of a frame: every target (one per point) in turn, Eq. 1-4.
    Returns the new label; the points' own pixels stay 1."""
    out = label.astype(np.float32, copy=True)
    for x, y in points:
        rows, cols = target_window(out, x, y, cfg.neighbourhood)
        out[rows, cols] = evolve_window(out[rows, cols], pred[rows, cols], label.shape, cfg)
    for x, y in points:
        c, r = point_pixel(label.shape, x, y)
        out[r, c] = 1.0
    return out


def windows(label: np.ndarray, points, d: int) -> list[tuple[slice, slice]]:
    """The windows :func:`evolve` will update (where the trainer needs predictions)."""
    return [target_window(label, x, y, d) for x, y in points]
