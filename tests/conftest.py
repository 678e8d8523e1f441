"""Shared fixtures: where the real data is, and small generated images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def real_data_root() -> Path | None:
    """LABEL_IRST_DATA, else ../shared/data beside the checkout, else None."""
    env = os.environ.get("LABEL_IRST_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for path in candidates:
        if (path / "sirst-v1" / "images").is_dir():
            return path
    return None


@pytest.fixture
def sirst_v1() -> Path:
    root = real_data_root()
    if root is None:
        pytest.skip(
            "real data not found: set LABEL_IRST_DATA or place shared/data beside the checkout"
        )
    return root / "sirst-v1"
