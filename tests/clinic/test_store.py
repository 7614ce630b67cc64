"""posecoach.clinic.store: the one SQLite layer -- its public transaction API, errors and value helpers."""

from __future__ import annotations

import sqlite3

import pytest

from posecoach.clinic import Clinic
from posecoach.clinic.store import Store, clean, iso, num, pain
from posecoach.errors import InvalidValue, OutputError, PatientNotFound, PosecoachError, SessionNotFound


def count(store: Store, table: str = "sessions") -> int:
    return store.read(lambda c: c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def insert(c: sqlite3.Connection, ex: str = "squat") -> int:
    return c.execute("INSERT INTO sessions (exercise_id, started_at) VALUES (?, 'x')", (ex,)).lastrowid


def test_write_commits_and_returns_the_result(tmp_path):
    with Store(tmp_path / "s.db") as s:
        sid = s.write(insert)
        assert sid == 1 and count(s) == 1
    with Store(tmp_path / "s.db") as s:  # on disk after closing
        assert count(s) == 1


def test_an_error_inside_write_rolls_back_everything(tmp_path):
    with Store(tmp_path / "s.db") as s:
        s.write(insert)

        def half(c):
            insert(c, "a")
            insert(c, "b")
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            s.write(half)
        assert count(s) == 1
        assert not s.connection.in_transaction
        s.write(insert)  # still usable
        assert count(s) == 2


def test_transaction_context_manager_commits_or_rolls_back(tmp_path):
    with Store(tmp_path / "s.db") as s:
        with s.transaction() as c:
            insert(c)
        assert count(s) == 1
        with pytest.raises(KeyError):
            with s.transaction() as c:
                insert(c)
                raise KeyError("no")
        assert count(s) == 1


def test_constraint_and_sqlite_errors_become_posecoach_errors(tmp_path):
    with Store(tmp_path / "s.db") as s:
        with pytest.raises(InvalidValue, match="session history: FOREIGN KEY"):
            s.write(lambda c: c.execute("INSERT INTO reps (session_id, set_index, data) VALUES (99, 0, '{}')"))
        with pytest.raises(OutputError) as e:
            s.read(lambda c: c.execute("SELECT * FROM no_such_table"))
        assert "\n" not in str(e.value)
        assert count(s, "reps") == 0
    with pytest.raises(OutputError, match="closed"):
        s.write(insert)


def test_history_and_clinic_share_one_store_and_one_session_insert(tmp_path):
    with Clinic(tmp_path / "c.db") as c:
        assert c.store is c.history.store
        a = c.history.start_session("squat", source="cam", pain_before=3, planned_sets=2, planned_reps=5)
        b = c.start_session(None, "squat", source="cam", pain_before=3, planned_sets=2, planned_reps=5)
        rows = {r["id"]: r for r in c.history.sessions()}
        ra, rb = ({k: v for k, v in rows[x].items() if k not in ("id", "started_at")} for x in (a, b))
        assert ra == rb
        assert c.session_patient(a) is None and c.session_patient(b) is None


def test_value_helpers():
    assert clean({"a": float("nan"), "b": [1.0, float("inf")], 3: object}) == {
        "a": None, "b": [1.0, None], "3": str(object)}
    assert num("2.5") == 2.5 and num(True) is None and num(float("nan")) is None and num("x") is None
    assert pain(None, "p") is None and pain(0, "p") == 0
    for bad in (11, -1, True, 2.5):
        with pytest.raises(InvalidValue, match="p must be 0-10"):
            pain(bad, "p")
    assert iso(None).count(":") >= 2


def test_bad_input_never_escapes_as_a_bare_value_or_key_error(tmp_path):
    """Every bad argument to the clinic API is a PosecoachError (so the CLI prints one line)."""
    with Clinic(tmp_path / "c.db") as c:
        pid = c.add_patient("Ann")
        cases = [
            lambda: c.add_patient(""),
            lambda: c.add_patient("Ann"),
            lambda: c.patient("Nobody"),
            lambda: c.reference(5),
            lambda: c.set_targets(pid, "squat", {"peak": "deep"}),
            lambda: c.set_programme(pid, []),
            lambda: c.set_programme(pid, [{"exercise_id": "squat"}], rule={"bad": 1}),
            lambda: c.start_session(pid, "squat", pain_before=12),
            lambda: c.session_patient(42),
            lambda: c.history.session(42),
            lambda: c.history.finish_session(42, summary={}, pain_after=None, stopped="completed"),
            lambda: c.history.finish_session(42, summary={}, pain_after=None, stopped="bored"),
            lambda: c.history.add_rep(42, {"index": 1}, set_index=0),
        ]
        for case in cases:
            with pytest.raises(PosecoachError) as e:
                case()
            assert "\n" not in str(e.value) and not str(e.value).startswith("'")
        with pytest.raises(PatientNotFound):
            c.delete_patient("Nobody")
        with pytest.raises(SessionNotFound):
            c.history.session(42)
