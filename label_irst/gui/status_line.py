"""The status bar's line for the selected target (or the frame's target count)."""

from __future__ import annotations

from label_irst.io.project import Target


def target_line(target: Target | None, visible: int) -> str:
    """``#id status · source (generator)  area  r  ρ  [score]`` of the selected target: the model's
    detection score (RPR-Net, Sec. III-B) when it has one, nothing for manual, PAMG or box
    targets; without a selection, the frame's count of visible targets or a hint."""
    if target is None:
        return f"{visible} target(s)" if visible else "no target: click one to seed it"
    t = target
    generator = f" ({t.generator})" if t.generator else ""
    score = "" if t.score is None else f"  score {t.score:.2f}"
    return (
        f"#{t.id} {t.status} · {t.source}{generator}  area {t.mask.area}  r {t.radius:.2f}"
        f"  ρ {t.rho:.2f}{score}"
    )
