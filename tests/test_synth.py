"""Synthetic SIRSTD-Pixel-style sequences: layout, determinism, annotations match masks."""

import json
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.core.synthetic_sequences import render_sequence, union_mask
from label_irst.io.images import read_image, read_mask, write_image
from label_irst.io.synth import split_backgrounds


def test_render_sequence_masks_and_annotations_agree():
    rng = np.random.default_rng(3)
    base = np.full((96, 128), 100.0)
    frames, targets = render_sequence(base, 6, rng, count=3)
    assert len(frames) == 6 and frames[0].dtype == np.uint8
    assert any(targets)
    for tlist in targets:
        for t in tlist:
            x0, y0, x1, y1 = t.bbox
            assert t.mask.shape == (y1 - y0, x1 - x0)
            rows, cols = np.nonzero(t.mask)
            assert abs(x0 + cols.mean() - t.x) < 1e-9 and abs(y0 + rows.mean() - t.y) < 1e-9
            assert abs(np.pi * t.radius**2 - t.mask.sum()) < 1e-6
        full = union_mask(tlist, frames[0].shape)
        assert full.sum() >= max((t.mask.sum() for t in tlist), default=0)


def test_targets_move_and_are_brighter_or_darker_than_background():
    rng = np.random.default_rng(5)
    base = np.full((128, 128), 120.0)
    frames, targets = render_sequence(base, 10, rng, count=2)
    first = {t.id: (t.x, t.y) for t in targets[0]}
    last = {t.id: (t.x, t.y) for t in targets[-1]}
    common = set(first) & set(last)
    assert common
    assert all(np.hypot(first[k][0] - last[k][0], first[k][1] - last[k][1]) > 1.0 for k in common)
    t = targets[0][0]
    value = float(frames[0][int(round(t.y)), int(round(t.x))])
    assert (value < 120) if t.dark else (value > 120)


def test_synth_command_is_deterministic_and_writes_the_layout(tmp_path):
    args = ["--sequences", "3", "--frames", "4", "--size", "64x48", "--seed", "9", "--quiet"]
    assert main(["synth", "--out", str(tmp_path / "a"), *args]) == 0
    assert main(["synth", "--out", str(tmp_path / "b"), *args]) == 0
    a, b = tmp_path / "a", tmp_path / "b"
    frames = sorted(p.relative_to(a) for p in (a / "images").rglob("*.png"))
    assert len(frames) == 12 and frames[0] == Path("images/seq0000/00000.png")
    for rel in frames:
        assert np.array_equal(read_image(a / rel), read_image(b / rel))
        mask = read_mask(a / "masks" / rel.relative_to("images"))
        assert mask.shape == (48, 64)
    ann = json.loads((a / "annotations" / "seq0000.json").read_text())
    assert [f["frame"] for f in ann["frames"]] == ["00000", "00001", "00002", "00003"]
    for f in ann["frames"]:
        mask = read_mask(a / "masks" / "seq0000" / f"{f['frame']}.png")
        for t in f["targets"]:
            assert set(t) >= {"id", "x", "y", "radius", "bbox"}
            x0, y0, x1, y1 = t["bbox"]
            assert mask[y0:y1, x0:x1].any()
    lines = (a / "img_idx" / "train.txt").read_text().split() + (
        a / "img_idx" / "test.txt"
    ).read_text().split()
    assert sorted(lines) == sorted(str(p.relative_to("images").with_suffix("")) for p in frames)
    assert main(["synth", "--out", str(tmp_path / "c"), *args[:-2], "10", "--quiet"]) == 0
    assert not np.array_equal(read_image(a / frames[0]), read_image(tmp_path / "c" / frames[0]))


def test_real_backgrounds_hold_out_whole_scenes_for_test(tmp_path):
    bg = tmp_path / "bg"
    rng = np.random.default_rng(0)
    for scene in ("A", "B", "C", "D", "E"):
        for k in range(2):
            write_image(bg / f"{scene}_{k}.png", rng.integers(60, 120, (40, 56)).astype(np.uint8))
    out = tmp_path / "data"
    code = main(
        [
            "synth",
            "--out",
            str(out),
            "--backgrounds",
            str(bg),
            "--sequences",
            "5",
            "--frames",
            "2",
            "--quiet",
            "--test-fraction",
            "0.4",
        ]
    )
    assert code == 0
    test_seqs = {x.split("/")[0] for x in (out / "img_idx" / "test.txt").read_text().split()}
    train_seqs = {x.split("/")[0] for x in (out / "img_idx" / "train.txt").read_text().split()}
    assert test_seqs and train_seqs and not (test_seqs & train_seqs)

    def scenes(seqs):
        return {
            json.loads((out / "annotations" / f"{s}.json").read_text())["background"][0]
            for s in seqs
        }

    assert not (scenes(test_seqs) & scenes(train_seqs))
    train, test = split_backgrounds(sorted(bg.iterdir()), 0.4, np.random.default_rng(1))
    assert {p.stem[0] for p in train}.isdisjoint({p.stem[0] for p in test})


def test_bad_size_is_a_clear_error(tmp_path, capsys):
    assert main(["synth", "--out", str(tmp_path), "--size", "big", "--quiet"]) == 2
    assert "--size" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--sequences", "0"], ["--test-fraction", "1.5"]])
def test_bad_counts_are_clear_errors(tmp_path, capsys, bad):
    assert main(["synth", "--out", str(tmp_path), "--size", "32x32", "--quiet", *bad]) == 2
    assert "label-irst: error:" in capsys.readouterr().err


def test_contrast_follows_eq20_over_the_target_mask(monkeypatch):
    """SCR = |mu_T - mu_B| / sigma_B (Eq. 20): on a flat background with sensor noise 1 the mean
    added intensity over a target's mask is its SCR, for sub-pixel and large targets alike."""
    import label_irst.core.synthetic_sequences as ss

    monkeypatch.setattr(ss, "NOISE_SIGMA", (1.0, 1.0))
    base = np.full((160, 160), 100.0)
    checked = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        frames, targets = render_sequence(base, 8, rng, count=3)
        per_target: dict[int, list[float]] = {}
        for frame, tlist in zip(frames, targets):
            for t in tlist:
                x0, y0, x1, y1 = t.bbox
                added = frame[y0:y1, x0:x1].astype(float)[t.mask] - 100.0
                per_target.setdefault(t.id, []).append((abs(added.mean()), added.size))
        for tid, values in per_target.items():
            scr = next(t.scr for tl in targets for t in tl if t.id == tid)
            contrast, size = np.mean(values, axis=0)
            # fully visible, and a mask of a few pixels so that the noise averages out
            if len(values) == 8 and size >= 3:
                assert contrast == pytest.approx(scr, rel=0.15, abs=0.3)
                checked += 1
    assert checked >= 8
