"""The clinic: patients, references, targets, programmes, session history and reports (SQLite)."""

from posecoach.clinic.patients import Clinic, progress_plan

__all__ = ["Clinic", "progress_plan"]
