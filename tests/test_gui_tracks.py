"""The track list dock and whole-track keys, on the real window offscreen (pytest-qt)."""

import numpy as np
import pytest

pytest.importorskip("pytestqt")
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from label_irst.batch.tracks import track_rows  # noqa: E402
from label_irst.core.geometry import CroppedMask  # noqa: E402
from label_irst.core.synthetic import synthetic_sequence  # noqa: E402
from label_irst.gui.track_dock import COLUMNS  # noqa: E402
from label_irst.io.images import write_image  # noqa: E402
from label_irst.io.project import ProjectStore, Target  # noqa: E402

FRAMES, SHAPE = 30, (160, 200)
CLUTTER = (20, 80)  # a false track, frames 5..12


def _disc(x, y, r=1.6):
    yy, xx = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    return (xx - x) ** 2 + (yy - y) ** 2 <= r * r


@pytest.fixture
def prelabelled(tmp_path, monkeypatch):
    """A 30-frame sequence with 3 moving targets, pre-annotated as model candidates with track
    ids: target 0 -> track 1, target 1 -> track 2, target 2 broken into tracks 3 (frames 0-14)
    and 4 (15-29), and a false track 5 on the background (frames 5-12)."""
    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, truths, masks = synthetic_sequence(frames=FRAMES, shape=SHAPE, count=3, seed=5,
                                               speed=1.0)  # fmt: skip
    folder = tmp_path / "frames"
    for i, f in enumerate(frames):
        write_image(folder / f"f_{i:02d}.png", f)
    path = tmp_path / "p.lirst"
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(folder, "folder", FRAMES)
        for i in range(FRAMES):
            items = [(masks[i][k], k + 1 if k < 2 else (3 if i < 15 else 4)) for k in range(3)]
            if 5 <= i <= 12:
                items.append((_disc(*CLUTTER), 5))
            for m, track in items:
                mask = CroppedMask.from_full(m)
                cx, cy = mask.centroid()
                t = Target(
                    sequence_id=sid,
                    frame=i,
                    mask=mask,
                    seed=(int(round(cx)), int(round(cy))),
                    source="model",
                    rho=1.0 + 0.01 * track,
                    track_id=track,
                    status="candidate",
                )
                store.save_target(t, f"f_{i:02d}.png", SHAPE)
    return path, truths, tmp_path


@pytest.fixture
def asked(monkeypatch):
    """The merge question, answered Yes (its texts are kept: what the window asked)."""
    questions = []

    def ask(parent, text, mixed):
        questions.append((text, mixed))
        return True

    monkeypatch.setattr("label_irst.gui.track_dock.ask_merge", ask)
    return questions


