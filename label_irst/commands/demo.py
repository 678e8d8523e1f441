"""label-irst demo: a headless tour of the sequence ``label-irst gui --demo`` opens: points to
masks, then RPR-Net pre-annotation, each with its figure and what the figure means."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "demo", help="a real thermal clip: labelled points to masks, RPR-Net pre-annotation"
    )
    p.add_argument("--out", default=None, help="folder to keep the demo files (default: temporary)")
    p.add_argument("--generator", default=None, help="generator (default: the best one)")
    p.add_argument(
        "--model", default=None, help="RPR-Net metadata record (default: the shipped model)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    import tempfile
    from pathlib import Path

    from label_irst.batch.demo import DEMO, run_demo
    from label_irst.commands._common import ProgressJob
    from label_irst.core.generators import get_generator
    from label_irst.errors import LabelIrstError
    from label_irst.infer.demo import MATCH_PX, SHIPPED_MODEL, detect

    spec = get_generator(args.generator)
    with tempfile.TemporaryDirectory(prefix="label-irst-demo-") as tmp:
        root = Path(args.out) if args.out else Path(tmp)
        with ProgressJob("demo") as job:
            summary = run_demo(root, spec.name, job)
        print(f"Label-IRST demo: {DEMO.describe()}, the sequence `label-irst gui --demo` opens")
        print(
            f"points -> masks ({spec.name}): {summary['targets']} targets clicked at their "
            f"labelled centres, median mask {summary['median_area']:.0f} px, "
            f"{summary['centred']} masks centred within 3 px of the label (the clip has boxes, "
            "no mask truth; the README's 75.8 is per-target mask IoU on sirst-v1's real targets)"
        )
        try:
            found = detect(DEMO, args.model or SHIPPED_MODEL)
        except LabelIrstError as exc:
            print(f"RPR-Net pre-annotation skipped: {exc}")
        else:
            print(
                f"RPR-Net pre-annotation ({found.model}, threshold {found.threshold:g}): "
                f"Pd {found.pd:.1f} % ({found.found}/{found.targets} targets), "
                f"{found.false_alarms_per_frame:.2f} false alarms per frame on this clip "
                f"(within {MATCH_PX:g} px of the labelled box centres)"
            )
        if args.out:
            print(f"frames, points.csv and predicted masks are in {root}")
        print("Open it in the app, pre-annotated for review, with: label-irst gui --demo")
    return 0
