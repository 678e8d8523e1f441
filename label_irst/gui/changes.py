"""Has the project changed since a picture was built from it? The store's version.

:meth:`ProjectStore.version` changes whenever any row of the project changes, from this window
or from a worker's own connection. Lists built from the store's rows (the review queue, the
trails) are rebuilt only when it moves, so a frame step that writes nothing costs no re-read of
the whole sequence.
"""

from __future__ import annotations

from label_irst.io.project import ProjectStore


def store_version(store: ProjectStore) -> tuple[int, int]:
    """The store's :meth:`~ProjectStore.version`: equal values mean an unchanged project."""
    return store.version()
