"""``label-irst gui [PROJECT_OR_FOLDER] [--demo] [--screenshot PATH]``: the desktop app."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default with no command)")
    p.add_argument(
        "path", nargs="?", help="a project (.lirst), a folder of frames, a video or an image"
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="open the demo: a short real thermal clip (resources/demo/), pre-annotated",
    )
    p.add_argument(
        "--screenshot", metavar="PATH", help="render the window once loaded, write a PNG, exit"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from label_irst.errors import LabelIrstError

    if args.demo and args.path:
        raise LabelIrstError("give either a path or --demo, not both")
    from label_irst.gui.app import run as run_app

    return run_app(args.path, demo=args.demo, screenshot=args.screenshot)
