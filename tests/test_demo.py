"""The two demos: one real clip, figures that say what they measure, a GUI demo that shows the
workflow (one confirmed target, tracked model candidates waiting in the review queue)."""

from __future__ import annotations

import numpy as np
import pytest

from label_irst.batch.demo import DEMO, DemoSettings, run_demo
from label_irst.cli import main
from label_irst.errors import LabelIrstError
from label_irst.infer.demo import PROJECT_NAME, write_demo_project
from label_irst.io.images import read_image
from label_irst.io.project import ProjectStore

SMALL = DemoSettings(frames=8)


def test_headless_demo_explains_its_figures(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert f"first {DEMO.frames} frames of a real thermal clip" in out and "CC0" in out
    assert "gui --demo" in out
    assert "no mask truth" in out and "sirst-v1" in out  # says why it gives no mIoU
    assert "false alarms per frame" in out and "Pd" in out
    # the shipped model finds the clip's drone in most frames, frame by frame (no tracking)
    pd = float(out.split("Pd ")[1].split(" %")[0])
    assert pd > 50.0
    assert len(out.strip().splitlines()) <= 6


def test_both_demos_open_the_same_frames(tmp_path):
    run_demo(tmp_path / "headless")
    project = write_demo_project(tmp_path / "gui", model_path=None)
    with ProjectStore.open(project, readonly=True) as store:
        (record,) = store.sequences()
    frames = sorted((tmp_path / "headless" / "images").glob("*.png"))
    assert len(frames) == DEMO.frames == record.frame_count
    for path in frames:
        gui_frame = read_image(tmp_path / "gui" / "images" / path.name)
        assert gui_frame.dtype == np.uint8 and gui_frame.shape == (256, 320)
        assert np.array_equal(read_image(path), gui_frame)


def test_the_demo_clip_is_the_shipped_real_video_with_its_labels(tmp_path):
    from label_irst.batch.demo import CLIP, demo_sequence

    assert CLIP.is_file() and (CLIP.parent / "NOTICE.md").read_text().count("CC0") >= 1
    frames, truths = demo_sequence(SMALL)
    assert len(frames) == len(truths) == SMALL.frames
    assert all(len(t) == 1 for t in truths)  # one labelled drone per frame
    x, y = truths[0][0].x, truths[0][0].y
    window = frames[0][int(y) - 3 : int(y) + 4, int(x) - 3 : int(x) + 4].astype(float)
    assert window.max() > np.median(frames[0]) + 20  # a warm target at the labelled centre
    with pytest.raises(LabelIrstError, match="missing"):
        demo_sequence(DemoSettings(frames=4, clip=tmp_path / "none.mp4"))


def test_demo_project_holds_one_confirmed_target_and_tracked_model_candidates(tmp_path):
    project = write_demo_project(tmp_path, SMALL)
    with ProjectStore.open(project, readonly=True) as store:
        targets = store.targets(store.sequences()[0].id)
    confirmed = [t for t in targets if t.status == "confirmed"]
    candidates = [t for t in targets if t.status == "candidate"]
    assert len(confirmed) == 1 and confirmed[0].frame == 0 and confirmed[0].mask.area > 0
    assert candidates and all(t.source == "model" for t in candidates)
    # the whole sequence is pre-annotated, linked into tracks as prelabel does
    frames = {t.frame for t in candidates}
    assert len(frames) >= 3 and max(frames) == SMALL.frames - 1
    assert all(t.track_id is not None for t in candidates)
    tracks = {t.track_id for t in candidates}
    assert all(len({t.frame for t in candidates if t.track_id == k}) >= 2 for k in tracks)
    # the model's track through the confirmed target continues its track id
    assert confirmed[0].track_id in tracks
    same = [t for t in candidates if t.track_id == confirmed[0].track_id]
    assert min(t.frame for t in same) == 1 and len({t.frame for t in same}) == len(same)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert write_demo_project(tmp_path, SMALL) == project  # written once, then reused


def test_demo_project_without_a_model_keeps_the_confirmed_target(tmp_path):
    project = write_demo_project(tmp_path, SMALL, model_path=tmp_path / "missing.json")
    with ProjectStore.open(project, readonly=True) as store:
        targets = store.targets(store.sequences()[0].id)
    assert [t.status for t in targets] == ["confirmed"]
    assert project.name == PROJECT_NAME


def test_gui_demo_opens_with_candidates_in_the_queue_and_one_confirmed(
    qtbot, tmp_path, monkeypatch
):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import QSettings

    from label_irst.gui.main_window import MainWindow
    from label_irst.gui.workspace import write_demo

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.open_path(write_demo())
    window.refresh_review()
    store, seq = window.workspace.store, window.workspace.sequence_id
    statuses = [t.status for t in store.targets(seq)]
    assert statuses.count("confirmed") == 1
    assert window.review.list.count() >= 1
    assert window.review.list.count() == statuses.count("candidate")
    tracks = {t.track_id for t in store.targets(seq) if t.status == "candidate"}
    assert window.tracks.panel.table.rowCount() == len(tracks | {store.targets(seq)[0].track_id})
    assert "reviewed 1" in window.review.counters.text()
    assert len(window.workspace.sequence) == DEMO.frames


def test_headless_demo_without_the_model_still_runs(tmp_path, capsys):
    assert main(["demo", "--model", str(tmp_path / "missing.json")]) == 0
    out = capsys.readouterr().out
    assert "pre-annotation skipped" in out and "points -> masks" in out
