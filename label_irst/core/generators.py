"""Registry of point-to-mask generators, keyed by name.

Every generator is ``fn(image, seed_xy, support_radius) -> GeneratedMask``. The command line,
the batch tools and the app choose one by name; new generators register here instead of
growing an if/elif chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from label_irst.core.result import GeneratedMask
from label_irst.errors import LabelIrstError

GeneratorFn = Callable[[np.ndarray, tuple[float, float], float], GeneratedMask]


@dataclass(frozen=True)
class GeneratorSpec:
    name: str
    fn: GeneratorFn
    summary: str
    #: True when ``fn`` accepts ``size_prior=(width, height)`` (the ground-truth bbox size, Prior
    #: mode of Table I, Sec. IV-B1); such generators also work without it (Blind mode).
    uses_prior: bool = False
    #: ``batch_fn(image, seeds, support_radius) -> list[GeneratedMask]`` grows every seed of one
    #: frame at once (learned generators run one network call); None: ``fn`` per seed.
    batch_fn: Callable | None = None
    #: True when the generator is a learned model: ``fn`` and ``batch_fn`` then take
    #: ``model=PATH`` (the model's metadata record; None: the default model)
    learned: bool = False
    #: True when the generator only knows the frames it was made from (``lesps-labels``: the
    #: labels evolved while training the segmenter); on any other frame it raises
    #: LabelIrstError, so the app does not offer it for clicks
    known_frames_only: bool = False

    def grow(self, image: np.ndarray, seed, support_radius: float, model=None) -> GeneratedMask:
        """One mask; ``model`` names the learned model to use (ignored by the others)."""
        return self.fn(image, seed, support_radius, **self._model(model))

    def many(
        self, image: np.ndarray, seeds, support_radius: float, model=None
    ) -> list[GeneratedMask]:
        """One mask per seed of one frame, batched where the generator can; ``support_radius``
        is one value or one per seed; ``model`` as in :meth:`grow`."""
        if self.batch_fn is not None:
            return self.batch_fn(image, list(seeds), support_radius, **self._model(model))
        radii = support_radius if np.ndim(support_radius) else [support_radius] * len(seeds)
        return [self.grow(image, s, r, model) for s, r in zip(seeds, radii)]

    def _model(self, model) -> dict:
        return {"model": model} if self.learned and model is not None else {}


_REGISTRY: dict[str, GeneratorSpec] = {}
#: The generator used when none is named: the best measured one on sirst-v1 train.
DEFAULT_GENERATOR = "pamg+"


def register(
    name: str,
    fn: GeneratorFn,
    summary: str,
    uses_prior: bool = False,
    batch_fn=None,
    learned: bool = False,
    known_frames_only: bool = False,
) -> None:
    _REGISTRY[name] = GeneratorSpec(
        name, fn, summary, uses_prior, batch_fn, learned, known_frames_only
    )


def _deferred(module: str, attr: str) -> Callable:
    """``module.attr``, imported at the first call: a learned generator's runtime (ONNX
    Runtime) is not loaded by the registry, only by its first click."""

    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    call.__name__ = attr
    return call


_LOADED = False


def _load_builtin() -> None:
    # a flag, not "is the registry empty": a caller may register() its own generator before
    # the built-ins were loaded
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from label_irst.core import baseline, pamg, pamg_plus

    register("pamg", pamg.pamg, "PAMG, Algorithm 1 as published (faithful)")
    register(
        "pamg+",
        pamg_plus.pamg_plus,
        "PAMG with a homogeneity floor (eps = 0.2 of the local range), best on sirst-v1",
    )
    register("square3", baseline.square3, "3x3 square at the seed (floor baseline)")
    register(
        "edgsp",
        _deferred("label_irst.infer.edgsp", "edgsp"),
        "EDGSP: learned point-prompt network on a 32 px crop (TEI, DPE, BBM; ONNX Runtime)",
        batch_fn=_deferred("label_irst.infer.edgsp", "edgsp_batch"),
        learned=True,
    )
    register(
        "lesps-labels",
        _deferred("label_irst.infer.segmenter_labels", "lesps_labels"),
        "LESPS: the label evolved from a point while training the segmenter (training frames)",
        known_frames_only=True,
    )
    try:  # peers live in their own modules; registered here when present
        from label_irst.core.peers import PEERS
    except ImportError:
        PEERS = []
    for name, fn, summary, uses_prior in PEERS:
        register(name, fn, summary, uses_prior=uses_prior)


def available() -> list[GeneratorSpec]:
    _load_builtin()
    return list(_REGISTRY.values())


def get_generator(name: str | None = None) -> GeneratorSpec:
    _load_builtin()
    key = name or DEFAULT_GENERATOR
    if key not in _REGISTRY:
        names = ", ".join(sorted(_REGISTRY))
        raise LabelIrstError(f"unknown generator {key!r}; choose one of: {names}")
    return _REGISTRY[key]
