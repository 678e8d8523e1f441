"""The app's Generator › Learn from confirmed targets with a project model whose weights file
is a crafted pickle: the training child refuses it in one line and runs none of its code."""

import pathlib

import pytest

pytest.importorskip("pytestqt")
torch = pytest.importorskip("torch", reason="learning runs train-generator (the train extra)")

from test_checkpoint_safety import crafted  # noqa: E402
from test_gui_learn import confirm_truth, window  # noqa: E402, F401 (the window fixture)

from label_irst.infer import edgsp as runtime  # noqa: E402
from label_irst.io.generator_model import set_project_model  # noqa: E402


def test_learning_from_a_crafted_model_runs_none_of_its_code(window, qtbot, tmp_path):  # noqa: F811
    marker = tmp_path / "planted.txt"
    model = tmp_path / "shared" / "edgsp-theirs.json"
    crafted(model.with_suffix(".pt"), marker, {"width": 4})
    model.write_text(pathlib.Path(runtime.SHIPPED).read_text())
    set_project_model(window.workspace.store, model)  # as one received with a project
    confirm_truth(window)
    window.learning.start()
    assert "--init" in window.learning.process.arguments()
    qtbot.waitUntil(lambda: not window.learning.busy, timeout=120_000)
    message = window.statusBar().currentMessage()
    assert message.startswith("Learning failed:") and "refused" in message, message
    assert not marker.exists() and window.learning.last_result is None
