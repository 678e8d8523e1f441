"""A project's settings, typed: how it annotates, with which models, and how its frames are read.

They live in the project file's meta table; this module is the one place that names their keys.

=========================  ==========================  ==========================================
setting                    key                         value
=========================  ==========================  ==========================================
generator                  ``generator``               a generator of the registry (``pamg+`` ...)
convention of a generator  ``convention/<generator>``  :class:`label_irst.core.convention.Convention` JSON
learned generator          ``edgsp/model``             the ``edgsp`` model's record, relative to the
                                                       project's folder when it lies inside it
detector model             ``detector/model``          the project's RPR-Net record (adopted by the
                                                       loop, or picked), relative to the project's
                                                       folder when it lies inside it
frames form a sequence     ``sequence:<id>``           ``1`` or ``0`` for sequence ``id``
=========================  ==========================  ==========================================

The detector's key is the one :mod:`label_irst.io.project_reviewed` (the loop) records the
adopted model under; a project written before kept it as ``app.rprnet_model`` (absolute), which
is still read when the new key is absent and dropped when the detector is set again.

Reading a setting writes nothing; a setter writes (one transaction) only when the value changes.
Models are passed from here to the code that runs them, never through a process-wide choice.
"""

from __future__ import annotations

from pathlib import Path

from label_irst.io.project_reviewed import DETECTOR_KEY, project_detector, set_project_detector

GENERATOR = "generator"
CONVENTION = "convention/{generator}"
LEARNED_GENERATOR = "edgsp/model"
DETECTOR = DETECTOR_KEY
#: where projects written before the loop kept the detector (read when DETECTOR is absent)
LEGACY_DETECTOR = "app.rprnet_model"
FRAMES_FORM_SEQUENCE = "sequence:{sequence_id}"


class ProjectSettings:
    """The settings of an open :class:`label_irst.io.project.ProjectStore`."""

    def __init__(self, store):
        self.store = store

    def _set(self, key: str, value: str | None) -> None:
        if self.store.meta(key) != value:
            self.store.set_meta(key, value)

    # -- generator and convention ----------------------------------------------------------
    @property
    def generator(self) -> str | None:
        """The generator the project annotates with (None: it never chose one)."""
        return self.store.meta(GENERATOR) or None

    def set_generator(self, name: str) -> None:
        self._set(GENERATOR, name)

    def convention_json(self, generator: str) -> str | None:
        """The fitted convention of ``generator`` as stored (None: its defaults)."""
        return self.store.meta(CONVENTION.format(generator=generator))

    def set_convention_json(self, generator: str, text: str | None) -> None:
        self._set(CONVENTION.format(generator=generator), text)

    # -- models ----------------------------------------------------------------------------
    @property
    def learned_generator(self) -> Path | None:
        """The project's ``edgsp`` model (it may no longer exist), None for the shipped one."""
        text = self.store.meta(LEARNED_GENERATOR)
        if not text:
            return None
        path = Path(text)
        return path if path.is_absolute() else Path(self.store.path).parent / path

    def set_learned_generator(self, path: str | Path | None) -> None:
        """Record ``path`` (None: back to the shipped model), relative to the project's folder
        when it lies inside it, so the folder can be moved as a whole."""
        if path is None:
            self._set(LEARNED_GENERATOR, None)
            return
        path, folder = Path(path).resolve(), Path(self.store.path).resolve().parent
        try:
            text = str(path.relative_to(folder))
        except ValueError:
            text = str(path)
        self._set(LEARNED_GENERATOR, text)

    @property
    def detector(self) -> Path | None:
        """The project's RPR-Net model (it may no longer exist), None for the shipped one."""
        recorded = project_detector(self.store)
        if recorded is not None:
            return recorded
        legacy = self.store.meta(LEGACY_DETECTOR)
        return Path(legacy) if legacy else None

    def set_detector(self, path: str | Path | None) -> None:
        """Record ``path`` (None: back to the shipped model) under the one detector key."""
        if self.store.meta(LEGACY_DETECTOR) is not None:
            self.store.set_meta(LEGACY_DETECTOR, None)
        if path is None:
            self._set(DETECTOR, None)
        elif self.detector is None or self.detector.resolve() != Path(path).resolve():
            set_project_detector(self.store, path)

    # -- sequences -------------------------------------------------------------------------
    def frames_form_sequence(self, sequence_id: int) -> bool | None:
        """Whether the frames of sequence ``sequence_id`` form a sequence, as the annotator
        said (Sequence › Frames form a sequence); None when never said."""
        value = self.store.meta(FRAMES_FORM_SEQUENCE.format(sequence_id=sequence_id))
        return None if value is None else value == "1"

    def set_frames_form_sequence(self, sequence_id: int, on: bool) -> None:
        self._set(FRAMES_FORM_SEQUENCE.format(sequence_id=sequence_id), "1" if on else "0")
