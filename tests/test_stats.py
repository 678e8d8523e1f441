"""label-irst stats: distributions of a small generated dataset, report files, summary."""

from __future__ import annotations

import json

import numpy as np

from label_irst.cli import main
from label_irst.io.images import write_image, write_mask


def _dataset(root):
    rng = np.random.default_rng(0)
    for seq, sizes in (("a", (3, 5)), ("b", (3,))):
        for f in range(2):
            image = rng.normal(100, 2, (40, 60)).clip(0, 255).astype(np.uint8)
            mask = np.zeros((40, 60), bool)
            for k, side in enumerate(sizes):
                mask[10 : 10 + side, 5 + 25 * k : 5 + 25 * k + side] = True
            image[mask] = 140  # contrast 40 over noise sigma 2: SCR near 20
            write_image(root / "images" / seq / f"{f}.png", image)
            write_mask(root / "masks" / seq / f"{f}.png", mask)


def test_stats_report(tmp_path, capsys):
    _dataset(tmp_path / "ds")
    out = tmp_path / "report"
    assert main(["stats", str(tmp_path / "ds"), "--out", str(out), "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["targets"] == 6 and summary["frames"] == 4 and summary["sequences"] == 2
    assert summary["area_median"] == 9.0 and summary["share_area_at_most_9x9"] == 1.0
    assert 10 < summary["scr_median"] < 40
    for name in ("area.png", "scr.png", "targets_per_frame.png", "targets_per_sequence.png"):
        assert (out / name).stat().st_size > 1000
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "area.png" in page and "targets" in page
    assert json.loads((out / "stats.json").read_text())["targets"] == 6


def test_stats_without_masks_is_a_clear_error(tmp_path, capsys):
    write_image(tmp_path / "ds" / "images" / "x.png", np.zeros((8, 8), np.uint8))
    assert main(["stats", str(tmp_path / "ds"), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert "no target" in capsys.readouterr().err
