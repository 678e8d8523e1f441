"""Bounding-box readers: Pascal-VOC XML folders, COCO JSON files, YOLO txt folders.

Every reader returns ``{image key: [Box, ...]}`` with boxes in 0-based pixel-edge coordinates
(x0, y0 inclusive, x1, y1 exclusive), so the box centre in pixel indices is
((x0 + x1) / 2 - 0.5, (y0 + y1) / 2 - 0.5). The image key is the file stem.

Pascal-VOC stores 1-based inclusive corners (``xmin=1`` is the first column), so
x0 = xmin - 1 and x1 = xmax. YOLO stores normalised centre/size and needs the image size.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from label_irst.errors import LabelIrstError
from label_irst.io.files import (
    as_float,
    is_folder,
    read_bytes,
    read_json,
    read_text,
    regular_file,
    scan_folder,
)


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float
    label: str = "target"

    @property
    def centre(self) -> tuple[float, float]:
        """Box centre (x, y) in pixel indices: the PAMG seed of the SIRSTD-Pixel pipeline."""
        return (self.x0 + self.x1) / 2.0 - 0.5, (self.y0 + self.y1) / 2.0 - 0.5

    @property
    def size(self) -> tuple[float, float]:
        return self.x1 - self.x0, self.y1 - self.y0

    def inside(self, width: int, height: int) -> bool:
        """True when the box centre lies on the image."""
        cx, cy = self.centre
        return -0.5 <= cx < width - 0.5 and -0.5 <= cy < height - 0.5


BoxTable = dict[str, list[Box]]


def _number(node: ET.Element | None, tag: str, where: Path) -> float:
    child = node.find(tag) if node is not None else None
    if child is None or child.text is None:
        raise LabelIrstError(f"{where}: <{tag}> missing in a bounding box")
    try:
        return float(child.text)
    except ValueError:
        raise LabelIrstError(f"{where}: <{tag}> is not a number: {child.text!r}") from None


def read_voc_file(path: Path, exclusive_end: bool = False) -> tuple[str, list[Box]]:
    data = read_bytes(path)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise LabelIrstError(f"{path}: malformed XML ({exc})") from None
    except RecursionError:
        raise LabelIrstError(f"{path}: XML nested too deeply") from None
    name = root.findtext("filename")
    key = Path(name).stem if name else path.stem
    boxes = []
    for obj in root.iter("object"):
        bb = obj.find("bndbox")
        xmin, ymin = _number(bb, "xmin", path), _number(bb, "ymin", path)
        xmax, ymax = _number(bb, "xmax", path), _number(bb, "ymax", path)
        end = 1.0 if exclusive_end else 0.0
        label = obj.findtext("name") or "target"
        boxes.append(Box(xmin - 1.0, ymin - 1.0, xmax - end, ymax - end, label))
    return key, boxes


def read_voc(
    folder: Path, warn: Callable[[str], None] | None = None, exclusive_end: bool = False
) -> BoxTable:
    """A folder of VOC XML files; ``exclusive_end`` for files whose xmax/ymax are one past the
    last pixel (SIRST's published boxes are written that way)."""
    table: BoxTable = {}
    for path in sorted(scan_folder(folder, warn, lambda n: n.lower().endswith(".xml"))):
        try:
            key, boxes = read_voc_file(path, exclusive_end)
        except LabelIrstError as exc:
            if warn is None:
                raise
            warn(f"skipped: {exc}")
            continue
        table.setdefault(key, []).extend(boxes)
    return table


def read_coco(path: Path, warn: Callable[[str], None] | None = None) -> BoxTable:
    data = read_json(path)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("images"), list)
        or not isinstance(data.get("annotations"), list)
    ):
        raise LabelIrstError(f"{path}: not a COCO file (needs 'images' and 'annotations' lists)")
    names = {}
    for image in data["images"]:
        try:
            names[image["id"]] = Path(str(image["file_name"])).stem
        except (KeyError, TypeError, IndexError):
            raise LabelIrstError(f"{path}: an image entry lacks id or file_name") from None
    categories = data.get("categories")
    labels = {}
    for c in categories if isinstance(categories, list) else []:
        if isinstance(c, dict) and isinstance(c.get("id"), (int, str)):
            labels[c["id"]] = str(c.get("name", "target"))
    table: BoxTable = {stem: [] for stem in names.values()}
    for ann in data["annotations"]:
        try:
            x, y, w, h = (as_float(v, "a bbox value") for v in ann["bbox"])
            stem = names[ann["image_id"]]
            label = labels.get(ann.get("category_id"), "target")
        except (KeyError, TypeError, ValueError, AttributeError):
            message = f"{path}: skipped an annotation without a valid bbox/image_id"
            if warn is None:
                raise LabelIrstError(message) from None
            warn(message)
            continue
        table[stem].append(Box(x, y, x + w, y + h, label))
    return table


