"""Annotation convention: a generator's few parameters fitted to a project's confirmed masks.

Teams draw the edge of a small target in different places (sirst-v1's annotators stop at about a
third of the peak; others draw one pixel further out). No fixed rule serves every team, so the
tool learns the convention from (frame, seed, final mask) examples -- the targets the annotator
confirmed, brush-corrected ones included -- by replaying the generator on each example's seed and
maximising the mean per-target IoU (the metric of Table III) over a small explicit grid:

* ``margin`` (every generator): the grown mask is dilated (m > 0) or eroded (m < 0) by |m|
  pixels with the 4-connected cross, i.e. the edge moved m pixels out or in. An erosion that
  would empty the mask keeps the mask as grown. Grid: MARGINS.
* ``eps`` (PAMG family only): the homogeneity floor of Eq. 6 as a fraction of the working
  window's range (:mod:`label_irst.core.pamg_plus` uses 0.2, faithful PAMG 1e-3). Grid:
  EPS_GRID. The growth path of Algorithm 1 does not depend on eps, only k* does.

The fit is two-stage because ten examples cannot support a 40-cell search (measured on
sirst-v1, docs/benchmarks.md "Annotation convention"): the margin is chosen at the generator's
own eps; the floor is then changed only from MIN_EXAMPLES_FOR_EPS examples on and only when it
gains more than EPS_GAIN mean IoU on them. Ties keep the value nearer the default. A fit that is
not better than the default on its own examples returns the default, so a convention is never
worse than the generator as shipped on the masks it was fitted to. Deterministic: no randomness,
fixed grids, stable tie-breaking.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from label_irst.core.geometry import CroppedMask
from label_irst.core.metrics import cropped_iou
from label_irst.core.result import GeneratedMask, describe
from label_irst.errors import LabelIrstError

FORMAT = "label-irst-convention"
VERSION = 1
MARGINS = (-1, 0, 1, 2, 3)
EPS_GRID = (1e-3, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0)
#: PAMG-family generators and their own homogeneity floor (the default of ``eps``).
PAMG_FAMILY = {"pamg": 1e-3, "pamg+": 0.2}
MIN_EXAMPLES_FOR_EPS = 20
EPS_GAIN = 0.03
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


@dataclass(frozen=True)
class Example:
    """One confirmed target: the frame, the seed (x, y) it was grown from and its final mask."""

    image: np.ndarray
    seed: tuple[float, float]
    mask: CroppedMask
    support_radius: float = 20.0
    #: how much the example teaches a learned generator: 1 for a mask the annotator drew or
    #: edited, less for a generated mask confirmed as it was (a weak example: it would
    #: otherwise teach the generator its own output); fits of the convention ignore it
    weight: float = 1.0


def default_params(generator: str) -> dict:
    params: dict = {"margin": 0}
    if generator in PAMG_FAMILY:
        params["eps"] = PAMG_FAMILY[generator]
    return params


@dataclass
class Convention:
    """A generator plus its fitted parameters; ``frozen`` conventions are not refitted."""

    generator: str = "pamg+"
    params: dict = field(default_factory=dict)
    n_examples: int = 0
    fitted_at: float | None = None
    frozen: bool = False
    #: mean IoU on the examples with the fitted and with the default parameters
    score: float | None = None
    default_score: float | None = None
    #: the learned generator's model (metadata record) this convention grows with, passed to
    #: the generator explicitly (a project's own model); None: the generator's default. Not
    #: part of the stored convention: a project records its model on its own.
    model: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        self.params = {**default_params(self.generator), **self.params}

    @property
    def is_default(self) -> bool:
        return self.params == default_params(self.generator)

    def describe(self) -> str:
        """One line for a status bar."""
        if self.n_examples == 0 or self.fitted_at is None:
            text = f"convention: {self.generator} default"
        else:
            noun = "target" if self.n_examples == 1 else "targets"
            text = f"convention: fitted on {self.n_examples} {noun}"
        return text + (" (frozen)" if self.frozen else "")

    def generate(
        self, image: np.ndarray, seed: tuple[float, float], support_radius: float = 20.0
    ) -> GeneratedMask:
        """The generator's mask for ``seed`` with this convention's parameters."""
        return _generate(self.generator, self.params, image, seed, support_radius, self.model)

    def generate_many(
        self, image: np.ndarray, seeds, support_radius: float = 20.0
    ) -> list[GeneratedMask]:
        """One mask per seed of one frame (batched where the generator can: one network call
        for ``edgsp``); ``support_radius`` is one value or one per seed. A seed the generator
        refuses raises, as :meth:`generate` does."""
        seeds = list(seeds)
        if self.generator in PAMG_FAMILY or not seeds:
            radii = _radii(support_radius, len(seeds))
            return [self.generate(image, s, r) for s, r in zip(seeds, radii)]
        from label_irst.core.generators import get_generator

        grown = get_generator(self.generator).many(image, seeds, support_radius, self.model)
        return [_with_margin(g, int(self.params.get("margin", 0)), image) for g in grown]

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                "generator": self.generator,
                "params": self.params,
                "n_examples": self.n_examples,
                "fitted_at": self.fitted_at,
                "frozen": self.frozen,
                "score": self.score,
                "default_score": self.default_score,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, generator: str | None = None, where: str = "convention"):
        """Parse :meth:`to_json` output; ``generator`` (if given) must match the file's."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise LabelIrstError(f"{where}: not a convention file (invalid JSON: {exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise LabelIrstError(f"{where}: not a Label-IRST convention file")
        if data.get("version") != VERSION:
            raise LabelIrstError(f"{where}: convention version {data.get('version')} unsupported")
        gen = data.get("generator")
        params = data.get("params")
        if not isinstance(gen, str) or not isinstance(params, dict):
            raise LabelIrstError(f"{where}: convention without a generator or parameters")
        if generator is not None and gen != generator:
            raise LabelIrstError(
                f"{where}: the convention was fitted for generator {gen!r}, not {generator!r}"
            )
        known = default_params(gen)
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise LabelIrstError(f"{where}: unknown parameter(s) {', '.join(unknown)} for {gen}")
        try:
            margin = int(params.get("margin", 0))
            if margin != params.get("margin", 0) or abs(margin) > 10:
                raise ValueError
            clean: dict = {"margin": margin}
            if "eps" in known:
                eps = float(params.get("eps", known["eps"]))
                if not (math.isfinite(eps) and eps > 0):
                    raise ValueError
                clean["eps"] = eps
            n = int(data.get("n_examples", 0))
            fitted = data.get("fitted_at")
            fitted = None if fitted is None else float(fitted)
            score, base = data.get("score"), data.get("default_score")
        except (TypeError, ValueError, OverflowError):
            raise LabelIrstError(f"{where}: malformed convention parameters") from None
        return cls(gen, clean, n, fitted, bool(data.get("frozen", False)), score, base)


