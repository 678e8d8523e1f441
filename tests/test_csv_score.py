"""The CSV export's ``score`` column: the model's detection score of pre-annotated targets,
empty for the others; older CSVs (no score column) read as before, and the round trip keeps
centroids, radii, ids and track ids."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from label_irst.core.geometry import CroppedMask
from label_irst.io.annotations import Annotations, Frame, Target
from label_irst.io.formats import detect_format, export_dataset, read_dataset
from label_irst.io.formats.csv_table import COLUMNS


def _dataset() -> Annotations:
    rng = np.random.default_rng(3)
    image = rng.integers(900, 1100, (40, 48)).astype(np.uint16)
    crop = np.ones((3, 3), bool)
    targets = [
        Target(
            mask=CroppedMask(crop, (5, 6)), id=1, track_id=4, source="model", rho=1.2, score=0.6173
        ),
        Target(mask=CroppedMask(crop, (20, 30)), id=2, track_id=None, source="pamg", rho=0.8),
        Target(mask=CroppedMask(crop, (30, 10)), id=3, track_id=5, source="model", score=0.05),
    ]
    frames = [
        Frame("s", "f0", None, image.shape, "uint16", targets, image=image),
        Frame("s", "f1", None, image.shape, "uint16", [], image=image),
    ]
    return Annotations(frames, name="scores")


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _items(ann: Annotations) -> list[tuple]:
    return sorted(
        (f.name, r.id, r.track_id, *r.seed, r.radius, r.source)
        for f in ann.frames
        for r in f.review
    )


def test_the_score_column_holds_the_detection_score_and_is_empty_without_one(tmp_path):
    out = tmp_path / "out"
    export_dataset(_dataset(), "csv", out)
    text = (out / "targets.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert header == list(COLUMNS) and header[-1] == "score"
    rows = _rows(text)
    by_id = {r["target_id"]: r["score"] for r in rows}
    assert by_id == {"1": "0.6173", "2": "", "3": "0.05", "": ""}  # "": the empty frame's row
    assert all(len(r) == len(COLUMNS) and None not in r for r in rows)  # no short or long row


def test_csv_round_trip_with_and_without_the_score_column(tmp_path):
    ann = _dataset()
    out = tmp_path / "out"
    export_dataset(ann, "csv", out)
    back = read_dataset(out)
    items = _items(back)
    want = sorted(
        ("f0", t.id, t.track_id, *t.centroid, t.radius, "point") for t in ann.frames[0].targets
    )
    assert len(items) == len(want) == 3
    for got, exp in zip(items, want):
        assert got[:3] == exp[:3] and got[-1] == exp[-1]
        assert got[3:6] == pytest.approx(exp[3:6], abs=1e-3)
    assert {f.name for f in back.frames} == {"f0", "f1"}

    # a CSV written before the score column existed: the same file without it
    old = tmp_path / "old"
    export_dataset(ann, "csv", old)
    rows = _rows((old / "targets.csv").read_text(encoding="utf-8"))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[c for c in COLUMNS if c != "score"],
                            lineterminator="\n", extrasaction="ignore")  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    (old / "targets.csv").write_text(buffer.getvalue(), encoding="utf-8")
    assert detect_format(old) == "csv"
    assert _items(read_dataset(old)) == items


def test_export_of_a_project_writes_the_stored_scores(tmp_path):
    from label_irst.cli import main
    from label_irst.io.images import write_image
    from label_irst.io.project import ProjectStore
    from label_irst.io.project import Target as StoredTarget

    folder, shape = tmp_path / "seq", (24, 32)
    write_image(folder / "f0.png", np.full(shape, 30, np.uint8))
    path = tmp_path / "p.lirst"
    crop = np.ones((2, 3), bool)
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", 1)
        for k, (source, score) in enumerate((("model", 0.875), ("manual", None))):
            t = StoredTarget(
                sequence_id=sid,
                frame=0,
                mask=CroppedMask(crop, (4 + 10 * k, 5)),
                seed=(6, 5 + 10 * k),
                source=source,
                status="confirmed",
                score=score,
                rho=0.0,
            )
            store.save_target(t, "f0.png", shape)
    out = tmp_path / "o"
    assert main(["export", str(path), "--format", "csv", "--out", str(out), "--quiet"]) == 0
    rows = _rows((out / "targets.csv").read_text(encoding="utf-8"))
    assert sorted((r["source"], r["score"]) for r in rows) == [("manual", ""), ("model", "0.875")]
