"""Turning review items (boxes, points) into candidate targets with a point-to-mask generator.

A box gives its centre as the seed (Sec. III-D1: box centre -> PAMG) and a support radius that
covers the box: Rs = max(rs, half the box diagonal). A point with a radius (CSV, RPR-Net) uses
guided PAMG, Rs = k * r_hat (Sec. III-C2). The masks come out as ``candidate`` targets, to be
confirmed in the review queue, least reliable (lowest rho, Eq. 20) first.
"""

from __future__ import annotations

import math

from label_irst.core.generators import get_generator
from label_irst.core.pamg import check_seed, guided_support_radius
from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Target
from label_irst.job import Job

#: The largest support radius a review item may ask for (pixels): a box or radius read from a
#: file can be absurd, and PAMG's window grows with Rs squared.
MAX_SUPPORT_RADIUS = 1000.0


def support_for(item, support_radius: float) -> float:
    if item.radius is not None and item.radius > 0:
        rs = guided_support_radius(item.radius)
    elif item.bbox is not None:
        x0, y0, x1, y1 = item.bbox
        rs = max(float(support_radius), 0.5 * math.hypot(x1 - x0, y1 - y0))
    else:
        rs = float(support_radius)
    return min(rs, MAX_SUPPORT_RADIUS)


def resolve_review(
    ann: Annotations,
    generator: str | None = None,
    support_radius: float = 20.0,
    job: Job | None = None,
) -> int:
    """Replace every frame's review items by candidate targets; returns the number grown."""
    job = job or Job()
    spec = get_generator(generator)
    todo = [f for f in ann.frames if f.review]
    grown = 0
    for done, frame in enumerate(todo, 1):
        if job.cancelled:
            break
        try:
            image = frame.load_image()
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        next_id = max((t.id for t in frame.targets), default=0) + 1
        for item in frame.review:
            try:
                seed = check_seed(image, item.seed)
                result = spec.fn(image, seed, support_for(item, support_radius))
            except LabelIrstError as exc:
                job.warning(f"{frame.key}: skipped a {item.source} at {item.seed}: {exc}")
                continue
            if result.mask.area == 0:
                job.warning(f"{frame.key}: no mask grew at {item.seed}")
                continue
            frame.targets.append(
                Target(
                    mask=result.mask,
                    id=item.id or next_id,
                    track_id=item.track_id,
                    source="box" if item.bbox is not None else "pamg",
                    status="candidate",
                    rho=float(result.boundary_ratio),
                )
            )
            next_id += 1
            grown += 1
        frame.review = []
        job.step(done, len(todo))
    ann.meta.setdefault("generator", spec.name)
    ann.meta.setdefault("generator_settings", {"support_radius": support_radius})
    return grown
