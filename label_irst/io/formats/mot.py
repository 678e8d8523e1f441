"""MOT-challenge-style tracks: one folder per sequence with its frames and a CSV of boxes by track.

Export layout (as MOT16/17 ground truth)::

    ROOT/<seq>/img1/<frame>.png        the frames, raw dtype kept
    ROOT/<seq>/gt/gt.txt               frame,id,bb_left,bb_top,bb_width,bb_height,conf,class,visibility
    ROOT/<seq>/seqinfo.ini             name, imDir, frameRate, seqLength, imWidth, imHeight, imExt

``frame`` is the 1-based position of the frame in its sequence, ``id`` the target's track id,
the box the mask's bounding box in MOT's 1-based pixel coordinates (bb_left = x0 + 1), ``conf``
1 (evaluate), ``class`` 1 (target), ``visibility`` 1. Rows are sorted by frame, then id. A target
without a track id, or repeating a track id already used in its frame, gets a new id above the
sequence's largest, with a warning. The frame rate is not known to the project: 25 is written.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.io.annotations import Annotations
from label_irst.io.atomic import write_text_atomic
from label_irst.io.formats._common import SINGLE_SEQUENCE, ExportPlan, copied_frames
from label_irst.job import Job

NAME = "mot"
SUMMARY = "MOT-challenge tracks: <seq>/img1/, <seq>/gt/gt.txt (frame,id,box,...), seqinfo.ini"
FRAME_RATE = 25


def detect(path: Path) -> bool:
    return path.is_dir() and any(p.is_file() for p in path.glob("*/gt/gt.txt"))


def track_ids(frames, job: Job | None = None, sequence: str = "") -> list[list[int]]:
    """One MOT id per target of each frame: its track id, or a new one (see the module doc)."""
    used = [t.track_id for f in frames for t in f.targets if isinstance(t.track_id, int)]
    next_id = max([0, *used]) + 1
    fresh = dupes = 0
    out = []
    for frame in frames:
        ids, seen = [], set()
        for t in frame.targets:
            tid = t.track_id if isinstance(t.track_id, int) and t.track_id > 0 else None
            if tid is None or tid in seen:
                fresh += tid is None
                dupes += tid is not None
                tid, next_id = next_id, next_id + 1
            seen.add(tid)
            ids.append(tid)
        out.append(ids)
    if job is not None and (fresh or dupes):
        job.warning(
            f"{sequence or SINGLE_SEQUENCE}: {fresh} target(s) without a track id and {dupes} "
            "repeating one in their frame were given new ids"
        )
    return out


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    rows: dict[str, list[tuple[int, int, str]]] = {}
    info: dict[str, dict] = {}
    ids_of: dict[int, list[int]] = {}
    for sequence, frames in ann.sequences().items():
        for frame, ids in zip(frames, track_ids(frames, job, sequence)):
            ids_of[id(frame)] = ids
    index: dict[str, int] = {}

    def destination(seq: str, name: str) -> Path:
        return root / (seq or SINGLE_SEQUENCE) / "img1" / name

    for frame, seq, _name, image in copied_frames(ann, plan, job, destination):
        seq = seq or SINGLE_SEQUENCE
        number = index[seq] = index.get(seq, 0) + 1
        entry = info.setdefault(seq, {"width": frame.shape[1], "height": frame.shape[0]})
        entry["length"] = number
        entry["ext"] = image.suffix
        for target, tid in zip(frame.targets, ids_of[id(frame)]):
            x0, y0, x1, y1 = target.bbox
            rows.setdefault(seq, []).append(
                (number, tid, f"{number},{tid},{x0 + 1},{y0 + 1},{x1 - x0},{y1 - y0},1,1,1")
            )
    for seq, entry in info.items():
        lines = [line for _, _, line in sorted(rows.get(seq, []))]
        write_text_atomic(root / seq / "gt" / "gt.txt", "".join(f"{x}\n" for x in lines))
        write_text_atomic(
            root / seq / "seqinfo.ini",
            f"[Sequence]\nname={seq}\nimDir=img1\nframeRate={FRAME_RATE}\n"
            f"seqLength={entry['length']}\nimWidth={entry['width']}\n"
            f"imHeight={entry['height']}\nimExt={entry['ext']}\n",
        )


def read_gt(path: Path) -> list[tuple[int, int, int, int, int, int]]:
    """(frame, id, left, top, width, height) rows of a gt.txt file."""
    out = []
    for line in Path(path).read_text().splitlines():
        if line.strip():
            frame, tid, left, top, width, height = (int(float(v)) for v in line.split(",")[:6])
            out.append((frame, tid, left, top, width, height))
    return out
