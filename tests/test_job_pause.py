"""A paused Job waits at its next progress report, outside the budget; --pause-file drives it."""

from __future__ import annotations

import threading

from label_irst.commands.adapt import pause_check
from label_irst.job import Job


def test_step_waits_while_paused_and_counts_the_wait():
    answers = iter([True, True, True])
    reports = []
    job = Job(progress=lambda d, t: reports.append((d, t)), pause=lambda: next(answers, False))
    job.step(1, 4)
    assert reports == [(1, 4)]
    assert job.paused_seconds > 0.0
    before = job.paused_seconds
    job.step(2, 4)  # not paused any more: nothing added
    assert job.paused_seconds == before
    assert reports == [(1, 4), (2, 4)]


def test_cancel_ends_a_pause():
    job = Job(pause=lambda: True)
    threading.Timer(0.2, job.cancel.set).start()
    job.step(1, 2)  # returns although pause() stays true
    assert job.cancelled


def test_pause_file_pauses_while_it_exists_and_says_each_change_once(tmp_path):
    said = []
    path = tmp_path / "pause"
    check = pause_check(str(path), said.append)
    assert check() is False and said == []
    path.touch()
    assert check() is True and check() is True
    path.unlink()
    assert check() is False
    assert said == ["adapt: paused", "adapt: resumed"]
