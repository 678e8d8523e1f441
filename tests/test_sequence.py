"""Sequences: natural order, lazy reads, raw dtype, videos, clear errors."""

import numpy as np
import pytest

from label_irst.errors import LabelIrstError
from label_irst.io.images import write_image
from label_irst.io.sequence import FolderSequence, VideoSequence, open_sequence


def test_folder_natural_order_and_lazy_16bit(tmp_path):
    for i in (10, 2, 1):
        write_image(tmp_path / f"frame_{i}.png", np.full((8, 9), 1000 + i, np.uint16))
    (tmp_path / "notes.txt").write_text("not a frame")
    seq = open_sequence(tmp_path)
    assert isinstance(seq, FolderSequence)
    assert seq.names == ["frame_1.png", "frame_2.png", "frame_10.png"]
    frame = seq.frame(2)
    assert frame.dtype == np.uint16 and frame[0, 0] == 1010
    with pytest.raises(LabelIrstError, match="out of range"):
        seq.frame(3)


def test_listing_does_not_read_files(tmp_path):
    (tmp_path / "a_1.png").write_bytes(b"not a png")
    seq = open_sequence(tmp_path)  # listing never opens the file
    assert len(seq) == 1
    with pytest.raises(LabelIrstError, match="cannot read"):
        seq.frame(0)


def test_errors(tmp_path):
    with pytest.raises(LabelIrstError, match="no image files"):
        open_sequence(tmp_path)
    with pytest.raises(LabelIrstError, match="no such"):
        open_sequence(tmp_path / "missing")
    (tmp_path / "x.dat").write_text("x")
    with pytest.raises(LabelIrstError, match="not a folder"):
        open_sequence(tmp_path / "x.dat")


def test_video_frames_are_grey(tmp_path):
    import cv2

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    if not writer.isOpened():
        pytest.skip("OpenCV in this build cannot write MJPG video")
    for i in range(5):
        writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
    writer.release()
    seq = open_sequence(path)
    assert isinstance(seq, VideoSequence) and len(seq) == 5
    f3, f1 = seq.frame(3), seq.frame(1)
    assert f3.shape == (24, 32) and abs(int(f3.mean()) - 120) <= 3 and abs(int(f1.mean()) - 40) <= 3
    seq.close()


def test_shape_from_header(tmp_path):
    write_image(tmp_path / "a.png", np.zeros((7, 11), np.uint8))
    assert open_sequence(tmp_path).shape(0) == (7, 11)
