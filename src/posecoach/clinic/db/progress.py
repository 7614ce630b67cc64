"""A patient's sessions: starting one for them, listing them, and the per-session progress rows.

A progress row is a dict on purpose: it is the report's row format (``posecoach.clinic.report``,
``sessions.csv``) and the input of ``progress_plan``."""

from __future__ import annotations

import sqlite3
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from posecoach.clinic.db.patients import patient_id
from posecoach.clinic.history import finish, insert_event, insert_rep, insert_session, session_row
from posecoach.clinic.store import Store, loads, pain
from posecoach.errors import SessionNotFound

__all__ = ["progress", "save", "session_patient", "sessions", "start"]


def start(store: Store, patient: int | None, exercise_id: str, *, source: str = "", pain_before: int | None = None,
          planned_sets: int = 0, planned_reps: int = 0, started_at: datetime | None = None) -> int:
    """A session linked to the patient (``None``: nobody's), through the history's one INSERT."""
    pain(pain_before, "pain_before")  # checked before the transaction

    def fn(c: sqlite3.Connection) -> int:
        pid = None if patient is None else patient_id(c, patient)
        return insert_session(c, exercise_id, source=source, pain_before=pain_before, planned_sets=planned_sets,
                              planned_reps=planned_reps, started_at=started_at, patient_id=pid)

    return store.write(fn)


def save(store: Store, patient: int | None, exercise_id: str, *, source: str, reps: Sequence[dict],
         events: Sequence[tuple[float, str, str]], summary: dict, stopped: str, pain_before: int | None = None,
         pain_after: int | None = None, planned_sets: int = 0, planned_reps: int = 0, set_index: int = 1,
         started_at: datetime | None = None) -> int:
    """A whole, finished session (a batch analysis): the session, its reps and events and its end
    in ONE transaction, so a crash or a kill leaves either all of it or nothing.  Its id."""
    pain(pain_before, "pain_before")
    pain(pain_after, "pain_after")

    def fn(c: sqlite3.Connection) -> int:
        pid = None if patient is None else patient_id(c, patient)
        sid = insert_session(c, exercise_id, source=source, pain_before=pain_before, planned_sets=planned_sets,
                             planned_reps=planned_reps, started_at=started_at, patient_id=pid)
        for rep in reps:
            insert_rep(c, sid, rep, set_index=set_index)
        for t, kind, text in events:
            insert_event(c, sid, t, kind, text)
        finish(c, sid, summary=summary, pain_after=pain_after, stopped=stopped)
        return sid

    return store.write(fn)


def _query(base: str, patient: int, exercise_id: str | None) -> tuple[str, tuple]:
    args: tuple = (int(patient),)
    if exercise_id is not None:
        base += " AND exercise_id = ?"
        args += (exercise_id,)
    return base + " ORDER BY started_at, id", args


def sessions(store: Store, patient: int, exercise_id: str | None = None) -> list[dict]:
    """The patient's sessions oldest first, as ``History.sessions`` rows plus ``patient_id``."""
    q, args = _query("SELECT * FROM sessions WHERE patient_id = ?", patient, exercise_id)
    return store.read(
        lambda c: [{**session_row(c, r), "patient_id": r["patient_id"]} for r in c.execute(q, args).fetchall()]
    )


def session_patient(store: Store, session_id: int) -> int | None:
    """The patient a session belongs to (None if none); ``SessionNotFound`` if there is no such session."""

    def fn(c: sqlite3.Connection) -> int | None:
        r = c.execute("SELECT patient_id FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
        if r is None:
            raise SessionNotFound(f"no session {session_id} in the history")
        return r[0]

    return store.read(fn)


def _median(xs: list) -> float | None:
    vals = [float(x) for x in xs if x is not None]
    return statistics.median(vals) if vals else None


def _progress_row(c: sqlite3.Connection, s: sqlite3.Row, current: dict[str, dict]) -> dict:
    reps = c.execute(
        "SELECT set_index, peak_angle, faults, counted, data FROM reps WHERE session_id = ? ORDER BY id", (s["id"],)
    ).fetchall()
    counted = [r for r in reps if r["counted"]]
    faults: Counter[str] = Counter()
    for r in reps:
        faults.update(loads(r["faults"], []))
    sims = []
    for r in counted:
        v = loads(r["data"], {}).get("similarity")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            sims.append(float(v))
    summary = loads(s["summary"], {}) or {}
    if not isinstance(summary, dict):
        summary = {}
    t = summary.get("targets") if isinstance(summary, dict) else None
    target_peak = t.get("peak") if isinstance(t, dict) else None
    if target_peak is None:
        target_peak = (current.get(s["exercise_id"]) or {}).get("peak")
    ps, pr = s["planned_sets"], s["planned_reps"]
    return {
        "session_id": s["id"], "date": s["started_at"][:10], "started_at": s["started_at"],
        "exercise_id": s["exercise_id"], "reps_done": len(counted),
        "reps_prescribed": (max(ps, 1) * pr) if pr else None, "sets": len({r["set_index"] for r in counted}),
        "planned_sets": ps, "planned_reps": pr, "peak_median": _median([r["peak_angle"] for r in counted]),
        "target_peak": target_peak, "similarity_median": _median(sims), "faults": dict(faults),
        "pain_before": s["pain_before"], "pain_after": s["pain_after"], "stopped": s["stopped"],
        **_explained(reps, summary),
    }


def _explained(reps: Sequence[sqlite3.Row], summary: dict) -> dict:
    """Which limits judged the session (``fault_limits``: rule id -> ``textbook``, ``reference``,
    ``earlier reps`` or ``rest``, only rules that judged something), each fault with its value and
    limit (``fault_details``: the rep's ``fault_details`` entries plus ``rep`` (its number, None for
    an attempt), ``counted`` and, for an attempt, ``why``), and the ``view_notes``.  Reps keep their
    details in their ``data``; attempts that did not count are in the summary.  A session stored
    before limits were recorded has none of them (empty)."""
    from posecoach.core.explain import judged_rules

    datas = [(loads(r["data"], {}) or {}, bool(r["counted"])) for r in reps]
    partials = [p for p in summary.get("partial_reps") or [] if isinstance(p, dict)]
    got = summary.get("fault_limits")
    limits: dict = got if isinstance(got, dict) else {}
    judged = judged_rules({"fault_limits": limits, "rep_details": [d for d, _ in datas], "partial_reps": partials})
    details = []
    for d, counted in datas:
        details += [{**f, "rep": d.get("index"), "counted": counted} for f in d.get("fault_details") or []]
    for p in partials:
        details += [{**f, "rep": None, "counted": False, "why": str(p.get("why_not_counted") or "")}
                    for f in p.get("fault_details") or []]
    return {"fault_limits": {k: str(limits[k]) for k in judged if k in limits}, "fault_details": details,
            "view_notes": [str(n) for n in summary.get("view_notes") or []]}


def progress(store: Store, patient: int, exercise_id: str | None = None) -> list[dict]:
    """One row per finished session of the patient, oldest first (see ``Clinic.progress``)."""
    q, args = _query("SELECT * FROM sessions WHERE patient_id = ? AND ended_at IS NOT NULL", patient, exercise_id)

    def fn(c: sqlite3.Connection) -> list[dict]:
        current = {
            r["exercise_id"]: loads(r["data"], {})
            for r in c.execute("SELECT exercise_id, data FROM clinic_targets WHERE patient_id = ?", (int(patient),))
        }
        return [_progress_row(c, s, current) for s in c.execute(q, args).fetchall()]

    return store.read(fn)
