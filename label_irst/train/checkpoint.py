"""Torch checkpoints that hold tensors and plain values only, and can run no code when read.

A ``.pt`` file is a pickle, and an ordinary pickle runs whatever callables it names. Models now
travel with projects, between people, so every checkpoint is read with ``weights_only=True``:
torch's restricted unpickler accepts tensors, state dicts and plain containers (dict, list,
tuple, str, int, float, bool, None) and refuses every other global before calling it. Anything
else is refused with one line, and nothing in the file has run.

Checkpoints are written the same way: ``save`` turns numpy scalars and paths into plain values
first, so that every file this package writes can be read back under the same rule.
"""

from __future__ import annotations

from pathlib import Path, PurePath

import numpy as np
import torch

from label_irst.errors import LabelIrstError
from label_irst.io.atomic import atomic_path


def plain(value):
    """``value`` with numpy scalars and arrays, paths and tuples' contents as plain values."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, PurePath):
        return str(value)
    return value


def _numpy_scalars() -> list:
    """What older checkpoints need to read numpy scalars in their history: the scalar maker and
    the dtypes of numbers. Both build a number from bytes and call nothing else (numpy refuses
    a scalar of an object-holding dtype)."""
    core = getattr(np, "_core", None) or np.core
    kinds = ("Float64DType", "Float32DType", "Int64DType", "Int32DType", "BoolDType")
    return [core.multiarray.scalar, np.dtype, *(getattr(np.dtypes, k) for k in kinds)]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    marker = "WeightsUnpickler error:"
    if marker in text:  # torch's refusal: a page of advice, then the reason on one line
        text = text.split(marker, 1)[1].strip()
    line = text.splitlines()[0].strip() if text else type(exc).__name__
    line = line.split(". Please use", 1)[0]  # torch's advice to allow it: not ours to give
    return line[:200]


def load(path: str | Path, map_location="cpu") -> dict:
    """The checkpoint's dict, read without running code; ``LabelIrstError`` (one line) if the
    file is missing, unreadable, not a dict, or asks for anything beyond tensors and plain
    values."""
    import pickle

    try:
        with torch.serialization.safe_globals(_numpy_scalars()):
            state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = _first_line(exc)
        if "global" not in reason.lower():  # not a pickle we can read at all
            raise LabelIrstError(f"{path}: cannot read checkpoint ({reason})") from None
        raise LabelIrstError(
            f"{path}: refused: a checkpoint may hold only tensors and plain values ({reason})"
        ) from None
    except Exception as exc:  # torch raises OS, zip and runtime errors alike
        raise LabelIrstError(f"{path}: cannot read checkpoint ({_first_line(exc)})") from None
    if not isinstance(state, dict):
        raise LabelIrstError(f"{path}: not a checkpoint (a {type(state).__name__}, not a dict)")
    return state


def config(state: dict) -> dict:
    """The checkpoint's ``config`` record, ``{}`` where it has none (or not a dict)."""
    cfg = state.get("config")
    return cfg if isinstance(cfg, dict) else {}


def load_weights_into(module: torch.nn.Module, weights, path: str | Path, what: str) -> None:
    """``module.load_state_dict(weights)``, or one line naming ``path`` as not ``what``."""
    try:
        module.load_state_dict(weights)
    except (RuntimeError, TypeError, AttributeError, KeyError, ValueError) as exc:
        raise LabelIrstError(f"{path}: not {what} ({_first_line(exc)})") from None


def save(path: str | Path, state: dict) -> None:
    """Write ``state`` atomically, as plain values that ``load`` reads back."""
    with atomic_path(Path(path), suffix=".pt") as tmp:
        torch.save(plain(state), tmp)
