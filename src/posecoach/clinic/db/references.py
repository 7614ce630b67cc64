"""Reference recordings: stored for a patient and exercise, read back as ``Reference`` records."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from posecoach.clinic.db import targets as _targets
from posecoach.clinic.db.patients import patient_id
from posecoach.clinic.records import Reference, target_number
from posecoach.clinic.store import Store, clean, iso, loads
from posecoach.errors import InvalidValue, ReferenceNotFound

__all__ = ["add", "get", "list_for"]


def _record(r: sqlite3.Row) -> Reference:
    return Reference(
        id=r["id"], patient_id=r["patient_id"], exercise_id=r["exercise_id"], source=r["source"], notes=r["notes"],
        landmarks_file=r["landmarks_file"], video_file=r["video_file"],
        trace=[(x[0], x[1]) for x in loads(r["trace"], [])], reps=loads(r["reps"], []),
        summary=loads(r["summary"], {}), recorded_at=r["recorded_at"],
    )


def _trace_point(t: Any, a: Any) -> list:
    return [target_number(t, "trace t"), None if a is None else float(a)]


def add(store: Store, patient: int, exercise_id: str, *, source: str, notes: str, landmarks_file: str | None,
        video_file: str | None, trace: Sequence[tuple[float, float | None]], reps: list[dict], summary: dict,
        recorded_at: datetime | None = None, targets: dict | None = None) -> int:
    """Store a reference recording; ``trace`` is (t, main angle) per frame.  ``targets``: the
    patient's targets derived from it, stored with ``reference_id`` = the new reference in the SAME
    transaction (a crash leaves the reference with its targets, or neither)."""
    exercise_id = str(exercise_id or "").strip()
    if not exercise_id:
        raise InvalidValue("a reference needs an exercise id")
    pts = [_trace_point(t, a) for t, a in trace]
    row = (
        int(patient), exercise_id, str(source), str(notes or ""),
        None if landmarks_file is None else str(landmarks_file),
        None if video_file is None else str(video_file),
        json.dumps(clean(pts)), json.dumps(clean(list(reps))), json.dumps(clean(dict(summary or {}))),
        iso(recorded_at),
    )

    # checked before the transaction; the reference id is set inside it, once the row exists
    data = None if targets is None else _targets.check({k: v for k, v in targets.items() if k != "reference_id"})

    def fn(c: sqlite3.Connection) -> int:
        patient_id(c, patient)
        cur = c.execute(
            "INSERT INTO clinic_references (patient_id, exercise_id, source, notes, landmarks_file, video_file, "
            "trace, reps, summary, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
        rid = int(cur.lastrowid or 0)
        if data is not None:
            _targets.upsert(c, patient, exercise_id, {**data, "reference_id": rid})
        return rid

    return store.write(fn)


def get(store: Store, reference_id: int) -> Reference:
    def fn(c: sqlite3.Connection) -> Reference:
        r = c.execute("SELECT * FROM clinic_references WHERE id = ?", (int(reference_id),)).fetchone()
        if r is None:
            raise ReferenceNotFound(f"no reference {reference_id}: see `posecoach reference list --patient NAME`")
        return _record(r)

    return store.read(fn)


def list_for(store: Store, patient: int, exercise_id: str | None = None) -> list[Reference]:
    """The patient's references, newest first (all exercises unless given)."""
    q = "SELECT * FROM clinic_references WHERE patient_id = ?"
    args: tuple = (int(patient),)
    if exercise_id is not None:
        q += " AND exercise_id = ?"
        args += (exercise_id,)
    q += " ORDER BY recorded_at DESC, id DESC"
    return store.read(lambda c: [_record(r) for r in c.execute(q, args).fetchall()])