@pytest.fixture
def window(qtbot, prelabelled, asked):
    from label_irst.gui.main_window import MainWindow

    settings = QSettings(str(prelabelled[2] / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1300, 850)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitActive(w)
    w.open_path(prelabelled[0])
    w.refresh_review()
    w.tracks.refresh()
    return w


class Keys:
    """Key presses as the user makes them (to the focused widget), counted."""

    def __init__(self, window):
        self.window, self.count = window, 0

    def __call__(self, k, modifier=Qt.KeyboardModifier.NoModifier):
        from PySide6.QtWidgets import QApplication

        if QApplication.activeWindow() is not self.window:
            self.window.activateWindow()
            QApplication.processEvents()
        self.window.detail_view.setFocus()
        QTest.keyClick(QApplication.focusWidget() or self.window, k, modifier)
        self.count += 1


def _all(window):
    return window.workspace.store.targets(window.workspace.sequence_id)


def test_track_list_shows_each_track_and_jumps_to_it(window):
    panel = window.tracks.panel
    assert [r.track_id for r in panel.rows] == [1, 2, 3, 5, 4]  # by first frame
    assert panel.table.rowCount() == 5
    row = {r.track_id: r for r in panel.rows}
    assert (row[3].first, row[3].last, row[3].length) == (0, 14, 15)
    assert (row[5].first, row[5].last, row[5].frames) == (5, 12, 8)
    assert row[5].status == "candidate" and abs(row[5].mean_rho - 1.05) < 1e-6
    texts = [panel.table.item(i, 1).text() for i in range(5)]
    assert texts[4] == "16–30"  # frames shown 1-based
    panel.select_track(4)  # selecting a row jumps to the track
    assert window.annotator.frame.index == 15
    assert window.annotator.selected_target().track_id == 4


def test_trails_follow_the_tracks_of_the_current_frame(window, prelabelled):
    truths = prelabelled[1]
    window.show_frame(10)
    window.tracks.refresh()
    paths = window.tracks.trails[0].paths
    assert len(paths) == 4  # tracks 1, 2, 3 and the clutter track 5 are on frame 10
    lengths = []
    for path in paths:
        (x, y) = path[-1]
        on_target = any(np.hypot(t.x + 0.5 - x, t.y + 0.5 - y) <= 1.5 for t in truths[10])
        on_clutter = np.hypot(x - CLUTTER[0] - 0.5, y - CLUTTER[1] - 0.5) <= 1
        assert on_target or on_clutter
        lengths.append((on_clutter, len(path)))
    # the targets' trails span frames 2..10; the clutter track began on frame 5
    assert sorted(lengths) == [(False, 9)] * 3 + [(True, 6)]
    assert window.tracks.trails[1].paths == paths  # the detail view draws the same
    window.show_frame(0)
    window.tracks.refresh()
    assert window.tracks.trails[0].paths == []  # nothing before the first frame


def test_review_queue_groups_by_track(window):
    review = window.review
    window.refresh_review()
    assert review.list.count() == 3 * FRAMES + 8  # one row per candidate
    review.by_track.setChecked(True)  # the filter change refreshes the queue
    window.refresh_review()
    rows = [review.list.item(i).text() for i in range(review.list.count())]
    assert len(rows) == 5 and all(r.startswith("track ") for r in rows)
    assert any("track 5  8 candidate(s)  frames 6–13" in r for r in rows)
    assert any("track 3  15 candidate(s)  frames 1–15" in r for r in rows)
    item = next(review.list.item(i) for i in range(5) if rows[i].startswith("track 4 "))
    review.list.itemClicked.emit(item)  # a click on a track row goes to that track
    assert window.annotator.selected_target().track_id == 4


def test_review_list_rows_are_those_of_the_full_targets_and_survive_a_frame_step(window):
    """The queue read without masks shows the rows the full targets give (ρ, area, order), and
    a frame step that changes nothing keeps the list (its current row too)."""
    from label_irst.gui.review import QueueRow, review_queue

    store, sid = window.workspace.store, window.workspace.sequence_id
    window.annotator.select(None)
    store.set_status([store.targets(sid, frame=3)[0].id], "confirmed")
    window.refresh_review()
    review = window.review
    shown = [(review.list.item(i).text(), review.list.item(i).data(256))
             for i in range(review.list.count())]  # fmt: skip
    expected = [(f"frame {t.frame + 1}  #{t.id}  ρ={t.rho:.2f}  area={t.area}", (t.frame, t.id))
                for t in review_queue([QueueRow.of(t) for t in store.targets(sid)])]  # fmt: skip
    assert shown == expected and len(shown) == 3 * FRAMES + 8 - 1
    assert review.counters.text() == f"reviewed 1 · remaining {len(shown)}"
    review.list.setCurrentRow(7)
    first = review.list.item(0)
    window.step(1)
    window.refresh_review()
    assert review.list.item(0) is first and review.list.currentRow() == 7  # not rebuilt
    window.annotator.select(None)
    window.tracks.actions["reject_track"].trigger()  # the head's track (1) leaves the list
    window.refresh_review()
    left = [review.list.item(i).data(256) for i in range(review.list.count())]
    assert left == [(t.frame, t.id) for t in review_queue([QueueRow.of(t) for t in
                    store.targets(sid)])]  # fmt: skip
    assert len(left) == len(shown) - (FRAMES - 1)  # track 1's 29 candidates are gone


def test_help_sheet_lists_the_track_keys(window):
    """T, X, K and M come from the window's one key table, so the Help sheet lists them."""
    from PySide6.QtGui import QKeySequence

    from label_irst.gui.actions import KEYS

    window.actions["shortcuts"].trigger()
    sheet = window._shortcut_sheet
    rows = {sheet.table.item(i, 0).text(): sheet.table.item(i, 1).text()
            for i in range(sheet.table.rowCount())}  # fmt: skip
    for name, key_name in (("confirm_track", "T"), ("reject_track", "X"),
                           ("split_track", "K"), ("merge_tracks", "M")):  # fmt: skip
        assert rows[key_name] == KEYS[name][1]
        assert window.tracks.actions[name].shortcut() == QKeySequence(key_name)
        assert f"({key_name})" in window.tracks.panel.buttons[name].text()
    assert "confirm the track" in rows["T"] and "split" in rows["K"]
    sheet.close()


def test_scripted_reviewer_confirms_a_sequence_track_by_track(window, prelabelled):
    truths = prelabelled[1]
    keys = Keys(window)
    window.tracks.panel.select_track(1)  # a click on the list starts the review
    while any(t.status == "candidate" for t in _all(window)):
        target = window.annotator.selected_target()
        assert target is not None and target.track_id is not None
        x, y = target.centroid
        real = any(np.hypot(t.x - x, t.y - y) <= 3 for t in truths[target.frame])
        keys(Qt.Key.Key_T if real else Qt.Key.Key_X)  # one key per track
        assert keys.count <= 10
    # correction: tracks 3 and 4 are one target: choose both in the list, press M
    panel = window.tracks.panel
    panel.select_track(3)
    model = panel.table.selectionModel()
    row4 = [r.track_id for r in panel.rows].index(4)
    model.select(panel.table.model().index(row4, 0),
                 model.SelectionFlag.Select | model.SelectionFlag.Rows)  # fmt: skip
    window.annotator.select(None)
    keys(Qt.Key.Key_M)
    targets = _all(window)
    confirmed = [t for t in targets if t.status == "confirmed"]
    assert len(confirmed) == 3 * FRAMES
    assert keys.count / len(confirmed) <= 0.1
    assert all(t.track_id is not None for t in confirmed)
    assert [t.status for t in targets if t.track_id == 5] == ["rejected"] * 8
    # every true target carries one track id over all its frames
    ids_per_target = []
    for k in range(3):
        ids = set()
        for t in confirmed:
            tx, ty = truths[t.frame][k].x, truths[t.frame][k].y
            if np.hypot(t.centroid[0] - tx, t.centroid[1] - ty) <= 3:
                ids.add(t.track_id)
        ids_per_target.append(ids)
    assert [len(s) for s in ids_per_target] == [1, 1, 1]
    assert len(set().union(*ids_per_target)) == 3
    assert [r.status for r in track_rows(targets)] == ["confirmed"] * 3 + ["rejected"]


def test_split_at_the_current_frame_and_refused_merge(window):
    keys = Keys(window)
    window.show_frame(10)
    (mine,) = [t for t in window.annotator.targets.values() if t.track_id == 1]
    window.annotator.select(mine.id)
    keys(Qt.Key.Key_K)
    targets = _all(window)
    before = {t.frame for t in targets if t.track_id == 1}
    new_ids = {t.track_id for t in targets if t.frame >= 10 and t.track_id not in (2, 3, 4, 5)}
    assert before == set(range(10)) and len(new_ids) == 1
    new = new_ids.pop()
    assert {t.frame for t in targets if t.track_id == new} == set(range(10, 30))
    assert window.annotator.selected_target().track_id == new
    assert new in [r.track_id for r in window.tracks.panel.rows]
    # merging two tracks that share frames is refused, nothing changes
    window.tracks.panel.select_track(2)  # the row of track 2 (jumps to its target here)
    assert window.annotator.frame.index == 10
    (sel,) = [t for t in window.annotator.targets.values() if t.track_id == new]
    window.annotator.select(sel.id)  # and the new track's target in the view
    keys(Qt.Key.Key_M)
    assert "both hold a target" in window.statusBar().currentMessage()
    assert {t.track_id for t in _all(window)} == {1, 2, 3, 4, 5, new}


def test_app_pre_annotation_gives_tracks_to_the_dock(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from label_irst.gui.main_window import MainWindow
    from label_irst.gui.prelabel import default_model

    monkeypatch.setenv("LABEL_IRST_HOME", str(tmp_path / "home"))
    frames, truths, _ = synthetic_sequence(frames=10, shape=(128, 128), count=3, seed=11,
                                           dtype=np.uint16)  # fmt: skip
    for i, f in enumerate(frames):
        write_image(tmp_path / "frames" / f"f_{i}.png", f)
    w = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    w.open_path(tmp_path / "frames")
    worker = w.prelabel_sequence(default_model(), threads=1)
    with qtbot.waitSignal(worker.finished, timeout=60000):
        pass
    QApplication.processEvents()
    w.tracks.refresh()
    targets = _all(w)
    assert targets and all(t.track_id is not None for t in targets)
    for i in range(10):
        ids = [t.track_id for t in targets if t.frame == i]
        assert len(ids) == len(set(ids))
    rows = w.tracks.panel.rows
    assert {r.track_id for r in rows} == {t.track_id for t in targets}
    assert all(r.frames >= 3 for r in rows)  # the default minimum track length
    on_target = sum(
        any(np.hypot(s.x - t.centroid[0], s.y - t.centroid[1]) <= 3 for s in truths[t.frame])
        for t in targets
    )
    assert on_target >= 0.8 * len(targets)
    assert "track(s)" in w.statusBar().currentMessage()


def _states(window):
    return {t.id: (t.status, t.track_id) for t in _all(window)}


def test_track_keys_leave_no_choice_behind_and_merge_acts_only_on_chosen_tracks(window, asked):
    """T and X on every track, then M on a target: no row of the list is still chosen, so M
    merges nothing (before, every row visited stayed selected and M merged them all)."""
    keys = Keys(window)
    window.tracks.panel.select_track(1)
    for _ in range(6):
        if not any(t.status == "candidate" for t in _all(window)):
            break
        target = window.annotator.selected_target()
        keys(Qt.Key.Key_X if target.track_id == 5 else Qt.Key.Key_T)
    assert window.tracks.panel.selected_tracks() == [] and window.session.merge_choice == ()
    assert window.tracks.panel.choice.text() == ""
    before = _states(window)
    window.show_frame(20)
    window.annotator.select(next(iter(window.annotator.targets)))
    keys(Qt.Key.Key_M)
    assert _states(window) == before and asked == []
    assert "choose the tracks to merge" in window.statusBar().currentMessage()


def test_merge_shows_what_it_does_and_mixed_statuses_need_a_yes(window, asked, monkeypatch):
    keys = Keys(window)
    window.tracks.panel.select_track(3)
    keys(Qt.Key.Key_T)  # track 3 confirmed, track 4 still candidate
    panel = window.tracks.panel
    panel.select_track(3)
    model = panel.table.selectionModel()
    row4 = [r.track_id for r in panel.rows].index(4)
    model.select(panel.table.model().index(row4, 0),
                 model.SelectionFlag.Select | model.SelectionFlag.Rows)  # fmt: skip
    assert window.session.merge_choice == (3, 4)
    assert panel.choice.text() == "M merges tracks 3 + 4"  # shown before M is pressed
    before = _states(window)
    monkeypatch.setattr("label_irst.gui.track_dock.ask_merge",
                        lambda p, text, mixed: asked.append((text, mixed)) or False)  # fmt: skip
    keys(Qt.Key.Key_M)
    assert _states(window) == before  # answered No: nothing merged
    text, mixed = asked[-1]
    assert mixed and "track 3 (confirmed, 15 target(s), frames 1–15)" in text
    assert "track 4 (candidate, 15 target(s), frames 16–30) into track 3" in text


def test_every_track_edit_is_one_undo_step(window):
    keys = Keys(window)
    start = _states(window)
    steps = []
    window.tracks.panel.select_track(1)
    keys(Qt.Key.Key_T)
    steps.append(_states(window))
    window.tracks.panel.select_track(5)
    keys(Qt.Key.Key_X)
    steps.append(_states(window))
    window.show_frame(10)
    (mine,) = [t for t in window.annotator.targets.values() if t.track_id == 2]
    window.annotator.select(mine.id)
    keys(Qt.Key.Key_K)
    steps.append(_states(window))
    panel = window.tracks.panel
    panel.select_track(3)
    model = panel.table.selectionModel()
    row4 = [r.track_id for r in panel.rows].index(4)
    model.select(panel.table.model().index(row4, 0),
                 model.SelectionFlag.Select | model.SelectionFlag.Rows)  # fmt: skip
    keys(Qt.Key.Key_M)
    steps.append(_states(window))
    assert len({tuple(sorted(s.items())) for s in [start, *steps]}) == 5  # each key changed it
    for expected in reversed([start, *steps[:-1]]):
        keys(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert _states(window) == expected
    shown = {t.id: (t.status, t.track_id) for t in window.annotator.targets.values()}
    assert shown == {t.id: (t.status, t.track_id) for t in _all(window) if t.frame == 10}
    for expected in steps:
        keys(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert _states(window) == expected


def test_gap_fills_come_first_and_t_stops_on_them(window):
    """Track 1 with detection scores but for frames 7 and 8 (filled in a gap): they head the
    queue with the track's score discounted by the gap, and T shows each before confirming."""
    from label_irst.gui.review import queue_rows, review_queue

    store, sid = window.workspace.store, window.workspace.sequence_id
    for t in _all(window):
        if t.track_id in (1, 2):
            gap = t.track_id == 1 and t.frame in (7, 8)
            store.save_target(t.copy(score=None if gap else 0.8 + 0.001 * t.frame))
    queue = review_queue(queue_rows(store, sid))
    assert [(r.frame, r.gap) for r in queue[:2]] == [(7, True), (8, True)]
    mean = np.mean([0.8 + 0.001 * f for f in range(FRAMES) if f not in (7, 8)])
    assert queue[0].score == pytest.approx(mean * 0.5) and queue[1].score == pytest.approx(
        mean * 0.5
    )
    window.refresh_review()
    head = window.review.list.item(0).text()
    assert head.startswith("frame 8  ") and f"gap s={mean * 0.5:.2f}" in head  # seen as a gap
    keys = Keys(window)
    window.show_frame(0)
    (first,) = [t for t in window.annotator.targets.values() if t.track_id == 1]
    window.annotator.select(first.id)
    keys(Qt.Key.Key_T)
    assert all(t.status == "candidate" for t in _all(window) if t.track_id == 1)
    assert window.annotator.frame.index == 7 and window.annotator.selected_target().track_id == 1
    assert "gap fill" in window.statusBar().currentMessage()
    keys(Qt.Key.Key_T)
    assert window.annotator.frame.index == 8
    keys(Qt.Key.Key_T)
    assert all(t.status == "confirmed" for t in _all(window) if t.track_id == 1)


def test_grow_and_shrink_keys_on_a_mask_and_on_a_whole_track(window):
    keys = Keys(window)
    window.show_frame(10)
    (mine,) = [t for t in window.annotator.targets.values() if t.track_id == 1]
    window.annotator.select(mine.id)
    area = mine.mask.area
    keys(Qt.Key.Key_Equal)
    grown = window.annotator.selected_target()
    assert grown.id == mine.id and grown.mask.area > area
    full = grown.mask.to_full(SHAPE)
    assert full[mine.mask.to_full(SHAPE)].all()  # every pixel kept, a ring added
    keys(Qt.Key.Key_Minus)
    keys(Qt.Key.Key_Minus)
    assert window.annotator.selected_target().mask.area < area
    for _ in range(3):
        keys(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(window.annotator.targets[mine.id].mask.to_full(SHAPE),
                          mine.mask.to_full(SHAPE))  # fmt: skip
    before = {t.id: t.mask.area for t in _all(window)}
    window.annotator.select(mine.id)
    keys(Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)  # the whole track
    after = {t.id: (t.track_id, t.mask.area) for t in _all(window)}
    assert all(area > before[i] for i, (track, area) in after.items() if track == 1)
    assert all(area == before[i] for i, (track, area) in after.items() if track != 1)
    keys(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one step undoes the track
    assert {t.id: t.mask.area for t in _all(window)} == before
    assert window.annotator.frame.index == 10  # and stays on the frame shown


def test_reseed_keeps_a_confirmed_target_confirmed_and_rs_for_one_target(window):
    keys = Keys(window)
    window.show_frame(4)
    (mine,) = [t for t in window.annotator.targets.values() if t.track_id == 2]
    window.annotator.select(mine.id)
    keys(Qt.Key.Key_Space)
    assert window.annotator.selected_target().status == "confirmed"
    keys(Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    again = window.annotator.selected_target()
    assert again.id == mine.id and again.status == "confirmed"
    panel_rs = window.parameters.rs.value()
    keys(Qt.Key.Key_Comma)  # a smaller Rs for this target only
    smaller = window.annotator.selected_target()
    assert smaller.support_radius == pytest.approx(again.support_radius * 0.7)
    assert smaller.status == "confirmed"
    assert window.parameters.rs.value() == panel_rs == window.annotator.support_radius
    keys(Qt.Key.Key_Period)
    assert window.annotator.selected_target().support_radius == pytest.approx(again.support_radius)


def test_a_carried_mask_much_larger_than_its_source_is_not_proposed():
    from label_irst.gui.tracking import consistent

    raw = np.zeros(SHAPE, np.float32)
    raw[50, 60] = 100.0
    source = Target(
        sequence_id=1,
        frame=0,
        mask=CroppedMask.from_full(_disc(60, 50, 2.0)),
        seed=(60, 50),
        source="pamg",
        status="candidate",
        rho=0.0,
    )
    same = CroppedMask.from_full(_disc(60, 50, 2.0))
    streak = np.zeros(SHAPE, bool)
    streak[50, 50:71] = True  # a bright line through the target: the mask leaked along it
    leaked = CroppedMask.from_full(_disc(60, 50, 2.0) | streak)
    assert 2 < leaked.area / source.mask.area < 3  # within the old factor of 3
    assert consistent(source, same, (60, 50), raw, (60, 50))
    assert not consistent(source, leaked, (60, 50), raw, (60, 50))


def test_the_queue_row_of_a_track_shows_the_docks_mean_score(window):
    store = window.workspace.store
    for t in _all(window):
        if t.track_id == 2:
            store.save_target(t.copy(score=0.25 if t.frame < 3 else 0.85))
    window.review.by_track.setChecked(True)
    window.refresh_review()
    window.tracks.refresh()
    rows = [window.review.list.item(i).text() for i in range(window.review.list.count())]
    (row,) = [r for r in rows if r.startswith("track 2 ")]
    panel = window.tracks.panel
    cell = panel.table.item(
        [r.track_id for r in panel.rows].index(2), COLUMNS.index("score")
    ).text()
    assert cell == "0.79" and f"mean s={cell}" in row  # not the head candidate's 0.25
    header = panel.table.horizontalHeaderItem(COLUMNS.index("ρ"))
    assert header.text() == "ρ" and "Eq. 20" in header.toolTip() and "mean" in header.toolTip()


def test_the_current_track_is_bold_and_not_chosen(window):
    panel = window.tracks.panel
    window.show_frame(20)
    (mine,) = [t for t in window.annotator.targets.values() if t.track_id == 4]
    window.annotator.select(mine.id)
    window.tracks.refresh()
    bold = [r.track_id for i, r in enumerate(panel.rows) if panel.table.item(i, 0).font().bold()]
    assert bold == [4] and panel.selected_tracks() == []
    (other,) = [t for t in window.annotator.targets.values() if t.track_id == 2]
    window.annotator.select(other.id)
    window.tracks.refresh()
    bold = [r.track_id for i, r in enumerate(panel.rows) if panel.table.item(i, 0).font().bold()]
    assert bold == [2] and panel.selected_tracks() == []
