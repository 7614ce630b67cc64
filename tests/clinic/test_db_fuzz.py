"""Property: whatever file sits where the database should be (random bytes, a truncated or damaged
real database, someone else's SQLite file, one from a newer posecoach), opening it through the
normal path gives either a working store or one ``PosecoachError`` line; never another exception,
a hang or a changed file that was refused."""

from __future__ import annotations

import sqlite3
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posecoach.clinic import Clinic
from posecoach.errors import PosecoachError


def _build(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "x.db"
        if kind == "foreign":
            con = sqlite3.connect(db)
            con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
            con.execute("INSERT INTO invoices (amount) VALUES (12.5)")
            con.commit()
            con.close()
            return db.read_bytes()
        with Clinic(db) as c:
            pid = c.add_patient("Ann", notes="n" * 300)
            c.set_targets(pid, "squat", {"peak": 110.0, "rest": 160.0})
            sid = c.start_session(pid, "squat", source="cam", pain_before=2, planned_sets=1, planned_reps=3)
            for i in range(1, 4):
                c.history.add_rep(sid, {"index": i, "peak_angle": 100.0 + i, "faults": ["knees_in"]}, set_index=1)
            c.history.finish_session(sid, summary={"reps": 3}, pain_after=1, stopped="completed")
            if kind == "newer":
                c.store.connection.execute("PRAGMA user_version = 99")
        return db.read_bytes()


@cache
def real(kind: str) -> bytes:
    return _build(kind)


def _open_and_use(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "posecoach.db"
        db.write_bytes(data)
        try:
            with Clinic(db) as c:
                for read in (c.patients, c.history.sessions, lambda: c.history.unfinished()):
                    try:
                        read()
                    except PosecoachError as e:
                        assert "\n" not in str(e)
                try:
                    c.add_patient("Zed")
                except PosecoachError as e:
                    assert "\n" not in str(e)
        except PosecoachError as e:
            assert "\n" not in str(e) and str(e).strip()
            assert db.read_bytes() == data  # a refused file is left exactly as it was


SETTINGS = settings(max_examples=40, deadline=2000, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(st.binary(max_size=6000))
def test_random_bytes(data):
    _open_and_use(data)


@SETTINGS
@given(st.sampled_from(["ours", "foreign", "newer"]), st.floats(0.0, 1.0))
def test_truncated_databases(kind, share):
    raw = real(kind)
    _open_and_use(raw[: int(len(raw) * share)])


@pytest.mark.slow
@SETTINGS
@given(st.sampled_from(["ours", "foreign", "newer"]),
       st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=16)), min_size=1, max_size=6))
def test_damaged_databases(kind, patches):
    raw = bytearray(real(kind))
    for where, junk in patches:
        at = where % len(raw)
        raw[at: at + len(junk)] = junk
    _open_and_use(bytes(raw[: len(real(kind))]))


def test_whole_files_of_each_kind():
    for kind in ("ours", "foreign", "newer"):
        _open_and_use(real(kind))
