"""The desktop build bundles every file the shipped models need for inference."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bundled_patterns() -> tuple[str, ...]:
    """The file patterns of models/ that packaging/label-irst.spec hands to PyInstaller."""
    spec = (ROOT / "packaging" / "label-irst.spec").read_text()
    found = re.search(r"for pattern in (\([^)]*\))", spec)
    assert found, "the spec no longer lists the models' file patterns"
    return ast.literal_eval(found.group(1))


def test_every_file_a_shipped_model_names_is_bundled_and_no_torch_weights_are():
    patterns = _bundled_patterns()
    needed = set()
    for record in sorted((ROOT / "models").glob("*.json")):
        needed.add(record.name)
        meta = json.loads(record.read_text())
        for key in ("encoder", "head", "graph", "labels"):
            if isinstance(meta.get(key), str):
                needed.add(meta[key])
        needed.update(meta.get("members") or [])
    assert {"rprnet-real.head.onnx", "segmenter-sirst.json", "lesps-sirst.labels.npz"} <= needed
    for name in sorted(needed):
        assert (ROOT / "models" / name).is_file(), name
        assert any(fnmatch.fnmatch(name, p) for p in patterns), f"{name} is not bundled"
    for weights in (ROOT / "models").glob("*.pt"):
        assert not any(fnmatch.fnmatch(weights.name, p) for p in patterns), weights.name
