"""ONNX Runtime sessions for the two RPR-Net graphs, with provider fallback.

``device='auto'`` tries TensorRT (where present) and CUDA, then falls back to the CPU, logging
the reason once per process; ``'cuda'`` insists on a GPU provider; ``'cpu'`` uses the CPU only.
A model path may name the metadata record (``<stem>.json``) or either graph; a missing,
unreadable or wrong file is a :class:`LabelIrstError` naming the file and the expected inputs.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.files import is_regular_file, read_json, regular_file

log = logging.getLogger("label_irst.infer")

FORMAT = "label-irst/rprnet-onnx/1"
ENCODER_INPUTS = ["frame"]
HEAD_INPUTS = ["prev", "curr", "next"]
EXPECTED = (
    "expected an RPR-Net model: <stem>.json with <stem>.encoder.onnx (input 'frame' N x 1 x H x W) "
    "and <stem>.head.onnx (inputs 'prev', 'curr', 'next' N x C x H/4 x W/4)"
)
GPU_PROVIDERS = ["TensorrtExecutionProvider", "CUDAExecutionProvider"]
_fallback_logged: set[str] = set()


@dataclass
class RPRModel:
    """The two sessions of a loaded model and its metadata record."""

    encoder: object
    head: object
    meta: dict
    provider: str
    path: Path
    #: the record asked for, where its CPU copy (``cpu_variant``) runs in its place
    named: Path | None = None
    #: the precision it was loaded with (:data:`PRECISIONS`), for workers that load it again
    precision: str = "auto"


def resolve(path: str | Path) -> tuple[Path, dict]:
    """The metadata path and record of a model named by its .json or one of its .onnx graphs."""
    p = Path(path)
    if p.suffix == ".onnx":
        stem = p.name.removesuffix(".onnx").removesuffix(".encoder").removesuffix(".head")
        p = p.with_name(f"{stem}.json")
    if not is_regular_file(p):
        if p.exists():
            regular_file(p)
        raise LabelIrstError(f"{path}: no such model file; {EXPECTED}")
    try:
        meta = read_json(p)
    except LabelIrstError as exc:
        reason = str(exc).removeprefix(f"{p}: ")
        raise LabelIrstError(f"{p}: not a model metadata record ({reason}); {EXPECTED}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise LabelIrstError(f"{p}: not an RPR-Net metadata record ({FORMAT}); {EXPECTED}")
    for key in ("encoder", "head"):
        value = meta.get(key)
        if not isinstance(value, str) or not value.strip():
            raise LabelIrstError(f"{p}: '{key}' must name the {key} graph file; {EXPECTED}")
    threshold = meta.get("threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise LabelIrstError(f"{p}: 'threshold' must be a number in (0, 1], got {threshold!r}")
    if not (math.isfinite(threshold) and 0 < threshold <= 1):
        raise LabelIrstError(f"{p}: 'threshold' must be a number in (0, 1], got {threshold!r}")
    return p, meta


def _loadable(*names: str) -> bool:
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def gpu_obstacle(provider: str) -> str | None:
    """Why ``provider`` cannot start on this machine (a missing driver or library), or None.

    onnxruntime-gpu lists its CUDA and TensorRT providers even where no GPU exists; asking for
    them there makes it print an error banner on stdout before falling back, so the libraries
    they need are checked first.
    """
    if not _loadable("libcuda.so.1", "nvcuda.dll"):
        return "no NVIDIA driver (libcuda not found)"
    if provider == "TensorrtExecutionProvider" and not _loadable(
        "libnvinfer.so.10", "libnvinfer.so.8", "libnvinfer.so", "nvinfer_10.dll", "nvinfer.dll"
    ):
        return "TensorRT libraries not found"
    return None


def providers_for(device: str) -> list[str]:
    """Execution providers to try, best first, for ``device`` in auto / cuda / cpu."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    listed = [p for p in GPU_PROVIDERS if p in available]
    gpu, reasons = [], []
    for provider in listed:
        obstacle = gpu_obstacle(provider)
        if obstacle is None:
            gpu.append(provider)
        else:
            reasons.append(f"{provider.removesuffix('ExecutionProvider')}: {obstacle}")
    if listed and not gpu and device == "auto":
        _log_once(f"running the model on the CPU ({'; '.join(reasons)})")
    if device == "cuda":
        if not listed:
            raise LabelIrstError("--device cuda: this onnxruntime has no CUDA or TensorRT provider")
        if not gpu:
            raise LabelIrstError(f"--device cuda: {'; '.join(reasons)}")
        return gpu + ["CPUExecutionProvider"]
    if device != "auto":
        raise LabelIrstError(f"unknown device {device!r} (auto, cuda or cpu)")
    return gpu + ["CPUExecutionProvider"]


