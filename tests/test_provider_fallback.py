"""Without a GPU, prelabel falls back to the CPU quietly: stdout keeps exactly one JSON object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from label_irst.cli import main
from label_irst.core.synthetic import synthetic_sequence
from label_irst.infer import session
from label_irst.io.images import write_image

MODEL = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"


def no_driver() -> bool:
    return session.gpu_obstacle("CUDAExecutionProvider") is not None


@pytest.mark.skipif(not no_driver(), reason="an NVIDIA driver is present on this machine")
def test_gpu_providers_are_not_requested_without_a_driver():
    assert session.providers_for("auto") == ["CPUExecutionProvider"]


@pytest.mark.skipif(not no_driver(), reason="an NVIDIA driver is present on this machine")
def test_prelabel_json_stdout_is_one_object(tmp_path, capsys):
    frames, _, _ = synthetic_sequence(frames=3, shape=(64, 80), count=1, seed=2)
    for i, frame in enumerate(frames):
        write_image(tmp_path / "seq" / f"{i:03d}.png", frame)
    code = main(["prelabel", str(tmp_path / "seq"), "--model", str(MODEL), "--out",
                 str(tmp_path / "out"), "--json", "--quiet"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    report = json.loads(out)
    assert report["frames"] == 3 and report["provider"] == "CPUExecutionProvider"
    assert main(["prelabel", str(tmp_path / "seq"), "--model", str(MODEL), "--out",
                 str(tmp_path / "o2"), "--device", "cuda"]) == 2  # fmt: skip
    assert "libcuda" in capsys.readouterr().err
