"""Sessions the app never finished (it was killed, crashed, or the computer lost power).

Every rep is committed as it happens (``History.add_rep``), so a session cut off mid-way has its
reps; only its ``sessions`` row is left open (``ended_at`` NULL, no summary).  ``unfinished``
lists those sessions with what they hold; ``close_unfinished`` closes one with a summary made from
its stored reps (nothing is deleted or changed in the reps themselves): ``stopped`` is "error", the
end time the moment its last rep was recorded (else its start), and the summary says it was
recovered.  Both go through the ``Store``'s public read/write transactions.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from typing import Any

from posecoach.clinic.store import clean, loads
from posecoach.errors import SessionNotFound

__all__ = ["RECOVERED_WARNING", "Unfinished", "close_unfinished", "unfinished"]

RECOVERED_WARNING = "the app stopped during this session: it was closed later with the reps recorded until then"


@dataclass(frozen=True)
class Unfinished:
    """An open session: its id, exercise, start, patient (None: nobody's), reps counted, last rep's time."""

    id: int
    exercise_id: str
    started_at: str
    patient_id: int | None
    reps: int
    last_rep_at: str | None


def _patient(r: sqlite3.Row) -> int | None:
    return r["patient_id"] if "patient_id" in r.keys() else None  # noqa: SIM118 - `in` on a Row looks at values


def unfinished(history: Any) -> list[Unfinished]:
    """The history's sessions that were never finished, oldest first."""

    def fn(c: sqlite3.Connection) -> list[Unfinished]:
        out = []
        for r in c.execute("SELECT * FROM sessions WHERE ended_at IS NULL ORDER BY id").fetchall():
            n, last = c.execute("SELECT COALESCE(SUM(counted), 0), MAX(recorded_at) FROM reps WHERE session_id = ?",
                                (r["id"],)).fetchone()
            out.append(Unfinished(int(r["id"]), r["exercise_id"], r["started_at"], _patient(r), int(n), last))
        return out

    return history.store.read(fn)


def recovered_summary(c: sqlite3.Connection, r: sqlite3.Row) -> dict:
    """A session summary from the reps stored for the session row ``r``."""
    reps = [{**loads(x["data"], {}), "set_index": x["set_index"]}
            for x in c.execute("SELECT data, set_index FROM reps WHERE session_id = ? ORDER BY id", (r["id"],))]
    counted = [d for d in reps if d.get("counted", True) is not False]
    faults: Counter[str] = Counter(f for d in counted for f in d.get("faults", []))
    ends = [float(d["end_s"]) for d in reps if isinstance(d.get("end_s"), (int, float))]
    summary = {
        "exercise": r["exercise_id"], "reps": len(counted), "sets": len({d["set_index"] for d in counted}),
        "duration_s": max(ends, default=0.0), "rep_details": counted, "faults": dict(sorted(faults.items())),
        "warnings": [RECOVERED_WARNING], "recovered": True,
    }
    if _patient(r) is not None:
        summary["patient_id"] = _patient(r)
    return summary


def close_unfinished(history: Any, session_id: int) -> dict:
    """Close an unfinished session with a summary of its stored reps; returns the summary.

    ``SessionNotFound`` when there is no such session or it is already finished (never overwritten)."""

    def fn(c: sqlite3.Connection) -> dict:
        r = c.execute("SELECT * FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
        if r is None or r["ended_at"] is not None:
            raise SessionNotFound(f"session history: no unfinished session {session_id}")
        summary = recovered_summary(c, r)
        last = c.execute("SELECT MAX(recorded_at) FROM reps WHERE session_id = ?", (r["id"],)).fetchone()[0]
        c.execute("UPDATE sessions SET ended_at = ?, summary = ?, stopped = 'error' WHERE id = ? AND ended_at IS NULL",
                  (last or r["started_at"], json.dumps(clean(summary), default=str), r["id"]))
        return summary

    return history.store.write(fn)