def _log_once(reason: str) -> None:
    if reason not in _fallback_logged:
        _fallback_logged.add(reason)
        log.warning(reason)


def open_session(
    path: Path,
    providers: list[str],
    inputs: list[str],
    threads: int | None,
    expected: str = EXPECTED,
):
    """One ONNX Runtime session on ``providers``, its inputs checked; every failure is one
    LabelIrstError naming the file and ``expected`` (what a valid model looks like)."""
    import onnxruntime as ort

    if not is_regular_file(path):
        raise LabelIrstError(f"{path}: no such model graph; {expected}")
    ort.set_default_logger_severity(4)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    try:  # onnxruntime prints provider errors on stdout: keep stdout for --json
        with contextlib.redirect_stdout(sys.stderr):
            sess = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
    except Exception as exc:  # onnxruntime raises several private exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LabelIrstError(
            f"{path}: cannot load the ONNX graph ({first[:160]}); {expected}"
        ) from None
    names = [i.name for i in sess.get_inputs()]
    if names != inputs:
        raise LabelIrstError(f"{path}: graph inputs are {names}, expected {inputs}; {expected}")
    return sess


#: what :func:`load_model` runs: ``auto`` runs a record's ``cpu_variant`` (its int8 copy) where
#: the model runs on the CPU; ``fp32`` runs the record as named
PRECISIONS = ("auto", "fp32")


def cpu_variant(meta_path: Path, meta: dict) -> Path | None:
    """The int8 copy a float record names for CPU inference (``"cpu_variant"``), where present.
    A named copy that is missing or not an RPR-Net record is logged once and not used."""
    name = meta.get("cpu_variant")
    if not isinstance(name, str) or not name.strip():
        return None
    variant = meta_path.parent / name
    try:
        resolve(variant)
    except LabelIrstError as exc:
        _log_once(f"{meta_path.name}: its CPU copy is not usable ({exc}); running it in float")
        return None
    return variant


def load_model(
    path: str | Path, device: str = "auto", threads: int | None = None, precision: str = "auto"
) -> RPRModel:
    """Load both graphs on the best provider ``device`` allows (fallback reason logged once).

    With ``precision='auto'`` a model that runs on the CPU runs as its record's int8
    ``cpu_variant`` where it names one (the shipped models do: 1.5 times the frames per second
    at the same Pd, models/README.md); ``'fp32'`` always runs the record as named (training,
    quantisation and like-for-like comparisons)."""
    if precision not in PRECISIONS:
        raise LabelIrstError(f"unknown precision {precision!r} ({' or '.join(PRECISIONS)})")
    meta_path, meta = resolve(path)
    wanted = providers_for(device)
    variant = cpu_variant(meta_path, meta) if precision == "auto" else None
    if variant is not None and wanted[0] == "CPUExecutionProvider":
        return _as_named(load_model(variant, device, threads, "fp32"), meta_path)
    enc_path = meta_path.parent / meta["encoder"]
    head_path = meta_path.parent / meta["head"]
    encoder = open_session(enc_path, wanted, ENCODER_INPUTS, threads)
    head = open_session(head_path, wanted, HEAD_INPUTS, threads)
    used = encoder.get_providers()[0]
    if used == "CPUExecutionProvider" and wanted[0] != "CPUExecutionProvider":
        gpus = " and ".join(p.removesuffix("ExecutionProvider") for p in wanted[:-1])
        msg = f"the {gpus} provider could not start (no usable GPU); running RPR-Net on the CPU"
        if device == "cuda":
            raise LabelIrstError(f"--device cuda: the {gpus} provider could not start")
        _log_once(msg)
    elif device == "auto" and wanted[0] == "CPUExecutionProvider" and not _fallback_logged:
        _log_once("no CUDA or TensorRT provider in this onnxruntime; running RPR-Net on the CPU")
    if variant is not None and used == "CPUExecutionProvider":  # a GPU provider fell back
        return _as_named(load_model(variant, "cpu", threads, "fp32"), meta_path)
    return RPRModel(encoder, head, meta, used, meta_path, precision=precision)


def _as_named(model: RPRModel, named: Path) -> RPRModel:
    model.named, model.precision = named, "auto"
    return model
