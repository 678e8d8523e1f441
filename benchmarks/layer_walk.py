"""The walk of ``label-irst prelabel`` through the layers, from the command to the disk.

Runs ``prelabel`` on a small synthetic root (and on a project made from it) under
:func:`sys.setprofile` and follows every call between two modules of ``label_irst``:

* **modules**: how many modules the walk passes through;
* **stays**: how many runs of consecutive calls stay in one module (a call into another module
  starts a new stay);
* **up**: calls from a lower layer into a higher one (the order of the import-linter contract
  in ``pyproject.toml``: cli > commands > train | gui > infer > batch > io > core >
  errors | job). Imports cannot go up (the contract forbids it), so a call up is a callback
  handed down; the walk should have none.

    python benchmarks/layer_walk.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

RANK = {
    "cli": 7,
    "commands": 6,
    "train": 5,
    "gui": 5,
    "infer": 4,
    "batch": 3,
    "io": 2,
    "core": 1,
    "errors": 0,
    "job": 0,
}


def layer(module: str) -> str | None:
    """The layer of a ``label_irst`` module name, None for any other module."""
    parts = module.split(".")
    if parts[0] != "label_irst" or len(parts) < 2:
        return None
    return parts[1]


class Walk:
    """Calls between modules of label_irst, in order."""

    def __init__(self):
        self.modules: Counter = Counter()
        self.stays = 0
        self.up: Counter = Counter()
        self._last: str | None = None

    def __call__(self, frame, event, arg):
        if event != "call":
            return
        callee = frame.f_globals.get("__name__", "")
        if layer(callee) is None:
            return
        caller_frame = frame.f_back
        while (
            caller_frame is not None and layer(caller_frame.f_globals.get("__name__", "")) is None
        ):
            caller_frame = caller_frame.f_back
        caller = caller_frame.f_globals.get("__name__", "") if caller_frame is not None else ""
        self.modules[callee] += 1
        if callee != self._last:
            self.stays += 1
            self._last = callee
        if caller and layer(caller) is not None:
            a, b = RANK[layer(caller)], RANK[layer(callee)]
            if b > a:
                self.up[f"{caller} -> {callee}"] += 1


def walk(argv: list[str]) -> Walk:
    from label_irst.cli import main

    w = Walk()
    sys.setprofile(w)
    try:
        code = main(argv)
    finally:
        sys.setprofile(None)
    if code not in (0, 1):
        raise SystemExit(f"prelabel failed ({code})")
    return w


def summary(w: Walk) -> dict:
    return {
        "modules": len(w.modules),
        "stays": w.stays,
        "up_calls": sum(w.up.values()),
        "up_edges": dict(w.up.most_common()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from label_irst.cli import main as cli

    model = Path(__file__).resolve().parents[1] / "models" / "rprnet.json"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        synth = ["--sequences", "1", "--frames", "8", "--size", "96x64", "--seed", "1", "--quiet"]
        cli(["synth", "--out", str(root), *synth])
        cli(["import", str(root), "--out", str(Path(tmp) / "p.lirst"), "--quiet"])
        common = ["--model", str(model), "--device", "cpu", "--quiet"]
        out = {
            "prelabel ROOT": summary(walk(["prelabel", str(root), "--out", f"{tmp}/o", *common])),
            "prelabel PROJECT": summary(walk(["prelabel", f"{tmp}/p.lirst", *common])),
        }
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for name, s in out.items():
        print(f"{name}: {s['modules']} modules, {s['stays']} stays, {s['up_calls']} calls up")
        for edge, n in s["up_edges"].items():
            print(f"    {n:6d}  {edge}")


if __name__ == "__main__":
    main()
