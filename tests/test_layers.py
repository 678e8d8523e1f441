"""The layer contract of pyproject.toml ([tool.importlinter], run by ``lint-imports`` in
scripts/test.sh): the tree keeps it, and it is live, catching each kind of import it forbids."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300
    )


def test_the_tree_keeps_the_layer_contract():
    result = lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_the_contract_catches_each_forbidden_import(tmp_path):
    shutil.copytree(REPO / "label_irst", tmp_path / "label_irst",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    package = tmp_path / "label_irst"
    (package / "io" / "up.py").write_text("from label_irst.batch import convert\n")
    (package / "core" / "qt.py").write_text("import PySide6.QtCore\n")
    (package / "infer" / "torch_here.py").write_text("import torch\n")
    (package / "core" / "ring_a.py").write_text("from label_irst.core import ring_b\n")
    (package / "core" / "ring_b.py").write_text("from label_irst.core import ring_a\n")
    result = lint(tmp_path)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "0 kept, 4 broken" in out
    assert "label_irst.io.up -> label_irst.batch.convert" in out
    assert "label_irst.core.qt -> PySide6 " in out
    assert "label_irst.infer.torch_here -> torch " in out
    assert ".ring_a -> .ring_b" in out or ".ring_b -> .ring_a" in out


def test_the_app_offers_the_formats_the_command_does():
    """The export dialog reads the formats from io.formats (not from commands, a layer above)."""
    from label_irst.commands.export import EXPORT_CHOICES
    from label_irst.io.formats import EXPORT_FORMATS

    assert EXPORT_CHOICES == list(EXPORT_FORMATS)
