"""The patient's end-of-session words for faults and attempts (``app.wording``, ``app.coaching``):
what happened and what to change, never a raw id; attempts that did not count, and why."""

from __future__ import annotations

import re

import numpy as np
import pytest

from posecoach.app.coaching import summary_html, summary_text
from posecoach.app.wording import attempts_line, fault_lines
from posecoach.core.engine.records import Targets
from posecoach.core.exercise import find_exercise, list_exercises
from posecoach.core.session import Session
from posecoach.core.sets import SetPlan
from posecoach.testing import synth as S

SQUAT = find_exercise("squat")


@pytest.fixture(scope="module")
def front_squats() -> dict:
    """From the front, against this patient's reference (knees in under 0.83 of the ankle gap): a
    good squat, a shallow attempt with the knees a little in, two deep squats with the knees well in,
    then a squat bobbed too fast to count."""
    peaks = [S.squat_posture(100, 45), S.squat_posture(50, 22, valgus_deg=8.0),
             S.squat_posture(100, 45, valgus_deg=8.0), S.squat_posture(100, 45, valgus_deg=8.0)]
    kf, _ = S.reps(S.standing(), peaks, len(peaks), 2.5, 0.0, 1.0, 1.0)
    end = kf[-1][0]
    kf += [(end + 0.3, S.squat_posture(95, 43)), (end + 0.6, S.standing()), (end + 2.0, S.standing())]
    cam = S.Camera(view="front", facing="right").fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    s = Session(SQUAT, targets=Targets(rule_refs={"knees_cave": 0.95}))
    for t, p in S.keyframe_sequence(kf, 30.0, cam):
        s.process(t, p)
    return s.summary()


def test_a_fault_says_what_happened_how_often_and_what_to_change(front_squats):
    s = front_squats
    assert [d["faults"] for d in s["rep_details"]] == [[], ["knees_cave"], ["knees_cave"]]
    assert [d["why_not_counted"] for d in s["partial_reps"]] == ["short of the peak", "too fast to count"]
    (line,) = [f for f in fault_lines(s, SQUAT) if f.startswith("Your knees")]
    assert line == ("Your knees came closer together than your ankles at the bottom of 2 reps and 1 attempt that "
                    "did not count. Push your knees out over your toes.")
    assert attempts_line(s, SQUAT) == "2 attempts did not count: not deep enough / too fast"


def test_the_summary_page_never_shows_a_raw_id(front_squats):
    s = front_squats
    plan = SetPlan(1, 5, 30)
    for fn in (summary_text, summary_html):
        text = fn(s, exercise=SQUAT, plan=plan, stopped="user", pain_before=2, pain_after=2,
                  fault_cues={r.id: r.cue for r in SQUAT.form_rules})
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), text  # knees_cave, too_fast...
        assert "2 attempts did not count: " in text
        assert "From the front I cannot check the trunk leaning forward" in text
        assert "knees caving in" in text  # the flagged reps, by the rule's label


def test_every_fault_of_every_exercise_has_words():
    """Each rule of the library is worded (its own phrase or its label), a single rep and an attempt."""
    good, _ = list_exercises()
    for ex in good:
        for r in ex.form_rules:
            lines = fault_lines({"rep_details": [{"faults": [r.id]}], "partial_reps": [{"faults": [r.id]}]}, ex)
            assert len(lines) == 1 and "_" not in lines[0], (ex.id, lines)
            assert " 1 rep and 1 attempt that did not count. " in lines[0] and lines[0].endswith(r.cue.rstrip(".") + ".")


def test_faults_counted_outside_reps_and_no_attempts():
    summary = {"faults": {"hips_sag": 3}, "rep_details": [], "partial_reps": []}
    plank = find_exercise("plank")
    assert fault_lines(summary, plank) == [
        "Your hips sagged below the line from your shoulders to your ankles (3 times). "
        + next(r.cue for r in plank.form_rules if r.id == "hips_sag") + "."]
    assert attempts_line(summary, plank) == ""
    assert attempts_line({"partial_reps": [{"why_not_counted": "short of the peak"}]}, plank) == \
        "1 attempt did not count: not far enough"
