"""prelabel --ray: on a local Ray cluster (2 CPUs, started once for the module) the annotations,
masks and project candidates equal the single-machine run's, also after a cancelled run is
resumed; bad sequences are skipped with exit 1; without Ray, one line naming the extra."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from label_irst.cli import main
from label_irst.infer.prelabel import prelabel
from label_irst.infer.ray_runner import RayOptions, _can_read
from label_irst.infer.sequences import Sequence, read_sequences
from label_irst.infer.session import load_model
from label_irst.io.images import read_image, write_image
from label_irst.job import Job

ray = pytest.importorskip("ray", reason="the 'cluster' extra (scripts/test.sh installs it)")

MODEL = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"
COMMON = ["--model", str(MODEL), "--device", "cpu", "--masks", "--quiet"]


@pytest.fixture(scope="module", autouse=True)
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqs")
    args = ["synth", "--out", str(root), "--sequences", "3", "--frames", "9", "--size", "96x64"]
    assert main([*args, "--seed", "5", "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def single(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("single")
    assert main(["prelabel", str(data), *COMMON, "--out", str(out)]) == 0
    return out


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_ray_output_is_the_single_machine_output_byte_for_byte(data, single, tmp_path):
    out = tmp_path / "ray"
    # ranges of 4 frames: each 9-frame sequence is cut into 3 units read with their context
    assert (
        main(["prelabel", str(data), *COMMON, "--out", str(out), "--ray", "--ray-chunk", "4"]) == 0
    )
    expected = _files(single)
    assert any(k.startswith("masks/") for k in expected) and len(expected) == 3 + 27
    assert _files(out) == expected


def test_a_cancelled_ray_run_resumes_to_the_same_output(data, single, tmp_path):
    out = tmp_path / "ray"
    model = load_model(MODEL, "cpu", threads=1)
    job = Job()
    job.progress = lambda done, total: job.cancel.set() if done >= 4 else None
    options = RayOptions(chunk=4, workers=1)
    first = prelabel(data, model, out, masks=True, job=job, ray=options, tracking=_tracking())
    assert 0 < first.frames < 27  # stopped part-way: some units written, not all
    partial = _files(out)
    assert all(expected_ok(k, v, single) for k, v in partial.items())
    again = prelabel(data, model, out, masks=True, ray=options, tracking=_tracking())
    assert again.skipped_frames == first.frames and again.frames == 27 - first.frames
    assert _files(out) == _files(single)


def expected_ok(name: str, content: bytes, single: Path) -> bool:
    """A file of a stopped run: a finished mask file equal to the single run's, or an
    annotation record (complete or not) that parses."""
    import json

    if name.startswith("masks/"):
        return content == (single / name).read_bytes()
    record = json.loads(content)
    return record["complete"] is False or content == (single / name).read_bytes()


def _tracking():
    from label_irst.infer.tracks import DEFAULT_TRACKING

    return DEFAULT_TRACKING


def test_a_bad_sequence_is_skipped_with_exit_1_like_the_single_run(data, tmp_path, capsys):
    bad = tmp_path / "bad"
    for seq in ("seq0000", "seq0001"):
        for frame in sorted((data / "images" / seq).glob("*.png")):
            write_image(bad / "images" / seq / frame.name, read_image(frame))
    odd = sorted((bad / "images" / "seq0001").glob("*.png"))[5]
    write_image(odd, np.zeros((32, 32), np.uint8))  # one frame of another size
    outs = {}
    for name, extra in (("single", []), ("ray", ["--ray", "--ray-chunk", "4"])):
        outs[name] = tmp_path / name
        assert main(["prelabel", str(bad), *COMMON, "--out", str(outs[name]), *extra]) == 1
        assert "seq0001" in capsys.readouterr().err
    assert _files(outs["ray"]) == _files(outs["single"])
    assert "annotations/seq0000.json" in _files(outs["ray"])


def test_a_project_gets_the_same_candidates_and_records(data, tmp_path):
    from label_irst.io.project import ProjectStore

    records = {}
    for name, extra in (("single", []), ("ray", ["--ray", "--ray-chunk", "5"])):
        path = tmp_path / f"{name}.lirst"
        with ProjectStore.open(path, create=True) as store:
            ids = [
                store.add_sequence(data / "images" / s, "folder", 9) for s in ("seq0000", "seq0002")
            ]
        out = tmp_path / f"{name}-out"
        assert main(["prelabel", str(path), *COMMON, "--out", str(out), *extra]) == 0
        with ProjectStore.open(path, readonly=True) as store:
            targets = [store.targets(i) for i in ids]
        cands = [sorted((t.frame, t.track_id, t.mask.area, t.source) for t in ts) for ts in targets]
        records[name] = (_files(out), cands)
    assert records["single"][1][0] and records["ray"] == records["single"]


def test_a_worker_that_cannot_read_data_says_so(tmp_path):
    missing = str(tmp_path / "elsewhere" / "0001.png")
    why = ray.get(ray.remote(num_cpus=0)(_can_read).remote([str(MODEL), missing]))
    assert why is not None and missing in why
    assert ray.get(ray.remote(num_cpus=0)(_can_read).remote([str(MODEL)])) is None


def test_without_ray_one_line_names_the_extra(data, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as when not installed
    code = main(["prelabel", str(data), *COMMON, "--out", str(tmp_path / "o"), "--ray"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and '".[cluster]"' in err
    assert not (tmp_path / "o").exists()


@dataclass
class _Crashing(Sequence):
    """A sequence whose reader kills its worker process at frame 2: once (``marker`` not yet
    there) or every time (``marker`` None)."""

    marker: Path | None = None

    def read(self, index: int):
        if index == 2 and (self.marker is None or not self.marker.exists()):
            if self.marker is not None:
                self.marker.touch()
            os._exit(1)
        return super().read(index)


def _run_seqs(seqs, out, job=None):
    from label_irst.core.convention import Convention
    from label_irst.infer.prelabel import _prelabel
    from label_irst.infer.tracks import DEFAULT_TRACKING

    model = load_model(MODEL, "cpu", threads=1)
    options = RayOptions(workers=2, retries=1)
    return _prelabel(seqs, model, out, True, 0.5, 1, True, True, 100, job or Job(),
                     Convention(), None, DEFAULT_TRACKING, options)  # fmt: skip


def test_a_dead_worker_is_restarted_and_its_task_retried(data, single, tmp_path):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    seqs = read_sequences(data)
    seqs[1] = _Crashing(**{**vars(seqs[1]), "marker": tmp_path / "crashed-once"})
    report = _run_seqs(seqs, tmp_path / "o")
    assert (tmp_path / "crashed-once").exists() and not report.warnings
    assert _files(tmp_path / "o") == _files(single)


def test_a_sequence_that_keeps_killing_its_worker_is_skipped(data, single, tmp_path):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    seqs = read_sequences(data)
    seqs[0] = _Crashing(**vars(seqs[0]))
    job = Job()
    report = _run_seqs(seqs, tmp_path / "o", job)
    assert len(report.warnings) == 1 and "seq0000" in job.warnings[0]
    got = _files(tmp_path / "o")
    assert not any("seq0000" in k for k in got)
    assert got == {k: v for k, v in _files(single).items() if "seq0000" not in k}
