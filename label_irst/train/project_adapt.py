"""``label-irst adapt PROJECT``: the detector adaptation (:mod:`label_irst.train.adapt`) on a
project's reviewed frames, its model kept with the project.

The project is read without its lock while the model trains (the app may keep it open) and
written once at the end, in one transaction per setting: the adopted model's path under
``detector/model`` and the held-back figures of the last adaptation under
``detector/last_adaptation``. Models of earlier adaptations that were not adopted are deleted
(:func:`prune_unadopted`); adopted ones, the project's detector and the latest stay. Bad input (no reviewed frame; a recorded model that is missing,
not an RPR-Net record, or without torch weights) is refused before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.infer.detector_model import SHIPPED_DETECTOR
from label_irst.infer.project import is_project, project_sequences
from label_irst.infer.session import resolve
from label_irst.io.generator_model import models_folder
from label_irst.io.project import ProjectStore
from label_irst.io.project_reviewed import (
    LAST_ADAPTATION_KEY,
    last_adaptation,
    reviewed_frames,
    set_project_detector,
)
from label_irst.io.project_settings import ProjectSettings
from label_irst.job import Job
from label_irst.train.adapt import AdaptConfig, ReviewedSequence, adapt, torch_weights

SHIPPED = SHIPPED_DETECTOR
LAST_KEY = LAST_ADAPTATION_KEY


def current_model(store) -> Path:
    """The project's detector model (recorded by an earlier adaptation), else the shipped one;
    a recorded model that is missing or of another kind is refused in one line."""
    recorded = ProjectSettings(store).detector
    model = SHIPPED if recorded is None else recorded
    if recorded is not None and not recorded.is_file():
        raise LabelIrstError(f"{store.path}: the project's detector model {recorded} is missing")
    resolve(model)  # an RPR-Net metadata record, else one line
    torch_weights(model)
    return model


def reviewed_items(store, warn=None) -> list[ReviewedSequence]:
    """The project's reviewed frames with their confirmed targets ((x, y, r) from the masks) and
    rejected candidates (centroids)."""
    reviewed = reviewed_frames(store)
    items = []
    for seq in project_sequences(store, warn):
        frames = reviewed.get(seq.sequence_id, [])
        stems = seq.stems()
        chosen = [stems[i] for i in frames if 0 <= i < len(stems)]
        if not chosen:
            seq.close()
            continue
        rejected: dict[str, list] = {}
        for t in store.targets(seq.sequence_id, status="rejected"):
            if 0 <= t.frame < len(stems) and t.mask.area > 0:
                x, y = t.mask.centroid()
                rejected.setdefault(stems[t.frame], []).append((float(x), float(y)))
        targets = {stem: seq.confirmed.get(stem, []) for stem in chosen}
        items.append(ReviewedSequence(seq, chosen, rejected=rejected, targets=targets))
    return items


def _versions(folder: Path) -> dict[int, Path]:
    """n -> ``rprnet-n.json`` of the adaptations kept in ``folder``."""
    out = {}
    for path in folder.glob("rprnet-*.json"):
        number = path.stem.removeprefix("rprnet-")
        if number.isdigit():
            out[int(number)] = path
    return out


def _next_stem(folder: Path) -> str:
    """One more than the highest version kept, so names never come back after a prune."""
    return f"rprnet-{max(_versions(folder), default=0) + 1}"


def _was_adopted(meta: Path) -> bool:
    """Whether an adaptation's record says it was adopted (unreadable: kept, as if it was)."""
    from label_irst.io.files import read_json

    try:
        record = read_json(meta)
        return bool(record["training"]["held_back"]["adopted"])
    except (LabelIrstError, OSError, KeyError, TypeError):
        return True


def prune_unadopted(folder: Path, keep: list[Path]) -> list[Path]:
    """Delete the models of earlier adaptations that were not adopted (record, both graphs and
    torch weights; only an adopted model gets an int8 copy), keeping every adopted one, every
    model in ``keep`` (the project's detector,
    the adaptation just made) and the latest version. Each adaptation writes about 12 MB, and
    a loop that adapts every K reviewed frames would otherwise fill the folder with models no
    one runs. Returns the records removed."""
    versions = _versions(folder)
    if not versions:
        return []
    kept = {Path(p).resolve() for p in keep} | {versions[max(versions)].resolve()}
    removed = []
    for n, meta in sorted(versions.items()):
        if meta.resolve() in kept or _was_adopted(meta):
            continue
        for suffix in (".encoder.onnx", ".head.onnx", ".pt", ".json"):  # the record last
            meta.with_name(f"rprnet-{n}{suffix}").unlink(missing_ok=True)
        removed.append(meta)
    return removed


def adapt_project(
    project: str | Path,
    minutes: float = 5.0,
    device: str = "cpu",
    threads: int = 2,
    job: Job | None = None,
    log=print,
    cfg: AdaptConfig | None = None,
    record: bool = True,
) -> dict:
    """Adapt the project's detector; returns the adaptation's summary (``adopted``,
    ``current_pd``, ``new_pd``, ``model``, ``reviewed_frames``...). Without ``record`` the
    project is only read: the caller records the outcome (the app, which holds the project's
    lock, records it with its re-annotation)."""
    job = job or Job()
    project = Path(project)
    if not project.is_file() or not is_project(project):
        raise LabelIrstError(f"{project}: not a Label-IRST project")
    with ProjectStore.open(project, readonly=True) as store:
        reviewed = reviewed_frames(store)
        if not reviewed:
            raise LabelIrstError(f"{project}: no reviewed frames to adapt on; review frames first")
        model = current_model(store)
        items = reviewed_items(store, job.warning)
    if not items:
        raise LabelIrstError(f"{project}: no reviewed frame of a readable sequence")
    cfg = cfg or AdaptConfig()
    cfg.minutes, cfg.device, cfg.threads = minutes, device, threads
    folder = models_folder(project)
    try:
        result = adapt(items, model, folder, cfg, job, log, stem=_next_stem(folder),
                       work=folder / "rprnet.work")  # fmt: skip
    finally:
        for item in items:
            item.sequence.close()
    summary = result.summary()
    if result.model is not None:
        prune_unadopted(folder, [model, result.model])
    summary["current_model"] = str(model)
    summary["reviewed_frames"] = sum(len(frames) for frames in reviewed.values())
    if result.cancelled or not record:
        return summary
    with ProjectStore.open(project) as store:
        if result.adopted:
            set_project_detector(store, result.model)
        store.set_meta(LAST_KEY, last_adaptation(summary, summary["reviewed_frames"]))
    return summary
