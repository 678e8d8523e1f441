"""Ultralytics-style YOLO detection datasets: boxes out (and back in).

Export layout (what ``ultralytics`` trains on)::

    ROOT/images/train/<name>.png, ROOT/images/test/<name>.png     the frames, raw dtype kept
    ROOT/labels/train/<name>.txt, ROOT/labels/test/<name>.txt     one line per target
    ROOT/data.yaml                                                 path, train, val, test, names

A label line is ``0 cx cy w h``: class 0 (``target``), the box centre and size as fractions of
the frame width and height. The box is the mask's bounding box (pixel edges: a target spanning
columns 3..5 has x0 = 3, x1 = 6). A frame without targets gets an empty label file (a
background image). Frames of a sequence are written as ``<seq>_<frame>``; the split is decided
per sequence and the test split is also the validation set of data.yaml. Reading gives one
review item per box (the box centre as its seed, Sec. III-D1), the split from the folder
(``val`` reads as test).
"""

from __future__ import annotations

from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Frame, ReviewItem, image_info
from label_irst.io.atomic import write_text_atomic
from label_irst.io.boxes import read_yolo
from label_irst.io.formats._common import ExportPlan, copied_frames, dataset_name
from label_irst.io.images import list_images
from label_irst.io.naming import UniqueNames
from label_irst.job import Job

NAME = "yolo"
SUMMARY = "Ultralytics YOLO: images/{train,test}/, labels/{train,test}/*.txt, data.yaml"
CLASS_NAME = "target"
SPLIT_FOLDERS = {"train": "train", "test": "test", "val": "test"}


def detect(path: Path) -> bool:
    return (
        path.is_dir()
        and (path / "data.yaml").is_file()
        and (path / "images").is_dir()
        and (path / "labels").is_dir()
    )


def label_line(bbox: tuple[int, int, int, int], width: int, height: int) -> str:
    """``0 cx cy w h`` of a pixel-edge box, normalised to the frame size."""
    x0, y0, x1, y1 = bbox
    cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
    return f"0 {cx:.10f} {cy:.10f} {(x1 - x0) / width:.10f} {(y1 - y0) / height:.10f}"


def data_yaml() -> str:
    return (
        "# written by label-irst: a one-class detection dataset (Ultralytics layout)\n"
        "path: .\n"
        "train: images/train\n"
        "val: images/test\n"
        "test: images/test\n"
        "names:\n"
        f"  0: {CLASS_NAME}\n"
    )


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    flat = UniqueNames()
    split_of = {plan.names[id(f)]: plan.split_of(f) for f in ann.frames}

    def destination(seq: str, name: str) -> Path:
        folder = root / "images" / split_of[(seq, name)]
        return folder / flat.take(f"{seq}_{name}" if seq else name)

    for frame, seq, name, image in copied_frames(ann, plan, job, destination):
        height, width = frame.shape
        lines = [label_line(t.bbox, width, height) for t in frame.targets]
        label = root / "labels" / split_of[(seq, name)] / f"{image.stem}.txt"
        write_text_atomic(label, "".join(f"{line}\n" for line in lines))
    write_text_atomic(root / "data.yaml", data_yaml())


def read(path: Path, job: Job | None = None) -> Annotations:
    job = job or Job()
    root = Path(path)
    frames: list[Frame] = []
    for folder_name, split in SPLIT_FOLDERS.items():
        images = root / "images" / folder_name
        if not images.is_dir():
            continue
        these = []
        for image_path in list_images(images, job.warning):
            try:
                shape, dtype = image_info(image_path)
            except LabelIrstError as exc:
                job.warning(f"skipped: {exc}")
                continue
            these.append(Frame("", image_path.stem, image_path, shape, dtype, split=split))
        labels = root / "labels" / folder_name
        sizes = {f.name: (f.shape[1], f.shape[0]) for f in these}
        table = read_yolo(labels, sizes, job.warning) if labels.is_dir() else {}
        for frame in these:
            h, w = frame.shape
            for box in table.get(frame.name, []):
                if not box.inside(w, h):
                    job.warning(f"{frame.name}: skipped a box whose centre lies off the frame")
                    continue
                frame.review.append(
                    ReviewItem(box.centre, (box.x0, box.y0, box.x1, box.y1), source="box")
                )
        frames += these
    return Annotations(frames, name=dataset_name(root))
