"""Typed project settings: each setting reads back what was set, reading writes nothing, and a
setter writes only a change."""

from __future__ import annotations

from label_irst.io.project import ProjectStore
from label_irst.io.project_settings import ProjectSettings


def test_settings_read_back_and_reading_writes_nothing(tmp_path):
    path = tmp_path / "p.lirst"
    model = tmp_path / "p.models" / "learned.json"
    with ProjectStore.open(path, create=True) as store:
        sid = store.add_sequence(tmp_path, "folder", 3)
        settings = ProjectSettings(store)
        assert settings.generator is None and settings.learned_generator is None
        assert settings.detector is None and settings.frames_form_sequence(sid) is None
        settings.set_generator("square3")
        settings.set_convention_json("square3", '{"x": 1}')
        settings.set_learned_generator(model)
        settings.set_detector(tmp_path / "rprnet.json")
        settings.set_frames_form_sequence(sid, False)
    before = path.read_bytes()
    with ProjectStore.open(path) as store:
        settings = ProjectSettings(store)
        assert settings.generator == "square3"
        assert settings.convention_json("square3") == '{"x": 1}'
        assert settings.convention_json("pamg+") is None
        assert settings.learned_generator == model.resolve()
        assert store.meta("edgsp/model") == "p.models/learned.json"  # moves with its folder
        assert settings.detector == (tmp_path / "rprnet.json").resolve()
        assert settings.frames_form_sequence(sid) is False
        history = len(store.history(1000))
        settings.set_generator("square3")  # unchanged: nothing written
        settings.set_frames_form_sequence(sid, False)
        assert len(store.history(1000)) == history
    assert path.read_bytes() == before
