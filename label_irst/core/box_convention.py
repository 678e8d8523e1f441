"""The box convention: which box generator serves a project's boxes, fitted to its conversions.

As :mod:`label_irst.core.convention` does for clicks, the box convention is learned from
examples (frame, box, final mask): the box conversions the annotator confirmed, brush-corrected
ones included. Three parameters, chosen over small explicit grids by the mean per-target IoU
(Table III):

* ``method``: a box generator of :mod:`label_irst.core.box_generators` (grid: all of them;
  default ``auto``, which picks by the box's tightness);
* ``box_margin``: how many pixels the team's boxes stand off the target on each side; the box is
  taken in by that much before the generator runs (grid: BOX_MARGINS; default 0, a tight box);
* ``margin``: the mask's edge moved out (+) or in (-) afterwards, 4-connected, as for clicks
  (grid: :data:`label_irst.core.convention.MARGINS`).

The fit is staged, as for clicks: the box margin first (each generator at its best box margin,
mask margin 0), another generator than the default only when it gains more than METHOD_GAIN,
then the mask margin. Ties keep the value nearer the default, and a fit not better than the
default on its own examples returns the default. Deterministic.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

import numpy as np

from label_irst.core.box_generators import (
    BOX_GENERATORS,
    DEFAULT_BOX_GENERATOR,
    BoxCoords,
    get_box_generator,
    loosen,
)
from label_irst.core.convention import MARGINS, _with_margin, margin_ious
from label_irst.core.geometry import CroppedMask
from label_irst.core.result import GeneratedMask
from label_irst.errors import LabelIrstError

FORMAT = "label-irst-box-convention"
VERSION = 1
BOX_MARGINS = (0, 1, 2, 3, 4)
#: another box generator replaces the default only when it gains more than this mean IoU on
#: the examples (ten examples cannot tell generators within a few points apart)
METHOD_GAIN = 0.03


@dataclass(frozen=True)
class BoxExample:
    """One confirmed box conversion: the frame, the source box and the final mask."""

    image: np.ndarray
    box: BoxCoords
    mask: CroppedMask
    support_radius: float = 20.0


def default_box_params() -> dict:
    return {"method": DEFAULT_BOX_GENERATOR, "box_margin": 0, "margin": 0}


@dataclass
class BoxConvention:
    """A box generator, the team's box margin and the mask margin; ``frozen``: never refitted."""

    params: dict = field(default_factory=dict)
    point_generator: str = "pamg+"
    n_examples: int = 0
    fitted_at: float | None = None
    frozen: bool = False
    score: float | None = None
    default_score: float | None = None

    def __post_init__(self) -> None:
        self.params = {**default_box_params(), **self.params}
        get_box_generator(self.params["method"])

    @property
    def method(self) -> str:
        return self.params["method"]

    @property
    def is_default(self) -> bool:
        return self.params == default_box_params()

    def describe(self) -> str:
        p = self.params
        text = f"boxes: {p['method']}, box margin {p['box_margin']}, mask margin {p['margin']}"
        if self.fitted_at is not None and self.n_examples:
            text += f" (fitted on {self.n_examples})"
        return text

    def generate(
        self, image: np.ndarray, box: BoxCoords, support_radius: float = 20.0, point=None
    ) -> GeneratedMask:
        """The mask of ``box`` with this convention's generator and margins; ``point`` (a point
        convention's ``generate``) replaces the point generator's defaults."""
        return generate(self.params, image, box, support_radius, point or self.point_generator)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "params": self.params,
                "point_generator": self.point_generator,
                "n_examples": self.n_examples,
                "fitted_at": self.fitted_at,
                "frozen": self.frozen,
                "score": self.score,
                "default_score": self.default_score,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, where: str = "box convention") -> BoxConvention:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise LabelIrstError(f"{where}: not a box convention (invalid JSON: {exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise LabelIrstError(f"{where}: not a Label-IRST box convention")
        if data.get("version") != VERSION:
            raise LabelIrstError(
                f"{where}: box convention version {data.get('version')} unsupported"
            )
        params = data.get("params")
        if not isinstance(params, dict) or set(params) - set(default_box_params()):
            raise LabelIrstError(f"{where}: malformed box convention parameters")
        try:
            method = str(params.get("method", DEFAULT_BOX_GENERATOR))
            clean = {"method": method}
            for key in ("box_margin", "margin"):
                value = params.get(key, 0)
                if isinstance(value, bool) or int(value) != value or abs(int(value)) > 10:
                    raise ValueError
                clean[key] = int(value)
            n = int(data.get("n_examples", 0))
            fitted = data.get("fitted_at")
            fitted = None if fitted is None else float(fitted)
            point = str(data.get("point_generator", "pamg+"))
        except (TypeError, ValueError, OverflowError):
            raise LabelIrstError(f"{where}: malformed box convention parameters") from None
        if method not in BOX_GENERATORS:
            raise LabelIrstError(f"{where}: unknown box generator {method!r}")
        return cls(clean, point, n, fitted, bool(data.get("frozen", False)),
                   data.get("score"), data.get("default_score"))  # fmt: skip


def generate(params: dict, image, box, support_radius=20.0, point_generator="pamg+"):
    """``params['method']`` on the box taken in by ``box_margin``, edge moved by ``margin``."""
    inner = loosen(box, -int(params.get("box_margin", 0)))
    fn = get_box_generator(params.get("method"))
    result = fn(image, inner, support_radius, point_generator)
    return _with_margin(result, int(params.get("margin", 0)), image)


def _scores(params: dict, examples, point_generator, margins=(0,)) -> np.ndarray:
    """IoU of every example (columns) for every mask margin (rows); 0 where refused."""
    out = np.zeros((len(margins), len(examples)))
    for j, ex in enumerate(examples):
        try:
            grown = generate({**params, "margin": 0}, ex.image, ex.box, ex.support_radius,
                             point_generator).mask  # fmt: skip
        except LabelIrstError:
            continue
        out[:, j] = margin_ious(grown, ex.mask, ex.image.shape, margins)
    return out


def fit_boxes(
    examples: list[BoxExample], point_generator: str = "pamg+", now: float | None = None
) -> BoxConvention:
    """Fit the box convention to ``examples`` (see the module docstring)."""
    base = default_box_params()
    stamp = time.time() if now is None else now
    if not examples:
        return BoxConvention(base, point_generator)
    cells = {}
    for method in BOX_GENERATORS:
        for bm in BOX_MARGINS:
            params = {"method": method, "box_margin": bm, "margin": 0}
            cells[(method, bm)] = float(_scores(params, examples, point_generator).mean())
    default_score = cells[(base["method"], 0)]

    def best_of(method: str) -> tuple[float, dict]:
        score, bm = max((cells[(method, bm)], -bm) for bm in BOX_MARGINS)
        return score, {"method": method, "box_margin": -bm, "margin": 0}

    score, params = best_of(base["method"])
    others = [best_of(m) for m in BOX_GENERATORS if m != base["method"]]
    other, other_params = max(others, key=lambda c: c[0])
    if other > score + METHOD_GAIN:
        score, params = other, other_params
    by_margin = _scores(params, examples, point_generator, MARGINS).mean(axis=1)
    top = by_margin.max()
    tied = [m for m, s in zip(MARGINS, by_margin) if s >= top - 1e-12]
    margin = min(tied, key=lambda m: (abs(m), m))
    params, score = {**params, "margin": margin}, float(by_margin[MARGINS.index(margin)])
    if not score > default_score or not math.isfinite(score):
        params, score = base, default_score
    return BoxConvention(params, point_generator, len(examples), stamp, False, score,
                         default_score)  # fmt: skip
