"""Sequence datasets in the SIRSTD-Pixel layout (Sec. III-D), read for inference and training.

A dataset root holds ``images/<seq>/<frame>.png`` (plus optional ``masks/<seq>/<frame>.png``,
``annotations/<seq>.json`` and ``img_idx/<split>.txt``). A single folder of frames is read as one
sequence named after the folder; a video file, or a folder of videos, as one sequence per video
(frames named by index, as the app names them). Videos are sequences everywhere: a root may hold
``videos/<seq>.<ext>`` in place of ``images/<seq>/``, and the ground truth of a video (or of a
folder of videos) is looked for beside it, in ``annotations/<stem>.json`` and ``masks/<stem>/``.

**Image sets are not sequences.** A folder of unrelated images (a SIRST-like set: several sizes,
or names that are not one prefix with consecutive numbers) is marked ``still``: each image is
pre-annotated on its own, as a still triplet (the frame as its own temporal context, Sec.
III-B1), never with its neighbours. Numbered frames of one size, videos and the sequences of a
SIRSTD-Pixel root are sequences. ``mode`` (``--still`` / ``--sequence``) overrides the rule.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
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
    """One sequence of a data set, whatever stores its frames: the one source type of
    pre-annotation, evaluation and training.

    A folder sequence lists its frame files in ``frames`` (temporal, natural order); a video
    sequence has ``video`` and names its frames by index in ``names`` (``<stem>_000000`` ..., as
    the app names them), and ``frames`` is empty. Everything reads a sequence through
    :meth:`stems`, :meth:`read`, :meth:`shape` and ``len()``, never through its storage.
    """

    name: str
    frames: list[Path] = field(default_factory=list)
    mask_dir: Path | None = None
    annotation: Path | None = None
    keep: set[str] | None = field(default=None)
    #: unrelated images: each one pre-annotated alone (a still triplet)
    still: bool = False
    #: the video file of a video sequence (None for a folder of frames)
    video: Path | None = None
    #: the frame names of a video sequence
    names: list[str] = field(default_factory=list)
    #: index in ``video`` of this sequence's first frame (a window of a video: :meth:`window`)
    first: int = 0
    _reader: object = field(default=None, repr=False, compare=False)
    _shape: tuple[int, int] | None = field(default=None, repr=False, compare=False)

    @property
    def source(self) -> Path:
        """Where the frames are: the video file, or the first frame's folder."""
        return self.video if self.video is not None else self.frames[0].parent

    def __len__(self) -> int:
        return len(self.names) if self.video is not None else len(self.frames)

    def stems(self) -> list[str]:
        """The frame names (file stems of a folder, index names of a video), in order."""
        return list(self.names) if self.video is not None else [p.stem for p in self.frames]

    def frame_name(self, index: int) -> str:
        """How frame ``index`` is named where it is stored (a file name, or a video's index name)."""
        return self.names[index] if self.video is not None else self.frames[index].name

    def read(self, index: int):
        """Frame ``index`` as stored (2-D, raw dtype); a video is opened once, on first read."""
        if self.video is None:
            from label_irst.io.images import read_image

            return read_image(self.frames[index])
        if self._reader is None:
            from label_irst.io.sequence import VideoSequence

            self._reader = VideoSequence(self.video)
        if not 0 <= index < len(self.names):
            raise LabelIrstError(f"{self.name}: frame {index} is out of range")
        return self._reader.frame(self.first + index)

    def shape(self, index: int) -> tuple[int, int]:
        """(height, width) of frame ``index``, from the file header where there is one."""
        if self.video is None:
            height, width, _ = image_header(self.frames[index])
            return height, width
        if self._shape is None:  # every frame of a video has the size of its first
            self._shape = tuple(self.read(0).shape[:2])
        return self._shape

    def window(self, start: int, stop: int, keep: set[str] | None = None) -> Sequence:
        """Frames [start, stop) as a sequence of the same name, read from the same storage;
        ``keep`` names the frames a split lists (None: all of them)."""
        if self.video is None:
            return replace(self, frames=self.frames[start:stop], keep=keep, _reader=None)
        return replace(
            self, names=self.names[start:stop], first=self.first + start, keep=keep, _reader=None
        )

    def detached(self) -> Sequence:
        """The sequence without its open reader (to send it to another process)."""
        return replace(self, _reader=None)

    def close(self) -> None:
        """Release the video reader, if one is open."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def video_source(path: Path, root: Path | None = None) -> Sequence:
    """A video file as a sequence; its ground truth (``annotations/<stem>.json``, ``masks/<stem>/``)
    is looked for in ``root``, by default the video's own folder."""
    from label_irst.io.sequence import VideoSequence

    reader = VideoSequence(path)
    names = list(reader.names)
    reader.close()
    root = path.parent if root is None else root
    return Sequence(
        path.stem,
        video=path,
        names=names,
        mask_dir=_dir(root / "masks" / path.stem),
        annotation=_file(root / "annotations" / f"{path.stem}.json"),
    )


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
        return _with_mode([video_source(root)], mode)  # ground truth beside it, in annotations/
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
    elif (root / "videos").is_dir() or (not list_images(root) and _videos(root)):
        folder = root / "videos" if (root / "videos").is_dir() else root
        seqs = [video_source(v, root) for v in _videos(folder)]
    else:
        frames = list_images(root)
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
    seqs = [s for s in seqs if len(s)]
    if not seqs:
        raise LabelIrstError(
            f"{root}: no sequence with frames" + (f" in split {split}" if split else "")
        )
    return seqs


def _videos(folder: Path) -> list[Path]:
    """The video files of ``folder``, in natural order."""
    found = [p for p in scan_folder(folder) if is_video_file(p) and not p.name.startswith(".")]
    return sorted(found, key=lambda p: natural_key(p.name))


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
