"""Session history in SQLite: every rep is committed as it happens.

The database, its connection, lock, migrations and transactions are
``posecoach.clinic.store.Store`` (shared with the clinic tables, ``posecoach.clinic.patients``);
the schema is ``posecoach.clinic.schema``.  Each write below is one ``Store.write`` transaction.

Tables (version 2):

- ``sessions``: id, exercise_id, source, started_at / ended_at (ISO 8601 with
  the local UTC offset), pain_before / pain_after (0-10 or NULL), planned_sets,
  planned_reps, stopped (NULL while running: "completed", "user", "pain",
  "camera_lost" or "error"), summary (JSON);
- ``reps``: one row per rep, written at once: session_id, set_index, the main
  numbers as columns and the whole ``RepRecord.to_dict()`` as JSON, recorded_at;
- ``events``: session_id, t (session seconds), kind, text -- cues, faults, "it hurts".

Every ``sqlite3`` error becomes an ``OutputError`` whose one-line message says
what to do (bad arguments an ``InvalidValue``, an unknown session ``SessionNotFound``); nothing
already committed is ever overwritten (a restore first keeps a copy of the database it replaces), and
a session is deleted only by ``delete_session``: a therapist's choice, or the app dropping a session
too short to mean anything (``posecoach.app.run``).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from posecoach.clinic import schema
from posecoach.clinic.schema import APPLICATION_ID
from posecoach.clinic.store import Store, clean, default_db_path, iso, now, num, pain
from posecoach.errors import InvalidValue, SessionNotFound

__all__ = [
    "APPLICATION_ID",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STOPPED",
    "History",
    "default_db_path",
    "finish",
    "insert_event",
    "insert_rep",
    "insert_session",
    "session_row",
]

STOPPED = ("completed", "user", "pain", "camera_lost", "error")
#: the schema this code writes (tests set an older one to make an old database)
MIGRATIONS = list(schema.MIGRATIONS)
SCHEMA_VERSION = schema.SCHEMA_VERSION


# ------------------------------------------------------------- shared SQL


def insert_session(con: sqlite3.Connection, exercise_id: str, *, source: str, pain_before: int | None,
                   planned_sets: int, planned_reps: int, started_at: datetime | None = None,
                   patient_id: int | None = None) -> int:
    """The one ``INSERT INTO sessions`` (the app's history and a patient's session both use it).

    Without a patient the ``patient_id`` column is not named, so a schema-2 history (before the
    clinic tables) can still be written."""
    cols = ["exercise_id", "source", "started_at", "pain_before", "planned_sets", "planned_reps"]
    row: list[Any] = [exercise_id, str(source), iso(started_at), pain(pain_before, "pain_before"),
                      int(planned_sets), int(planned_reps)]
    if patient_id is not None:
        cols.append("patient_id")
        row.append(int(patient_id))
    marks = ", ".join("?" * len(cols))
    cur = con.execute(f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({marks})", row)
    return int(cur.lastrowid or 0)


def session_row(c: sqlite3.Connection, r: sqlite3.Row) -> dict:
    """A ``sessions`` row as the history lists it (counted reps, sets with a counted rep, faults)."""
    sid = r["id"]
    reps = c.execute("SELECT set_index, faults, counted FROM reps WHERE session_id = ?", (sid,)).fetchall()
    faults: Counter[str] = Counter()
    for rep in reps:
        faults.update(json.loads(rep["faults"] or "[]"))
    counted = [rep for rep in reps if rep["counted"]]
    return {
        "id": sid,
        "exercise_id": r["exercise_id"],
        "source": r["source"],
        "started_at": r["started_at"],
        "ended_at": r["ended_at"],
        "reps": len(counted),
        "sets": len({rep["set_index"] for rep in counted}),
        "planned_sets": r["planned_sets"],
        "planned_reps": r["planned_reps"],
        "pain_before": r["pain_before"],
        "pain_after": r["pain_after"],
        "stopped": r["stopped"],
        "faults": dict(faults),
    }


def _rep_row(session_id: int, rep: dict, set_index: int) -> tuple:
    faults = [str(f) for f in rep.get("faults", [])]
    return (
        int(session_id), int(set_index), rep.get("index"), num(rep.get("start_s")), num(rep.get("end_s")),
        num(rep.get("peak_angle")), num(rep.get("hold_s")), json.dumps(faults),
        0 if rep.get("counted", True) is False else 1, json.dumps(clean(rep)), now(),
    )


def insert_rep(con: sqlite3.Connection, session_id: int, rep: dict, *, set_index: int) -> None:
    """The one ``INSERT INTO reps`` (``RepRecord.to_dict()``), inside the caller's transaction."""
    con.execute(
        "INSERT INTO reps (session_id, set_index, rep_index, start_s, end_s, peak_angle, hold_s, "
        "faults, counted, data, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _rep_row(session_id, rep, set_index),
    )


def insert_event(con: sqlite3.Connection, session_id: int, t: float, kind: str, text: str) -> None:
    con.execute("INSERT INTO events (session_id, t, kind, text) VALUES (?, ?, ?, ?)",
                (int(session_id), float(t), str(kind), str(text)))


def finish(con: sqlite3.Connection, session_id: int, *, summary: dict, pain_after: int | None, stopped: str) -> None:
    """The one ``UPDATE`` that ends a session (``InvalidValue``/``SessionNotFound`` on bad input)."""
    if stopped not in STOPPED:
        raise InvalidValue(f"stopped must be one of {', '.join(STOPPED)}, got {stopped!r}")
    score = pain(pain_after, "pain_after")
    blob = json.dumps(clean(summary), default=str)
    cur = con.execute(
        "UPDATE sessions SET ended_at = ?, summary = ?, pain_after = ?, stopped = ? WHERE id = ?",
        (now(), blob, score, stopped, int(session_id)),
    )
    if cur.rowcount != 1:
        raise SessionNotFound(f"session history: no session {session_id}")


