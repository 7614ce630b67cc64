"""Session history: round trip, crash safety, migrations, errors, backup/restore."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from posecoach.clinic import history as hist
from posecoach.core.engine import RepRecord
from posecoach.errors import OutputError
from posecoach.clinic.history import History


def rep(i: int, faults: list[str] | None = None) -> dict:
    r = RepRecord(index=i, start_s=2.0 * i, end_s=2.0 * i + 1.8, peak_value=112.5, peak_s=2.0 * i + 0.9,
                  up_s=0.8, down_s=0.9, hold_s=0.5, faults=list(faults or []), side="left")
    return r.to_dict()


def test_round_trip(tmp_path):
    with History(tmp_path / "h.db") as h:
        t0 = datetime(2026, 11, 3, 9, 30)
        sid = h.start_session("glute_bridge", source="camera 0", pain_before=3, planned_sets=2, planned_reps=10,
                              started_at=t0)
        h.add_rep(sid, rep(1), set_index=0)
        h.add_rep(sid, rep(2, ["hips_low"]), set_index=0)
        h.add_rep(sid, rep(1, ["hips_low", "back_arch"]), set_index=1)
        h.add_event(sid, 3.2, "cue", "Lift your hips higher")
        h.add_event(sid, 9.0, "hurts", "It hurts")
        h.finish_session(sid, summary={"reps": 3, "mean_peak": float("nan")}, pain_after=2, stopped="completed")
        later = h.start_session("squat", source="clip.mp4", pain_before=None, planned_sets=1, planned_reps=5,
                                started_at=t0 + timedelta(days=1))

        rows = h.sessions()
        assert [r["id"] for r in rows] == [later, sid]  # newest first
        s = rows[1]
        assert s["exercise_id"] == "glute_bridge" and s["reps"] == 3 and s["sets"] == 2
        assert s["pain_before"] == 3 and s["pain_after"] == 2 and s["stopped"] == "completed"
        assert s["faults"] == {"hips_low": 2, "back_arch": 1}
        assert datetime.fromisoformat(s["started_at"]).replace(tzinfo=None) == t0
        assert s["ended_at"] is not None
        assert rows[0]["stopped"] is None and rows[0]["reps"] == 0 and rows[0]["faults"] == {}

        full = h.session(sid)
        assert [r["index"] for r in full["reps"]] == [1, 2, 1]
        assert [r["set_index"] for r in full["reps"]] == [0, 0, 1]
        assert full["reps"][1]["faults"] == ["hips_low"]
        assert full["reps"][0]["peak_angle"] == 112.5
        assert full["events"] == [
            {"t": 3.2, "kind": "cue", "text": "Lift your hips higher"},
            {"t": 9.0, "kind": "hurts", "text": "It hurts"},
        ]
        assert full["summary"] == {"reps": 3, "mean_peak": None}
        assert h.unfinished() == [later]
        assert h.sessions(limit=1)[0]["id"] == later
        with pytest.raises(KeyError):
            h.session(999)


def test_bad_arguments(tmp_path):
    with History(tmp_path / "h.db") as h:
        with pytest.raises(ValueError):
            h.start_session("x", source="", pain_before=11, planned_sets=1, planned_reps=1)
        sid = h.start_session("x", source="", pain_before=0, planned_sets=1, planned_reps=1)
        with pytest.raises(ValueError):
            h.finish_session(sid, summary={}, pain_after=None, stopped="bored")
        with pytest.raises(ValueError):
            h.add_rep(12345, rep(1), set_index=0)  # no such session (foreign key)


def test_reps_survive_a_crash(tmp_path):
    db = tmp_path / "h.db"
    code = textwrap.dedent(
        f"""
        import os
        from posecoach.clinic.history import History
        h = History({str(db)!r})
        sid = h.start_session("glute_bridge", source="camera 0", pain_before=4, planned_sets=1, planned_reps=10)
        for i in range(1, 4):
            h.add_rep(sid, {{"index": i, "start_s": i, "end_s": i + 1.5, "faults": []}}, set_index=0)
        h.add_event(sid, 2.0, "cue", "Good rep")
        os._exit(0)  # the app dies: no finish, no close, no WAL checkpoint
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
    assert Path(str(db) + "-wal").exists()  # the rows are in the WAL, not yet in the main file
    with History(db) as h:
        (sid,) = h.unfinished()
        s = h.session(sid)
        assert [r["index"] for r in s["reps"]] == [1, 2, 3]
        assert s["stopped"] is None and s["ended_at"] is None
        assert h.sessions()[0]["reps"] == 3
        h.finish_session(sid, summary={}, pain_after=None, stopped="error")
        assert h.unfinished() == []


