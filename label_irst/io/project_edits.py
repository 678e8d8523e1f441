"""Which targets of a project the annotator edited, read from the project's history.

Every save of a target is logged with the mask's area (``add`` when it is first stored,
``update`` on each later save). A target whose area changed after it was added was edited by
hand (brush, grow and shrink keys, a new seed); one whose every save kept the area of its first
is the mask a generator proposed, confirmed as it was. The learned generator learns from the
first kind and only weakly from the second, so that accepted proposals do not simply teach it
its own output (issue "The loop": the generator learns from the review).
"""

from __future__ import annotations

import json


def edited_targets(store) -> set[int]:
    """Ids of the targets whose mask area changed after they were added."""
    first: dict[int, int] = {}
    edited: set[int] = set()
    rows = store._db.execute(
        "SELECT target_id, action, detail FROM history"
        " WHERE action IN ('add', 'update') AND target_id IS NOT NULL ORDER BY id"
    )
    for target_id, action, detail in rows:
        try:
            area = json.loads(detail).get("area") if detail else None
        except (ValueError, AttributeError):
            continue
        if not isinstance(area, int):
            continue
        if action == "add" or target_id not in first:
            first[target_id] = area
        elif area != first[target_id]:
            edited.add(target_id)
    return edited
