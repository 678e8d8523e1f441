"""Sequence datasets in the SIRSTD-Pixel layout (Sec. III-D), read for inference and training.

A dataset root holds ``images/<seq>/<frame>.png`` (plus optional ``masks/<seq>/<frame>.png``,
``annotations/<seq>.json`` and ``img_idx/<split>.txt``). A single folder of frames is read as one
sequence named after the folder; a video file, or a folder of videos, as one sequence per video
(frames named by index, as the app names them).

**Image sets are not sequences.** A folder of unrelated images (a SIRST-like set: several sizes,
or names that are not one prefix with consecutive numbers) is marked ``still``: each image is
pre-annotated on its own, as a still triplet (the frame as its own temporal context, Sec.
III-B1), never with its neighbours. Numbered frames of one size, videos and the sequences of a
SIRSTD-Pixel root are sequences. ``mode`` (``--still`` / ``--sequence``) overrides the rule.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from label_irst.core.geometry import components, equivalent_radius
from label_irst.errors import LabelIrstError
from label_irst.io.files import read_json, read_text, scan_folder
from label_irst.io.images import image_header, is_image_file, list_images, natural_key, read_mask
from label_irst.io.sequence import is_video_file

#: how folders of frames are read: by the rule above, all as stills, all as sequences
MODES = ("auto", "still", "sequence")
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


@dataclass
class Sequence:
    """One sequence: its name and frame paths in temporal (natural) order."""

    name: str
    frames: list[Path]
    mask_dir: Path | None = None
    annotation: Path | None = None
    keep: set[str] | None = field(default=None)
    #: unrelated images: each one pre-annotated alone (a still triplet)
    still: bool = False

    def stems(self) -> list[str]:
        return [p.stem for p in self.frames]

    def read(self, index: int):
        """Frame ``index`` as stored (2-D, raw dtype)."""
        from label_irst.io.images import read_image

        return read_image(self.frames[index])

    def close(self) -> None:
        """Nothing to release: frames are files read one at a time."""


@dataclass
class VideoSource:
    """One video file as a sequence: frames read lazily, named by index."""

    name: str
    source: Path
    names: list[str]
    keep: set[str] | None = None
    still: bool = False
    mask_dir: Path | None = None
    annotation: Path | None = None
    _reader: object = None

    def stems(self) -> list[str]:
        return list(self.names)

    @property
    def frames(self) -> list[str]:
        return self.names

    def read(self, index: int):
        from label_irst.io.sequence import VideoSequence

        if self._reader is None:
            self._reader = VideoSequence(self.source)
        return self._reader.frame(index)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def video_source(path: Path) -> VideoSource:
    from label_irst.io.sequence import VideoSequence

    reader = VideoSequence(path)
    names = list(reader.names)
    reader.close()
    return VideoSource(path.stem, path, names)


def numbered(stems: list[str]) -> bool:
    """Frames of one recording: one prefix followed by consecutive numbers (``f_0`` ..
    ``f_9``, ``00012`` ...). Sets such as sirst-v1's ``Misc_1`` ... ``Misc_427`` skip numbers."""
    parts = [_NUMBERED.match(s) for s in stems]
    if len(stems) < 2 or not all(parts):
        return False
    numbers = sorted(int(p.group(2)) for p in parts)
    return len({p.group(1) for p in parts}) == 1 and numbers == list(
        range(numbers[0], numbers[0] + len(numbers))
    )


def one_size(frames: list[Path]) -> bool:
    """Every frame has the size of the first (read from the file headers)."""
    try:
        sizes = {image_header(p)[:2] for p in frames}
    except LabelIrstError:
        return False
    return len(sizes) == 1


def is_image_set(frames: list[Path]) -> bool:
    """Unrelated images rather than the frames of one recording (see the module docstring)."""
    return not (numbered([p.stem for p in frames]) and one_size(frames))


