"""The therapist's data behind one facade: ``Clinic`` (patients, references, targets, programmes, progress).

Everything lives in the same SQLite file as the session history (``home_dir()/posecoach.db``),
through the one ``Store`` (``posecoach.clinic.store``): the ``clinic_*`` tables come from
migration 3, and ``sessions.patient_id`` links a session to a patient (NULL for sessions recorded
without one).  Every write is one transaction (WAL, ``synchronous=FULL``): a crash leaves either
the whole write or none of it.

The SQL is in ``posecoach.clinic.db.*`` (one module per table group), the progression rule in
``posecoach.clinic.progression`` (pure), the records in ``posecoach.clinic.records``.  Files of a
patient's references live under ``home_dir()/references/<patient_id>/`` (``Clinic.reference_dir``);
``delete_patient`` removes that folder together with every row of theirs.

Bad input raises ``InvalidValue``, unknown rows ``PatientNotFound`` / ``ReferenceNotFound`` /
``SessionNotFound`` (all ``PosecoachError``: the CLI prints them as one line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from posecoach.clinic.db import patients as _patients
from posecoach.clinic.db import programmes as _programmes
from posecoach.clinic.db import progress as _progress
from posecoach.clinic.db import references as _references
from posecoach.clinic.db import targets as _targets
from posecoach.clinic.db.targets import TARGET_KEYS
from posecoach.clinic.history import History
from posecoach.clinic.progression import progress_plan
from posecoach.clinic.red_flags import RedFlags
from posecoach.clinic.records import (
    DEFAULT_RULE,
    DeletedPatient,
    Patient,
    PatientSummary,
    PlannedItem,
    Programme,
    ProgrammeItem,
    ProgressionRule,
    Reference,
)
from posecoach.clinic.store import Store
from posecoach.errors import PatientNotFound, SessionNotFound

__all__ = ["DEFAULT_RULE", "TARGET_KEYS", "Clinic", "UnknownPatientError", "progress_plan"]

#: the earlier name of ``PatientNotFound`` (it is still a ``KeyError`` too)
UnknownPatientError = PatientNotFound


class Clinic:
    """Patients, references, targets and programmes in the history database.

    ``with Clinic() as c: ...``; ``Clinic(path)`` opens that file, or pass an open ``History``
    (it is then not closed by ``Clinic.close``).  ``store`` is the shared ``Store``.
    """

    def __init__(self, path: Path | None = None, *, history: History | None = None) -> None:
        self._own = history is None
        self.history: History = history if history is not None else History(path)
        self.store: Store = self.history.store
        #: the patients' red-flag screens (``posecoach.clinic.red_flags``)
        self.red_flags = RedFlags(self.store)

    def close(self) -> None:
        if self._own:
            self.history.close()

    def __enter__(self) -> Clinic:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self.history.path

    @staticmethod
    def reference_dir(patient_id: int) -> Path:
        """Where a patient's reference files go: ``home_dir()/references/<id>/``."""
        return _patients.reference_dir(patient_id)

    # ---------------------------------------------------------- patients

    def add_patient(self, name: str, *, notes: str = "") -> int:
        """A new patient's id; ``InvalidValue`` if the name is empty or taken (names ignore case)."""
        return _patients.add(self.store, name, notes)

    def patient(self, name_or_id: str | int) -> Patient:
        """The patient (by name or id); ``PatientNotFound`` if unknown."""
        return _patients.get(self.store, name_or_id)

    def patients(self) -> list[PatientSummary]:
        """All patients by name, each with ``sessions`` and ``last_session`` (date or None)."""
        return _patients.list_all(self.store)

    def delete_patient(self, name_or_id: str | int) -> DeletedPatient:
        """Delete the patient and everything of theirs (``posecoach.clinic.db.patients.delete``)."""
        return _patients.delete(self.store, name_or_id)

    # -------------------------------------------------------- references

    def add_reference(self, patient_id: int, exercise_id: str, *, source: str, notes: str = "",
                      landmarks_file: str | None, video_file: str | None, trace: Sequence[tuple[float, float | None]],
                      reps: list[dict], summary: dict, recorded_at: datetime | None = None,
                      targets: dict | None = None) -> int:
        """Store a reference recording; ``trace`` is (t, main angle) per frame.  ``targets``: derived
        from it, stored in the same transaction pointing at it (``reference_id``)."""
        return _references.add(self.store, patient_id, exercise_id, source=source, notes=notes,
                               landmarks_file=landmarks_file, video_file=video_file, trace=trace, reps=reps,
                               summary=summary, recorded_at=recorded_at, targets=targets)

    def reference(self, reference_id: int) -> Reference:
        """One reference; ``ReferenceNotFound`` if unknown."""
        return _references.get(self.store, reference_id)

    def references(self, patient_id: int, exercise_id: str | None = None) -> list[Reference]:
        """The patient's references, newest first (all exercises unless given)."""
        return _references.list_for(self.store, patient_id, exercise_id)

    # ----------------------------------------------------------- targets

    def set_targets(self, patient_id: int, exercise_id: str, targets: dict) -> None:
        """Store (replace) the patient's targets for an exercise.  Keys: rest, peak (main-angle
        thresholds), hold_s, tempo_s, rom_share (numbers or None), reference_id (int or None; must
        be this patient's), note; other keys are kept as given (JSON)."""
        _targets.put(self.store, patient_id, exercise_id, targets)

    def targets(self, patient_id: int, exercise_id: str) -> dict | None:
        """The stored targets (with ``updated_at``), or None if none were set."""
        return _targets.get(self.store, patient_id, exercise_id)

    def all_targets(self, patient_id: int) -> dict[str, dict]:
        """{exercise_id: targets} for the patient."""
        return _targets.get_all(self.store, patient_id)

    # -------------------------------------------------------- programmes

    def set_programme(self, patient_id: int, items: Sequence[ProgrammeItem | Mapping[str, Any]], *,
                      days_per_week: int = 5, rule: ProgressionRule | Mapping[str, Any] | None = None,
                      created_at: datetime | None = None) -> int:
        """A new programme for the patient (the previous ones are kept, the newest is current).
        item: ``ProgrammeItem`` or {"exercise_id","sets","reps","hold_s"}; rule: see
        ``ProgressionRule``.  Progression counts the sessions since ``created_at`` (default now;
        give an earlier time when entering a programme that was already being followed)."""
        return _programmes.put(self.store, patient_id, items, days_per_week=days_per_week, rule=rule,
                               created_at=created_at)

    def programme(self, patient_id: int) -> Programme | None:
        """The current programme, or None."""
        return _programmes.current(self.store, patient_id)

    def todays_plan(self, patient_id: int, today: date | None = None) -> list[PlannedItem]:
        """The current programme's items with reps after progression (``progress_plan`` over the
        sessions since the programme was set, up to ``today``), each with ``done_today`` (finished
        sessions of it today), ``reps_today`` (their counted reps) and ``complete`` (those reps
        reach the prescribed sets x reps: an item is done only when its work is).  [] without a
        programme."""
        prog = self.programme(patient_id)
        if prog is None:
            return []
        day = (today or date.today()).isoformat()
        rows = [r for r in self.progress(patient_id) if r["started_at"] >= prog.created_at]
        out = []
        for item in prog.items:
            mine = [r for r in rows if r["exercise_id"] == item.exercise_id]
            planned = progress_plan(item, [r for r in mine if r["date"] < day], prog.rule)
            today_rows = [r for r in mine if r["date"] == day]
            reps_today = sum(int(r.get("reps_done") or 0) for r in today_rows)
            complete = reps_today >= max(1, planned.sets * planned.reps)
            out.append(PlannedItem(**{**planned.to_dict(), "done_today": len(today_rows),
                                      "reps_today": reps_today, "complete": complete}))
        return out

    # ---------------------------------------------------------- sessions

    def start_session(self, patient_id: int | None, exercise_id: str, *, source: str = "",
                      pain_before: int | None = None, planned_sets: int = 0, planned_reps: int = 0,
                      started_at: datetime | None = None) -> int:
        """``History.start_session`` with the patient link, in one transaction (the same INSERT).
        Reps, events and the end go through ``self.history`` as usual."""
        return _progress.start(self.store, patient_id, exercise_id, source=source, pain_before=pain_before,
                               planned_sets=planned_sets, planned_reps=planned_reps, started_at=started_at)

    def save_session(self, patient_id: int | None, exercise_id: str, *, source: str, reps: Sequence[dict],
                     events: Sequence[tuple[float, str, str]], summary: dict, stopped: str = "completed",
                     **kw: Any) -> int:
        """A whole finished session (reps, events ``(t, kind, text)``, summary) in ONE transaction:
        a crash leaves all of it or none (``posecoach.clinic.db.progress.save``).  Its id."""
        return _progress.save(self.store, patient_id, exercise_id, source=source, reps=reps, events=events,
                              summary=summary, stopped=stopped, **kw)

    def sessions(self, patient_id: int, exercise_id: str | None = None) -> list[dict]:
        """The patient's sessions oldest first, as ``History.sessions`` rows (finished or not) plus
        ``patient_id``."""
        return _progress.sessions(self.store, patient_id, exercise_id)

    def delete_session(self, patient_id: int, session_id: int) -> None:
        """Delete one of the patient's sessions (its reps and events with it): ``SessionNotFound``
        if it is not theirs, so a slip of the id cannot delete another patient's."""
        if self.session_patient(session_id) != int(patient_id):
            raise SessionNotFound(f"patient {patient_id} has no session {session_id}")
        self.history.delete_session(session_id)

    def session_patient(self, session_id: int) -> int | None:
        """The patient a session belongs to (None if none)."""
        return _progress.session_patient(self.store, session_id)

    def progress(self, patient_id: int, exercise_id: str | None = None) -> list[dict]:
        """One row per finished session of the patient, oldest first: session_id, date
        (YYYY-MM-DD), started_at, exercise_id, reps_done (counted reps), reps_prescribed (planned
        sets x reps, None if none were planned), sets (sets with a counted rep), planned_sets,
        planned_reps, peak_median (main angle at the peak, median over counted reps), target_peak
        (the session summary's targets, else the current targets), similarity_median (reps'
        "similarity", or None), faults ({id: count}), pain_before, pain_after, stopped, and the faults
        explained: fault_limits ({id: textbook | reference | earlier reps | rest}, the rules that
        judged something), fault_details (each fault's value and limit, with its rep) and view_notes."""
        return _progress.progress(self.store, patient_id, exercise_id)

    # ------------------------------------------------------ backup/restore

    def backup(self, dest: Path) -> Path:
        """The whole database (history and clinic) -- ``Store.backup``.  Reference files under
        ``home_dir()/references`` are not inside it."""
        return self.store.backup(dest)

    def restore(self, src: Path) -> Path:
        return self.store.restore(src)
