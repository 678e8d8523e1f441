"""Dataset roots built from real infrared data, for training and measuring RPR-Net (Sec. III-B).

Two real sources are turned into the SIRSTD-Pixel layout that ``train``, ``prelabel`` and
``eval-detections`` read (``images/<seq>/<frame>.png``, ``annotations/<seq>.json`` or
``masks/<seq>/``, ``img_idx/<split>.txt``):

* :func:`build_video_root`: thermal videos with one labelled object per frame (the layout of
  the Drone-detection-dataset's IR half: ``videos/<name>.mp4``, ``labels/<name>.csv`` with
  ``frame,cx,cy,...`` and ``videos.csv`` with ``video,class,distance``). The split is made by
  whole videos, stratified by class and distance bin, so no test video shares a frame with
  training. Each video keeps a window of consecutive frames (temporal context for the
  triplets); distant videos, which hold the small targets, keep the longest windows. Targets
  are points (the box centre): the radius comes from PAMG at training time (Sec. III-C1,
  ``train --supervision points``). Each target also keeps its labelled box (``"box": [x0, y0,
  x1, y1]``, in the point's pixel-centre coordinates), which ``eval-detections --match box``
  and ``eval-loop --match box`` may match against.
* :func:`build_still_root`: a single-frame benchmark (``images/``, ``masks/``,
  ``img_idx/``) with each image as a one-frame sequence, so that every triplet is the image
  repeated (a still triplet) and images of different sizes never borrow each other as
  temporal context.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from label_irst.errors import LabelIrstError
from label_irst.io.atomic import atomic_folder, write_text_atomic
from label_irst.io.images import write_image
from label_irst.job import Job

#: Frames kept per training video, by distance bin (distant videos hold the small targets).
TRAIN_FRAMES = {"distant": 120, "medium": 40, "close": 16}
#: Frames kept per test video (one window from the middle of the video).
TEST_FRAMES = 90


@dataclass(frozen=True)
class Video:
    name: str
    label: str
    distance: str


def read_video_table(src: Path) -> list[Video]:
    """The rows of ``videos.csv`` (video, class, distance)."""
    path = src / "videos.csv"
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        return [Video(r["video"], r["class"], r["distance"]) for r in rows]
    except OSError as exc:
        raise LabelIrstError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (KeyError, TypeError, csv.Error):
        raise LabelIrstError(f"{path}: expected columns video,class,distance") from None


def split_videos(videos: list[Video], test_share: float, seed: int) -> set[str]:
    """Names of the test videos: ``test_share`` of each (class, distance) stratum, at least one
    where a stratum holds two videos or more, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    strata: dict[tuple[str, str], list[str]] = {}
    for v in videos:
        strata.setdefault((v.label, v.distance), []).append(v.name)
    test: set[str] = set()
    for key in sorted(strata):
        names = sorted(strata[key])
        k = int(round(test_share * len(names)))
        if len(names) >= 2:
            k = max(k, 1)
        test.update(rng.choice(names, size=k, replace=False).tolist())
    return test


def video_splits(
    videos: list[Video], test_share: float, val_share: float, seed: int
) -> tuple[set[str], set[str]]:
    """(test, validation) video names: the test videos first, then ``val_share`` of the others
    (to choose checkpoints and thresholds without looking at the test videos)."""
    test = split_videos(videos, test_share, seed)
    rest = [v for v in videos if v.name not in test]
    val = split_videos(rest, val_share, seed + 1) if val_share > 0 else set()
    return test, val


def read_centres(path: Path) -> dict[int, tuple[float, float]]:
    """frame index -> (cx, cy) of a label CSV (``frame,cx,cy,...``, 0-based pixel centres)."""
    return {k: (x, y) for k, (x, y, _box) in read_labels(path).items()}


