"""Helpers shared by the command modules: progress bars and warnings on stderr."""

from __future__ import annotations

import math
import sys

from label_irst.job import Job


class ProgressJob:
    """A :class:`Job` whose progress is a tqdm bar on stderr and whose warnings print above it."""

    def __init__(self, description: str, quiet: bool = False):
        from tqdm import tqdm

        self._bar = tqdm(
            desc=description,
            unit="img",
            file=sys.stderr,
            disable=True if quiet else None,
            dynamic_ncols=True,
            mininterval=0.5,
        )
        self._tqdm = tqdm
        self.job = Job(progress=self._progress, warn=self._warn)

    def _progress(self, done: int, total: int) -> None:
        if self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def _warn(self, message: str) -> None:
        self._tqdm.write(printable(f"label-irst: warning: {message}"), file=sys.stderr)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> Job:
        return self.job

    def __exit__(self, *exc) -> None:
        self.close()


def printable(text: str) -> str:
    """``text`` with what cannot be encoded (the bytes of non-UTF-8 file names) escaped."""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        return text.encode("ascii", "backslashreplace").decode("ascii")


def add_generator_args(parser, default_rs: float = 20.0) -> None:
    from label_irst.core.generators import DEFAULT_GENERATOR

    parser.add_argument(
        "--generator",
        default=None,
        help=f"point-to-mask generator (default: {DEFAULT_GENERATOR}; see `label-irst generators`)",
    )
    parser.add_argument(
        "--rs",
        type=support_radius,
        default=default_rs,
        help="spatial support Rs of PAMG in pixels, at most 1000 (default: 20)",
    )


def add_convention_arg(parser) -> None:
    parser.add_argument(
        "--convention",
        default=None,
        metavar="FILE|PROJECT",
        help="annotation convention fitted to a project's confirmed masks: its JSON file or the "
        "project (.lirst) itself (default: the generator as shipped)",
    )


def support_radius(text: str) -> float:
    """argparse type of --rs: a finite number of pixels in [0.5, 1000]."""
    import argparse

    from label_irst.core.pamg import MIN_SUPPORT_RADIUS
    from label_irst.io.formats.review import MAX_SUPPORT_RADIUS

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and MIN_SUPPORT_RADIUS <= value <= MAX_SUPPORT_RADIUS):
        raise argparse.ArgumentTypeError(
            f"must be in [{MIN_SUPPORT_RADIUS:g}, {MAX_SUPPORT_RADIUS:g}] pixels: {text}"
        )
    return value


def json_summary(summary: dict, fmt: str) -> dict:
    """A report summary ready for JSON: NaN becomes null, floats rounded with ``fmt``."""

    def clean(value):
        if isinstance(value, float):
            return None if math.isnan(value) else float(format(value, fmt))
        return value

    return {key: clean(value) for key, value in summary.items()}


def add_match_arg(p) -> None:
    """``--match point|box``: how a detection finds a ground-truth target
    (:mod:`label_irst.infer.matching`)."""
    p.add_argument(
        "--match",
        choices=["point", "box"],
        default="point",
        help="point: within the distance of the target's point (default); box: also anywhere "
        "inside the target's labelled box, where it has one ('box' of `dataset videos`)",
    )
