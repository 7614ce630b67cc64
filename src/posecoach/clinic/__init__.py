"""The clinic: patients, references, targets, programmes, session history and reports (SQLite).

``store`` (one SQLite layer: connection, schema, transactions) <- ``history`` (the app's sessions)
and ``db.*`` (the clinic tables) <- ``Clinic`` (the facade, in ``patients``); ``records`` are the
frozen values they return; ``progression`` and ``targets`` are pure rules; ``judge`` scores reps
against a reference; ``references`` records one; ``report`` writes the progress report.
"""

from __future__ import annotations

from posecoach.clinic.patients import Clinic
from posecoach.clinic.progression import progress_plan

__all__ = ["Clinic", "progress_plan"]
