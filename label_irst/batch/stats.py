"""Dataset statistics as in Fig. 4 of the paper: target scale and saliency (SCR) distributions,
targets per frame and per sequence, written as PNG plots and one HTML page.

Area is the mask's pixel count; SCR = |mu_T - mu_B| / sigma_B against a background ring
(:func:`label_irst.core.boundary.local_contrast`, Sec. III-A4); rho is Eq. 20 at Rs = 20.
"""

from __future__ import annotations

import html
import io
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from label_irst.core.boundary import boundary_ratio, local_contrast
from label_irst.errors import LabelIrstError
from label_irst.io.annotations import Annotations
from label_irst.io.atomic import atomic_path, write_text_atomic
from label_irst.job import Job

RS = 20.0
PLOTS = ("area.png", "scr.png", "targets_per_frame.png", "targets_per_sequence.png")


@dataclass
class DatasetStats:
    name: str
    frames: int = 0
    areas: list[int] = field(default_factory=list)
    scrs: list[float] = field(default_factory=list)
    rhos: list[float] = field(default_factory=list)
    per_frame: list[int] = field(default_factory=list)
    per_sequence: dict[str, int] = field(default_factory=dict)
    skipped: int = 0

    def summary(self) -> dict:
        areas, scrs = np.asarray(self.areas, float), np.asarray(self.scrs, float)

        def pct(values, q):
            return round(float(np.percentile(values, q)), 3) if values.size else None

        return {
            "dataset": self.name,
            "frames": self.frames,
            "sequences": len(self.per_sequence),
            "targets": int(areas.size),
            "frames_without_targets": int(sum(1 for n in self.per_frame if n == 0)),
            "area_median": pct(areas, 50),
            "area_p10": pct(areas, 10),
            "area_p90": pct(areas, 90),
            "share_area_at_most_9x9": round(float((areas <= 81).mean()), 4) if areas.size else None,
            "scr_median": pct(scrs, 50),
            "scr_p10": pct(scrs, 10),
            "scr_p90": pct(scrs, 90),
            "share_rho_above_1": round(float((np.asarray(self.rhos) > 1).mean()), 4)
            if self.rhos
            else None,
            "skipped_frames": self.skipped,
        }


def dataset_statistics(ann: Annotations, job: Job | None = None) -> DatasetStats:
    """Area, SCR and rho of every (non-rejected) target; counts per frame and per sequence."""
    job = job or Job()
    stats = DatasetStats(ann.name)
    for done, frame in enumerate(ann.frames, 1):
        if job.cancelled:
            break
        targets = [t for t in frame.targets if t.status != "rejected"]
        if targets:
            try:
                image = frame.load_image()
            except LabelIrstError as exc:
                job.warning(f"skipped: {exc}")
                stats.skipped += 1
                continue
            for t in targets:
                contrast = local_contrast(image, t.mask)
                stats.areas.append(t.area)
                stats.scrs.append(contrast.scr)
                stats.rhos.append(boundary_ratio(contrast.scr, t.area, contrast.gamma, RS))
        stats.frames += 1
        stats.per_frame.append(len(targets))
        label = frame.sequence or "(single frames)"
        stats.per_sequence[label] = stats.per_sequence.get(label, 0) + len(targets)
        job.step(done, len(ann.frames))
    return stats