def read_labels(path: Path) -> dict[int, tuple[float, float, list[float] | None]]:
    """frame index -> (cx, cy, box) of a label CSV (``frame,cx,cy[,x,y,w,h]``). ``cx, cy`` are
    0-based pixel centres; the box ``x, y, w, h`` is in MATLAB spatial coordinates (pixel
    centres at 1, 2, ...), returned as ``[x0, y0, x1, y1]`` in the centres' coordinates (its
    edges: x0 = x - 1, x1 = x - 1 + w), None where the row has no box."""
    out: dict[int, tuple[float, float, list[float] | None]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                frame, cx, cy = int(row["frame"]), float(row["cx"]), float(row["cy"])
            except (KeyError, TypeError, ValueError):
                raise LabelIrstError(f"{path}: expected columns frame,cx,cy") from None
            out[frame] = (cx, cy, _box(row))
    return out


def _box(row: dict) -> list[float] | None:
    try:
        x, y, w, h = (float(row[k]) for k in ("x", "y", "w", "h"))
    except (KeyError, TypeError, ValueError):
        return None
    if not all(np.isfinite([x, y, w, h])) or w <= 0 or h <= 0:
        return None
    return [round(x - 1, 2), round(y - 1, 2), round(x - 1 + w, 2), round(y - 1 + h, 2)]


def decode_window(path: Path, start: int, count: int) -> list[np.ndarray]:
    """Frames ``start`` .. ``start + count - 1`` of a video as grey 8-bit arrays (decoded in
    order from the first frame: seeking in long-GOP H.264 is not frame-exact)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise LabelIrstError(f"{path}: cannot open the video")
    frames: list[np.ndarray] = []
    index = 0
    try:
        while len(frames) < count:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            if index >= start:
                if frame.ndim == 3:
                    frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                frames.append(np.ascontiguousarray(frame))
            index += 1
    finally:
        cap.release()
    return frames


def frame_count(path: Path) -> int:
    """Frames of a video, counted by decoding (container counts are off for some files)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    n = 0
    try:
        while cap.grab():
            n += 1
    finally:
        cap.release()
    return n


def _window(labelled: list[int], total: int, count: int, middle: bool, rng) -> int:
    """Start of a window of ``count`` frames inside a video of ``total`` frames: centred on the
    labelled frames' middle (test) or drawn among starts that cover labelled frames (train)."""
    if total <= count:
        return 0
    if middle:
        centre = labelled[len(labelled) // 2] if labelled else total // 2
        return int(min(max(centre - count // 2, 0), total - count))
    lo = max(min(labelled) - count // 2, 0) if labelled else 0
    hi = min(max(labelled) - count // 2, total - count) if labelled else total - count
    return int(rng.integers(lo, max(hi, lo) + 1))


def build_video_root(
    src: str | Path,
    out: str | Path,
    test_share: float = 0.2,
    seed: int = 0,
    val_share: float = 0.1,
    distances: tuple[str, ...] = ("distant", "medium", "close"),
    train_frames: dict[str, int] | None = None,
    test_frames: int = TEST_FRAMES,
    force: bool = False,
    job: Job | None = None,
) -> dict:
    """Write a dataset root of point-annotated video windows (see the module docstring).

    A video that cannot be decoded, or whose labels are malformed, is skipped with a warning.
    Returns a summary (videos and frames per split, skipped videos)."""
    src, job = Path(src), job or Job()
    train_frames = {**TRAIN_FRAMES, **(train_frames or {})}
    videos = [v for v in read_video_table(src) if v.distance in distances]
    if not videos:
        raise LabelIrstError(f"{src}: no video of distance {', '.join(distances)}")
    test, val = video_splits(videos, test_share, val_share, seed)
    rng = np.random.default_rng([seed, 1])
    lines: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    table = ["video,class,distance,split,first_frame,frames,labelled\n"]
    skipped = 0
    with atomic_folder(out, force=force) as tmp:
        for i, v in enumerate(videos):
            if job.cancelled:
                raise LabelIrstError("cancelled; nothing written")
            split = "test" if v.name in test else "val" if v.name in val else "train"
            count = test_frames if split == "test" else train_frames.get(v.distance, 0)
            job.step(i, len(videos))
            if count <= 0:
                continue
            try:
                centres = read_labels(src / "labels" / f"{v.name}.csv")
                path = src / "videos" / f"{v.name}.mp4"
                total = frame_count(path)
                start = _window(sorted(centres), total, count, split == "test", rng)
                frames = decode_window(path, start, count)
            except (LabelIrstError, OSError) as exc:
                job.warning(f"{v.name}: skipped ({exc})")
                skipped += 1
                continue
            if not frames:
                job.warning(f"{v.name}: skipped (no frame decoded)")
                skipped += 1
                continue
            records, labelled = [], 0
            for k, image in enumerate(frames):
                index = start + k
                stem = f"{index:05d}"
                write_image(tmp / "images" / v.name / f"{stem}.png", image)
                targets = []
                if index in centres:
                    x, y, box = centres[index]
                    targets = [{"x": round(x, 2), "y": round(y, 2), "class": v.label}]
                    if box is not None:
                        targets[0]["box"] = box
                    lines[split].append(f"{v.name}/{stem}")
                    labelled += 1
                records.append({"frame": stem, "targets": targets})
            record = {"sequence": v.name, "source": src.resolve().name, "class": v.label}
            record["distance"] = v.distance
            record["frames"] = records
            write_text_atomic(tmp / "annotations" / f"{v.name}.json", json.dumps(record))
            table.append(f"{v.name},{v.label},{v.distance},{split},{start},{len(frames)},")
            table[-1] += f"{labelled}\n"
        for split, names in lines.items():
            write_text_atomic(tmp / "img_idx" / f"{split}.txt", "".join(f"{n}\n" for n in names))
        write_text_atomic(tmp / "videos.csv", "".join(table))
        job.step(len(videos), len(videos))
    counts = {s: len(n) for s, n in lines.items()}
    return {
        "videos": {s: sum(1 for r in table[1:] if f",{s}," in r) for s in lines},
        "labelled_frames": counts,
        "skipped": skipped,
    }


def build_still_root(
    src: str | Path, out: str | Path, force: bool = False, job: Job | None = None
) -> dict:
    """Write each image of a single-frame benchmark as a one-frame sequence (with its mask),
    keeping the benchmark's ``img_idx`` splits."""
    src, job = Path(src), job or Job()
    images = sorted(p for p in (src / "images").glob("*") if p.is_file())
    if not images:
        raise LabelIrstError(f"{src}: no images/ folder with images")
    splits = {}
    for path in sorted((src / "img_idx").glob("*.txt")):
        splits[path.stem] = [Path(n).stem for n in path.read_text().split()]
    written = 0
    with atomic_folder(out, force=force) as tmp:
        for i, path in enumerate(images):
            job.step(i, len(images))
            mask = src / "masks" / f"{path.stem}.png"
            if not mask.is_file():
                job.warning(f"{path.name}: skipped (no mask)")
                continue
            (tmp / "images" / path.stem).mkdir(parents=True)
            (tmp / "masks" / path.stem).mkdir(parents=True)
            shutil.copyfile(path, tmp / "images" / path.stem / path.name)
            shutil.copyfile(mask, tmp / "masks" / path.stem / f"{path.stem}.png")
            written += 1
        for split, stems in splits.items():
            text = "".join(f"{s}/{s}\n" for s in stems if (tmp / "images" / s).is_dir())
            write_text_atomic(tmp / "img_idx" / f"{split}.txt", text)
    return {"images": written, "splits": {k: len(v) for k, v in splits.items()}}
