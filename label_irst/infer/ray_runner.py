"""Pre-labelling on a Ray cluster: the single entry point of Ray into Label-IRST (optional extra
``cluster``; ``pip install -e ".[cluster]"``).

The work is cut into units, one per sequence, a sequence longer than ``chunk`` frames into
ranges of ``chunk`` frames; a range reads its temporal context (the frame before and after it,
Sec. III-B1's triplet), so the ranges overlap by one frame on each side and their detections are
those of one run. Each unit runs on a Ray actor holding one ONNX Runtime session pair (and its
encoder cache) through :func:`label_irst.infer.pipeline.label_unit`, the stage the
single-machine run calls; once every range of a sequence is back, its tracks are linked on a
worker by :func:`label_irst.infer.pipeline.track_unit`. Results come back to the driver, which
hands them to the run's sink (:mod:`label_irst.infer.sinks`: atomic files in OUT, the project
one transaction per frame) in sequence and frame order, as
:func:`label_irst.infer.pipeline.run_sequence` does, so the output is the single-machine run's,
byte for byte. Ray only schedules units; it writes nothing itself.

Workers read frames by path: DATA and the model must be on storage every node sees at the same
path (checked at start by a small remote task). A task whose worker dies is retried by Ray
(``max_restarts`` / ``max_task_retries``); a sequence that still fails, or whose frames are bad,
is skipped with a warning.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass

from label_irst.errors import LabelIrstError
from label_irst.infer.pipeline import apply_tracks, label_unit, options_for, take_frame, track_unit

INSTALL = 'Ray is not installed: pip install -e ".[cluster]" (or pip install "label-irst[cluster]")'


@dataclass
class RayOptions:
    """Where and how to run: ``address`` None starts a local cluster, ``auto`` or
    ``ray://host:port`` connects to a running one."""

    address: str | None = None
    workers: int | None = None  # default: one per GPU / gpus, else one per `threads` CPUs
    gpus: float = 1.0  # GPUs per worker where the cluster has GPUs (a fraction shares one)
    threads: int = 1  # CPU threads per worker (and its ONNX graphs) on a CPU cluster
    chunk: int = 1000  # frames of a unit; longer sequences are cut into ranges
    retries: int = 2  # restarts of a dead worker and retries of its task
    device: str = "auto"