def test_a_second_connection_sees_each_rep_at_once(tmp_path):
    db = tmp_path / "h.db"
    with History(db) as h:
        sid = h.start_session("plank", source="0", pain_before=None, planned_sets=1, planned_reps=1)
        h.add_rep(sid, rep(1), set_index=0)
        other = sqlite3.connect(db)
        assert other.execute("SELECT count(*) FROM reps").fetchone()[0] == 1
        other.close()


V1_SCHEMA = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, exercise_id TEXT NOT NULL, source TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL, ended_at TEXT, pain_before INTEGER, pain_after INTEGER,
  planned_sets INTEGER NOT NULL DEFAULT 0, planned_reps INTEGER NOT NULL DEFAULT 0, stopped TEXT, summary TEXT);
CREATE TABLE reps (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  set_index INTEGER NOT NULL, rep_index INTEGER, start_s REAL, end_s REAL, peak_angle REAL, hold_s REAL,
  faults TEXT NOT NULL DEFAULT '[]', counted INTEGER NOT NULL DEFAULT 1, data TEXT NOT NULL);
CREATE INDEX reps_session ON reps(session_id);
CREATE TABLE events (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  t REAL NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX events_session ON events(session_id);
INSERT INTO sessions (id, exercise_id, source, started_at, ended_at, stopped, summary)
  VALUES (7, 'squat', 'old.mp4', '2025-01-02T10:00:00+00:00', '2025-01-02T10:05:00+00:00', 'completed', '{}');
INSERT INTO reps (session_id, set_index, rep_index, faults, data)
  VALUES (7, 0, 1, '["knees_in"]', '{"index": 1, "faults": ["knees_in"]}');
"""


def test_migrates_an_older_database(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(V1_SCHEMA)
    con.execute(f"PRAGMA application_id = {hist.APPLICATION_ID}")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    assert hist.SCHEMA_VERSION >= 2
    with History(db) as h:
        assert h.schema_version == hist.SCHEMA_VERSION
        old = h.session(7)
        assert old["faults"] == {"knees_in": 1} and old["reps"][0]["recorded_at"] is None
        h.add_rep(7, rep(2), set_index=0)
        assert h.session(7)["reps"][1]["recorded_at"]
    con = sqlite3.connect(db)
    cols = {r[1] for r in con.execute("PRAGMA table_info(reps)")}
    con.close()
    assert "recorded_at" in cols


def test_a_failing_migration_leaves_the_old_version(tmp_path, monkeypatch):
    db = tmp_path / "h.db"
    History(db).close()

    def broken(con):
        con.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(hist, "MIGRATIONS", hist.MIGRATIONS + [broken])
    monkeypatch.setattr(hist, "SCHEMA_VERSION", len(hist.MIGRATIONS))
    with pytest.raises(OutputError):
        History(db)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(hist.MIGRATIONS) - 1
    assert not con.execute("SELECT name FROM sqlite_master WHERE name = 'patients'").fetchall()
    con.close()


def test_corrupt_file_is_a_one_line_error(tmp_path):
    db = tmp_path / "posecoach.db"
    db.write_bytes(os.urandom(8192))
    with pytest.raises(OutputError) as e:
        History(db)
    msg = str(e.value)
    assert "\n" not in msg and str(db) in msg and "backup" in msg
    assert db.stat().st_size == 8192  # left alone


def test_other_sqlite_database_is_refused(tmp_path):
    db = tmp_path / "other.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(OutputError, match="not a posecoach"):
        History(db)


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "h.db"
    History(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {hist.SCHEMA_VERSION + 5}")
    con.commit()
    con.close()
    with pytest.raises(OutputError, match="newer posecoach"):
        History(db)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_folder_is_a_one_line_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError) as e:
            History(ro / "sub" / "posecoach.db")
        assert "\n" not in str(e.value)
    finally:
        ro.chmod(0o700)


def test_read_only_database_is_a_one_line_error(tmp_path):
    db = tmp_path / "h.db"
    with History(db) as h:
        sid = h.start_session("x", source="", pain_before=None, planned_sets=1, planned_reps=1)
        h.add_rep(sid, rep(1), set_index=0)
    h = History(db)
    try:
        # Simulate a read-only medium: the connection may only read from now on.
        h.store.connection.execute("PRAGMA query_only = ON")
        with pytest.raises(OutputError) as e:
            h.add_rep(sid, rep(2), set_index=0)
        assert "\n" not in str(e.value) and "read-only" in str(e.value)
        assert len(h.session(sid)["reps"]) == 1  # nothing lost
    finally:
        h.close()


def test_disk_full_is_a_one_line_error_and_keeps_rows(tmp_path):
    db = tmp_path / "h.db"
    with History(db) as h:
        sid = h.start_session("x", source="", pain_before=None, planned_sets=1, planned_reps=1)
        h.add_rep(sid, rep(1), set_index=0)
        pages = h.store.connection.execute("PRAGMA page_count").fetchone()[0]
        h.store.connection.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL
        with pytest.raises(OutputError) as e:
            for i in range(2, 200):
                h.add_event(sid, float(i), "cue", "x" * 2000)
        assert "\n" not in str(e.value) and "disk is full" in str(e.value)
        assert len(h.session(sid)["reps"]) == 1


def test_backup_and_restore(tmp_path):
    db = tmp_path / "h.db"
    with History(db) as h:
        sid = h.start_session("glute_bridge", source="0", pain_before=2, planned_sets=1, planned_reps=3)
        h.add_rep(sid, rep(1), set_index=0)
        h.add_event(sid, 1.0, "cue", "Good rep")
        out = h.backup(tmp_path / "backups")  # a folder that does not exist yet is a file name
        assert out.is_file()
        assert History.validate(out) == hist.SCHEMA_VERSION
        # More work after the backup, then restore: back to the backup's content.
        h.add_rep(sid, rep(2), set_index=0)
        h.start_session("squat", source="0", pain_before=None, planned_sets=1, planned_reps=1)
        keep = h.restore(out)
        assert [s["id"] for s in h.sessions()] == [sid]
        assert len(h.session(sid)["reps"]) == 1
        assert keep.is_file()  # what was replaced is kept
        assert History.validate(keep) == hist.SCHEMA_VERSION
        with History(keep) as old:
            assert len(old.sessions()) == 2
        h.add_rep(sid, rep(3), set_index=0)  # still writable after a restore
    with History(db) as h:
        assert len(h.session(sid)["reps"]) == 2


def test_backup_into_a_folder(tmp_path):
    (tmp_path / "b").mkdir()
    with History(tmp_path / "h.db") as h:
        out = h.backup(tmp_path / "b")
    assert out.parent == tmp_path / "b" and out.name.startswith("posecoach-")


def test_restore_refuses_a_foreign_or_damaged_file(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with History(tmp_path / "h.db") as h:
        sid = h.start_session("x", source="", pain_before=None, planned_sets=1, planned_reps=1)
        for bad in (junk, other, tmp_path / "missing.db"):
            with pytest.raises(OutputError) as e:
                h.restore(bad)
            assert "\n" not in str(e.value)
        assert [s["id"] for s in h.sessions()] == [sid]


def test_posecoach_home_is_respected(tmp_path, monkeypatch):
    home = tmp_path / "portable" / "data"
    monkeypatch.setenv("POSECOACH_HOME", str(home))
    with History() as h:
        assert h.path == home / "posecoach.db"
        h.start_session("x", source="", pain_before=None, planned_sets=1, planned_reps=1)
    assert (home / "posecoach.db").is_file()


def test_usable_from_another_thread(tmp_path):
    import threading

    with History(tmp_path / "h.db") as h:
        sid = h.start_session("x", source="", pain_before=None, planned_sets=1, planned_reps=1)
        th = threading.Thread(target=lambda: [h.add_rep(sid, rep(i), set_index=0) for i in range(5)])
        th.start()
        th.join()
        assert h.sessions()[0]["reps"] == 5
