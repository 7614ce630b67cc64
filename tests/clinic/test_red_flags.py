"""posecoach.clinic.red_flags: the red-flag questions, what a "yes" means, when the screen is due,
and the answers kept per patient in the clinic database (migration 4), cleared by a therapist."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import pytest

from posecoach.clinic import report
from posecoach.clinic.patients import Clinic
from posecoach.clinic.red_flags import QUESTIONS, SCREEN_EVERY_DAYS, assess, is_due
from posecoach.clinic.store import Store
from posecoach.errors import InvalidValue, PatientNotFound

NO = {q.id: False for q in QUESTIONS}


def test_the_guidance_questions_are_asked_in_plain_words():
    text = " ".join(q.text.lower() for q in QUESTIONS)
    for words in ("numbness", "tingling", "weakness", "legs", "bladder", "bowel", "few weeks", "move",
                  "fever", "weight"):
        assert words in text
    assert all(q.text.endswith("?") for q in QUESTIONS)
    assert {q.id for q in QUESTIONS if q.urgent} == {"legs", "bladder_bowel"}


def test_any_yes_stops_coaching_and_nerve_signs_are_urgent():
    assert not assess(NO).flagged and assess(NO).advice == ""
    fever = assess({**NO, "fever_weight": True})
    assert fever.flagged and not fever.urgent and fever.yes == ("fever_weight",)
    assert "doctor or physiotherapist" in fever.advice and "today" not in fever.advice
    bladder = assess({**NO, "bladder_bowel": True, "movement": True})
    assert bladder.flagged and bladder.urgent and bladder.yes == ("bladder_bowel", "movement")
    assert "today" in bladder.advice and "Do not exercise" in bladder.advice


@pytest.mark.parametrize("answers", [{}, {k: v for k, v in NO.items() if k != "legs"}, {**NO, "legs": "no"},
                                     {**NO, "headache": False}])
def test_every_question_needs_a_yes_or_no(answers):
    with pytest.raises(InvalidValue):
        assess(answers)


def test_due_before_the_first_session_and_again_a_week_later():
    assert is_due(None)
    assert not is_due("2026-12-01T09:00:00+00:00", date(2026, 12, 1))
    assert not is_due("2026-12-01T09:00:00+00:00", date(2026, 12, 1 + SCREEN_EVERY_DAYS - 1))
    assert is_due("2026-12-01T09:00:00+00:00", date(2026, 12, 1 + SCREEN_EVERY_DAYS))
    assert is_due("not a date", date(2026, 12, 1))


def test_answers_are_kept_per_patient_and_a_therapist_clears_a_flag():
    with Clinic() as c:
        ann, bob = c.add_patient("Ann"), c.add_patient("Bob")
        rf = c.red_flags
        assert rf.due(ann) and rf.last(ann) is None and rf.open_flag(ann) is None
        first = rf.record(ann, NO, answered_at=datetime(2026, 12, 1, 9, 0))
        assert not first.flagged and first.answers == NO and first.answered_at.startswith("2026-12-01")
        assert not rf.due(ann, date(2026, 12, 3)) and rf.due(ann, date(2026, 12, 8))
        assert rf.due(bob)  # per patient
        yes = rf.record(ann, {**NO, "legs": True}, answered_at=datetime(2026, 12, 8, 9, 0))
        assert yes.open and yes.urgent and rf.open_flag(ann) == yes and rf.open_flag(bob) is None
        assert yes.yes_text() == "numbness, tingling or weakness in the legs"
        assert [s.id for s in rf.screens(ann)] == [yes.id, first.id]  # newest first
        with pytest.raises(InvalidValue):
            rf.clear(bob)  # nothing to clear
        assert rf.clear(ann, by="Dr Lee", note="seen in clinic, no nerve signs",
                        cleared_at=datetime(2026, 12, 8, 15, 0)) == 1
        done = rf.last(ann)
        assert done is not None and not done.open and done.flagged and done.cleared_by == "Dr Lee"
        assert done.cleared_at.startswith("2026-12-08") and "no nerve signs" in done.clear_note
        assert rf.open_flag(ann) is None
        with pytest.raises(PatientNotFound):
            rf.record(999, NO)
        # deleting a patient deletes their answers too
        c.delete_patient(ann)
        n = c.store.read(lambda con: con.execute("SELECT COUNT(*) FROM clinic_red_flags").fetchone()[0])
        assert n == 0


def test_an_older_database_gains_the_table(tmp_path):
    from posecoach.clinic.schema import MIGRATIONS

    db = tmp_path / "old.db"
    with Store(db, version=3) as s:
        assert s.schema_version == 3
    with Clinic(db) as c:
        assert c.store.schema_version == len(MIGRATIONS) >= 4
        pid = c.add_patient("Old Timer")
        assert c.red_flags.due(pid)
        c.red_flags.record(pid, NO)
        assert c.red_flags.last(pid) is not None
    con = sqlite3.connect(db)
    assert "clinic_red_flags" in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.close()


def test_the_report_shows_an_open_flag_and_the_clearing(tmp_path):
    with Clinic() as c:
        pid = c.add_patient("Rae")
        c.red_flags.record(pid, NO, answered_at=datetime(2026, 11, 20, 9, 0))
        c.red_flags.record(pid, {**NO, "fever_weight": True}, answered_at=datetime(2026, 12, 1, 9, 0))
        path, _ = report.export_report(c, pid, tmp_path / "r1")
        text = path.read_text()
        assert "Red-flag screen" in text and "open red flag" in text.lower()
        assert "fever or unexplained weight loss" in text and "2026-11-20" in text
        c.red_flags.clear(pid, by="Dr Lee", note="bloods normal")
        text = report.export_report(c, pid, tmp_path / "r2")[0].read_text()
        assert "open red flag" not in text.lower() and "Dr Lee" in text and "bloods normal" in text
