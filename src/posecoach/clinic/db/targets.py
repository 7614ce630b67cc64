"""A patient's targets per exercise: a JSON document (``TARGET_KEYS`` checked, other keys kept)."""

from __future__ import annotations

import json
import sqlite3

from posecoach.clinic.db.patients import patient_id
from posecoach.clinic.records import target_number
from posecoach.clinic.store import Store, clean, loads, now
from posecoach.errors import InvalidValue

__all__ = ["TARGET_KEYS", "check", "get", "get_all", "put", "target_number", "upsert"]

TARGET_KEYS = ("rest", "peak", "hold_s", "tempo_s", "rom_share", "reference_id", "note")
_NUMERIC = ("rest", "peak", "hold_s", "tempo_s", "rom_share")


def check(targets: dict | None) -> dict:
    """The targets as stored: numbers checked and made floats, ranges checked, ``note`` a string."""
    data = dict(targets or {})
    for k in _NUMERIC:
        if k in data:
            data[k] = target_number(data[k], k)
    for k in ("hold_s", "tempo_s"):
        if data.get(k) is not None and data[k] < 0:
            raise InvalidValue(f"target {k} must be >= 0, got {data[k]}")
    if data.get("rom_share") is not None and not 0 < data["rom_share"] <= 1.5:
        raise InvalidValue(f"target rom_share must be in (0, 1.5], got {data['rom_share']}")
    ref = data.get("reference_id")
    if ref is not None and (isinstance(ref, bool) or not isinstance(ref, int)):
        raise InvalidValue(f"target reference_id must be a reference id, got {ref!r}")
    if "note" in data and data["note"] is not None:
        data["note"] = str(data["note"])
    return data


def put(store: Store, patient: int, exercise_id: str, targets: dict) -> None:
    """Store (replace) the patient's targets for an exercise (see ``Clinic.set_targets``)."""
    exercise_id = _exercise_id(exercise_id)
    data = check(targets)
    store.write(lambda c: upsert(c, patient, exercise_id, data))


def _exercise_id(exercise_id: str) -> str:
    exercise_id = str(exercise_id or "").strip()
    if not exercise_id:
        raise InvalidValue("targets need an exercise id")
    return exercise_id


def upsert(c: sqlite3.Connection, patient: int, exercise_id: str, data: dict) -> None:
    """Store checked targets (``check``) inside the caller's transaction."""
    pid = patient_id(c, patient)
    ref = data.get("reference_id")
    if ref is not None:
        owner = c.execute("SELECT patient_id FROM clinic_references WHERE id = ?", (ref,)).fetchone()
        if owner is None or owner[0] != pid:
            raise InvalidValue(f"reference {ref} is not one of this patient's references")
    c.execute(
        "INSERT INTO clinic_targets (patient_id, exercise_id, data, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (patient_id, exercise_id) DO UPDATE SET data = excluded.data, "
        "updated_at = excluded.updated_at",
        (pid, _exercise_id(exercise_id), json.dumps(clean(data)), now()),
    )


def get(store: Store, patient: int, exercise_id: str) -> dict | None:
    """The stored targets (with ``updated_at``), or None if none were set."""

    def fn(c: sqlite3.Connection) -> dict | None:
        r = c.execute(
            "SELECT data, updated_at FROM clinic_targets WHERE patient_id = ? AND exercise_id = ?",
            (int(patient), exercise_id),
        ).fetchone()
        return None if r is None else {**loads(r["data"], {}), "updated_at": r["updated_at"]}

    return store.read(fn)


def get_all(store: Store, patient: int) -> dict[str, dict]:
    """{exercise_id: targets} for the patient."""
    return store.read(
        lambda c: {
            r["exercise_id"]: {**loads(r["data"], {}), "updated_at": r["updated_at"]}
            for r in c.execute(
                "SELECT exercise_id, data, updated_at FROM clinic_targets WHERE patient_id = ? ORDER BY exercise_id",
                (int(patient),),
            )
        }
    )
