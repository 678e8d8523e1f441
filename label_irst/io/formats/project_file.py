"""A Label-IRST project file (the SQLite store of :mod:`label_irst.io.project`) as a dataset.

Reading: every sequence of the project, all its frames (annotated or not) and its targets.
A folder sequence named ``images`` (the SIRST layout) holds independent single frames, so its
frames get no sequence name and are split one by one.

Writing (import into a new project): frames are grouped by the folder that holds their files;
each folder becomes a sequence of the project, read in place (the project refers to frames, it
does not copy them). The project is built beside its destination and renamed into place.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Frame, Target, image_info
from label_irst.io.files import as_float, is_folder
from label_irst.io.naming import safe_name
from label_irst.job import Job

NAME = "project"
SUMMARY = "a Label-IRST project file (SQLite)"
SINGLE_FRAME_FOLDER = "images"


def detect(path: Path) -> bool:
    from label_irst.io.project import PROJECT_SUFFIX

    if path.suffix.lower() in (PROJECT_SUFFIX, ".irst") and path.exists():
        return not is_folder(path)
    from label_irst.io.project_lock import is_sqlite_file

    return is_sqlite_file(path)  # through SQLite: a project open here keeps its locks


def _sequence_frames(record, job: Job) -> tuple[str, list[Frame]]:
    from label_irst.io.sequence import open_sequence

    source = Path(record.source)
    name = source.name if record.kind == "folder" else source.stem
    sequence_name = "" if record.kind == "folder" and name == SINGLE_FRAME_FOLDER else name
    sequence = open_sequence(source)
    frames = []
    for index, frame_name in enumerate(sequence.names):
        if record.kind == "video":
            image = sequence.frame(index)
            frame = Frame(sequence_name, frame_name, None, image.shape, str(image.dtype))
            frame.reader = lambda s=sequence, i=index: s.frame(i)
        else:
            path = sequence.path(index) if hasattr(sequence, "path") else source
            shape, dtype = image_info(path)
            frame = Frame(sequence_name, Path(frame_name).stem, path, shape, dtype)
        frames.append(frame)
    return sequence_name, frames


def read(path: Path, job: Job | None = None) -> Annotations:
    from label_irst.io.project import ProjectStore

    job = job or Job()
    ann = Annotations(name=safe_name(Path(path).stem, "project"))
    radii: set[float] = set()
    with ProjectStore.open(path, readonly=True) as store:
        records = store.sequences()
        for done, record in enumerate(records, 1):
            try:
                _, frames = _sequence_frames(record, job)
            except LabelIrstError as exc:
                job.warning(f"skipped sequence {record.source}: {exc}")
                continue
            for t in store.targets(record.id):
                if not 0 <= t.frame < len(frames):
                    job.warning(f"{record.source}: target {t.id} on missing frame {t.frame}")
                    continue
                h, w = frames[t.frame].shape
                y0, x0 = t.mask.offset
                ch, cw = t.mask.crop.shape
                if y0 < 0 or x0 < 0 or y0 + ch > h or x0 + cw > w:
                    job.warning(f"{record.source}: target {t.id} lies outside its frame; skipped")
                    continue
                rho = None if t.rho is None or not math.isfinite(t.rho) else float(t.rho)
                score = t.score if t.score is not None and 0.0 <= t.score <= 1.0 else None
                frames[t.frame].targets.append(
                    Target(
                        mask=t.mask,
                        id=t.id or 0,
                        track_id=t.track_id,
                        source=t.source,
                        status=t.status,
                        rho=rho,
                        seed=t.seed,
                        score=score,
                    )
                )
                if t.generator and "generator" not in ann.meta:
                    ann.meta["generator"] = t.generator
                if t.generator and t.support_radius is not None:
                    radii.add(float(t.support_radius))
            ann.frames.extend(frames)
            job.step(done, len(records))
        for message in store.damaged:
            job.warning(message)
    if radii:
        ann.meta["generator_settings"] = support_radii(radii)
    return ann


def support_radii(radii: set[float]) -> dict:
    """The generator settings of an export: the support radius Rs when every target shares
    one, else the radii used (min first, which an import takes for Rs)."""
    ordered = sorted(radii)
    if len(ordered) == 1:
        return {"support_radius": ordered[0]}
    return {"support_radius": ordered[0], "support_radii": ordered, "per_target": True}


def _source_of(target: Target) -> str:
    from label_irst.io.project import SOURCES

    return target.source if target.source in SOURCES else "manual"


def write_project(ann: Annotations, out: Path, force: bool = False, job: Job | None = None) -> int:
    """Create the project ``out`` from ``ann``; returns the number of targets stored."""
    from label_irst.io.project import ProjectStore
    from label_irst.io.project import Target as StoredTarget
    from label_irst.io.project_lock import ProjectLock, clean_stale_builds, replace_project
    from label_irst.io.sequence import FolderSequence, VideoSequence

    job = job or Job()
    out = Path(out)
    if out.is_dir():
        raise LabelIrstError(f"{out}: is a folder, not a project file")
    if out.exists() or out.is_symlink():
        if not force:
            raise LabelIrstError(f"{out}: the project exists (use --force to replace it)")
        if out.exists():
            ProjectLock(out).release()  # refused now, not after the work, if held elsewhere
    if not ann.frames:  # every entry was skipped: an empty project helps nobody
        raise LabelIrstError(f"{out}: no readable frame to import; nothing written")
    groups: dict[tuple[str, Path], list[Frame]] = {}
    for frame in ann.frames:
        if frame.video is not None:
            key = ("video", frame.video.resolve())
        elif frame.image_path is None:
            raise LabelIrstError(f"{frame.key}: only frames stored as files can go into a project")
        else:
            key = ("folder", frame.image_path.resolve().parent)
        groups.setdefault(key, []).append(frame)
    generator = str(ann.meta.get("generator") or "")
    settings = ann.meta.get("generator_settings")
    try:
        rs = as_float((settings if isinstance(settings, dict) else {}).get("support_radius", 20.0))
    except ValueError:
        rs = 20.0
    real = Path(os.path.realpath(out))
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LabelIrstError(f"{out}: cannot create its folder ({exc.strerror})") from None
    try:
        clean_stale_builds(real)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:  # a read-only or foreign folder
        raise LabelIrstError(f"{out}: cannot write in {real.parent} ({exc.strerror})") from None
    os.close(fd)
    os.unlink(tmp_name)
    tmp = Path(tmp_name)
    stored = 0
    try:
        with ProjectStore.open(tmp, create=True) as store:
            for done, ((kind, source), frames) in enumerate(groups.items(), 1):
                sequence = FolderSequence(source) if kind == "folder" else VideoSequence(source)
                sequence.close()
                index = {name: i for i, name in enumerate(sequence.names)}
                sid = store.add_sequence(source, kind, len(sequence))
                for frame in frames:
                    name = frame.name if kind == "video" else frame.image_path.name
                    idx = index[name]
                    for target in frame.targets:
                        cx, cy = target.centroid
                        seed = target.seed or (int(round(cx)), int(round(cy)))
                        stored_target = StoredTarget(
                            sequence_id=sid,
                            frame=idx,
                            mask=target.mask,
                            seed=seed,
                            source=_source_of(target),
                            status=target.status,
                            rho=float("nan") if target.rho is None else float(target.rho),
                            support_radius=rs,
                            generator=generator,
                            track_id=target.track_id,
                            score=target.score,
                        )
                        store.save_target(stored_target, name, frame.shape)
                        stored += 1
                job.step(done, len(groups))
        replace_project(tmp, out)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".lock"), tmp.with_name(tmp.name + "-wal"),
                         tmp.with_name(tmp.name + "-shm")):  # fmt: skip
            with contextlib.suppress(OSError):
                leftover.unlink()
    return stored
