"""Pd-Fa curves over score thresholds, per frame and with tracking (Eq. 18), and their plot.

One pass over the scored frames gives, for every threshold of a grid, Pd (percent of
ground-truth targets with a kept prediction within 3 px), Fa (false-alarm pixels over all
pixels: an unmatched prediction counts its mask's pixels when masks were written, else its
disc's) and false detections per frame, as :func:`label_irst.infer.evaluate.evaluate_detections`
counts them at one threshold.

Two curves come from one tracked ``prelabel`` output: *per frame* thresholds each frame's raw
detections (``"detections"``) on their own scores; *tracked* thresholds the tracked targets
(``"targets"``) on their track scores, so whole tracks enter or leave. An untracked output has
only the per-frame curve (from its ``"targets"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.infer.evaluate import discs
from label_irst.infer.identity import scored_frames
from label_irst.infer.matching import match

GRID = tuple(round(float(t), 2) for t in np.arange(0.05, 1.0, 0.05))
FINE_GRID = tuple(round(float(t), 2) for t in np.arange(0.05, 1.0, 0.01))
FA_TARGET = 1e-5
FA_FLOOR = 1e-8


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    pd: float
    fa: float
    false_per_frame: float


def _areas(dets: list[dict], shape, masked: bool) -> list[int]:
    out = []
    for d in dets:
        if masked and "mask_area" in d:
            out.append(int(d["mask_area"]))
        else:
            out.append(int((discs(shape, [d]) > 0).sum()))
    return out


@dataclass
class CurveCounts:
    """Per-sequence counts behind one Pd-Fa curve: ``hits``, ``false_px`` and ``false_n`` are
    (sequences, thresholds) arrays; ``targets``, ``pixels`` and ``frames`` one value per
    sequence. Summed over any set of sequences they give that set's curve, which is what a
    bootstrap over sequences resamples."""

    names: list[str]
    hits: np.ndarray
    false_px: np.ndarray
    false_n: np.ndarray
    targets: np.ndarray
    pixels: np.ndarray
    frames: np.ndarray

    def curve(self, grid=GRID, rows=None) -> list[CurvePoint]:
        """The curve of the sequences ``rows`` (indices, repeats allowed; None: all)."""
        rows = np.arange(len(self.names)) if rows is None else np.asarray(rows)
        targets, pixels, frames = (float(v[rows].sum()) for v in
                                   (self.targets, self.pixels, self.frames))  # fmt: skip
        hits, fpx, fn = (v[rows].sum(axis=0) for v in (self.hits, self.false_px, self.false_n))
        nan = float("nan")
        return [
            CurvePoint(
                float(thr),
                100.0 * hits[k] / targets if targets else nan,
                fpx[k] / pixels if pixels else nan,
                fn[k] / frames if frames else nan,
            )
            for k, thr in enumerate(grid)
        ]


def pd_fa_counts(
    pred: str | Path, gt: str | Path, split: str | None = None, grid=GRID
) -> dict[str, CurveCounts]:
    """Per-sequence counts of ``{"per frame": ..., "tracked": ...}`` (tracked only for a
    tracked output)."""
    pred = Path(pred)
    keys = {"per frame": ("detections", "targets"), "tracked": ("targets",)}
    rows: dict[str, list] = {k: [] for k in keys}
    names, totals = [], []
    tracked = False
    for name, scored in scored_frames(pred, gt, split):
        seq_rows = {k: np.zeros((3, len(grid))) for k in keys}
        targets = pixels = frames = 0
        for f in scored:
            shape = f.shape
            gt_pts = [(float(t["x"]), float(t["y"])) for t in f.truth]
            masked = (pred / "masks" / name / f"{f.frame}.png").is_file()
            targets += len(gt_pts)
            pixels += shape[0] * shape[1]
            frames += 1
            entry = f.predicted
            tracked |= "detections" in entry and any("id" in t for t in entry.get("targets", []))
            for curve, sources in keys.items():
                source = next((s for s in sources if s in entry), None)
                dets = [d for d in entry.get(source, []) if isinstance(d, dict)] if source else []
                scores = np.array([float(d.get("score", 1.0)) for d in dets])
                areas = np.array(_areas(dets, shape, masked and source == "targets"))
                counts = seq_rows[curve]
                for k, thr in enumerate(grid):
                    keep = np.nonzero(scores >= thr)[0]
                    used, hit = match([(float(dets[i]["x"]), float(dets[i]["y"])) for i in keep],
                                      gt_pts)  # fmt: skip
                    counts[0, k] += sum(hit)
                    unmatched = [i for i, u in zip(keep, used) if not u]
                    counts[1, k] += float(areas[unmatched].sum()) if unmatched else 0.0
                    counts[2, k] += len(unmatched)
        names.append(name)
        totals.append((targets, pixels, frames))
        for k in keys:
            rows[k].append(seq_rows[k])
    tot = np.array(totals, float).reshape(-1, 3)
    out = {}
    for curve in keys:
        if curve == "tracked" and not tracked:
            continue
        arr = np.array(rows[curve]).reshape(-1, 3, len(grid))
        out[curve] = CurveCounts(names, arr[:, 0], arr[:, 1], arr[:, 2],
                                 tot[:, 0], tot[:, 1], tot[:, 2])  # fmt: skip
    return out


def pd_fa_curves(
    pred: str | Path, gt: str | Path, split: str | None = None, grid=GRID
) -> dict[str, list[CurvePoint]]:
    """``{"per frame": [...], "tracked": [...]}`` (tracked only for a tracked output)."""
    counts = pd_fa_counts(pred, gt, split, grid)
    return {k: c.curve(grid) for k, c in counts.items()}


def pd_at_fa(curve: list[CurvePoint], fa_target: float = FA_TARGET) -> CurvePoint | None:
    """The point of highest Pd whose Fa is at most ``fa_target`` (None if there is none)."""
    ok = [p for p in curve if p.fa <= fa_target]
    return max(ok, key=lambda p: (p.pd, -p.fa)) if ok else None


def pd_gain_interval(
    base: CurveCounts,
    other: CurveCounts,
    grid=GRID,
    fa_target: float = FA_TARGET,
    draws: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Pd at Fa <= ``fa_target`` of ``other`` minus that of ``base`` (points; a curve that never
    reaches the Fa counts Pd 0), and its ``level`` percentile interval from a paired bootstrap
    over sequences (:func:`scipy.stats.bootstrap`: both curves are read off the same resampled
    sequences, each curve's operating threshold re-read on every draw)."""
    from scipy.stats import bootstrap

    if base.names != other.names:
        raise ValueError("the two curves must count the same sequences in the same order")

    def pd_of(counts: CurveCounts, rows) -> float:
        best = pd_at_fa(counts.curve(grid, rows), fa_target)
        return best.pd if best is not None else 0.0

    def gain(rows):
        rows = np.asarray(rows, int)
        return pd_of(other, rows) - pd_of(base, rows)

    rows = np.arange(len(base.names))
    res = bootstrap((rows,), gain, vectorized=False, n_resamples=draws, confidence_level=level,
                    method="percentile", rng=np.random.default_rng(seed))  # fmt: skip
    ci = res.confidence_interval
    return gain(rows), float(ci.low), float(ci.high)