def apply_margin(mask: CroppedMask, margin: int, shape: tuple[int, int]) -> CroppedMask:
    """Move a mask's edge ``margin`` pixels out (dilate) or in (erode), 4-connected, clipped to
    the frame; an erosion that would empty the mask returns it unchanged."""
    if margin == 0 or mask.area == 0:
        return mask
    pad = abs(margin)
    crop = np.pad(mask.crop, pad).astype(np.uint8)
    if margin > 0:
        out = cv2.dilate(crop, _CROSS, iterations=margin)
    else:
        out = cv2.erode(crop, _CROSS, iterations=-margin)
        if not out.any():
            return mask
    ys, xs = np.nonzero(out)
    rows, cols = ys + mask.offset[0] - pad, xs + mask.offset[1] - pad
    keep = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return CroppedMask.from_pixels(rows[keep], cols[keep])


def _grow(generator: str, params: dict, image, seed, support_radius, model=None) -> GeneratedMask:
    if generator in PAMG_FAMILY:
        from label_irst.core.pamg import pamg

        result = pamg(image, seed, support_radius, eps=float(params["eps"]))
        result.generator = generator
        return result
    from label_irst.core.generators import get_generator

    return get_generator(generator).grow(image, seed, support_radius, model)


def _radii(support_radius, n: int) -> list[float]:
    if np.ndim(support_radius) == 0:
        return [float(support_radius)] * n
    return [float(r) for r in support_radius]


def _generate(
    generator: str, params: dict, image, seed, support_radius, model=None
) -> GeneratedMask:
    result = _grow(generator, params, image, seed, support_radius, model)
    return _with_margin(result, int(params.get("margin", 0)), image)


def _with_margin(result: GeneratedMask, margin: int, image: np.ndarray) -> GeneratedMask:
    if margin == 0:
        return result
    mask = apply_margin(result.mask, margin, image.shape)
    out = describe(image, mask, result.seed, result.support_radius, result.generator,
                   polarity=result.polarity, energy_trajectory=result.energy_trajectory,
                   k_star=result.k_star)  # fmt: skip
    return out


