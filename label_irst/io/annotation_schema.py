"""The per-sequence annotation record of Label-IRST, as every writer and reader uses it.

``annotations/<seq>.json`` holds ``{"sequence": name, "frames": [{"frame": stem, "targets":
[target, ...]}, ...]}``; what a target record holds depends on its writer, and one rule says
which key is the target's **track** (the identity of one physical target along its sequence):

* schema 1, written by ``synth`` (ground truth: ``id``, ``x``, ``y``, ``radius``, ``bbox``,
  ``scr``, ``speed``, ...) and ``prelabel`` (``id``, ``x``, ``y``, ``radius``, ``score``,
  ``det_score``, ...): ``"id"`` **is the track**; there is no pixel mask in the record (it is
  in ``masks/<seq>/<frame>.png``, a union of the frame's targets).
* schema 2, written by ``export --format sirstd-pixel`` (``"schema": 2`` in the file):
  ``"track_id"`` is the track (null for a target in no track) and ``"id"`` the target's
  number in its frame; each record carries its mask as ``rle`` with its ``bbox``.

:func:`track_of` applies the rule: ``track_id`` when the record has that key, else ``id``. A
record without a mask (schema 1) is matched to the component of the union mask that holds its
point (:func:`targets_from_points`), so ``import`` keeps the track ids of both kinds of file.
"""

from __future__ import annotations

import math

import numpy as np

from label_irst.core.geometry import CroppedMask, components

#: the schema written by this version (the ``"schema"`` key of an exported record)
SCHEMA = 2
#: how far (px) a record's point may lie from the mask component it names
NEAR = 3.0


def track_of(record: dict) -> int | None:
    """The track id of a target record: ``track_id`` where present (schema 2), else ``id``
    (schema 1: synth and prelabel name the track ``id``); None where it is no integer."""
    value = record.get("track_id") if "track_id" in record else record.get("id")
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number == value else None


def _point(record: dict) -> tuple[float, float] | None:
    try:
        x, y = float(record["x"]), float(record["y"])
    except (KeyError, TypeError, ValueError):
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def targets_from_points(
    records: list[dict], mask: np.ndarray
) -> list[tuple[CroppedMask, int | None]]:
    """The 8-connected components of a frame's union ``mask``, each with the track of the
    record whose point (x, y) it holds (or lies within :data:`NEAR` px of); a component that
    holds the points of several records is split between them, each pixel going to the nearest
    point. Components no record names come back with no track."""
    parts = components(np.asarray(mask, bool))
    owners: dict[int, list[tuple[float, float, int | None]]] = {}
    for record in records if isinstance(records, list) else []:
        point = _point(record) if isinstance(record, dict) else None
        if point is None:
            continue
        k = _component_at(parts, *point)
        if k is not None:
            owners.setdefault(k, []).append((*point, track_of(record)))
    out: list[tuple[CroppedMask, int | None]] = []
    for k, part in enumerate(parts):
        named = owners.get(k, [])
        if len(named) <= 1:
            out.append((part, named[0][2] if named else None))
            continue
        rows, cols = np.nonzero(part.crop)
        rows, cols = rows + part.offset[0], cols + part.offset[1]
        d = [(cols - x) ** 2 + (rows - y) ** 2 for x, y, _ in named]
        nearest = np.argmin(np.stack(d), axis=0)
        for j, (_, _, track) in enumerate(named):
            keep = nearest == j
            if keep.any():
                out.append((CroppedMask.from_pixels(rows[keep], cols[keep]), track))
    return out


def _component_at(parts: list[CroppedMask], x: float, y: float) -> int | None:
    """The component holding pixel (round x, round y), else the nearest within NEAR px."""
    col, row = int(round(x)), int(round(y))
    best, best_d = None, NEAR
    for k, part in enumerate(parts):
        r0, c0 = part.offset
        i, j = row - r0, col - c0
        if 0 <= i < part.crop.shape[0] and 0 <= j < part.crop.shape[1] and part.crop[i, j]:
            return k
        rows, cols = np.nonzero(part.crop)
        d = float(np.sqrt(((cols + c0 - x) ** 2 + (rows + r0 - y) ** 2).min()))
        if d <= best_d:
            best, best_d = k, d
    return best