def read_sequences(data: str | Path, split: str | None = None, mode: str = "auto") -> list:
    """The sequences of a dataset root, of a folder of frames or videos, or of a video.

    With ``split``, only sequences listed in ``img_idx/<split>.txt`` are returned; every frame
    of such a sequence is kept (neighbours are needed for triplets) and ``keep`` names the
    frames the split lists. ``mode``: see :data:`MODES`.
    """
    if mode not in MODES:
        raise LabelIrstError(f"unknown sequence mode {mode!r}; choose one of {', '.join(MODES)}")
    root = Path(data)
    if root.is_file() and is_video_file(root):
        return _with_mode([video_source(root)], mode)
    if not root.is_dir():
        raise LabelIrstError(f"{root}: no such folder or video")
    seqs = _read(root, split)
    return _with_mode(seqs, mode)


def _with_mode(seqs: list, mode: str) -> list:
    if mode != "auto":
        for s in seqs:
            s.still = mode == "still"
    return seqs


def _read(root: Path, split: str | None) -> list:
    images = root / "images"
    if images.is_dir():
        names = sorted(
            (p.name for p in scan_folder(images, folders=True) if not p.name.startswith(".")),
            key=natural_key,
        )
        if not names and list_images(images):
            names = []
            frames = list_images(images)  # a SIRST-style set: a sequence only by the rule
            seqs = [Sequence(root.name, frames, _dir(root / "masks"), still=is_image_set(frames))]
        else:
            seqs = [
                Sequence(
                    n,
                    list_images(images / n),
                    _dir(root / "masks" / n),
                    _file(root / "annotations" / f"{n}.json"),
                )
                for n in names
            ]
    else:
        frames = list_images(root)
        videos = [p for p in scan_folder(root) if is_video_file(p) and not p.name.startswith(".")]
        if not frames and videos:
            return [video_source(p) for p in sorted(videos, key=lambda p: natural_key(p.name))]
        if not frames:
            raise LabelIrstError(f"{root}: no images/ folder, no frames and no videos")
        seqs = [Sequence(root.name, frames, still=is_image_set(frames))]
    if split is not None:
        path = root / "img_idx" / f"{split}.txt"
        wanted: dict[str, set[str]] = {}
        for line in read_text(path).split():
            seq, _, frame = line.strip().rpartition("/")
            wanted.setdefault(seq, set()).add(Path(frame).stem)
        seqs = [s for s in seqs if s.name in wanted]
        for s in seqs:
            s.keep = wanted[s.name]
    seqs = [s for s in seqs if s.frames]
    if not seqs:
        raise LabelIrstError(
            f"{root}: no sequence with frames" + (f" in split {split}" if split else "")
        )
    return seqs


def _dir(path: Path) -> Path | None:
    return path if path.is_dir() else None


def _file(path: Path) -> Path | None:
    return path if path.is_file() else None


def read_annotation(path: Path) -> dict[str, list[dict]]:
    """frame stem -> list of target dicts (x, y, radius, ...) of an annotations JSON file."""
    record = read_json(path)
    try:
        out = {str(f["frame"]): list(f.get("targets", [])) for f in record["frames"]}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LabelIrstError(f"{path}: not a sequence annotation file ({exc})") from None
    for targets in out.values():
        if not all(isinstance(t, dict) for t in targets):
            raise LabelIrstError(f"{path}: not a sequence annotation file (a target is no object)")
    return out


def mask_targets(path: Path) -> list[tuple[float, float, float]]:
    """(x, y, r) of each 8-connected component of a mask file, r = sqrt(area / pi)."""
    out = []
    for part in components(read_mask(path)):
        x, y = part.centroid()
        out.append((float(x), float(y), float(equivalent_radius(part.area))))
    return out


def read_points_csv(path: Path) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """A point CSV with columns image,x,y where image is ``<seq>/<frame>`` (or a frame stem)."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                name, x, y = row["image"], float(row["x"]), float(row["y"])
            except (KeyError, ValueError, TypeError):
                raise LabelIrstError(f"{path}: expected columns image,x,y") from None
            seq, _, frame = name.rpartition("/")
            out.setdefault((seq, Path(frame).stem), []).append((x, y))
    return out


def is_frame(path: Path) -> bool:
    return path.is_file() and is_image_file(path)
