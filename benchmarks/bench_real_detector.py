"""RPR-Net on real infrared data, with `prelabel`'s defaults (the figures of models/README.md).

* Real video (a root written by `label-irst dataset videos`, e.g. from ../shared/data/ddd-ir):
  `prelabel ROOT --split SPLIT` with its defaults (the model's threshold, tracking on), then per
  labelled frame: a target is found when a detection lies within --distance px of its point
  (the centre of a loose box, so 5 px by default, not the 3 px of a mask centroid); every other
  detection is a false one. Reported in all, per distance bin and per class.
* Real still images (a root written by `label-irst dataset stills`, e.g. sirst-v1): each image
  alone as a still triplet, frame by frame (no tracking: one frame has no track), Pd by the
  3 px centroid rule of Eq. 18, and false detections per image.

    .venv/bin/python benchmarks/bench_real_detector.py --model models/rprnet.json \
        --videos DDD_ROOT --stills STILLS_ROOT [--split test] [--match box] [--json]

``--match box`` also scores the videos by the box rule (a detection inside a target's labelled
box finds it; :mod:`label_irst.infer.matching`), as ``videos_box``.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from label_irst.cli import main as cli
from label_irst.infer.matching import boxes_for, match
from label_irst.infer.sequences import mask_targets, read_annotation, read_sequences


def _predictions(
    pred: Path, name: str, min_score: float = 0.0
) -> dict[str, list[tuple[float, float]]]:
    path = pred / "annotations" / f"{name}.json"
    if not path.is_file():
        return {}
    return {
        k: [(t["x"], t["y"]) for t in v if float(t.get("score", 1.0)) >= min_score]
        for k, v in read_annotation(path).items()
    }


def _count(rows: dict, key: str, truth, dets, distance: float, boxes=None) -> None:
    used, hit = match(dets, truth, distance, boxes)
    row = rows[key]
    row["targets"] += len(truth)
    row["found"] += sum(hit)
    row["false"] += sum(1 for u in used if not u)
    row["frames"] += 1


def _summary(rows: dict) -> dict:
    return {
        k: {
            "pd": round(100.0 * r["found"] / r["targets"], 1) if r["targets"] else None,
            "false_per_frame": round(r["false"] / r["frames"], 3) if r["frames"] else None,
            **r,
        }
        for k, r in sorted(rows.items())
    }


def score_videos(
    root: Path, pred: Path, split: str, distance: float, min_score: float = 0.0,
    match_rule: str = "point",
) -> dict:  # fmt: skip
    info = {}
    with open(root / "videos.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            info[r["video"]] = (r["class"], r["distance"])
    rows: dict = defaultdict(lambda: {"targets": 0, "found": 0, "false": 0, "frames": 0})
    for seq in read_sequences(root, split):
        label, dist = info.get(seq.name, ("?", "?"))
        truth = read_annotation(seq.annotation)
        dets = _predictions(pred, seq.name, min_score)
        for stem in seq.stems():
            if seq.keep is not None and stem not in seq.keep:
                continue
            gt = [(t["x"], t["y"]) for t in truth.get(stem, [])]
            boxes = boxes_for(truth.get(stem, []), match_rule)
            for key in ("all", f"distance {dist}", f"class {label}"):
                _count(rows, key, gt, dets.get(stem, []), distance, boxes)
    return _summary(rows)


def score_stills(root: Path, pred: Path, split: str, min_score: float = 0.0) -> dict:
    rows: dict = defaultdict(lambda: {"targets": 0, "found": 0, "false": 0, "frames": 0})
    for seq in read_sequences(root, split):
        stem = seq.stems()[0]
        gt = [(x, y) for x, y, _ in mask_targets(seq.mask_dir / f"{stem}.png")]
        _count(rows, "all", gt, _predictions(pred, seq.name, min_score).get(stem, []), 3.0)
    return _summary(rows)


def _prelabel(argv: list[str]) -> None:
    if cli(["prelabel", *argv]) != 0:
        raise SystemExit(f"prelabel {' '.join(argv)} failed")


def sweep(args) -> dict:
    """Per frame (no tracking), one run at a low threshold read at several thresholds: the
    curve a model's default threshold is chosen from (on a split no run trained on)."""
    out: dict = {"model": args.model, "split": args.split, "sweep": {}}
    common = ["--model", args.model, "--quiet", "--threads", str(args.threads), "--no-track"]
    common += ["--precision", args.precision]
    common += ["--threshold", "0.05"]
    thresholds = [float(t) for t in args.sweep.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for part, root in (("videos", args.videos), ("stills", args.stills)):
            if not root:
                continue
            split = args.split if part == "videos" else (args.stills_split or args.split)
            pred = Path(tmp) / part
            _prelabel([root, "--out", str(pred), "--split", split, *common])
            for t in thresholds:
                if part == "videos":
                    row = score_videos(Path(root), pred, split, args.distance, t, args.match)
                    row = row["all"]
                else:
                    row = score_stills(Path(root), pred, split, t)["all"]
                out["sweep"].setdefault(str(t), {})[part] = row
    return out


def run(args) -> dict:
    if args.sweep:
        return sweep(args)
    out: dict = {"model": args.model, "split": args.split}
    common = ["--model", args.model, "--quiet", "--threads", str(args.threads)]
    common += ["--precision", args.precision]
    with tempfile.TemporaryDirectory() as tmp:
        if args.videos:
            pred = Path(args.pred) if args.pred else Path(tmp) / "videos"
            if not args.pred:
                _prelabel([args.videos, "--out", str(pred), "--split", args.split, *common])
            out["videos"] = score_videos(Path(args.videos), pred, args.split, args.distance)
            if args.match == "box":  # both rules, side by side
                out["videos_box"] = score_videos(
                    Path(args.videos), pred, args.split, args.distance, match_rule="box"
                )
        if args.stills:
            pred = Path(tmp) / "stills"
            split = args.stills_split or args.split
            _prelabel([args.stills, "--out", str(pred), "--split", split, "--no-track", *common])
            out["stills"] = score_stills(Path(args.stills), pred, split)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="models/rprnet.json")
    p.add_argument("--videos", default=None, help="root from `label-irst dataset videos`")
    p.add_argument("--stills", default=None, help="root from `label-irst dataset stills`")
    p.add_argument("--split", default="test")
    p.add_argument("--stills-split", default=None, help="split of the stills (default: --split)")
    p.add_argument("--distance", type=float, default=5.0, help="video: match distance (px)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--match",
        choices=["point", "box"],
        default="point",
        help="video: box also finds a target by a detection inside its labelled box",
    )
    p.add_argument(
        "--pred",
        default=None,
        metavar="DIR",
        help="video: score an earlier run's predictions (prelabel's layout) instead of running",
    )
    p.add_argument(
        "--sweep",
        default=None,
        metavar="T1,T2,...",
        help="per-frame Pd / false per frame by threshold",
    )
    p.add_argument(
        "--precision",
        default="fp32",
        choices=["auto", "fp32"],
        help="fp32 (default): the model as named; auto: its CPU copy, as prelabel's default",
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return
    for t, parts in result.get("sweep", {}).items():
        for part, r in parts.items():
            print(f"threshold {t:5s} {part:7s} Pd {r['pd']}%  false/frame {r['false_per_frame']}")
    for part in ("videos", "stills"):
        for key, r in result.get(part, {}).items():
            print(
                f"{part:7s} {key:20s} Pd {r['pd']}%  false/frame {r['false_per_frame']}  "
                f"({r['found']}/{r['targets']} targets, {r['frames']} frames)"
            )


if __name__ == "__main__":
    main()