def _save(fig, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


REPORT_MARK = '<meta name="generator" content="label-irst stats">'


def _ours(page: Path) -> bool:
    """True when ``page`` is a report this command wrote (now, or before the mark existed)."""
    try:
        text = page.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return REPORT_MARK in text or (
        "<title>Dataset statistics: " in text and "Area: mask pixels. SCR:" in text
    )


def check_report_folder(out: str | Path, force: bool = False) -> None:
    """Refuse to replace an index.html, stats.json or plot this command did not write."""
    from label_irst.io.files import is_folder

    out = Path(out)
    if out.exists() and not is_folder(out):
        raise LabelIrstError(f"{out}: exists and is not a folder")
    if force or not out.exists():
        return
    page = out / "index.html"
    if page.exists() and _ours(page):
        return
    clash = [n for n in ("index.html", "stats.json", *PLOTS) if os.path.lexists(out / n)]
    if clash:
        raise LabelIrstError(
            f"{out}: holds {', '.join(clash)} not written by `label-irst stats` "
            "(use --force to replace them, or choose another --out)"
        )


def write_report(stats: DatasetStats, out: str | Path) -> Path:
    """PNG plots, stats.json and index.html into ``out``; returns the HTML path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not stats.areas:
        raise LabelIrstError(f"{stats.name}: no target to describe (no masks found)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    areas, scrs = np.asarray(stats.areas, float), np.asarray(stats.scrs, float)

    fig, ax = plt.subplots(figsize=(6, 3.6))
    # integer areas: bin edges at half-integers, log-spaced, so no bin is empty by construction
    bins = np.unique(np.round(np.logspace(0, np.log10(max(areas.max(), 2) + 1), 30))) - 0.5
    ax.hist(areas, bins=bins, density=True, color="#3b6ea5", edgecolor="white")
    for side in (3, 5, 9):
        ax.axvline(side * side, color="#c0392b", ls="--", lw=1)
        ax.text(side * side, ax.get_ylim()[1] * 0.92, f" {side}x{side}", color="#c0392b")
    ax.set(xscale="log", xlabel="target area (pixels, log scale)", ylabel="probability density",
           title=f"(a) Scale distribution, {stats.name} ({areas.size} targets)")  # fmt: skip
    fig.tight_layout()
    _save(fig, out / PLOTS[0])
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.6))
    positive = scrs[scrs > 0]
    top = float(np.percentile(positive, 99.5)) if positive.size else 1.0
    ax.hist(np.clip(scrs, 0, top), bins=40, density=True, color="#d68910", edgecolor="white")
    ax.set(xlabel="local SCR = |mu_T - mu_B| / sigma_B (clipped at the 99.5th percentile)",
           ylabel="probability density", title=f"(b) Saliency distribution, {stats.name}")  # fmt: skip
    fig.tight_layout()
    _save(fig, out / PLOTS[1])
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.2))
    counts = Counter(stats.per_frame)
    keys = list(range(0, max(counts) + 1))
    ax.bar(keys, [counts.get(k, 0) for k in keys], color="#5d6d7e")
    ax.set(xlabel="targets in the frame", ylabel="frames", title="Targets per frame")
    ax.set_xticks(keys)
    fig.tight_layout()
    _save(fig, out / PLOTS[2])
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.2 + 0.12 * min(len(stats.per_sequence), 40)))
    items = sorted(stats.per_sequence.items(), key=lambda kv: -kv[1])[:40]
    ax.barh([k for k, _ in items][::-1], [v for _, v in items][::-1], color="#45b39d")
    ax.set(
        xlabel="targets",
        title="Targets per sequence" + (" (40 largest)" if len(stats.per_sequence) > 40 else ""),
    )
    fig.tight_layout()
    _save(fig, out / PLOTS[3])
    plt.close(fig)

    summary = stats.summary()
    write_text_atomic(out / "stats.json", json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    rows = "".join(
        f"<tr><th>{html.escape(k.replace('_', ' '))}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in summary.items()
    )
    figures = "".join(f'<figure><img src="{p}" alt="{p[:-4]}"></figure>' for p in PLOTS)
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'>{REPORT_MARK}"
        f"<title>Dataset statistics: {html.escape(stats.name)}</title>"
        "<style>body{font-family:sans-serif;max-width:1400px;margin:2em auto}"
        "table{border-collapse:collapse}th,td{padding:2px 10px;border-bottom:1px solid #ddd;"
        "text-align:left}figure{display:inline-block;margin:8px}img{max-width:660px}</style>"
        f"</head><body><h1>Dataset statistics: {html.escape(stats.name)}</h1>"
        "<p>Area: mask pixels. SCR: |mu_T - mu_B| / sigma_B against a background ring 2-8 px "
        "around the mask. rho: Eq. 20 at Rs = 20 (rho &gt; 1: the generation condition holds)."
        f"</p><table>{rows}</table>{figures}</body></html>\n"
    )
    write_text_atomic(out / "index.html", page)
    return out / "index.html"