# ----------------------------------------------------------------- history


class History:
    """The session history; see the module docstring.  ``with History() as h: ...``.

    ``History(path)`` opens (and migrates) that file; ``History(store=s)`` works on an open
    ``Store`` (then not closed by ``close``)."""

    def __init__(self, path: Path | None = None, *, store: Store | None = None) -> None:
        self._own = store is None
        # the module globals are read here, so a test can make an older schema
        self.store = store if store is not None else Store(path, migrations=MIGRATIONS, version=SCHEMA_VERSION)
        self.path = self.store.path

    @property
    def schema_version(self) -> int:
        return self.store.schema_version

    def close(self) -> None:
        if self._own:
            self.store.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- writes

    def start_session(
        self,
        exercise_id: str,
        *,
        source: str,
        pain_before: int | None,
        planned_sets: int,
        planned_reps: int,
        started_at: datetime | None = None,
    ) -> int:
        """A new session (nobody's: see ``Clinic.start_session`` for a patient's)."""
        pain(pain_before, "pain_before")  # checked before the transaction
        return self.store.write(
            lambda c: insert_session(c, exercise_id, source=source, pain_before=pain_before,
                                     planned_sets=planned_sets, planned_reps=planned_reps, started_at=started_at)
        )

    def add_rep(self, session_id: int, rep: dict, *, set_index: int) -> None:
        """Record one rep (``RepRecord.to_dict()``); committed before this returns."""
        _rep_row(session_id, rep, set_index)  # bad values raise before the transaction
        self.store.write(lambda c: insert_rep(c, session_id, rep, set_index=set_index))

    def add_event(self, session_id: int, t: float, kind: str, text: str) -> None:
        self.store.write(lambda c: insert_event(c, session_id, t, kind, text))

    def delete_session(self, session_id: int) -> None:
        """Delete one session with its reps and events, in one transaction; ``SessionNotFound`` if
        there is no such session."""

        def fn(c: sqlite3.Connection) -> None:
            sid = int(session_id)
            c.execute("DELETE FROM reps WHERE session_id = ?", (sid,))
            c.execute("DELETE FROM events WHERE session_id = ?", (sid,))
            if c.execute("DELETE FROM sessions WHERE id = ?", (sid,)).rowcount != 1:
                raise SessionNotFound(f"session history: no session {session_id}")

        self.store.write(fn)

    def finish_session(self, session_id: int, *, summary: dict, pain_after: int | None, stopped: str) -> None:
        if stopped not in STOPPED:
            raise InvalidValue(f"stopped must be one of {', '.join(STOPPED)}, got {stopped!r}")
        pain(pain_after, "pain_after")
        self.store.write(lambda c: finish(c, session_id, summary=summary, pain_after=pain_after, stopped=stopped))

    # -------------------------------------------------------------- reads

    def sessions(self, limit: int = 50) -> list[dict]:
        """Newest first: id, exercise_id, source, started_at, ended_at, reps, sets,
        planned_sets, planned_reps, pain_before, pain_after, stopped (None if never
        finished), faults ({fault id: count})."""

        def fn(c: sqlite3.Connection) -> list[dict]:
            rows = c.execute(
                "SELECT * FROM sessions ORDER BY started_at DESC, id DESC LIMIT ?", (int(limit),)
            ).fetchall()
            return [session_row(c, r) for r in rows]

        return self.store.read(fn)

    def session(self, session_id: int) -> dict:
        """One session as in ``sessions()`` plus ``summary``, ``reps`` (the rep dicts
        with ``set_index``) and ``events`` ({t, kind, text}).  ``SessionNotFound`` if unknown."""

        def fn(c: sqlite3.Connection) -> dict:
            r = c.execute("SELECT * FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
            if r is None:
                raise SessionNotFound(f"no session {session_id} in the history")
            out = session_row(c, r)
            out["summary"] = json.loads(r["summary"]) if r["summary"] else None
            out["reps"] = [
                {**json.loads(x["data"]), "set_index": x["set_index"], "recorded_at": x["recorded_at"]}
                for x in c.execute(
                    "SELECT data, set_index, recorded_at FROM reps WHERE session_id = ? ORDER BY id", (r["id"],)
                )
            ]
            out["events"] = [
                {"t": x["t"], "kind": x["kind"], "text": x["text"]}
                for x in c.execute("SELECT t, kind, text FROM events WHERE session_id = ? ORDER BY id", (r["id"],))
            ]
            return out

        return self.store.read(fn)

    def unfinished(self) -> list[int]:
        """Sessions never finished (the app was closed or crashed), oldest first."""
        return self.store.read(
            lambda c: [r[0] for r in c.execute("SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY id")]
        )

    # ------------------------------------------------------ backup/restore

    def backup(self, dest: Path) -> Path:
        """A consistent copy of the whole database (``Store.backup``)."""
        return self.store.backup(dest)

    @staticmethod
    def validate(src: Path) -> int:
        """Check that ``src`` is a readable posecoach history; return its schema version."""
        return Store.validate(src)

    def restore(self, src: Path) -> Path:
        """Replace the history with the backup ``src`` (``Store.restore``); returns where the old one went."""
        return self.store.restore(src)
