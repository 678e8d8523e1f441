"""Reading videos as sequences: a video file, a folder of videos, or a root with ``videos/``.

Each video is one sequence named after the file; its frames are named by index
(``<stem>_000000`` ..., as the app and ``prelabel`` name them) and read from the video where
it is, never copied. The ground truth of a video is looked for in the root beside it, as for
``images/<seq>/`` in the SIRSTD-Pixel layout:

* ``masks/<stem>/<frame>.png``: each 8-connected component of a frame's mask is a confirmed
  target, with the track of the record in ``annotations/<stem>.json`` whose point it holds
  (:func:`label_irst.io.annotation_schema.targets_from_points`);
* else ``annotations/<stem>.json`` alone (points, as ``synth``, ``prelabel`` or ``dataset
  videos`` write them, :mod:`label_irst.io.annotation_schema`): each record's point (and its
  ``radius`` where given) goes to the review queue with its track, to be grown by the point's
  generator (Sec. III-D1);
* else the frames come without targets, to be annotated.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.annotation_schema import targets_from_points, track_of
from label_irst.io.annotations import Annotations, Frame, ReviewItem, Target
from label_irst.io.files import is_folder, scan_folder
from label_irst.io.formats.folders import sequence_records
from label_irst.io.images import list_images, natural_key, read_mask
from label_irst.io.sequence import VideoSequence, is_video_file
from label_irst.job import Job

NAME = "videos"
SUMMARY = "a video file, a folder of videos, or a root with videos/ (+ annotations/, masks/)"


def videos_of(path: Path) -> tuple[list[Path], Path]:
    """(the video files, the root holding their ground truth) of ``path``."""
    if path.is_file():
        return ([path] if is_video_file(path) else []), path.parent
    folder = path / "videos" if is_folder(path / "videos") else path
    found = [p for p in scan_folder(folder) if is_video_file(p) and not p.name.startswith(".")]
    return sorted(found, key=lambda p: natural_key(p.name)), path


def detect(path: Path) -> bool:
    if path.is_file():
        return is_video_file(path)
    if not path.is_dir() or (path / "images").is_dir():
        return False
    if is_folder(path / "videos"):
        return True
    return bool(videos_of(path)[0]) and not list_images(path)


class _Frames:
    """One open video shared by the lazy readers of its frames."""

    def __init__(self, path: Path):
        self.path = path
        self._video: VideoSequence | None = None

    def reader(self, index: int):
        def read():
            if self._video is None:
                self._video = VideoSequence(self.path)
            return self._video.frame(index)

        return read


def read(path: Path, job: Job | None = None) -> Annotations:
    job = job or Job()
    videos, root = videos_of(path)
    if not videos:
        raise LabelIrstError(f"{path}: no video file")
    ann = Annotations(name=path.stem if path.is_file() else path.name)
    for k, video in enumerate(videos, 1):
        try:
            frames = _read_video(video, root, job.warning)
        except LabelIrstError as exc:
            job.warning(f"skipped {video.name}: {exc}")
            continue
        ann.frames.extend(frames)
        job.step(k, len(videos))
    return ann


def _read_video(video: Path, root: Path, warn) -> list[Frame]:
    reader = VideoSequence(video)
    try:
        names = list(reader.names)
        shape = tuple(int(v) for v in reader.frame(0).shape[:2])
    finally:
        reader.close()
    records = sequence_records(root, video.stem, warn)
    masks = root / "masks" / video.stem
    frames_of = _Frames(video)
    out = []
    for i, name in enumerate(names):
        frame = Frame(video.stem, name, shape=shape, video=video, reader=frames_of.reader(i))
        entries = records.get(name, [])
        mask_path = masks / f"{name}.png"
        if mask_path.is_file():
            mask = read_mask(mask_path)
            if mask.shape != shape:
                warn(f"skipped {mask_path}: mask size {mask.shape} != frame {shape}")
            else:
                frame.targets = [
                    Target(mask=part, id=j, track_id=track)
                    for j, (part, track) in enumerate(targets_from_points(entries, mask), 1)
                ]
        else:
            frame.review = _points(entries, shape, f"{video.name} {name}", warn)
        out.append(frame)
    return out


def _points(entries: list, shape: tuple[int, int], where: str, warn) -> list[ReviewItem]:
    """The review items of a frame's point records; a point outside the frame, or a record
    without a point, is skipped with a warning."""
    out = []
    for j, record in enumerate(entries, 1):
        try:
            x, y = float(record["x"]), float(record["y"])
            radius = record.get("radius")
            item = ReviewItem(
                (x, y), radius=None if radius is None else float(radius), source="point", id=j,
                track_id=track_of(record),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError, LabelIrstError):
            warn(f"{where}: a target record without a point; skipped")
            continue
        if not (0 <= x < shape[1] and 0 <= y < shape[0]):
            warn(f"{where}: point ({x:g}, {y:g}) outside the {shape[1]}x{shape[0]} frame; skipped")
            continue
        out.append(item)
    return out
