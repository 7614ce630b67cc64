"""The therapist's progress tab and programme editor (issue 12 item 8), pytest-qt offscreen:
the session table shows only what exists and no empty session, a new or changed programme row
takes its exercise's own dosage, and today's plan progresses a plank by its hold."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

from datetime import datetime, timedelta

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app

make_app()

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox  # noqa: E402

from app_helpers import no_thread_left  # noqa: E402,F401 - autouse fixture
from posecoach.app._qt.therapist import TherapistPage  # noqa: E402
from posecoach.clinic.patients import Clinic  # noqa: E402
from posecoach.core.exercise import list_exercises  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def page(qtbot, tmp_path):
    clinic = Clinic(tmp_path / "clinic.sqlite")
    good, _ = list_exercises()
    t = TherapistPage(clinic, good)
    qtbot.addWidget(t)
    t.resize(1300, 740)
    t.show()
    yield t, clinic
    t.shutdown()
    clinic.close()


def _session(clinic: Clinic, pid: int, reps: int, *, days_ago: int, pain_after: int | None = None,
             stopped: str = "user") -> None:
    clinic.save_session(pid, "glute_bridge", source="camera 0",
                        reps=[{"index": i + 1, "peak_angle": 172.0} for i in range(reps)], events=[], summary={},
                        stopped=stopped, pain_before=3, pain_after=pain_after, planned_sets=2, planned_reps=8,
                        started_at=datetime.now() - timedelta(days=days_ago))


def test_progress_table_shows_what_exists_and_no_empty_session(page):
    t, clinic = page
    pid = clinic.add_patient("Ann")
    _session(clinic, pid, 6, days_ago=2)  # pain after not asked
    _session(clinic, pid, 8, days_ago=1, pain_after=4)
    _session(clinic, pid, 0, days_ago=0)  # started and stopped at once
    t.refresh(select=pid)
    assert t.show_progress() is not None
    table = t.chart_table.text()
    assert "None" not in table
    assert "<td>3</td>" in table and "<td>3 → 4</td>" in table
    assert table.count("<tr>") == 3  # the header and the two sessions with reps
    assert "0 / 16" not in table and "1 session(s) with no rep counted are not shown" in table


def _row(t, r: int) -> tuple[QComboBox, QSpinBox, QSpinBox, QDoubleSpinBox]:
    return tuple(t.prog_table.cellWidget(r, c) for c in range(4))  # type: ignore[return-value]


def test_a_new_row_and_a_changed_exercise_take_that_exercises_dosage(page):
    t, clinic = page
    t.refresh(select=clinic.add_patient("Ben"))
    r = t.add_programme_row()
    combo, sets, reps, hold = _row(t, r)
    combo.setCurrentIndex(combo.findData("plank"))  # from the first exercise's 1 x 8 hold 5
    assert (sets.value(), reps.value(), hold.value()) == (3, 1, 20)
    assert reps.suffix() == " holds"
    combo.setCurrentIndex(combo.findData("glute_bridge"))
    ex = t.exercises["glute_bridge"]
    assert (sets.value(), reps.value()) == (ex.dosage.sets, ex.dosage.reps) and reps.suffix() == " reps"
    assert hold.value() == ex.dosage.hold_s
    r2 = t.add_programme_row({"exercise_id": "plank", "sets": 2, "reps": 2, "hold_s": 30})
    assert [w.value() for w in _row(t, r2)[1:]] == [2, 2, 30]  # a stored row keeps its numbers


def test_saved_plank_progresses_its_hold(page):
    t, clinic = page
    pid = clinic.add_patient("Cy")
    t.refresh(select=pid)
    combo = _row(t, t.add_programme_row())[0]
    combo.setCurrentIndex(combo.findData("plank"))
    t.rule_every.setValue(1)
    t.programme.rule_add_hold.setValue(10)
    assert t.save_programme()
    prog = clinic.programme(pid)
    assert prog.rule.add_hold_s == 10 and prog.items[0].hold_s == 20 and prog.items[0].reps == 1
    # the same programme, set two days ago, and a session yesterday without more pain
    clinic.set_programme(pid, [i.to_dict() for i in prog.items], rule=prog.rule.to_dict(),
                         created_at=datetime.now() - timedelta(days=2))
    clinic.save_session(pid, "plank", source="camera 0", reps=[{"index": 1, "hold_s": 21.0}], events=[],
                        summary={}, stopped="completed", pain_before=2, pain_after=2, planned_sets=3,
                        planned_reps=1, started_at=datetime.now() - timedelta(days=1))
    t.programme.show_programme()
    assert "Forearm plank 3 x 1, hold 30 s" in t.today_label.text()


def test_progress_table_gives_each_fault_against_its_limit_and_the_limits_used(page):
    t, clinic = page
    pid = clinic.add_patient("Di")
    rep = {"index": 2, "peak_angle": 80.0, "faults": ["knees_cave"],
           "fault_details": [{"id": "knees_cave", "value": 0.574, "limit": 0.83, "limit_from": "reference",
                              "cue": "Push your knees out over your toes"}], "measured": {"knees_cave": 0.574}}
    clinic.save_session(pid, "squat", source="camera 0", reps=[{"index": 1, "peak_angle": 82.0}, rep], events=[],
                        summary={"fault_limits": {"knees_cave": "reference", "trunk_forward": "textbook"}},
                        stopped="user", planned_sets=1, planned_reps=2)
    t.refresh(select=pid)
    assert t.show_progress() is not None
    table = t.chart_table.text()
    assert "rep 2: knees caving in (knee width): 0.57, under the limit of 0.83 (this patient&#x27;s reference recording)" in table
    assert "patient&#x27;s reference (knees caving in)" in table
    assert "trunk" not in table  # a rule that measured nothing is not listed as used
