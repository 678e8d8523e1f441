"""The walk of ``prelabel`` from the command to the disk goes down the layers only: no module
of a lower layer calls into a higher one (benchmarks/layer_walk.py measures the walk)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from label_irst.cli import main

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "layer_walk.py"
MODEL = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"


def _layer_walk():
    spec = importlib.util.spec_from_file_location("layer_walk", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prelabel_of_a_root_and_of_a_project_never_calls_up_a_layer(tmp_path):
    lw = _layer_walk()
    root = tmp_path / "root"
    synth = ["--sequences", "1", "--frames", "4", "--size", "64x48", "--seed", "2", "--quiet"]
    assert main(["synth", "--out", str(root), *synth]) == 0
    assert main(["import", str(root), "--out", str(tmp_path / "p.lirst"), "--quiet"]) == 0
    common = ["--model", str(MODEL), "--device", "cpu", "--quiet"]
    for argv in (
        ["prelabel", str(root), "--out", str(tmp_path / "o"), *common],
        ["prelabel", str(tmp_path / "p.lirst"), *common],
    ):
        walk = lw.walk(argv)
        assert any(m.startswith("label_irst.io.") for m in walk.modules)  # it reached the disk
        # the one call up allowed: a Job's progress hook, overridden by the command's bar
        up = {e: n for e, n in walk.up.items() if not e.startswith("label_irst.job ->")}
        assert up == {}, up
