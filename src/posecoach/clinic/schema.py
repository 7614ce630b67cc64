"""The database schema: one migration per version, shared by the history and the clinic tables.

Schema versions live in ``PRAGMA user_version``; ``PRAGMA application_id`` marks the file as
ours.  ``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``; ``Store`` runs each in
one transaction together with the new ``user_version``, so a failure leaves the previous version
intact.  Later migrations add tables and nullable columns (SQLite allows ``ADD COLUMN ...
REFERENCES`` when the default is NULL, so old sessions simply have no patient).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["APPLICATION_ID", "MIGRATIONS", "REQUIRED_TABLES", "SCHEMA_VERSION"]

APPLICATION_ID = 0x50434F41  # "PCOA"
REQUIRED_TABLES = frozenset({"sessions", "reps", "events"})


def _v1(con: sqlite3.Connection) -> None:
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute(
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            exercise_id TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            ended_at TEXT,
            pain_before INTEGER,
            pain_after INTEGER,
            planned_sets INTEGER NOT NULL DEFAULT 0,
            planned_reps INTEGER NOT NULL DEFAULT 0,
            stopped TEXT,
            summary TEXT
        )"""
    )
    con.execute(
        """CREATE TABLE reps (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            set_index INTEGER NOT NULL,
            rep_index INTEGER,
            start_s REAL,
            end_s REAL,
            peak_angle REAL,
            hold_s REAL,
            faults TEXT NOT NULL DEFAULT '[]',
            counted INTEGER NOT NULL DEFAULT 1,
            data TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX reps_session ON reps(session_id)")
    con.execute(
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            t REAL NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX events_session ON events(session_id)")


def _v2(con: sqlite3.Connection) -> None:
    # When each rep reached the disk (tells a crash's last moment), and the
    # newest-first listing by date.
    con.execute("ALTER TABLE reps ADD COLUMN recorded_at TEXT")
    con.execute("CREATE INDEX sessions_started ON sessions(started_at)")


def _v3(con: sqlite3.Connection) -> None:
    # Issue 5, the therapist's data (``posecoach.clinic.patients``): patients, their
    # reference recordings, per-exercise targets and programmes; a session
    # may belong to a patient (NULL for the sessions recorded before).
    # Tables are prefixed ``clinic_`` (``references`` is an SQL keyword).
    # AUTOINCREMENT: a deleted patient's id is never given to a new one, so
    # nothing left behind (a references/<id>/ folder) can be inherited.
    con.execute(
        """CREATE TABLE clinic_patients (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )"""
    )
    con.execute("ALTER TABLE sessions ADD COLUMN patient_id INTEGER REFERENCES clinic_patients(id)")
    con.execute("CREATE INDEX sessions_patient ON sessions(patient_id, exercise_id)")
    con.execute(
        """CREATE TABLE clinic_references (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id INTEGER NOT NULL REFERENCES clinic_patients(id) ON DELETE CASCADE,
            exercise_id TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            landmarks_file TEXT,
            video_file TEXT,
            trace TEXT NOT NULL DEFAULT '[]',
            reps TEXT NOT NULL DEFAULT '[]',
            summary TEXT NOT NULL DEFAULT '{}',
            recorded_at TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX clinic_references_patient ON clinic_references(patient_id, exercise_id)")
    con.execute(
        """CREATE TABLE clinic_targets (
            patient_id INTEGER NOT NULL REFERENCES clinic_patients(id) ON DELETE CASCADE,
            exercise_id TEXT NOT NULL,
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (patient_id, exercise_id)
        )"""
    )
    con.execute(
        """CREATE TABLE clinic_programmes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id INTEGER NOT NULL REFERENCES clinic_patients(id) ON DELETE CASCADE,
            items TEXT NOT NULL,
            days_per_week INTEGER NOT NULL,
            rule TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    con.execute("CREATE INDEX clinic_programmes_patient ON clinic_programmes(patient_id)")


def _v4(con: sqlite3.Connection) -> None:
    # Issue 12, safety (``posecoach.clinic.red_flags``): each answered red-flag screen of a patient
    # (the answers as JSON), whether it stopped coaching, and the therapist's clearing after review.
    con.execute(
        """CREATE TABLE clinic_red_flags (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patient_id INTEGER NOT NULL REFERENCES clinic_patients(id) ON DELETE CASCADE,
            answered_at TEXT NOT NULL,
            answers TEXT NOT NULL,
            flagged INTEGER NOT NULL,
            urgent INTEGER NOT NULL,
            cleared_at TEXT,
            cleared_by TEXT NOT NULL DEFAULT '',
            clear_note TEXT NOT NULL DEFAULT ''
        )"""
    )
    con.execute("CREATE INDEX clinic_red_flags_patient ON clinic_red_flags(patient_id, answered_at)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)
