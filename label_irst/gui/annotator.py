"""The annotation state of one frame, without any Qt: seed, re-seed, confirm/reject, brush.

Every edit is saved to the project store at once (one transaction each), so what the window
shows is what the file holds, and is reported to ``on_edit(text, [(before, after)])`` (the
window's undo history). PAMG (Sec. III-A) runs on the raw frame; the view's contrast never
reaches the generator. Selecting a target never changes it: re-seeding is its own action. A
change of Rs re-runs the selected *candidate* grown by PAMG at its seed (Sec. III-D1); reviewed
targets and brush-edited ones (:meth:`has_manual_edits`) are never regenerated behind the user's
back. A brush stroke keeps the target's source (a corrected click is still a seeded example of
the project's convention); only a target painted from nothing is "manual".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from label_irst.core import morphology
from label_irst.core.generators import get_generator
from label_irst.core.geometry import CroppedMask
from label_irst.core.pamg import guided_support_radius
from label_irst.core.result import GeneratedMask
from label_irst.errors import LabelIrstError
from label_irst.gui.brush import apply_stroke, stroke_pixels
from label_irst.gui.session import Session
from label_irst.io.project import ProjectStore, Target

#: the smallest support radius a per-target Rs goes down to (px)
MIN_RS = 2.0


@dataclass
class FrameState:
    """Which frame is loaded: its sequence id, index, file name and raw pixels."""

    sequence_id: int
    index: int
    name: str
    raw: np.ndarray


@dataclass
class Stroke:
    points: list[tuple[float, float]] = field(default_factory=list)
    erase: bool = False
    target_id: int | None = None
    before: Target | None = None


class FrameAnnotator:
    """Targets of the current frame and the edits on them, saved through a :class:`ProjectStore`."""

    def __init__(
        self,
        store: ProjectStore,
        generator: str | None = None,
        support_radius=20.0,
        session: Session | None = None,
    ):
        self.store = store
        #: the window's session holds the selection (widgets observe it)
        self.session = session if session is not None else Session()
        self.generator = get_generator(generator).name
        self.support_radius = float(support_radius)
        self.frame: FrameState | None = None
        self.targets: dict[int, Target] = {}
        #: one pixel (a disc of radius 0.5 covers only the pixel under the cursor)
        self.brush_radius = 0.5
        #: show rejected targets (so that they can be restored)
        self.show_rejected = False
        #: called with (text, [(before, after)]) after every edit (the undo history)
        self.on_edit = None
        #: k of guided mode (Sec. III-C2, Rs = k * r); None is blind mode (Rs from the panel)
        self.guided_scale: float | None = None
        self._stroke: Stroke | None = None
        #: the project's annotation convention (gui/convention.py) and a hook called per save
        self.convention = None
        self.on_saved = None

    @property
    def selected(self) -> int | None:
        """The selected target's id (kept in the session)."""
        return self.session.selection

    @selected.setter
    def selected(self, target_id: int | None) -> None:
        self.session.selection = target_id

    # -- frames ----------------------------------------------------------------------------
    def load(self, sequence_id: int, index: int, name: str, raw: np.ndarray) -> None:
        self.frame = FrameState(sequence_id, index, name, raw)
        self.targets = {t.id: t for t in self.store.targets(sequence_id, frame=index)}
        self.selected = None
        self._stroke = None

    def reload(self) -> None:
        """Re-read the frame's targets from the store (after an undo, a pre-annotation)."""
        self.targets = {
            t.id: t for t in self.store.targets(self.frame.sequence_id, self.frame.index)
        }
        self.select(self.selected)

    def visible(self) -> list[Target]:
        """Targets shown on screen: all but the rejected ones (unless those are shown)."""
        return [t for t in self.targets.values() if self.show_rejected or t.status != "rejected"]

    def target_at(self, x: float, y: float) -> Target | None:
        col, row = int(round(x)), int(round(y))
        for t in reversed(self.visible()):
            x0, y0, x1, y1 = t.mask.bbox
            if x0 <= col < x1 and y0 <= row < y1 and t.mask.crop[row - y0, col - x0]:
                return t
        return None

    # -- seeds -----------------------------------------------------------------------------
    def generate(self, x: float, y: float, support_radius: float | None = None) -> GeneratedMask:
        rs = self.support_radius if support_radius is None else support_radius
        if self.convention is not None and self.convention.generator == self.generator:
            return self.convention.generate(self.frame.raw, (x, y), rs)
        return get_generator(self.generator).fn(self.frame.raw, (x, y), rs)

    def support_for(self, target: Target | None) -> float:
        """Rs for a seed: blind mode uses the panel's Rs; guided mode uses k * r of the target
        the seed belongs to (its radius: a model's prediction grown into a mask, or the target
        carried from the previous frame), and the panel's Rs when the seed has no target yet."""
        if self.guided_scale is not None and target is not None and target.radius > 0:
            return guided_support_radius(target.radius, self.guided_scale)
        return self.support_radius

    def seed(self, x: float, y: float) -> Target:
        """Run the generator at (x, y) and add the mask as a new candidate."""
        result = self.generate(x, y, self.support_for(None))
        target = Target(
            sequence_id=self.frame.sequence_id,
            frame=self.frame.index,
            mask=result.mask,
            seed=result.seed,
            source="pamg",
            status="candidate",
            rho=0.0,
        )
        return self._edit("seed", None, _fill(target, result))

    def reseed(
        self, target_id: int, x: float, y: float, support_radius: float | None = None
    ) -> Target | None:
        """Grow target ``target_id`` again from (x, y) (with ``support_radius``, else the
        panel's or guided Rs): a new mask in its place, still confirmed when it was (else a
        candidate); the caller asks first when the target carries manual edits, see
        :meth:`has_manual_edits`."""
        target = self.targets.get(target_id)
        if target is None:
            return None
        rs = self.support_for(target) if support_radius is None else float(support_radius)
        result = self.generate(x, y, rs)
        status = "confirmed" if target.status == "confirmed" else "candidate"
        return self._edit(
            "re-seed", target, _fill(target.copy(status=status, source="pamg"), result)
        )

    def regrow_with(self, target_id: int, factor: float) -> Target | None:
        """Grow the target again at its seed with its own Rs times ``factor`` (a faint target
        beside a bright structure needs a smaller support than the project's); the panel's Rs,
        the project default, stays as it is."""
        target = self.targets.get(target_id)
        if target is None:
            return None
        rs = max(MIN_RS, (target.support_radius or self.support_radius) * factor)
        return self.reseed(target_id, *target.seed, support_radius=rs)

    def morph(self, target_ids, grow_it: bool) -> list[Target]:
        """Grow (or shrink) the targets' masks by one pixel all round, as one undo step; a
        one-pixel mask does not shrink. Returns the targets changed (any frame)."""
        changes = []
        for tid in target_ids:
            target = self.targets.get(tid) or self._stored(tid)
            if target is None:
                continue
            mask = morphology.grow(target.mask, self._shape(target)) if grow_it else (
                morphology.shrink(target.mask))  # fmt: skip
            if mask.area == target.mask.area:
                continue
            after = self.store.save_target(target.copy(mask=mask))
            if after.frame == self.frame.index:
                self.targets[after.id] = after
            if self.on_saved is not None:
                self.on_saved(after)
            changes.append((target, after))
        if changes and self.on_edit is not None:
            self.on_edit("grow" if grow_it else "shrink", changes)
        return [after for _, after in changes]

    def _stored(self, target_id: int) -> Target | None:
        found = [t for t in self.store.targets(self.frame.sequence_id) if t.id == target_id]
        return found[0] if found else None

    def _shape(self, target: Target) -> tuple[int, int]:
        frames = self.store.frames(self.frame.sequence_id)
        shape = frames.get(target.frame, (None, None))[1]
        return shape or self.frame.raw.shape

    def add_drawn(self, mask: CroppedMask, source: str, box=None, rho: float = 0.0) -> Target:
        """A mask drawn with the box or polygon tool, as a new candidate (one undo step)."""
        if mask.area == 0:
            raise LabelIrstError("nothing drawn")
        cx, cy = mask.centroid()
        target = Target(
            sequence_id=self.frame.sequence_id,
            frame=self.frame.index,
            mask=mask,
            seed=(int(round(cx)), int(round(cy))),
            source=source,
            rho=rho,
            box=box,
            status="candidate",
        )
        return self._edit(source, None, target)

    def has_manual_edits(self, target: Target) -> bool:
        """Painted or erased by hand: drawn from nothing ("manual"), or a stored mask that is not
        what its generator grows from its stored seed and Rs (a brush stroke changed it; a
        convention refitted since also counts, which at worst asks one question too many)."""
        if target.source == "manual":
            return True
        if target.mask.area == 0 or not target.generator:
            return False
        try:
            spec = get_generator(target.generator)
            if self.convention is not None and self.convention.generator == spec.name:
                regrown = self.convention.generate(
                    self.frame.raw, target.seed, target.support_radius
                )
            else:
                regrown = spec.fn(self.frame.raw, target.seed, target.support_radius)
        except LabelIrstError:
            return True
        shape = self.frame.raw.shape
        return not np.array_equal(regrown.mask.to_full(shape), target.mask.to_full(shape))

    def add_generated(self, result: GeneratedMask, track_id: int | None, source="pamg") -> Target:
        """Save a generated mask as a candidate (carried targets: not an edit of the user's)."""
        target = Target(
            sequence_id=self.frame.sequence_id,
            frame=self.frame.index,
            mask=result.mask,
            seed=result.seed,
            source=source,
            track_id=track_id,
            status="candidate",
            rho=0.0,
        )
        return self._save(_fill(target, result))

    def set_support_radius(self, rs: float) -> Target | None:
        """Change Rs; the selected PAMG candidate is re-run at its seed with the new Rs."""
        self.support_radius = float(rs)
        target = self.selected_target()
        if target is None or target.source != "pamg" or target.status != "candidate":
            return None
        if self.has_manual_edits(target):
            return None
        return self._edit("Rs", target, _fill(target.copy(), self.generate(*target.seed)))

    def set_guided_scale(self, scale: float | None) -> Target | None:
        """Blind (None) or guided mode with k = ``scale``. A new k while in guided mode re-runs
        the selected candidate (clicked or pre-annotated) at its seed with Rs = k * r, as a click
        on it would; switching the mode itself changes only the next seeds."""
        previous, self.guided_scale = self.guided_scale, scale
        target = self.selected_target()
        if scale is None or previous is None or scale == previous:
            return None
        if target is None or target.status != "candidate":
            return None
        if target.source not in ("pamg", "model"):
            return None
        result = self.generate(*target.seed, self.support_for(target))
        return self._edit("k", target, _fill(target.copy(), result))

    def set_generator(self, name: str) -> None:
        self.generator = get_generator(name).name

    # -- review ----------------------------------------------------------------------------
    def selected_target(self) -> Target | None:
        return self.targets.get(self.selected) if self.selected is not None else None

    def select(self, target_id: int | None) -> None:
        self.selected = target_id if target_id in self.targets else None

    def confirm(self, target_id: int | None = None) -> Target | None:
        target = self.targets.get(self.selected if target_id is None else target_id)
        if target is None:
            return None
        track = target.track_id if target.track_id is not None else self.store.new_track_id()
        return self._edit("confirm", target, target.copy(status="confirmed", track_id=track))

    def reject(self, target_id: int | None = None) -> Target | None:
        """Mark the target rejected: kept in the project (hidden), restorable, never exported."""
        target = self.targets.get(self.selected if target_id is None else target_id)
        if target is None:
            return None
        saved = self._edit("reject", target, target.copy(status="rejected"))
        if not self.show_rejected:
            self.selected = None
        return saved

    def restore(self, target_id: int | None = None) -> Target | None:
        """A rejected target back to candidate."""
        target = self.targets.get(self.selected if target_id is None else target_id)
        if target is None or target.status != "rejected":
            return None
        return self._edit("restore", target, target.copy(status="candidate"))

    def delete(self, target_id: int | None = None) -> Target | None:
        """Remove the target from the project (one undo step brings it back)."""
        target = self.targets.get(self.selected if target_id is None else target_id)
        if target is None:
            return None
        self.store.delete_target(target.id)
        del self.targets[target.id]
        self.selected = None
        if self.on_saved is not None:
            self.on_saved(target)  # a deleted confirmed target leaves the convention's examples
        self._report("delete", target, None)
        return target

    # -- brush -----------------------------------------------------------------------------
    def begin_stroke(self, x: float, y: float, erase: bool = False) -> None:
        """Start a brush stroke on the selected target (painting with none selected adds one)."""
        target = self.selected_target()
        if target is None and erase:
            target = self.target_at(x, y)
        before = target
        if target is None:
            if erase:
                self._stroke = None
                return
            empty = CroppedMask(np.zeros((0, 0), bool), (0, 0))
            seed = (int(round(x)), int(round(y)))
            target = self._save(
                Target(
                    sequence_id=self.frame.sequence_id,
                    frame=self.frame.index,
                    mask=empty,
                    seed=seed,
                    source="manual",
                    status="candidate",
                    rho=0.0,
                )
            )
        self.selected = target.id
        self._stroke = Stroke([(x, y)], erase, target.id, before)
        self._paint_stroke()

    def extend_stroke(self, x: float, y: float) -> None:
        if self._stroke is not None:
            self._stroke.points.append((x, y))
            self._paint_stroke()

    def end_stroke(self) -> Target | None:
        """Finish the stroke: one saved edit, one undo step."""
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return None
        target = self.targets[stroke.target_id]
        return self._edit("erase" if stroke.erase else "brush", stroke.before, target.copy())

    def _paint_stroke(self) -> None:
        stroke = self._stroke
        pixels = stroke_pixels(stroke.points[-2:], self.brush_radius, self.frame.raw.shape)
        target = self.targets[stroke.target_id]
        mask = apply_stroke(target.mask, pixels, stroke.erase)
        self.targets[target.id] = target.copy(mask=mask)

    # -- persistence -----------------------------------------------------------------------
    def write_state(self, target_id: int, frame: int, state: Target | None) -> None:
        """Put a target back into a state of the undo history (None: absent), on any frame."""
        if state is None:
            self.store.delete_target(target_id)
        elif self.store.has_target(target_id):
            self.store.save_target(state)
        else:
            name = self.frame.name if self.frame and self.frame.index == frame else ""
            self.store.restore_target(state, name)
        if self.on_saved is not None:
            self.on_saved(None)  # an undo or redo: counted as an edit of a reviewed target
        if self.frame is not None and frame == self.frame.index:
            self.reload()
            self.selected = target_id if state is not None else None

    def _edit(self, text: str, before: Target | None, after: Target) -> Target:
        saved = self._save(after)
        self._report(text, before, saved)
        return saved

    def _report(self, text: str, before: Target | None, after: Target | None) -> None:
        if self.on_edit is not None:
            self.on_edit(text, [(before, after)])

    def _save(self, target: Target) -> Target:
        saved = self.store.save_target(target, self.frame.name, self.frame.raw.shape)
        self.targets[saved.id] = saved
        self.selected = saved.id
        if self.on_saved is not None:
            self.on_saved(saved)
        return saved

    def mask(self, statuses=("candidate", "confirmed")) -> np.ndarray:
        full = np.zeros(self.frame.raw.shape, bool)
        for t in self.targets.values():
            if t.status in statuses:
                t.mask.paint(full)
        return full


def _fill(target: Target, result: GeneratedMask) -> Target:
    target.mask = result.mask
    target.seed = result.seed
    target.rho = float(result.boundary_ratio)
    target.support_radius = float(result.support_radius)
    target.generator = result.generator
    return target
