"""Pascal-VOC detection datasets: boxes out (and back in).

Export layout (the VOC2007-2012 devkit's)::

    ROOT/JPEGImages/<name>.png         the frames, raw dtype kept (PNG, not JPEG: IR frames are
                                       often 16-bit and a lossy copy would change them)
    ROOT/Annotations/<name>.xml        filename, size (width, height, depth 1), one <object> per
                                       target: name "target", pose, truncated 0, difficult 0,
                                       bndbox xmin ymin xmax ymax
    ROOT/ImageSets/Main/train.txt, test.txt     the frame names of each split

Corners are VOC's 1-based inclusive pixels: a target spanning 0-based columns 3..5 has xmin = 4,
xmax = 6 (the mask's bounding box; :mod:`label_irst.io.boxes` reads them back as x0 = xmin - 1,
x1 = xmax). Frames of a sequence are written as ``<seq>_<frame>``. Reading gives one review
item per box (the box centre as its seed, Sec. III-D1) and the split from ImageSets/Main.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations, Frame, ReviewItem, image_info
from label_irst.io.atomic import write_text_atomic
from label_irst.io.boxes import read_voc
from label_irst.io.files import read_text
from label_irst.io.formats._common import ExportPlan, copied_frames, dataset_name
from label_irst.io.images import list_images
from label_irst.io.naming import UniqueNames
from label_irst.job import Job

NAME = "voc"
SUMMARY = "Pascal VOC: JPEGImages/ (PNG), Annotations/*.xml, ImageSets/Main/train.txt, test.txt"
CLASS_NAME = "target"
SPLITS = {"train": "train", "test": "test", "val": "test", "trainval": "train"}


def detect(path: Path) -> bool:
    return path.is_dir() and (path / "Annotations").is_dir() and (path / "JPEGImages").is_dir()


def annotation_xml(filename: str, shape: tuple[int, int], bboxes) -> str:
    """One VOC annotation file; ``bboxes`` are 0-based pixel-edge (x0, y0, x1, y1)."""
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = "JPEGImages"
    ET.SubElement(root, "filename").text = filename
    size = ET.SubElement(root, "size")
    for tag, value in (("width", shape[1]), ("height", shape[0]), ("depth", 1)):
        ET.SubElement(size, tag).text = str(value)
    ET.SubElement(root, "segmented").text = "0"
    for x0, y0, x1, y1 in bboxes:
        obj = ET.SubElement(root, "object")
        for tag, value in (("name", CLASS_NAME), ("pose", "Unspecified"), ("truncated", "0"),
                           ("difficult", "0")):  # fmt: skip
            ET.SubElement(obj, tag).text = value
        box = ET.SubElement(obj, "bndbox")
        for tag, value in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", x1), ("ymax", y1)):
            ET.SubElement(box, tag).text = str(int(value))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def write(ann: Annotations, root: Path, plan: ExportPlan, job: Job) -> None:
    flat = UniqueNames()
    lines: dict[str, list[str]] = {"train": [], "test": []}

    def destination(seq: str, name: str) -> Path:
        return root / "JPEGImages" / flat.take(f"{seq}_{name}" if seq else name)

    for frame, _, _, image in copied_frames(ann, plan, job, destination):
        text = annotation_xml(image.name, frame.shape, [t.bbox for t in frame.targets])
        write_text_atomic(root / "Annotations" / f"{image.stem}.xml", text)
        lines[plan.split_of(frame)].append(image.stem)
    for split, names in lines.items():
        write_text_atomic(
            root / "ImageSets" / "Main" / f"{split}.txt", "".join(f"{n}\n" for n in names)
        )


def _splits(root: Path, job: Job) -> dict[str, str]:
    out: dict[str, str] = {}
    for file_split, split in SPLITS.items():
        path = root / "ImageSets" / "Main" / f"{file_split}.txt"
        if not path.is_file():
            continue
        try:
            names = read_text(path).split()
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        for name in names:
            out.setdefault(name, split)
    return out


def read(path: Path, job: Job | None = None) -> Annotations:
    job = job or Job()
    root = Path(path)
    splits = _splits(root, job)
    frames: list[Frame] = []
    for image_path in list_images(root / "JPEGImages", job.warning):
        try:
            shape, dtype = image_info(image_path)
        except LabelIrstError as exc:
            job.warning(f"skipped: {exc}")
            continue
        split = splits.get(image_path.stem)
        frames.append(Frame("", image_path.stem, image_path, shape, dtype, split=split))
    table = read_voc(root / "Annotations", job.warning)
    by_name = {f.name: f for f in frames}
    for stem, boxes in table.items():
        frame = by_name.get(stem)
        if frame is None:
            job.warning(f"skipped boxes of {stem!r}: no frame with that name")
            continue
        h, w = frame.shape
        for box in boxes:
            if not box.inside(w, h):
                job.warning(f"{stem}: skipped a box whose centre lies off the frame")
                continue
            frame.review.append(
                ReviewItem(box.centre, (box.x0, box.y0, box.x1, box.y1), label=box.label)
            )
    return Annotations(frames, name=dataset_name(root))
