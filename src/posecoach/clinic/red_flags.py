"""The red-flag screen: the questions, what a "yes" means, when it is due, and the stored answers.

Back-pain guidance asks about a few "red flags" before anyone starts exercises: signs that the
pain may come from something exercise does not help (a trapped nerve root, cauda equina syndrome,
an infection or a tumour).  A patient answers them yes/no before their first session and again
once a week (``SCREEN_EVERY_DAYS`` after the last answered screen).  Any "yes" stops coaching for
that patient with plain advice to see a clinician first (the same day for loss of bladder or
bowel control and new leg numbness or weakness); coaching stays stopped until their therapist has
reviewed it and cleared the flag (``RedFlags.clear``, recorded with who and when).

The rules (``QUESTIONS``, ``assess``, ``is_due``) are pure; ``RedFlags`` keeps the answers in the
clinic database (table ``clinic_red_flags``, schema migration 4), one row per answered screen.
Nothing here knows Qt: the screen itself is ``posecoach.app._qt.red_flags``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from posecoach.clinic.db.patients import patient_id as _patient_id
from posecoach.clinic.store import Store, iso, loads, now
from posecoach.errors import InvalidValue

__all__ = [
    "QUESTIONS",
    "SCREEN_EVERY_DAYS",
    "Outcome",
    "Question",
    "RedFlags",
    "Screen",
    "assess",
    "is_due",
]

SCREEN_EVERY_DAYS = 7  # the screen is asked again a week after the last answered one


@dataclass(frozen=True)
class Question:
    """One red-flag question: ``id`` (stored), ``text`` (asked, plain language), ``short`` (the
    therapist's and the report's word for it), ``urgent`` (a "yes" means: see a doctor today)."""

    id: str
    text: str
    short: str
    urgent: bool = False


QUESTIONS: tuple[Question, ...] = (
    Question("legs", "Do you have new numbness, tingling or weakness in one or both legs?",
             "numbness, tingling or weakness in the legs", urgent=True),
    Question("bladder_bowel", "Have you lost control of your bladder or bowels, or do you have numbness "
             "around your bottom or between your legs?", "loss of bladder or bowel control", urgent=True),
    Question("persistent", "Have you had severe pain, or pain that does not ease, for more than a few weeks?",
             "severe or persistent pain for more than a few weeks"),
    Question("movement", "Does your pain get worse and worse when you move, rather than easing as you go?",
             "pain that worsens with movement"),
    Question("fever_weight", "Have you had a fever, or lost weight without trying?",
             "fever or unexplained weight loss"),
)
_BY_ID = {q.id: q for q in QUESTIONS}

URGENT_ADVICE = (
    "Do not exercise. See a doctor today: call your doctor's surgery or an urgent care line now, "
    "and if you cannot reach one, go to an emergency department. Loss of bladder or bowel control and "
    "new numbness or weakness in the legs need checking the same day."
)
ADVICE = (
    "Please do not start these exercises yet. See your doctor or physiotherapist first and tell them "
    "what you answered. Coaching is paused until your therapist has looked at your answers."
)


@dataclass(frozen=True)
class Outcome:
    """What a screen's answers mean: ``flagged`` (any yes: coaching stops), ``urgent`` (a yes to an
    urgent question), ``yes`` (the question ids answered yes, in question order), ``advice``."""

    flagged: bool
    urgent: bool
    yes: tuple[str, ...]
    advice: str


def _answers(answers: Mapping[str, Any]) -> dict[str, bool]:
    """Every question answered with a bool, no unknown ones; ``InvalidValue`` otherwise."""
    unknown = sorted(set(answers) - set(_BY_ID))
    if unknown:
        raise InvalidValue(f"unknown red-flag question(s) {', '.join(map(str, unknown))}: "
                           f"the questions are {', '.join(_BY_ID)}")
    missing = [q.id for q in QUESTIONS if q.id not in answers]
    if missing:
        raise InvalidValue(f"red-flag question(s) not answered: {', '.join(missing)}; answer each yes or no")
    bad = [k for k, v in answers.items() if not isinstance(v, bool)]
    if bad:
        raise InvalidValue(f"red-flag answer(s) {', '.join(bad)} must be yes (True) or no (False)")
    return {q.id: bool(answers[q.id]) for q in QUESTIONS}


def assess(answers: Mapping[str, Any]) -> Outcome:
    """What the answers (``{question id: bool}``, every question) mean for coaching."""
    a = _answers(answers)
    yes = tuple(q.id for q in QUESTIONS if a[q.id])
    urgent = any(_BY_ID[k].urgent for k in yes)
    advice = URGENT_ADVICE if urgent else ADVICE if yes else ""
    return Outcome(flagged=bool(yes), urgent=urgent, yes=yes, advice=advice)


def _day(at: str) -> date:
    return datetime.fromisoformat(at).date()


def is_due(last_answered_at: str | None, today: date | None = None) -> bool:
    """The screen is due before a patient's first session (never answered) and again
    ``SCREEN_EVERY_DAYS`` days after the last answered one."""
    if not last_answered_at:
        return True
    day = today or date.today()
    try:
        return (day - _day(last_answered_at)).days >= SCREEN_EVERY_DAYS
    except ValueError:  # an unreadable date: ask again rather than trust it
        return True


@dataclass(frozen=True)
class Screen:
    """One answered screen as stored."""

    id: int
    patient_id: int
    answered_at: str
    answers: dict[str, bool] = field(default_factory=dict)
    flagged: bool = False
    urgent: bool = False
    cleared_at: str | None = None
    cleared_by: str = ""
    clear_note: str = ""

    @property
    def yes(self) -> tuple[str, ...]:
        return tuple(q.id for q in QUESTIONS if self.answers.get(q.id))

    @property
    def open(self) -> bool:
        """A "yes" the therapist has not cleared yet: coaching stays stopped."""
        return self.flagged and self.cleared_at is None

    def yes_text(self) -> str:
        """The yes answers in plain words ("none" when all were no)."""
        return "; ".join(_BY_ID[k].short for k in self.yes) or "none"

    def outcome(self) -> Outcome:
        yes = self.yes
        urgent = any(_BY_ID[k].urgent for k in yes)
        return Outcome(flagged=bool(yes), urgent=urgent, yes=yes,
                       advice=URGENT_ADVICE if urgent else ADVICE if yes else "")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "patient_id": self.patient_id, "answered_at": self.answered_at,
                "answers": dict(self.answers), "flagged": self.flagged, "urgent": self.urgent,
                "yes": list(self.yes), "yes_text": self.yes_text(), "open": self.open,
                "cleared_at": self.cleared_at, "cleared_by": self.cleared_by, "clear_note": self.clear_note}


def _screen(r: sqlite3.Row) -> Screen:
    raw = loads(r["answers"], {})
    answers = {str(k): bool(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    return Screen(id=int(r["id"]), patient_id=int(r["patient_id"]), answered_at=str(r["answered_at"]),
                  answers=answers, flagged=bool(r["flagged"]), urgent=bool(r["urgent"]),
                  cleared_at=r["cleared_at"], cleared_by=str(r["cleared_by"] or ""),
                  clear_note=str(r["clear_note"] or ""))


class RedFlags:
    """The patients' answered screens in the clinic database (``Clinic.red_flags``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, patient: int, answers: Mapping[str, Any], *, answered_at: datetime | None = None) -> Screen:
        """Store one answered screen (every question, yes/no); the stored ``Screen``."""
        a = _answers(answers)
        out = assess(a)
        at = iso(answered_at) if answered_at is not None else now()

        def fn(c: sqlite3.Connection) -> int:
            pid = _patient_id(c, patient)
            cur = c.execute(
                "INSERT INTO clinic_red_flags (patient_id, answered_at, answers, flagged, urgent) VALUES (?, ?, ?, ?, ?)",
                (pid, at, json.dumps(a), int(out.flagged), int(out.urgent)))
            return int(cur.lastrowid or 0)

        sid = self.store.write(fn)
        return self.store.read(lambda c: _screen(c.execute("SELECT * FROM clinic_red_flags WHERE id = ?",
                                                           (sid,)).fetchone()))

    def screens(self, patient: int) -> list[Screen]:
        """The patient's answered screens, newest first."""

        def fn(c: sqlite3.Connection) -> list[Screen]:
            pid = _patient_id(c, patient)
            rows = c.execute("SELECT * FROM clinic_red_flags WHERE patient_id = ? ORDER BY answered_at DESC, id DESC",
                             (pid,)).fetchall()
            return [_screen(r) for r in rows]

        return self.store.read(fn)

    def last(self, patient: int) -> Screen | None:
        """The newest answered screen, or None."""
        s = self.screens(patient)
        return s[0] if s else None

    def open_flag(self, patient: int) -> Screen | None:
        """The newest screen with a "yes" not cleared yet (coaching is stopped while there is one)."""
        return next((s for s in self.screens(patient) if s.open), None)

    def open_patients(self) -> set[int]:
        """The ids of the patients with an open flag (the therapist's patient list marks them)."""
        return self.store.read(lambda c: {int(r[0]) for r in c.execute(
            "SELECT DISTINCT patient_id FROM clinic_red_flags WHERE flagged = 1 AND cleared_at IS NULL")})

    def due(self, patient: int, today: date | None = None) -> bool:
        """Whether the patient must answer the screen before exercising (``is_due``)."""
        last = self.last(patient)
        return is_due(last.answered_at if last is not None else None, today)

    def clear(self, patient: int, *, by: str = "", note: str = "", cleared_at: datetime | None = None) -> int:
        """The therapist has reviewed the patient's "yes" answers: clear every open flag (recorded
        with ``by``, ``note`` and the time).  The number cleared; ``InvalidValue`` when none was open."""
        at = iso(cleared_at) if cleared_at is not None else now()

        def fn(c: sqlite3.Connection) -> int:
            pid = _patient_id(c, patient)
            n = c.execute("UPDATE clinic_red_flags SET cleared_at = ?, cleared_by = ?, clear_note = ? "
                          "WHERE patient_id = ? AND flagged = 1 AND cleared_at IS NULL",
                          (at, " ".join(str(by or "").split()), str(note or "").strip(), pid)).rowcount
            if not n:
                raise InvalidValue("this patient has no red flag to clear")
            return int(n)

        return self.store.write(fn)
