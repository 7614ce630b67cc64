"""A patient's targets per exercise: a JSON document (``TARGET_KEYS`` checked, other keys kept)."""

from __future__ import annotations

import json
import sqlite3

from posecoach.clinic.db.patients import patient_id
from posecoach.clinic.records import HOLD_MAX_S, ROM_SHARE_MAX, TEMPO_MAX_S, VALUE_LIMIT, target_number
from posecoach.clinic.store import Store, clean, loads, now
from posecoach.core.exercise.schema import short_repr
from posecoach.errors import InvalidValue

__all__ = ["TARGET_KEYS", "check", "get", "get_all", "put", "target_number", "upsert"]

TARGET_KEYS = ("rest", "peak", "hold_s", "tempo_s", "rom_share", "reference_id", "note", "rule_refs")
# Each number's allowed range: (low, high, above low only); see ``records`` for the limits.
_NUMERIC: dict[str, tuple[float, float, bool]] = {
    "rest": (-VALUE_LIMIT, VALUE_LIMIT, False),
    "peak": (-VALUE_LIMIT, VALUE_LIMIT, False),
    "hold_s": (0.0, HOLD_MAX_S, False),
    "tempo_s": (0.0, TEMPO_MAX_S, False),
    "rom_share": (0.0, ROM_SHARE_MAX, True),
}


def check(targets: dict | None) -> dict:
    """The targets as stored: numbers checked (finite, within their range) and made floats, ``note`` a string."""
    data = dict(targets or {})
    for k, (lo, hi, above_lo) in _NUMERIC.items():
        if k in data:
            data[k] = target_number(data[k], k, lo, hi, above_lo=above_lo)
    ref = data.get("reference_id")
    if ref is not None and (isinstance(ref, bool) or not isinstance(ref, int) or not 0 < ref < 2 ** 63):
        raise InvalidValue(f"target reference_id must be a reference id, got {short_repr(ref)}")
    if "note" in data and data["note"] is not None:
        data["note"] = str(data["note"])
    refs = data.get("rule_refs")
    if refs is not None:
        if not isinstance(refs, dict):
            raise InvalidValue(f"target rule_refs must map fault ids to values, got {short_repr(refs)}")
        checked = {str(k): target_number(v, f"rule_refs.{k}", -VALUE_LIMIT, VALUE_LIMIT) for k, v in refs.items()}
        data["rule_refs"] = {k: v for k, v in checked.items() if v is not None}
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
