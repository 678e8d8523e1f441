"""Sequences of frames: a folder of images in natural order, or a video file.

A folder is listed once with :func:`os.scandir` (names and entry types, a stat only for links
and odd entries, which are skipped unless they lead to a regular file), so a 50,000-frame folder opens in well under a second; frames are read lazily,
one at a time, with :func:`label_irst.io.images.read_image` so 16-bit data stays 16-bit. A video
is read through ``cv2.VideoCapture`` and converted to grey.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from label_irst.errors import LabelIrstError
from label_irst.io.files import regular_file
from label_irst.io.images import image_header, is_image_file, list_images, read_image

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".wmv", ".mpg", ".mpeg")


def is_video_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


class Sequence:
    """An ordered, lazily read list of grey frames. Subclasses fill ``names`` and ``_read``."""

    kind = "folder"

    def __init__(self, source: Path, names: list[str]):
        self.source = source
        self.names = names

    def __len__(self) -> int:
        return len(self.names)

    def name(self, index: int) -> str:
        return self.names[self._check(index)]

    def frame(self, index: int) -> np.ndarray:
        """The raw frame ``index`` (2-D, uint8 / uint16 / float32)."""
        return self._read(self._check(index))

    def shape(self, index: int) -> tuple[int, int]:
        """The (h, w) of frame ``index``; folders read only the file header when they can."""
        return tuple(self.frame(index).shape)

    def _check(self, index: int) -> int:
        if not 0 <= index < len(self.names):
            raise LabelIrstError(f"frame {index} is out of range (0..{len(self.names) - 1})")
        return index

    def _read(self, index: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release any open file handle (videos)."""


class FolderSequence(Sequence):
    """The image files of one folder (no recursion) in natural order: frame_2 before frame_10."""

    def __init__(self, folder: str | os.PathLike):
        folder = Path(folder)
        names = [p.name for p in list_images(folder)]
        if not names:
            raise LabelIrstError(f"{folder}: no image files (png, tif, bmp, jpg) in this folder")
        super().__init__(folder, names)

    def path(self, index: int) -> Path:
        return self.source / self.names[self._check(index)]

    def _read(self, index: int) -> np.ndarray:
        return read_image(self.source / self.names[index])

    def shape(self, index: int) -> tuple[int, int]:
        height, width, _ = image_header(self.path(index))  # reads the header only
        return height, width


class VideoSequence(Sequence):
    """The frames of a video file, read with OpenCV and converted to grey (ITU-R 601 luma)."""

    kind = "video"

    def __init__(self, path: str | os.PathLike):
        import cv2

        path = regular_file(path)
        self._cv2 = cv2
        self._capture = cv2.VideoCapture(str(path))
        if not self._capture.isOpened():
            raise LabelIrstError(f"{path}: cannot open the video")
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if count <= 0:
            raise LabelIrstError(f"{path}: the video holds no frames")
        self._next = 0
        super().__init__(path, [f"{path.stem}_{i:06d}" for i in range(count)])

    def _read(self, index: int) -> np.ndarray:
        cv2 = self._cv2
        if index != self._next:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise LabelIrstError(f"{self.source}: cannot read frame {index}")
        self._next = index + 1
        if frame.ndim == 3:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        return np.ascontiguousarray(frame)

    def close(self) -> None:
        self._capture.release()


class SingleImageSequence(Sequence):
    """One image file seen as a one-frame sequence."""

    kind = "image"

    def __init__(self, path: str | os.PathLike):
        path = regular_file(path)
        super().__init__(path, [path.name])

    def _read(self, index: int) -> np.ndarray:
        return read_image(self.source)


def open_sequence(path: str | os.PathLike) -> Sequence:
    """Open a folder of frames, a video file or a single image as a :class:`Sequence`."""
    path = Path(path)
    if path.is_dir():
        return FolderSequence(path)
    if not path.exists():
        raise LabelIrstError(f"{path}: no such file or folder")
    if is_video_file(path):
        return VideoSequence(path)
    if is_image_file(path):
        return SingleImageSequence(path)
    raise LabelIrstError(f"{path}: not a folder of frames, a video or an image")
