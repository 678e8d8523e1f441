"""label-irst import of a frames + VOC boxes folder, with SIRST's exclusive-end convention."""

from __future__ import annotations

import numpy as np

from label_irst.cli import main
from label_irst.io.formats import box_folders
from label_irst.io.images import write_image

VOC = (
    "<annotation><filename>a.png</filename><object><name>t</name><bndbox>"
    "<xmin>11</xmin><ymin>21</ymin><xmax>14</xmax><ymax>24</ymax></bndbox></object></annotation>"
)


def make(tmp_path):
    frame = np.full((40, 40), 20, np.uint8)
    frame[20:23, 10:13] = 200  # pixels 10..12 x 20..22: VOC 11..14 with an exclusive end
    write_image(tmp_path / "d" / "images" / "a.png", frame)
    (tmp_path / "d" / "boxes").mkdir()
    (tmp_path / "d" / "boxes" / "a.xml").write_text(VOC)
    return tmp_path / "d"


def test_exclusive_end_boxes(tmp_path):
    root = make(tmp_path)
    inclusive = box_folders.read(root).frames[0].review[0]
    exclusive = box_folders.read(root, voc_exclusive_end=True).frames[0].review[0]
    assert inclusive.bbox == (10.0, 20.0, 14.0, 24.0)
    assert exclusive.bbox == (10.0, 20.0, 13.0, 23.0)
    assert exclusive.seed == (11.0, 21.0)


def test_import_command_takes_the_flag(tmp_path, capsys):
    root = make(tmp_path)
    code = main(["import", str(root), "--out", str(tmp_path / "p.lirst"), "--voc-exclusive-end",
                 "--quiet"])  # fmt: skip
    assert code == 0
    assert "1 grown from boxes" in capsys.readouterr().out
