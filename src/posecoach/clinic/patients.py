"""The therapist's data: patients, reference recordings, targets, programmes, progress.

Everything lives in the same SQLite file as the session history
(``home_dir()/posecoach.db``, see ``posecoach.clinic.history``): the ``clinic_*``
tables come from migration 3, and ``sessions.patient_id`` links a session to
a patient (NULL for sessions recorded without one).  Every write is one
transaction through ``History._write`` (WAL, ``synchronous=FULL``): a
crash leaves either the whole write or none of it.

Files of a patient's references (landmarks JSONL, the video if kept) live
under ``home_dir()/references/<patient_id>/`` (``Clinic.reference_dir``);
``delete_patient`` removes that folder together with every row of theirs.

Progression (``progress_plan``), per programme item, counted over the
finished sessions of that exercise since the programme was set, oldest first:

- a session *counts* when it was finished (not stopped for "error" or
  "camera_lost") and pain did not rise: ``pain_after <= pain_before``;
  a session whose pain was not asked (either value missing) neither counts
  nor resets;
- after every ``every_n_sessions`` counting sessions in a row the reps go up
  by ``add_reps``, never above ``max_reps`` (an item prescribed above
  ``max_reps`` keeps its own number);
- pain rose (``pain_after > pain_before``) or the session was stopped for
  pain: *hold back* -- the count starts again, so no increase follows it;
  if pain rose by 2 points or more (or the session was stopped for pain),
  the reps also drop one step (``add_reps``), never below what the
  therapist prescribed.  With ``hold_back_if_pain_rises`` false, pain is
  ignored and every finished session counts.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import statistics
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

from posecoach.clinic.history import History, _clean, _iso, _now, _pain
from posecoach.paths import home_dir

__all__ = [
    "Clinic",
    "UnknownPatientError",
    "DEFAULT_RULE",
    "TARGET_KEYS",
    "progress_plan",
]

DEFAULT_RULE: dict = {"add_reps": 1, "every_n_sessions": 3, "max_reps": 15, "hold_back_if_pain_rises": True}
TARGET_KEYS = ("rest", "peak", "hold_s", "tempo_s", "rom_share", "reference_id", "note")
_NUMERIC_TARGETS = ("rest", "peak", "hold_s", "tempo_s", "rom_share")
_NOT_COUNTED = ("error", "camera_lost")


class UnknownPatientError(KeyError):
    """A patient name or id that is not in the database (one-line message)."""

    def __str__(self) -> str:  # KeyError's str() would add quotes
        return str(self.args[0]) if self.args else "unknown patient"


def _loads(s: str | None, default: Any) -> Any:
    if not s:
        return default
    try:
        return json.loads(s)
    except ValueError:
        return default


def _num_or_none(v: Any, name: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool):
        raise ValueError(f"target {name} must be a number or empty, got {v!r}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"target {name} must be a number or empty, got {v!r}") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f"target {name} must be a finite number, got {v!r}")
    return f


def _median(xs: list[float]) -> float | None:
    xs = [float(x) for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _pos_int(v: Any, name: str, *, zero: bool = False) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v or v < (0 if zero else 1):
        raise ValueError(f"{name} must be a whole number {'>= 0' if zero else '>= 1'}, got {v!r}")
    return int(v)


# ------------------------------------------------------------ progression


def _check_rule(rule: dict | None) -> dict:
    out = dict(DEFAULT_RULE)
    if rule:
        unknown = set(rule) - set(DEFAULT_RULE)
        if unknown:
            raise ValueError(
                f"unknown progression rule key(s) {', '.join(sorted(unknown))}: use {', '.join(DEFAULT_RULE)}"
            )
        out.update(rule)
    out["add_reps"] = _pos_int(out["add_reps"], "rule add_reps", zero=True)
    out["every_n_sessions"] = _pos_int(out["every_n_sessions"], "rule every_n_sessions")
    out["max_reps"] = _pos_int(out["max_reps"], "rule max_reps")
    out["hold_back_if_pain_rises"] = bool(out["hold_back_if_pain_rises"])
    return out


def _check_item(item: dict) -> dict:
    if not isinstance(item, dict) or not str(item.get("exercise_id") or "").strip():
        raise ValueError(f"a programme item needs an exercise_id, got {item!r}")
    out = dict(item)
    out["exercise_id"] = str(item["exercise_id"]).strip()
    out["sets"] = _pos_int(item.get("sets", 1), f"{out['exercise_id']}: sets")
    out["reps"] = _pos_int(item.get("reps", 10), f"{out['exercise_id']}: reps")
    hold = item.get("hold_s")
    out["hold_s"] = None if hold in (None, "") else _num_or_none(hold, f"{out['exercise_id']}: hold_s")
    if out["hold_s"] is not None and out["hold_s"] < 0:
        raise ValueError(f"{out['exercise_id']}: hold_s must be >= 0, got {hold!r}")
    return out


def progress_plan(item: dict, history_rows: list[dict], rule: dict | None = None) -> dict:
    """``item`` with ``reps`` after the progression rule (module docstring).

    ``history_rows``: that exercise's sessions since the programme was set,
    oldest first, as ``Clinic.progress`` rows (``pain_before``,
    ``pain_after``, ``stopped`` are used; rows of other exercises are
    skipped).  The returned copy also has ``base_reps`` (as prescribed),
    ``sessions_counted`` (towards the next step), ``sessions_to_next`` and
    ``progression`` (one line saying why the number is what it is).
    """
    r = _check_rule(rule)
    base = int(item["reps"])
    reps = base
    streak = 0
    step, n, cap = r["add_reps"], r["every_n_sessions"], r["max_reps"]
    why = "as prescribed"
    ex = item.get("exercise_id")
    for row in history_rows:
        if ex is not None and row.get("exercise_id") not in (None, ex):
            continue
        stopped = row.get("stopped")
        if stopped is None or stopped in _NOT_COUNTED:
            continue
        before, after = row.get("pain_before"), row.get("pain_after")
        rose = None if before is None or after is None else after - before
        stopped_for_pain = stopped == "pain"
        if r["hold_back_if_pain_rises"] and (stopped_for_pain or (rose is not None and rose > 0)):
            streak = 0
            what = "stopped for pain" if stopped_for_pain else f"pain rose {before}->{after}"
            if stopped_for_pain or (rose is not None and rose >= 2):
                new = max(base, reps - step)
                why = f"dropped one step: {what} on {row.get('date', '?')}" if new < reps else (
                    f"held back at the prescribed number: {what} on {row.get('date', '?')}"
                )
                reps = new
            else:
                why = f"held back: {what} on {row.get('date', '?')}"
            continue
        if r["hold_back_if_pain_rises"] and rose is None:
            continue  # pain not asked: neither counts nor resets
        streak += 1
        if streak >= n:
            streak = 0
            if reps < cap and step:
                reps = min(cap, reps + step)
                why = f"+{step} after {n} sessions without more pain (up to {cap})"
            elif reps >= cap:
                why = f"at the maximum of {cap} reps"
    out = dict(item)
    out.update(
        reps=reps,
        base_reps=base,
        sessions_counted=streak,
        sessions_to_next=None if reps >= cap or not step else n - streak,
        progression=why,
    )
    return out


# ------------------------------------------------------------------ clinic


class Clinic:
    """Patients, references, targets and programmes in the history database.

    ``with Clinic() as c: ...``; ``Clinic(path)`` opens that file, or pass an
    open ``History`` (it is then not closed by ``Clinic.close``).
    """

    def __init__(self, path: Path | None = None, *, history: History | None = None) -> None:
        self._own = history is None
        self.history: History = history if history is not None else History(path)

    # ---------------------------------------------------------- plumbing

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

    def _write(self, fn):  # type: ignore[no-untyped-def]
        return self.history._write(fn)

    def _read(self, fn):  # type: ignore[no-untyped-def]
        return self.history._read(fn)

    @staticmethod
    def reference_dir(patient_id: int) -> Path:
        """Where a patient's reference files go: ``home_dir()/references/<id>/``."""
        return home_dir() / "references" / str(int(patient_id))

    # ---------------------------------------------------------- patients

    @staticmethod
    def _patient_dict(r: sqlite3.Row) -> dict:
        return {"id": r["id"], "name": r["name"], "notes": r["notes"], "created_at": r["created_at"]}

    def add_patient(self, name: str, *, notes: str = "") -> int:
        """A new patient; ValueError if the name is empty or taken (names ignore case)."""
        name = " ".join(str(name or "").split())
        if not name:
            raise ValueError("a patient needs a name")
        if name.isdigit():
            raise ValueError(f"patient name {name!r} is only digits (read as an id): add a letter")

        def fn(c: sqlite3.Connection) -> int:
            if c.execute("SELECT 1 FROM clinic_patients WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"patient {name!r} already exists: choose another name")
            return c.execute(
                "INSERT INTO clinic_patients (name, notes, created_at) VALUES (?, ?, ?)",
                (name, str(notes or ""), _now()),
            ).lastrowid

        return self._write(fn)

    def _find(self, c: sqlite3.Connection, name_or_id: str | int) -> sqlite3.Row:
        r = None
        if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
            r = c.execute("SELECT * FROM clinic_patients WHERE id = ?", (name_or_id,)).fetchone()
        else:
            key = " ".join(str(name_or_id or "").split())
            r = c.execute("SELECT * FROM clinic_patients WHERE name = ?", (key,)).fetchone()
            if r is None and key.isdigit():
                r = c.execute("SELECT * FROM clinic_patients WHERE id = ?", (int(key),)).fetchone()
        if r is None:
            raise UnknownPatientError(
                f"unknown patient {name_or_id}: see `posecoach patient list`, or add them with "
                f"`posecoach patient add NAME`"
            )
        return r

    def patient(self, name_or_id: str | int) -> dict:
        """{"id","name","notes","created_at"}; UnknownPatientError (a KeyError) if unknown."""
        return self._read(lambda c: self._patient_dict(self._find(c, name_or_id)))

    def patients(self) -> list[dict]:
        """All patients by name, each with ``sessions`` and ``last_session`` (date or None)."""

        def fn(c: sqlite3.Connection) -> list[dict]:
            out = []
            for r in c.execute("SELECT * FROM clinic_patients ORDER BY name COLLATE NOCASE, id"):
                d = self._patient_dict(r)
                s = c.execute(
                    "SELECT COUNT(*), MAX(started_at) FROM sessions WHERE patient_id = ?", (r["id"],)
                ).fetchone()
                d["sessions"] = s[0]
                d["last_session"] = s[1][:10] if s[1] else None
                out.append(d)
            return out

        return self._read(fn)

    def _pid(self, patient_id: int) -> int:
        """Check that the patient id exists (UnknownPatientError) and return it."""
        return int(self._read(lambda c: self._find(c, int(patient_id))["id"]))

    def delete_patient(self, name_or_id: str | int) -> dict:
        """Delete the patient and everything of theirs: sessions (with their reps
        and events), references and their files under ``reference_dir``,
        targets and programmes.  One transaction, with SQLite's secure_delete
        (the freed pages are zeroed) and a WAL checkpoint afterwards, so the
        rows do not linger in the file.  Returns counts: patient (name),
        sessions, reps, events, references, targets, programmes, files
        (removed), and files_left (paths that could not be removed)."""
        counts: dict[str, Any] = {}

        def fn(c: sqlite3.Connection) -> list[str]:
            r = self._find(c, name_or_id)
            pid = r["id"]
            counts["id"] = pid
            counts["patient"] = r["name"]
            sess = "SELECT id FROM sessions WHERE patient_id = ?"
            counts["reps"] = c.execute(f"SELECT COUNT(*) FROM reps WHERE session_id IN ({sess})", (pid,)).fetchone()[0]
            counts["events"] = c.execute(
                f"SELECT COUNT(*) FROM events WHERE session_id IN ({sess})", (pid,)
            ).fetchone()[0]
            files = [
                f
                for row in c.execute(
                    "SELECT landmarks_file, video_file FROM clinic_references WHERE patient_id = ?", (pid,)
                )
                for f in row
                if f
            ]
            c.execute(f"DELETE FROM reps WHERE session_id IN ({sess})", (pid,))
            c.execute(f"DELETE FROM events WHERE session_id IN ({sess})", (pid,))
            counts["sessions"] = c.execute("DELETE FROM sessions WHERE patient_id = ?", (pid,)).rowcount
            for table, key in (("clinic_references", "references"), ("clinic_targets", "targets"),
                               ("clinic_programmes", "programmes")):
                counts[key] = c.execute(f"DELETE FROM {table} WHERE patient_id = ?", (pid,)).rowcount
            c.execute("DELETE FROM clinic_patients WHERE id = ?", (pid,))
            return files

        with self.history._lock:
            con = self.history._db
            con.execute("PRAGMA secure_delete = ON")
            try:
                files = self._write(fn)
                try:
                    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:
                    pass  # another reader holds the WAL; the checkpoint happens later
            finally:
                try:
                    con.execute("PRAGMA secure_delete = OFF")
                except sqlite3.Error:
                    pass
        removed, left = self._remove_files(counts["id"], files)
        counts["files"] = removed
        counts["files_left"] = left
        return counts

    def _remove_files(self, pid: int, files: list[str]) -> tuple[int, list[str]]:
        """Remove the patient's reference folder, and referenced files inside a
        ``references/<pid>/`` folder elsewhere; files outside such a folder
        (the therapist's own video passed as a source) are left alone."""
        removed, left = 0, []
        folder = self.reference_dir(pid)
        others = []
        for f in files:
            p = Path(f)
            if not p.is_absolute():
                p = home_dir() / p
            if p.parent.name == str(pid) and p.parent.parent.name == "references" and p.parent != folder:
                others.append(p)
        for p in others:
            try:
                if p.exists():
                    p.unlink()
                    removed += 1
            except OSError:
                left.append(str(p))
        if folder.exists():
            n = sum(1 for x in folder.rglob("*") if x.is_file())
            shutil.rmtree(folder, ignore_errors=True)
            if folder.exists():
                left.append(str(folder))
            else:
                removed += n
        return removed, left

    # -------------------------------------------------------- references

    @staticmethod
    def _reference_dict(r: sqlite3.Row) -> dict:
        return {
            "id": r["id"],
            "patient_id": r["patient_id"],
            "exercise_id": r["exercise_id"],
            "source": r["source"],
            "notes": r["notes"],
            "landmarks_file": r["landmarks_file"],
            "video_file": r["video_file"],
            "trace": [tuple(x) for x in _loads(r["trace"], [])],
            "reps": _loads(r["reps"], []),
            "summary": _loads(r["summary"], {}),
            "recorded_at": r["recorded_at"],
        }

    def add_reference(
        self,
        patient_id: int,
        exercise_id: str,
        *,
        source: str,
        notes: str = "",
        landmarks_file: str | None,
        video_file: str | None,
        trace: list[tuple[float, float]],
        reps: list[dict],
        summary: dict,
        recorded_at: datetime | None = None,
    ) -> int:
        """Store a reference recording; ``trace`` is (t, main angle) per frame."""
        exercise_id = str(exercise_id or "").strip()
        if not exercise_id:
            raise ValueError("a reference needs an exercise id")
        pts = []
        for x in trace:
            t, a = x
            pts.append([_num_or_none(t, "trace t"), None if a is None else float(a)])
        row = (
            int(patient_id), exercise_id, str(source), str(notes or ""),
            None if landmarks_file is None else str(landmarks_file),
            None if video_file is None else str(video_file),
            json.dumps(_clean(pts)), json.dumps(_clean(list(reps))), json.dumps(_clean(dict(summary or {}))),
            _iso(recorded_at),
        )

        def fn(c: sqlite3.Connection) -> int:
            self._find(c, int(patient_id))
            return c.execute(
                "INSERT INTO clinic_references (patient_id, exercise_id, source, notes, landmarks_file, video_file, "
                "trace, reps, summary, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            ).lastrowid

        return self._write(fn)

    def reference(self, reference_id: int) -> dict:
        def fn(c: sqlite3.Connection) -> dict:
            r = c.execute("SELECT * FROM clinic_references WHERE id = ?", (int(reference_id),)).fetchone()
            if r is None:
                raise KeyError(f"no reference {reference_id}: see `posecoach reference list --patient NAME`")
            return self._reference_dict(r)

        return self._read(fn)

    def references(self, patient_id: int, exercise_id: str | None = None) -> list[dict]:
        """The patient's references, newest first (all exercises unless given)."""
        q = "SELECT * FROM clinic_references WHERE patient_id = ?"
        args: tuple = (int(patient_id),)
        if exercise_id is not None:
            q += " AND exercise_id = ?"
            args += (exercise_id,)
        q += " ORDER BY recorded_at DESC, id DESC"
        return self._read(lambda c: [self._reference_dict(r) for r in c.execute(q, args)])

    # ----------------------------------------------------------- targets

    def set_targets(self, patient_id: int, exercise_id: str, targets: dict) -> None:
        """Store (replace) the patient's targets for an exercise.  Keys: rest,
        peak (main-angle thresholds), hold_s, tempo_s, rom_share (numbers or
        None), reference_id (int or None; must be this patient's), note; other
        keys are kept as given (JSON)."""
        exercise_id = str(exercise_id or "").strip()
        if not exercise_id:
            raise ValueError("targets need an exercise id")
        data = dict(targets or {})
        for k in _NUMERIC_TARGETS:
            if k in data:
                data[k] = _num_or_none(data[k], k)
        for k in ("hold_s", "tempo_s"):
            if data.get(k) is not None and data[k] < 0:
                raise ValueError(f"target {k} must be >= 0, got {data[k]}")
        if data.get("rom_share") is not None and not 0 < data["rom_share"] <= 1.5:
            raise ValueError(f"target rom_share must be in (0, 1.5], got {data['rom_share']}")
        ref = data.get("reference_id")
        if ref is not None:
            if isinstance(ref, bool) or not isinstance(ref, int):
                raise ValueError(f"target reference_id must be a reference id, got {ref!r}")
        if "note" in data and data["note"] is not None:
            data["note"] = str(data["note"])
        blob = json.dumps(_clean(data))

        def fn(c: sqlite3.Connection) -> None:
            pid = self._find(c, int(patient_id))["id"]
            if ref is not None:
                owner = c.execute("SELECT patient_id FROM clinic_references WHERE id = ?", (ref,)).fetchone()
                if owner is None or owner[0] != pid:
                    raise ValueError(f"reference {ref} is not one of this patient's references")
            c.execute(
                "INSERT INTO clinic_targets (patient_id, exercise_id, data, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (patient_id, exercise_id) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at",
                (pid, exercise_id, blob, _now()),
            )

        self._write(fn)

    def targets(self, patient_id: int, exercise_id: str) -> dict | None:
        """The stored targets (with ``updated_at``), or None if none were set."""

        def fn(c: sqlite3.Connection) -> dict | None:
            r = c.execute(
                "SELECT data, updated_at FROM clinic_targets WHERE patient_id = ? AND exercise_id = ?",
                (int(patient_id), exercise_id),
            ).fetchone()
            if r is None:
                return None
            return {**_loads(r["data"], {}), "updated_at": r["updated_at"]}

        return self._read(fn)

    def all_targets(self, patient_id: int) -> dict[str, dict]:
        """{exercise_id: targets} for the patient."""
        return self._read(
            lambda c: {
                r["exercise_id"]: {**_loads(r["data"], {}), "updated_at": r["updated_at"]}
                for r in c.execute(
                    "SELECT exercise_id, data, updated_at FROM clinic_targets WHERE patient_id = ? "
                    "ORDER BY exercise_id",
                    (int(patient_id),),
                )
            }
        )

    # -------------------------------------------------------- programmes

    def set_programme(
        self,
        patient_id: int,
        items: list[dict],
        *,
        days_per_week: int = 5,
        rule: dict | None = None,
        created_at: datetime | None = None,
    ) -> int:
        """A new programme for the patient (the previous ones are kept, the
        newest is current).  item: {"exercise_id","sets","reps","hold_s"};
        rule: see ``DEFAULT_RULE`` and the module docstring.  Progression
        counts the sessions since ``created_at`` (default now; give an earlier
        time when entering a programme that was already being followed)."""
        if not items:
            raise ValueError("a programme needs at least one exercise")
        clean = [_check_item(i) for i in items]
        seen = Counter(i["exercise_id"] for i in clean)
        dup = [k for k, v in seen.items() if v > 1]
        if dup:
            raise ValueError(f"exercise {dup[0]} appears twice in the programme: give it once")
        days = _pos_int(days_per_week, "days_per_week")
        if days > 7:
            raise ValueError(f"days_per_week must be 1-7, got {days_per_week!r}")
        r = _check_rule(rule)

        def fn(c: sqlite3.Connection) -> int:
            pid = self._find(c, int(patient_id))["id"]
            return c.execute(
                "INSERT INTO clinic_programmes (patient_id, items, days_per_week, rule, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (pid, json.dumps(_clean(clean)), days, json.dumps(r), _iso(created_at)),
            ).lastrowid

        return self._write(fn)

    def programme(self, patient_id: int) -> dict | None:
        """The current programme {"id","items","days_per_week","rule","created_at"} or None."""

        def fn(c: sqlite3.Connection) -> dict | None:
            r = c.execute(
                "SELECT * FROM clinic_programmes WHERE patient_id = ? ORDER BY id DESC LIMIT 1", (int(patient_id),)
            ).fetchone()
            if r is None:
                return None
            return {
                "id": r["id"],
                "items": _loads(r["items"], []),
                "days_per_week": r["days_per_week"],
                "rule": _loads(r["rule"], dict(DEFAULT_RULE)),
                "created_at": r["created_at"],
            }

        return self._read(fn)

    def todays_plan(self, patient_id: int, today: date | None = None) -> list[dict]:
        """The current programme's items with reps after progression (``progress_plan``
        over the sessions since the programme was set, up to ``today``), each
        also with ``done_today`` (finished sessions of it today).  [] without a
        programme."""
        prog = self.programme(patient_id)
        if prog is None:
            return []
        day = (today or date.today()).isoformat()
        rows = [r for r in self.progress(patient_id) if r["started_at"] >= prog["created_at"]]
        out = []
        for item in prog["items"]:
            ex_rows = [r for r in rows if r["exercise_id"] == item["exercise_id"] and r["date"] < day]
            planned = progress_plan(item, ex_rows, prog["rule"])
            planned["done_today"] = sum(
                1 for r in rows if r["exercise_id"] == item["exercise_id"] and r["date"] == day
            )
            out.append(planned)
        return out

    # ---------------------------------------------------------- sessions

    def start_session(
        self,
        patient_id: int | None,
        exercise_id: str,
        *,
        source: str = "",
        pain_before: int | None = None,
        planned_sets: int = 0,
        planned_reps: int = 0,
        started_at: datetime | None = None,
    ) -> int:
        """``History.start_session`` with the patient link, in one transaction.
        Reps, events and the end go through ``self.history`` as usual."""
        pain = _pain(pain_before, "pain_before")
        row = (exercise_id, str(source), _iso(started_at), pain, int(planned_sets), int(planned_reps))

        def fn(c: sqlite3.Connection) -> int:
            pid = None if patient_id is None else self._find(c, int(patient_id))["id"]
            return c.execute(
                "INSERT INTO sessions (exercise_id, source, started_at, pain_before, planned_sets, planned_reps, "
                "patient_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (*row, pid),
            ).lastrowid

        return self._write(fn)

    def sessions(self, patient_id: int, exercise_id: str | None = None) -> list[dict]:
        """The patient's sessions oldest first, as ``History.sessions`` rows
        (finished or not) plus ``patient_id``."""
        q = "SELECT * FROM sessions WHERE patient_id = ?"
        args: tuple = (int(patient_id),)
        if exercise_id is not None:
            q += " AND exercise_id = ?"
            args += (exercise_id,)
        q += " ORDER BY started_at, id"
        return self._read(
            lambda c: [{**self.history._row(c, r), "patient_id": r["patient_id"]} for r in c.execute(q, args).fetchall()]
        )

    def session_patient(self, session_id: int) -> int | None:
        """The patient a session belongs to (None if none)."""

        def fn(c: sqlite3.Connection) -> int | None:
            r = c.execute("SELECT patient_id FROM sessions WHERE id = ?", (int(session_id),)).fetchone()
            if r is None:
                raise KeyError(f"no session {session_id} in the history")
            return r[0]

        return self._read(fn)

    def progress(self, patient_id: int, exercise_id: str | None = None) -> list[dict]:
        """One row per finished session of the patient, oldest first:
        session_id, date (YYYY-MM-DD), started_at, exercise_id, reps_done
        (counted reps), reps_prescribed (planned sets x reps, None if none
        were planned), sets (sets with a counted rep), planned_sets,
        planned_reps, peak_median (main angle at the peak, median over counted
        reps), target_peak (the session summary's targets, else the current
        targets), similarity_median (reps' "similarity", or None), faults
        ({id: count}), pain_before, pain_after, stopped."""
        q = "SELECT * FROM sessions WHERE patient_id = ? AND ended_at IS NOT NULL"
        args: tuple = (int(patient_id),)
        if exercise_id is not None:
            q += " AND exercise_id = ?"
            args += (exercise_id,)
        q += " ORDER BY started_at, id"

        def fn(c: sqlite3.Connection) -> list[dict]:
            current = {
                r["exercise_id"]: _loads(r["data"], {})
                for r in c.execute("SELECT exercise_id, data FROM clinic_targets WHERE patient_id = ?", (int(patient_id),))
            }
            out = []
            for s in c.execute(q, args).fetchall():
                reps = c.execute(
                    "SELECT set_index, peak_angle, faults, counted, data FROM reps WHERE session_id = ? ORDER BY id",
                    (s["id"],),
                ).fetchall()
                counted = [r for r in reps if r["counted"]]
                faults: Counter[str] = Counter()
                for r in reps:
                    faults.update(_loads(r["faults"], []))
                sims = []
                for r in counted:
                    v = _loads(r["data"], {}).get("similarity")
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        sims.append(float(v))
                summary = _loads(s["summary"], {}) or {}
                t = summary.get("targets") if isinstance(summary, dict) else None
                target_peak = t.get("peak") if isinstance(t, dict) else None
                if target_peak is None:
                    target_peak = (current.get(s["exercise_id"]) or {}).get("peak")
                ps, pr = s["planned_sets"], s["planned_reps"]
                out.append(
                    {
                        "session_id": s["id"],
                        "date": s["started_at"][:10],
                        "started_at": s["started_at"],
                        "exercise_id": s["exercise_id"],
                        "reps_done": len(counted),
                        "reps_prescribed": (max(ps, 1) * pr) if pr else None,
                        "sets": len({r["set_index"] for r in counted}),
                        "planned_sets": ps,
                        "planned_reps": pr,
                        "peak_median": _median([r["peak_angle"] for r in counted]),
                        "target_peak": target_peak,
                        "similarity_median": _median(sims),
                        "faults": dict(faults),
                        "pain_before": s["pain_before"],
                        "pain_after": s["pain_after"],
                        "stopped": s["stopped"],
                    }
                )
            return out

        return self._read(fn)

    # ------------------------------------------------------ backup/restore

    def backup(self, dest: Path) -> Path:
        """The whole database (history and clinic) -- ``History.backup``.  Reference
        files under ``home_dir()/references`` are not inside it."""
        return self.history.backup(dest)

    def restore(self, src: Path) -> Path:
        return self.history.restore(src)