def read_yolo(folder: Path, image_sizes: dict[str, tuple[int, int]], warn=None) -> BoxTable:
    """YOLO txt folder; ``image_sizes`` maps stem -> (width, height) to denormalise."""
    table: BoxTable = {}
    for path in sorted(scan_folder(folder, warn, lambda n: n.lower().endswith(".txt"))):
        if path.stem not in image_sizes:
            continue
        width, height = image_sizes[path.stem]
        boxes = []
        try:
            lines = read_text(path).splitlines()
        except LabelIrstError as exc:
            if warn is None:
                raise
            warn(f"skipped: {exc}")
            continue
        for line_no, line in enumerate(lines, 1):
            parts = line.split()
            if not parts:
                continue
            try:
                label = parts[0]
                cx, cy, w, h = (float(v) for v in parts[1:5])
                if len(parts) < 5 or not all(math.isfinite(v) for v in (cx, cy, w, h)):
                    raise ValueError
            except ValueError:
                message = f"{path}:{line_no}: expected 'class cx cy w h', got {line!r}"
                if warn is None:
                    raise LabelIrstError(message) from None
                warn(f"skipped: {message}")
                continue
            # to a millionth of a pixel: normalised text loses the last bits of whole pixels
            x0, y0 = round((cx - w / 2) * width, 6), round((cy - h / 2) * height, 6)
            x1, y1 = round((cx + w / 2) * width, 6), round((cy + h / 2) * height, 6)
            boxes.append(Box(x0, y0, x1, y1, label))
        table[path.stem] = boxes
    return table


def detect_format(path: Path) -> str:
    """'coco' for a .json file, 'voc' for a folder of .xml, 'yolo' for a folder of .txt."""
    if not is_folder(path):
        regular_file(path)
        if path.suffix.lower() == ".json":
            return "coco"
        raise LabelIrstError(
            f"{path}: unknown box format (expected COCO .json, VOC or YOLO folder)"
        )
    names = [n.lower() for n in _names(path)]
    if any(n.endswith(".xml") for n in names):
        return "voc"
    if any(n.endswith(".txt") for n in names):
        return "yolo"
    raise LabelIrstError(f"{path}: unknown box format (no .xml or .txt files in the folder)")


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError as exc:
        raise LabelIrstError(f"{folder}: cannot list the folder ({exc.strerror})") from None


def read_boxes(
    path: str | Path,
    image_sizes: dict[str, tuple[int, int]] | None = None,
    fmt: str = "auto",
    warn: Callable[[str], None] | None = None,
    voc_exclusive_end: bool = False,
) -> BoxTable:
    """Read boxes in any supported format (``fmt``: auto, voc, coco, yolo)."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "voc":
        return read_voc(path, warn, voc_exclusive_end)
    if fmt == "coco":
        return read_coco(path, warn)
    if fmt == "yolo":
        if image_sizes is None:
            raise LabelIrstError("YOLO boxes need the image sizes")
        return read_yolo(path, image_sizes, warn)
    raise LabelIrstError(f"unknown box format {fmt!r}; choose one of: auto, voc, coco, yolo")
