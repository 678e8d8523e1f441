"""Whole-track edits on a project store (label_irst.batch.tracks)."""

from __future__ import annotations

import numpy as np
import pytest

from label_irst.batch.tracks import (
    merge_tracks,
    set_track_status,
    split_track,
    stored_track_rows,
    track_rows,
)
from label_irst.core.geometry import CroppedMask
from label_irst.errors import LabelIrstError
from label_irst.io.project import ProjectStore, Target


@pytest.fixture
def store(tmp_path):
    s = ProjectStore.open(tmp_path / "p.lirst", create=True)
    sid = s.add_sequence(tmp_path, "folder", 6)
    crop = CroppedMask(np.ones((2, 2), bool), (3, 3))
    for frame, track in [(0, 1), (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (1, 3), (2, 3)]:
        s.save_target(
            Target(
                sequence_id=sid,
                frame=frame,
                mask=crop,
                seed=(4, 4),
                source="model",
                track_id=track,
                rho=float(track),
                status="candidate",
            ),
            f"{frame}.png",
            (10, 10),
        )
    s.save_target(
        Target(
            sequence_id=sid,
            frame=0,
            mask=crop,
            seed=(4, 4),
            source="pamg",
            status="candidate",
            rho=0.0,
        )
    )  # no track
    yield s, sid
    s.close()


def test_rows_status_and_whole_track_status(store):
    s, sid = store
    rows = track_rows(s.targets(sid))
    assert stored_track_rows(s, sid) == rows
    assert [(r.track_id, r.first, r.last, r.frames, r.mean_rho) for r in rows] == [
        (1, 0, 3, 4, 1.0), (3, 1, 2, 2, 3.0), (2, 4, 5, 2, 2.0)]  # fmt: skip
    s.set_status([s.targets(sid, frame=0)[0].id], "rejected")
    assert set_track_status(s, sid, 1, "confirmed") == 3  # the rejected one stays rejected
    row = {r.track_id: r for r in track_rows(s.targets(sid))}
    assert row[1].status == "3/4 confirmed" and row[2].status == "candidate"
    assert set_track_status(s, sid, 1, "rejected") == 3
    assert {r.track_id: r.status for r in track_rows(s.targets(sid))}[1] == "rejected"
    assert stored_track_rows(s, sid) == track_rows(s.targets(sid))


def test_split_and_merge(store):
    s, sid = store
    new = split_track(s, sid, 1, 2)
    assert new == 4
    assert sorted(t.frame for t in s.targets(sid) if t.track_id == 1) == [0, 1]
    assert sorted(t.frame for t in s.targets(sid) if t.track_id == new) == [2, 3]
    with pytest.raises(LabelIrstError, match="before frame"):
        split_track(s, sid, 2, 4)  # nothing before frame 4
    assert merge_tracks(s, sid, [new, 2]) == 2
    assert sorted(t.frame for t in s.targets(sid) if t.track_id == 2) == [2, 3, 4, 5]
    with pytest.raises(LabelIrstError, match="both hold a target in frame 2"):
        merge_tracks(s, sid, [1, 2, 3])
    with pytest.raises(LabelIrstError, match="two tracks"):
        merge_tracks(s, sid, [1])
    assert [r.track_id for r in track_rows(s.targets(sid))] == [1, 3, 2]
