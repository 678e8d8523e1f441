"""Mask-to-point supervision (Sec. III-C1): per-frame target centroids and radii.

* ``masks``: full ground-truth masks are used directly: each 8-connected component gives its
  centroid and r = sqrt(area / pi).
* ``points``: only points are trusted (a ``points.csv`` with image,x,y beside the dataset, or the
  centroids of ``annotations/<seq>.json``); PAMG (blind mode, Rs = 20) grows a pseudo mask from
  each point offline and the pseudo mask's centroid and radius become the supervision.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.core.pamg import DEFAULT_SUPPORT_RADIUS, pamg
from label_irst.errors import LabelIrstError
from label_irst.infer.sequences import (
    Sequence,
    mask_targets,
    read_annotation,
    read_points_csv,
)

Targets = list[tuple[float, float, float]]


def sequence_points(seq: Sequence, csv_points: dict | None) -> dict[str, list[tuple[float, float]]]:
    if csv_points is not None:
        return {stem: csv_points.get((seq.name, stem), []) for stem in seq.stems()}
    if seq.annotation is None:
        raise LabelIrstError(
            f"sequence {seq.name}: no annotations/{seq.name}.json and no points.csv"
        )
    ann = read_annotation(seq.annotation)
    return {
        stem: [(float(t["x"]), float(t["y"])) for t in ann.get(stem, [])] for stem in seq.stems()
    }


MAX_SHIFT = 3.0


def pseudo_targets(
    image, points: list[tuple[float, float]], support_radius: float, max_shift: float = MAX_SHIFT
) -> Targets:
    """PAMG pseudo masks from points -> (x, y, r).

    The annotated point is trusted: a pseudo mask whose centroid lies more than ``max_shift`` px
    (the 3 px matching distance of Pd) from it has leaked into clutter, so the point is kept as
    the centre with r = 1, as for a point PAMG cannot grow.
    """
    out = []
    for x, y in points:
        try:
            g = pamg(image, (x, y), support_radius)
            cx, cy = g.centroid
            if (cx - x) ** 2 + (cy - y) ** 2 > max_shift**2:
                raise LabelIrstError("pseudo mask leaked away from the point")
            out.append((float(cx), float(cy), float(g.radius)))
        except LabelIrstError:
            out.append((float(x), float(y), 1.0))
    return out


def supervision(
    root: str | Path,
    sequences: list[Sequence],
    mode: str = "masks",
    support_radius: float = DEFAULT_SUPPORT_RADIUS,
    job=None,
) -> dict[str, dict[str, Targets]]:
    """sequence name -> frame stem -> [(x, y, r)] under the chosen supervision ``mode``."""
    if mode not in ("masks", "points"):
        raise LabelIrstError(f"unknown supervision {mode!r} (masks or points)")
    csv_path = Path(root) / "points.csv"
    csv_points = read_points_csv(csv_path) if mode == "points" and csv_path.is_file() else None
    total = sum(len(s) for s in sequences)
    done = 0
    out: dict[str, dict[str, Targets]] = {}
    for seq in sequences:
        per_frame: dict[str, Targets] = {}
        if mode == "masks":
            if seq.mask_dir is None:
                raise LabelIrstError(f"sequence {seq.name}: no masks/{seq.name}/ folder")
            for stem in seq.stems():
                m = seq.mask_dir / f"{stem}.png"
                per_frame[stem] = mask_targets(m) if m.is_file() else []
        else:
            points = sequence_points(seq, csv_points)
            for t, stem in enumerate(seq.stems()):
                pts = points.get(stem, [])
                per_frame[stem] = pseudo_targets(seq.read(t), pts, support_radius) if pts else []
        out[seq.name] = per_frame
        done += len(seq)
        if job is not None:
            job.step(done, total)
    return out
