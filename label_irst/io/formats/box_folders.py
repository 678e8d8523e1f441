"""Box annotations (Pascal-VOC XML folder, YOLO txt folder) beside a folder of frames.

Boxes carry no pixels: each becomes a review item whose seed is the box centre, the PAMG seed of
the SIRSTD-Pixel pipeline (Sec. III-D1). Parsing is :mod:`label_irst.io.boxes`; this module
only pairs boxes with frames. COCO box files are read by the COCO format (box-only annotations
go to the review queue there).

Layout: ``ROOT/images/`` (or ROOT itself) with the frames, and ``ROOT/boxes/`` or
``ROOT/Annotations/`` (VOC XML) or ``ROOT/labels/`` (YOLO txt); the box file stem is the frame
stem.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Frame, ReviewItem, image_info
from label_irst.io.boxes import read_boxes
from label_irst.io.formats._common import dataset_name
from label_irst.io.images import list_images
from label_irst.job import Job

BOX_FOLDERS = ("boxes", "Annotations", "annotations", "labels")


def image_folder(root: Path) -> Path:
    return root / "images" if (root / "images").is_dir() else root


def box_source(root: Path) -> Path | None:
    for name in BOX_FOLDERS:
        folder = root / name
        if folder.is_dir() and (any(folder.glob("*.xml")) or any(folder.glob("*.txt"))):
            return folder
    return None


def detect(path: Path) -> bool:
    """Boxes beside frames, and no masks/ folder (masks, when present, are imported instead)."""
    if not path.is_dir() or (path / "masks").is_dir() or box_source(path) is None:
        return False
    return bool(list_images(image_folder(path)))


def read(
    path: Path,
    job: Job | None = None,
    boxes: Path | None = None,
    fmt: str = "auto",
    voc_exclusive_end: bool = False,
) -> Annotations:
    """Frames of ``path`` with the boxes of ``boxes`` (default: found beside the frames).

    ``voc_exclusive_end`` reads VOC xmax/ymax as one past the last pixel (SIRST's boxes)."""
    job = job or Job()
    root = Path(path)
    source = Path(boxes) if boxes is not None else box_source(root)
    if source is None:
        raise LabelIrstError(f"{root}: no box folder ({', '.join(BOX_FOLDERS)}) beside the frames")
    frames: list[Frame] = []
    for image_path in list_images(image_folder(root)):
        try:
            shape, dtype = image_info(image_path)
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        frames.append(Frame("", image_path.stem, image_path, shape, dtype))
    sizes = {f.name: (f.shape[1], f.shape[0]) for f in frames}
    table = read_boxes(
        source, image_sizes=sizes, fmt=fmt, warn=job.warning, voc_exclusive_end=voc_exclusive_end
    )
    by_name = {f.name: f for f in frames}
    for stem, boxes_of in table.items():
        frame = by_name.get(stem)
        if frame is None:
            job.warning(f"skipped boxes of {stem!r}: no frame with that name")
            continue
        h, w = frame.shape
        for box in boxes_of:
            if not box.inside(w, h):
                job.warning(f"{stem}: skipped a box whose centre lies off the frame")
                continue
            frame.review.append(
                ReviewItem(
                    box.centre, (box.x0, box.y0, box.x1, box.y1), label=box.label, source="box"
                )
            )
    return Annotations(frames, name=dataset_name(root))
