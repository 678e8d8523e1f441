"""The ``edgsp`` generator: a learned point-prompt mask network run through ONNX Runtime.

A model is a metadata record ``<stem>.json`` (format ``label-irst/edgsp-onnx/1``: graph file,
crop size, prompt sigma, threshold, training record) beside its graph ``<stem>.onnx`` (input
``x`` (N, 4, S, S) from :func:`label_irst.core.edgsp.network_input`, output ``prob``
(N, 1, S, S) sigmoid saliency). :func:`edgsp` is the registry's one-click entry point;
:func:`edgsp_batch` runs every seed of one frame in a single session call (box conversion,
pre-annotation, evaluation).

The model is passed explicitly (``model=``: a project's own model, which its convention
carries); without one, ``$LABEL_IRST_EDGSP_MODEL``, else the shipped ``models/edgsp.json``. If that file is
missing or unreadable, ``edgsp`` warns once (one line, naming the file) and grows the mask with
``pamg+`` instead, marking the result's ``generator`` as ``pamg+``. :func:`load_edgsp` itself
raises a one-line :class:`LabelIrstError`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.core import edgsp as prompts
from label_irst.core.result import GeneratedMask, describe
from label_irst.errors import LabelIrstError

log = logging.getLogger("label_irst.infer")

FORMAT = "label-irst/edgsp-onnx/1"
EXPECTED = (
    "expected an EDGSP model: <stem>.json (format label-irst/edgsp-onnx/1) beside its graph "
    "<stem>.onnx (input 'x' N x 4 x S x S, output 'prob')"
)
SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgsp.json"
ENV = "LABEL_IRST_EDGSP_MODEL"


@dataclass
class EDGSPModel:
    session: object
    meta: dict
    path: Path
    provider: str

    @property
    def crop(self) -> int:
        return int(self.meta.get("crop", prompts.CROP))

    @property
    def sigma(self) -> float:
        return float(self.meta.get("sigma", prompts.SIGMA))

    @property
    def tta(self) -> int:
        return int(self.meta.get("tta", 1))

    @property
    def threshold(self) -> float:
        return float(self.meta.get("threshold", prompts.THRESHOLD))

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Saliency maps (N, S, S) of a network input batch (N, 4, S, S)."""
        if len(batch) == 0:
            return np.zeros((0, self.crop, self.crop), np.float32)
        return self.session.run(None, {"x": batch})[0][:, 0]

    def generate(self, image, seeds, support_radius: float = 20.0) -> list[GeneratedMask]:
        """One mask per seed (x, y) on ``image`` (2-D, any dtype), in one session call;
        ``support_radius`` (one value or one per seed) only enters rho (Eq. 20)."""
        image = np.asarray(image)
        if image.ndim != 2 or image.size == 0:
            raise LabelIrstError(f"EDGSP needs one non-empty grey frame, got shape {image.shape}")
        batch, offsets, polarities, clicks = prompts.network_input(
            image, seeds, self.crop, self.sigma, self.tta
        )
        probs = prompts.merge_tta(self.probabilities(batch), self.tta)
        radii = support_radius if np.ndim(support_radius) else [support_radius] * len(clicks)
        out = []
        for prob, off, pol, click, rs in zip(probs, offsets, polarities, clicks, radii):
            mask = prompts.box_matching(prob, off, click, image.shape, self.threshold)
            out.append(describe(image, mask, click, rs, "edgsp", polarity=pol))
        return out


def resolve(path: str | Path) -> tuple[Path, dict]:
    """The metadata path and record of a model named by its .json or its .onnx graph."""
    p = Path(path)
    if p.suffix == ".onnx":
        p = p.with_suffix(".json")
    if not p.is_file():
        raise LabelIrstError(f"{path}: no such model file; {EXPECTED}")
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        raise LabelIrstError(f"{p}: not a model metadata record (JSON); {EXPECTED}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise LabelIrstError(f"{p}: not an EDGSP metadata record ({FORMAT}); {EXPECTED}")
    try:
        crop, tta, threshold = int(meta["crop"]), int(meta.get("tta", 1)), float(meta["threshold"])
        ok = crop >= 8 and crop % 2 == 0 and 1 <= tta <= 8 and 0.0 < threshold < 1.0
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise LabelIrstError(f"{p}: bad crop, tta or threshold in the metadata record; {EXPECTED}")
    return p, meta


def load_edgsp(path: str | Path, device: str = "cpu", threads: int | None = 1) -> EDGSPModel:
    """Open a model on ``device`` (cpu, auto or cuda; see :mod:`label_irst.infer.session`)."""
    from label_irst.infer.session import open_session, providers_for

    meta_path, meta = resolve(path)
    graph = meta_path.parent / str(meta.get("graph", ""))
    sess = open_session(graph, providers_for(device), ["x"], threads, EXPECTED)
    return EDGSPModel(sess, meta, meta_path, sess.get_providers()[0])


_lock = threading.Lock()
_cache: dict[Path, EDGSPModel | LabelIrstError] = {}
_warned: set[str] = set()


def model_path() -> Path:
    """The default model: ``$LABEL_IRST_EDGSP_MODEL``, else the shipped one."""
    env = os.environ.get(ENV)
    return Path(env) if env else SHIPPED


def current_model(path: str | Path | None = None) -> EDGSPModel:
    """The model at ``path`` (None: the registry's default, :func:`model_path`), loaded once
    per path (a failure is remembered, not retried)."""
    path = model_path() if path is None else Path(path)
    with _lock:
        if path not in _cache:
            try:
                _cache[path] = load_edgsp(path)
            except LabelIrstError as exc:
                _cache[path] = exc
        got = _cache[path]
    if isinstance(got, LabelIrstError):
        raise got
    return got


def forget_models() -> None:
    """Drop loaded sessions (after a model file was replaced)."""
    with _lock:
        _cache.clear()
        _warned.clear()


def _fallback(exc: LabelIrstError):
    from label_irst.core.pamg_plus import pamg_plus

    message = f"edgsp: {exc}; using pamg+ instead"
    if message not in _warned:
        _warned.add(message)
        log.warning(message)
    return pamg_plus


def edgsp(
    image: np.ndarray,
    seed: tuple[float, float],
    support_radius: float = 20.0,
    model: str | Path | None = None,
) -> GeneratedMask:
    """The registry's ``edgsp``: one click -> one mask with ``model`` (a project's own model,
    passed explicitly; None: the default); pamg+ where the model cannot be loaded."""
    try:
        model = current_model(model)
    except LabelIrstError as exc:
        return _fallback(exc)(image, seed, support_radius)
    return model.generate(image, [seed], support_radius)[0]


def edgsp_batch(
    image: np.ndarray, seeds, support_radius: float = 20.0, model: str | Path | None = None
) -> list[GeneratedMask]:
    """Every seed of one frame in one session call with ``model`` as in :func:`edgsp` (pamg+
    per seed where the model cannot be loaded)."""
    try:
        model = current_model(model)
    except LabelIrstError as exc:
        grow = _fallback(exc)
        seeds = list(seeds)
        radii = support_radius if np.ndim(support_radius) else [support_radius] * len(seeds)
        return [grow(image, s, r) for s, r in zip(seeds, radii)]
    return model.generate(image, list(seeds), support_radius)