def margin_ious(
    mask: CroppedMask, truth: CroppedMask, shape: tuple[int, int], margins=MARGINS
) -> list[float]:
    """IoU with ``truth`` of ``apply_margin(mask, m, shape)`` for every m, on one shared canvas
    (one dilation or erosion per step instead of one padded copy per margin)."""
    if mask.area == 0:
        return [cropped_iou(mask, truth)] * len(margins)
    pad = max(abs(m) for m in margins) + 1
    boxes = [b.bbox for b in (mask, truth) if b.area]
    x0 = max(min(b[0] for b in boxes) - pad, 0)
    y0 = max(min(b[1] for b in boxes) - pad, 0)
    x1 = min(max(b[2] for b in boxes) + pad, shape[1])
    y1 = min(max(b[3] for b in boxes) + pad, shape[0])
    canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
    gt = np.zeros(canvas.shape, bool)
    CroppedMask(mask.crop, (mask.offset[0] - y0, mask.offset[1] - x0)).paint(canvas, 1)
    CroppedMask(truth.crop, (truth.offset[0] - y0, truth.offset[1] - x0)).paint(gt)
    grown: dict[int, np.ndarray] = {0: canvas}
    for step in (1, -1):
        current = canvas
        for k in range(1, max(step * m for m in margins) + 1):
            morph = cv2.dilate if step > 0 else cv2.erode
            current = morph(current, _CROSS, borderType=cv2.BORDER_CONSTANT, borderValue=0)
            if step < 0 and not current.any():
                current = canvas  # an erosion that empties the mask keeps it (apply_margin)
            grown[step * k] = current
    out = []
    for m in margins:
        pred = grown[m].astype(bool)
        union = np.count_nonzero(pred | gt)
        out.append(np.count_nonzero(pred & gt) / union if union else 1.0)
    return out


def _margin_scores(grown: list[CroppedMask | None], examples, margins) -> np.ndarray:
    """IoU of every example (columns) for every margin (rows); 0 where the generator refused."""
    out = np.zeros((len(margins), len(examples)))
    for j, (mask, ex) in enumerate(zip(grown, examples)):
        if mask is not None:
            out[:, j] = margin_ious(mask, ex.mask, ex.image.shape, margins)
    return out


def _grow_mask(generator: str, params: dict, ex: Example, model=None) -> CroppedMask:
    """The generator's mask alone (for PAMG: Algorithm 1 up to k*, without the descriptors)."""
    if generator in PAMG_FAMILY:
        from label_irst.core import pamg

        path, energy, w, r0, c0, _, _ = pamg._grow_window(
            ex.image, ex.seed, ex.support_radius, False, "frontier", float(params["eps"])
        )
        chosen = path[: pamg.best_step(energy)]
        return CroppedMask.from_pixels(chosen // w + r0, chosen % w + c0)
    return _grow(generator, params, ex.image, ex.seed, ex.support_radius, model).mask


def _grow_all(generator: str, params: dict, examples, model=None) -> list[CroppedMask | None]:
    out = []
    for ex in examples:
        try:
            out.append(_grow_mask(generator, params, ex, model))
        except LabelIrstError:
            out.append(None)
    return out


def _nearest_best(scores: np.ndarray, values, default) -> int:
    """Index of the highest score; ties go to the value nearest the default (then the lower)."""
    best = scores.max()
    tied = [i for i, s in enumerate(scores) if s >= best - 1e-12]
    return min(tied, key=lambda i: (abs(_rank(values[i]) - _rank(default)), values[i]))


def _rank(value: float) -> float:
    return math.log(value) if isinstance(value, float) else float(value)


def sweep(examples: list[Example], generator: str = "pamg+") -> dict[tuple, float]:
    """Mean IoU of every (eps, margin) grid cell (eps None outside the PAMG family)."""
    eps_values = EPS_GRID if generator in PAMG_FAMILY else (None,)
    table = {}
    for eps in eps_values:
        params = {**default_params(generator), **({"eps": eps} if eps is not None else {})}
        scores = _margin_scores(_grow_all(generator, params, examples), examples, MARGINS)
        for m, row in zip(MARGINS, scores):
            table[(eps, m)] = float(row.mean())
    return table


def fit(
    examples: list[Example], generator: str = "pamg+", now: float | None = None, model=None
) -> Convention:
    """Fit the convention of ``generator`` (with the learned ``model``, where it is one) to
    ``examples`` (see the module docstring)."""
    base = default_params(generator)
    stamp = time.time() if now is None else now
    if not examples:
        return Convention(generator, base, 0, None, model=model)
    grown = _grow_all(generator, base, examples, model)
    by_margin = _margin_scores(grown, examples, MARGINS).mean(axis=1)
    default_score = float(by_margin[MARGINS.index(0)])
    i = _nearest_best(by_margin, MARGINS, 0)
    params, score = {**base, "margin": MARGINS[i]}, float(by_margin[i])
    if generator in PAMG_FAMILY and len(examples) >= MIN_EXAMPLES_FOR_EPS:
        by_eps = np.array(
            [
                _margin_scores(
                    _grow_all(generator, {**params, "eps": e}, examples),
                    examples,
                    (params["margin"],),
                ).mean()
                if e != base["eps"]
                else score
                for e in EPS_GRID
            ]
        )
        k = _nearest_best(by_eps, EPS_GRID, base["eps"])
        if by_eps[k] > score + EPS_GAIN:
            params, score = {**params, "eps": EPS_GRID[k]}, float(by_eps[k])
    if not score > default_score:
        params, score = base, default_score
    return Convention(generator, params, len(examples), stamp, False, score, default_score, model)
