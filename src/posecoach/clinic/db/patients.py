"""Patients: add, find (by name, ignoring case, or by id), list, delete with everything of theirs."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from posecoach.clinic.records import DeletedPatient, Patient, PatientSummary
from posecoach.clinic.store import Store, now
from posecoach.errors import InvalidValue, PatientNotFound
from posecoach.paths import home_dir

__all__ = ["add", "delete", "find", "get", "list_all", "patient_id", "reference_dir"]


def reference_dir(patient_id: int) -> Path:
    """Where a patient's reference files go: ``home_dir()/references/<id>/``."""
    return home_dir() / "references" / str(int(patient_id))


def _record(r: sqlite3.Row) -> Patient:
    return Patient(id=r["id"], name=r["name"], notes=r["notes"], created_at=r["created_at"])


def find(c: sqlite3.Connection, name_or_id: str | int) -> sqlite3.Row:
    """The patient's row (an int is an id; a name may also be an id written as digits)."""
    r = None
    if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
        if 0 < name_or_id < 2 ** 63:  # an id SQLite can hold (a larger one is nobody's)
            r = c.execute("SELECT * FROM clinic_patients WHERE id = ?", (name_or_id,)).fetchone()
    else:
        key = " ".join(str(name_or_id or "").split())
        r = c.execute("SELECT * FROM clinic_patients WHERE name = ?", (key,)).fetchone()
        if r is None and key.isascii() and key.isdigit() and len(key) <= 18:  # 18 digits < 2**63
            r = c.execute("SELECT * FROM clinic_patients WHERE id = ?", (int(key),)).fetchone()
    if r is None:
        shown = str(name_or_id) if len(str(name_or_id)) <= 60 else str(name_or_id)[:57] + "..."
        raise PatientNotFound(
            f"unknown patient {shown}: see `posecoach patient list`, or add them with "
            f"`posecoach patient add NAME`"
        )
    return r


def patient_id(c: sqlite3.Connection, patient: int) -> int:
    """``patient`` if that id exists (``PatientNotFound`` otherwise)."""
    return int(find(c, int(patient))["id"])


def add(store: Store, name: str, notes: str = "") -> int:
    """A new patient; ``InvalidValue`` if the name is empty, only digits, or taken (names ignore case)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise InvalidValue("a patient needs a name")
    if name.isascii() and name.isdigit():
        raise InvalidValue(f"patient name {name!r} is only digits (read as an id): add a letter")

    def fn(c: sqlite3.Connection) -> int:
        if c.execute("SELECT 1 FROM clinic_patients WHERE name = ?", (name,)).fetchone():
            raise InvalidValue(f"patient {name!r} already exists: choose another name")
        cur = c.execute("INSERT INTO clinic_patients (name, notes, created_at) VALUES (?, ?, ?)",
                        (name, str(notes or ""), now()))
        return int(cur.lastrowid or 0)

    return store.write(fn)


def get(store: Store, name_or_id: str | int) -> Patient:
    return store.read(lambda c: _record(find(c, name_or_id)))


def list_all(store: Store) -> list[PatientSummary]:
    """All patients by name, each with ``sessions`` and ``last_session`` (date or None)."""

    def fn(c: sqlite3.Connection) -> list[PatientSummary]:
        out = []
        for r in c.execute("SELECT * FROM clinic_patients ORDER BY name COLLATE NOCASE, id").fetchall():
            n, last = c.execute(
                "SELECT COUNT(*), MAX(started_at) FROM sessions WHERE patient_id = ?", (r["id"],)
            ).fetchone()
            out.append(PatientSummary(id=r["id"], name=r["name"], notes=r["notes"], created_at=r["created_at"],
                                      sessions=n, last_session=last[:10] if last else None))
        return out

    return store.read(fn)


def _delete_rows(c: sqlite3.Connection, name_or_id: str | int) -> tuple[dict, list[str]]:
    """Delete the patient's rows in every table; the counts and their reference files."""
    r = find(c, name_or_id)
    pid = r["id"]
    counts: dict = {"id": pid, "patient": r["name"]}
    sess = "SELECT id FROM sessions WHERE patient_id = ?"
    counts["reps"] = c.execute(f"SELECT COUNT(*) FROM reps WHERE session_id IN ({sess})", (pid,)).fetchone()[0]
    counts["events"] = c.execute(f"SELECT COUNT(*) FROM events WHERE session_id IN ({sess})", (pid,)).fetchone()[0]
    files = [
        f
        for row in c.execute("SELECT landmarks_file, video_file FROM clinic_references WHERE patient_id = ?", (pid,))
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
    return counts, files


def delete(store: Store, name_or_id: str | int) -> DeletedPatient:
    """Delete the patient and everything of theirs: sessions (with their reps and events),
    references and their files under ``reference_dir`` (never a file elsewhere: those are listed in
    ``files_skipped``), targets and programmes.  One transaction,
    with SQLite's secure_delete (the freed pages are zeroed) and a WAL checkpoint afterwards, so the
    rows do not linger in the file."""
    with store.locked() as con:
        con.execute("PRAGMA secure_delete = ON")
        try:
            counts, files = store.write(lambda c: _delete_rows(c, name_or_id))
            try:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass  # another reader holds the WAL; the checkpoint happens later
        finally:
            try:
                con.execute("PRAGMA secure_delete = OFF")
            except sqlite3.Error:
                pass
    removed, left, skipped = _remove_files(counts["id"], files)
    return DeletedPatient(**counts, files=removed, files_left=left, files_skipped=skipped)


def _inside(path: Path, folder: Path) -> bool:
    """``path`` resolved (symlinks, ``..``) lies in ``folder`` resolved."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


def _remove_files(pid: int, files: list[str]) -> tuple[int, list[str], list[str]]:
    """Remove the patient's reference folder (``reference_dir``) with the files the database lists in
    it: (files removed, paths that could not be removed, paths skipped).  Only ever inside
    ``home_dir()/references/<pid>`` resolved: a listed file elsewhere (a tampered or restored
    database, a symlink leading out) is skipped, never deleted."""
    removed, left, skipped = 0, [], []
    folder = reference_dir(pid)
    own = folder.is_dir() and not folder.is_symlink() and _inside(folder, home_dir() / "references")
    for f in files:
        p = Path(f) if Path(f).is_absolute() else home_dir() / f
        if not (own and not p.is_symlink() and _inside(p, folder)):
            if p.exists() or p.is_symlink():
                skipped.append(str(p))
            continue
        try:
            if p.is_file():
                p.unlink()
                removed += 1
        except OSError:
            left.append(str(p))
    if folder.is_symlink() or (folder.exists() and not own):
        skipped.append(str(folder))
    elif folder.exists():
        n = sum(1 for x in folder.rglob("*") if x.is_file() and not x.is_symlink())
        shutil.rmtree(folder, ignore_errors=True)  # does not follow symlinks inside
        if folder.exists():
            left.append(str(folder))
        else:
            removed += n
    return removed, left, skipped
