"""Programmes: the newest one of a patient is current (earlier ones are kept)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from posecoach.clinic.db.patients import patient_id
from posecoach.clinic.records import (
    DAYS_MAX,
    Programme,
    ProgrammeItem,
    ProgressionRule,
    whole_number,
)
from posecoach.clinic.store import Store, iso, loads
from posecoach.errors import InvalidValue

__all__ = ["current", "put"]


def put(store: Store, patient: int, items: Sequence[ProgrammeItem | Mapping[str, Any]], *, days_per_week: int = 5,
        rule: ProgressionRule | Mapping[str, Any] | None = None, created_at: datetime | None = None) -> int:
    """A new programme for the patient (see ``Clinic.set_programme``); ``InvalidValue`` if bad."""
    if not items:
        raise InvalidValue("a programme needs at least one exercise")
    clean_items = [ProgrammeItem.of(i) for i in items]
    seen = Counter(i.exercise_id for i in clean_items)
    dup = [k for k, v in seen.items() if v > 1]
    if dup:
        raise InvalidValue(f"exercise {dup[0]} appears twice in the programme: give it once")
    days = whole_number(days_per_week, "days_per_week", most=DAYS_MAX)
    r = ProgressionRule.of(rule)
    blob = json.dumps([i.to_dict() for i in clean_items])

    def fn(c: sqlite3.Connection) -> int:
        pid = patient_id(c, patient)
        cur = c.execute(
            "INSERT INTO clinic_programmes (patient_id, items, days_per_week, rule, created_at) VALUES (?, ?, ?, ?, ?)",
            (pid, blob, days, json.dumps(r.to_dict()), iso(created_at)),
        )
        return int(cur.lastrowid or 0)

    return store.write(fn)


def current(store: Store, patient: int) -> Programme | None:
    """The patient's current programme, or None."""

    def fn(c: sqlite3.Connection) -> Programme | None:
        r = c.execute(
            "SELECT * FROM clinic_programmes WHERE patient_id = ? ORDER BY id DESC LIMIT 1", (int(patient),)
        ).fetchone()
        if r is None:
            return None
        try:
            return Programme(
                id=r["id"],
                items=tuple(ProgrammeItem.of(i) for i in loads(r["items"], [])),
                days_per_week=whole_number(r["days_per_week"], "days_per_week", most=DAYS_MAX),
                rule=ProgressionRule.of(loads(r["rule"], None)),
                created_at=r["created_at"],
            )
        except InvalidValue as e:  # stored by a version that took any number
            raise InvalidValue(f"the stored programme {r['id']} cannot be used ({e}): set the programme again "
                               "(`posecoach programme set`)") from None

    return store.read(fn)