def plot_curves(curves: dict[str, list[CurvePoint]], path: str | Path, title: str = "") -> Path:
    """Pd against Fa (log axis), one line per curve, thresholds marked; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from label_irst.io.atomic import atomic_path

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    for label, curve in curves.items():
        pts = [p for p in curve if np.isfinite(p.fa) and np.isfinite(p.pd)]
        fa = [max(p.fa, FA_FLOOR) for p in pts]  # Fa = 0 drawn at the floor
        ax.plot(fa, [p.pd for p in pts], marker="o", ms=3, label=label)
        for p, x in zip(pts, fa):
            if abs(p.threshold * 10 - round(p.threshold * 10)) > 1e-6:
                continue  # thresholds labelled at 0.1, 0.2, ...
            ax.annotate(f"{p.threshold:.2f}", (x, p.pd), fontsize=6, alpha=0.7,
                        xytext=(2, 2), textcoords="offset points")  # fmt: skip
    ax.set_xlim(left=FA_FLOOR / 2)
    ax.axvline(FA_TARGET, color="grey", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(f"Fa (false-alarm pixels / pixels; 0 drawn at {FA_FLOOR:g})")
    ax.set_ylabel("Pd (%)")
    ax.set_title(title or "Pd-Fa over score thresholds")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    try:
        with atomic_path(path, ".png") as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return Path(path)
