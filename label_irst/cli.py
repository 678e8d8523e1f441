"""The ``label-irst`` command line: thin commands that call the library.

Each sub-command lives in its own module under :mod:`label_irst.commands` with a
``register(subparsers)`` function; they are discovered, so adding a command adds a file.
A :class:`LabelIrstError` becomes one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sqlite3
import sys

from label_irst import __version__
from label_irst.errors import LabelIrstError


def build_parser() -> argparse.ArgumentParser:
    from label_irst import commands

    parser = argparse.ArgumentParser(
        prog="label-irst",
        description="Annotate infrared small targets: one click to a pixel mask (PAMG).",
    )
    parser.add_argument("--version", action="version", version=f"label-irst {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `label-irst` alone opens the app
        args = parser.parse_args(["gui"])
    try:
        from label_irst.io.images import max_pixels

        max_pixels()  # a malformed LABEL_IRST_MAX_PIXELS is refused before any work
        return int(args.func(args) or 0)
    except LabelIrstError as exc:
        from label_irst.commands._common import printable

        print(printable(f"label-irst: error: {exc}"), file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "label-irst: error: out of memory (an input far larger than expected?)", file=sys.stderr
        )
        return 2
    except sqlite3.DatabaseError as exc:  # a project file damaged inside (its pages, not its rows)
        print(f"label-irst: error: the project file is damaged ({exc})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("label-irst: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
