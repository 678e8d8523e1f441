"""Track ids through export: SIRSTD-Pixel keeps them, MOT-challenge CSV writes them."""

from __future__ import annotations

import json

import numpy as np

from label_irst.cli import main
from label_irst.core.geometry import CroppedMask
from label_irst.io.formats.mot import read_gt
from label_irst.io.images import write_image
from label_irst.io.project import ProjectStore, Target


def _disc(shape, x, y, r=2):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (xx - x) ** 2 + (yy - y) ** 2 <= r * r


def _project(tmp_path, track_ids):
    """A 4-frame sequence, two moving targets per frame with the given track ids per frame."""
    folder = tmp_path / "seq"
    shape = (32, 48)
    for k in range(4):
        write_image(folder / f"f{k}.png", np.full(shape, 20, np.uint8))
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", 4)
        for k in range(4):
            for j, (x, y) in enumerate(((5 + 3 * k, 8), (40 - 3 * k, 22))):
                mask = CroppedMask.from_full(_disc(shape, x, y))
                target = Target(
                    sequence_id=sid,
                    frame=k,
                    mask=mask,
                    seed=(x, y),
                    source="model",
                    status="confirmed",
                    track_id=track_ids[k][j],
                    rho=0.0,
                )
                store.save_target(target, f"f{k}.png", shape)
    return path


def test_sirstd_pixel_export_keeps_track_ids(tmp_path):
    path = _project(tmp_path, [[7, 9]] * 4)
    assert main(["export", str(path), "--format", "sirstd-pixel", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0  # fmt: skip
    record = json.loads((tmp_path / "o" / "annotations" / "seq.json").read_text())
    for frame in record["frames"]:
        ids = sorted(t["track_id"] for t in frame["targets"])
        assert ids == [7, 9]
    first = {t["track_id"]: t["centroid"][0] for t in record["frames"][0]["targets"]}
    last = {t["track_id"]: t["centroid"][0] for t in record["frames"][-1]["targets"]}
    assert last[7] - first[7] == 9 and first[9] - last[9] == 9  # each id follows its target


def test_mot_export_writes_tracks_by_frame(tmp_path):
    path = _project(tmp_path, [[7, 9]] * 4)
    assert main(["export", str(path), "--format", "mot", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0  # fmt: skip
    root = tmp_path / "o" / "seq"
    rows = read_gt(root / "gt" / "gt.txt")
    assert [(f, i) for f, i, *_ in rows] == [(f, i) for f in (1, 2, 3, 4) for i in (7, 9)]
    # boxes in 1-based pixels: the disc of radius 2 at (5, 8) in frame 1 spans x 3..7
    assert rows[0][2:] == (4, 7, 5, 5)
    assert rows[2][2:] == (7, 7, 5, 5)  # moved 3 px right in frame 2
    info = (root / "seqinfo.ini").read_text()
    assert "seqLength=4" in info and "imWidth=48" in info and "imHeight=32" in info
    assert sorted(p.name for p in (root / "img1").iterdir()) == [f"f{k}.png" for k in range(4)]


def test_mot_export_gives_missing_and_repeated_ids_new_ones_with_a_warning(tmp_path, capsys):
    path = _project(tmp_path, [[3, None], [3, 3], [3, 4], [3, 4]])
    code = main(["export", str(path), "--format", "mot", "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 1  # exported, with a warning
    assert "without a track id" in capsys.readouterr().err
    rows = read_gt(tmp_path / "o" / "seq" / "gt" / "gt.txt")
    per_frame = {}
    for f, i, *_ in rows:
        per_frame.setdefault(f, []).append(i)
    assert all(len(set(ids)) == len(ids) == 2 for ids in per_frame.values())
    assert all(3 in ids for ids in per_frame.values())
    assert {i for ids in per_frame.values() for i in ids} - {3, 4}  # new ids, above 4
    assert min({i for ids in per_frame.values() for i in ids} - {3, 4}) > 4


def test_export_meta_records_every_support_radius_not_one_targets(tmp_path):
    path = _project(tmp_path, [[7, 9]] * 4)
    with ProjectStore.open(path) as store:
        sid = store.sequences()[0].id
        for k, t in enumerate(store.targets(sid)):
            t.generator, t.support_radius = "pamg+", (20.0 if k % 2 else 40.0)
            store.save_target(t, f"f{t.frame}.png", (32, 48))
    out = tmp_path / "o"
    assert main(["export", str(path), "--format", "sirstd-pixel", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    settings = json.loads((out / "meta.json").read_text())["generator_settings"]
    assert settings["support_radii"] == [20.0, 40.0] and settings["per_target"] is True


def test_a_convention_fitted_on_one_target_says_target():
    from label_irst.core.convention import Convention, default_params

    one = Convention("pamg+", default_params("pamg+"), n_examples=1, fitted_at=1.0)
    assert one.describe() == "convention: fitted on 1 target"