def require_ray():
    """The ray module, or the one-line error naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise LabelIrstError(INSTALL) from None
    return ray


@contextmanager
def connected(options: RayOptions):
    """Ray, initialised for the run (and shut down after, where this run started it)."""
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs = {"logging_level": logging.WARNING, "log_to_driver": False}
    if options.address is None:
        kwargs.update(address="local", include_dashboard=False)
        if options.workers:
            kwargs["num_cpus"] = options.workers * max(options.threads, 1)
    elif options.address.startswith("ray://"):  # Ray Client takes few settings
        kwargs = {"address": options.address}
    else:
        kwargs["address"] = options.address
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = options.address or "a local cluster"
        raise LabelIrstError(f"--ray: cannot start or reach {where} ({first[:160]})") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _can_read(paths: list[str]) -> str | None:
    """Run on a worker: None when every path can be opened and read, else why not."""
    for path in paths:
        try:
            if os.path.isdir(path):  # a project's frame folder
                os.listdir(path)
            else:
                with open(path, "rb") as fh:
                    fh.read(1)
        except OSError as exc:
            return f"{path}: {exc.strerror or exc}"
    return None


class _Worker:
    """A Ray actor: one loaded model, units of detection and tracking run on it."""

    def __init__(self, model_path: str, device: str, threads: int, precision: str = "auto"):
        from label_irst.infer.session import load_model

        self.model = load_model(model_path, device, threads, precision)

    def provider(self) -> str:
        return self.model.provider

    def detect(self, seq, opts, start: int, stop: int):
        warnings: list[str] = []
        try:
            frames = list(label_unit(seq, self.model, opts, start, stop, warnings.append))
        except LabelIrstError as exc:
            return None, warnings, str(exc)
        return frames, warnings, None

    def track(self, seq, done, opts):
        warnings: list[str] = []
        try:
            return track_unit(seq, done, opts, warnings.append), warnings, None
        except LabelIrstError as exc:
            return None, warnings, str(exc)


def _portable(seq):
    """A sequence as sent to a worker: without its open reader."""
    return seq.detached()


def _first_path(seq) -> str:
    return str(seq.source)


def _model_paths(model) -> list[str]:
    """The files of the record a worker loads (as asked for) and of its CPU copy, if any."""
    from label_irst.infer.session import cpu_variant, resolve

    meta, record = resolve(model.named or model.path)
    records = [(meta, record)]
    variant = cpu_variant(meta, record) if model.precision == "auto" else None
    if variant is not None:
        records.append(resolve(variant))
    return [str(m.parent / name) for m, r in records for name in (m.name, r["encoder"], r["head"])]


def run_on_cluster(options: RayOptions, seqs, model, opts, sink, job, report) -> None:
    """Run the unfinished units of ``seqs`` on the cluster, handing results to ``sink`` as
    they come back."""
    states = [_State(seq, sink.resume_from(seq)) for seq in seqs]
    total = sum(len(s.stems) for s in states)
    done_total = 0
    units: deque = deque()
    for i, state in enumerate(states):
        if state.finished:
            report.skipped_frames += len(state.stems)
            done_total += len(state.stems)
            continue
        report.skipped_frames += len(state.done)
        done_total += len(state.done)
        n = len(state.stems)
        # a whole number of batches per range: frames are batched as in one run over the sequence
        step = max(options.chunk // opts.batch, 1) * opts.batch
        for a in range(len(state.done), n, step):
            units.append(("detect", i, a, min(a + step, n)))
        if len(state.done) == n:  # read before, tracks not linked yet
            units.append(("track", i, n, n))
    job.step(done_total, total)
    if not units:
        return
    with connected(options) as ray:
        first = next(states[u[1]].seq for u in units)
        paths = [_first_path(first), *_model_paths(model)]
        why = ray.get(ray.remote(num_cpus=0)(_can_read).remote(paths))
        if why is not None:
            raise LabelIrstError(
                f"--ray: a worker cannot read {why}; DATA and the model must be on storage "
                "shared by every node, at the same path"
            )
        gpus = ray.cluster_resources().get("GPU", 0.0)
        if gpus > 0 and options.device != "cpu":
            per = {"num_gpus": options.gpus, "num_cpus": max(options.threads, 1)}
            count = options.workers or max(int(gpus / options.gpus), 1)
            device = options.device
        else:
            per = {"num_cpus": max(options.threads, 1)}
            cpus = ray.cluster_resources().get("CPU", 1.0)
            count = options.workers or max(int(cpus / max(options.threads, 1)), 1)
            device = "cpu"
        count = max(min(count, len(units)), 1)
        actor = ray.remote(max_restarts=options.retries, max_task_retries=options.retries, **per)
        cls = actor(_Worker)
        workers = [
            cls.remote(
                str(model.named or model.path), device, max(options.threads, 1), model.precision
            )
            for _ in range(count)
        ]
        report.provider = ray.get(workers[0].provider.remote())
        _schedule(ray, workers, units, states, opts, sink, job, report, total, done_total)


@dataclass
class _State:
    """One sequence of a cluster run: its frame entries so far (from the sink's resume)."""

    seq: object
    resume: object

    def __post_init__(self) -> None:
        self.stems = self.seq.stems()
        self.done = self.resume.done
        self.finished = self.resume.finished


def _schedule(ray, workers, units, states, opts, sink, job, report, total, done_total) -> None:
    idle = list(workers)
    alive = len(workers)
    pending: dict = {}
    arrived: dict[int, dict[int, list]] = {}  # sequence -> range start -> frame results
    failed: set[int] = set()

    def fail(i: int, why: str) -> None:
        failed.add(i)
        report.skipped_frames += len(states[i].stems) - len(states[i].done)
        name = states[i].seq.name
        job.warning(f"sequence {name}: {why}; skipped")
        report.warnings.append(f"{name}: {why}")

    def absorb(i: int) -> None:
        """Write the ranges of sequence i that continue what is written, in frame order."""
        state = states[i]
        got = arrived.setdefault(i, {})
        moved = False
        while len(state.done) in got:
            for fr in got.pop(len(state.done)):
                take_frame(state.seq, fr, sink, state.done, report, job)
            moved = True
        complete = len(state.done) == len(state.stems)
        tracking = options_for(state.seq, opts).tracking
        if complete and tracking:
            units.appendleft(("track", i, 0, 0))
        if moved:
            sink.finish_sequence(state.seq, state.done, None, complete and not tracking)

    while units or pending:
        while idle and units and not job.cancelled:
            kind, i, a, b = units.popleft()
            if i in failed:
                continue
            worker = idle.pop()
            seq = _portable(states[i].seq)
            if kind == "detect":
                ref = worker.detect.remote(seq, opts, a, b)
            else:
                ref = worker.track.remote(seq, states[i].done, opts)
            pending[ref] = (kind, i, a, b, worker)
        if job.cancelled or not pending:
            break
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
        for ref in ready:
            kind, i, a, b, worker = pending.pop(ref)
            try:
                result, warnings, error = ray.get(ref)
            except ray.exceptions.RayActorError as exc:  # retries spent: the worker is gone
                fail(i, f"worker failed ({type(exc).__name__})")
                alive -= 1
                if alive == 0:  # every worker is gone: the sequences left are not done
                    for unit in units:
                        if unit[1] not in failed:
                            fail(unit[1], "no worker left")
                    units.clear()
                continue
            except ray.exceptions.RayError as exc:
                result, warnings, error = None, [], f"task failed ({type(exc).__name__})"
            idle.append(worker)
            for message in warnings:
                job.warning(message)
            if i in failed:
                continue
            if error is not None:
                fail(i, error)
                continue
            if kind == "detect":
                arrived.setdefault(i, {})[a] = result
                done_total += b - a
                job.step(done_total, total)
                absorb(i)
            else:
                done = states[i].done
                apply_tracks(done, result)
                report.tracks += sink.finish_sequence(states[i].seq, done, result, True)
                report.targets += sum(len(e["targets"]) for e in done)
    for ref in pending:  # cancelled: what is finished is written, the rest is dropped
        try:
            ray.cancel(ref)
        except Exception:  # noqa: BLE001 - a task that ended meanwhile cannot be cancelled
            pass
