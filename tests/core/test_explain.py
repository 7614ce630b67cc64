"""Faults in words (``core.explain``): the value, the limit, where the limit came from."""

from __future__ import annotations

from posecoach.core import explain as X
from posecoach.core.exercise import find_exercise

SQUAT = find_exercise("squat")


def test_code_is_short_and_stable():
    d = {"id": "knees_cave", "value": 0.5741, "limit": 0.75, "limit_from": "textbook", "cue": "Push"}
    assert X.detail_code(d) == "knees_cave 0.57 < 0.75 (textbook)"
    assert X.detail_code({**d, "value": 35.392, "limit": 25.0, "id": "trunk_forward"}) == \
        "trunk_forward 35.4 > 25.0 (textbook)"
    assert X.detail_code({"id": "hips_sag", "value": None, "limit": None, "limit_from": "rest"}) == "hips_sag (rest)"
    assert X.details_code([d, {**d, "id": "too_fast", "value": 0.9, "limit": 1.2}]) == \
        "knees_cave 0.57 < 0.75 (textbook); too_fast 0.90 < 1.20 (textbook)"
    assert X.details_code(None) == ""


def test_words_name_the_rule_its_unit_and_the_limits_source():
    d = {"id": "trunk_forward", "value": 35.39, "limit": 33.0, "limit_from": "reference"}
    assert X.detail_words(d, SQUAT) == ("the trunk leaning forward (trunk past shins): 35.4°, over the limit of "
                                        "33.0° (this patient's reference recording)")
    fast = {"id": "too_fast", "value": 0.9, "limit": 1.2, "limit_from": "textbook"}
    assert X.detail_words(fast, SQUAT) == ("too fast (the rep's time): 0.90 s, under the limit of 1.20 s "
                                           "(the exercise's standard limit)")
    deep = {"id": "shallow", "value": 60.7, "limit": 55.0, "limit_from": "reference"}
    assert X.detail_words(deep, SQUAT).startswith("depth (knee at the peak): 60.7°, over the limit of 55.0° (")
    knees = {"id": "knees_cave", "value": 0.6, "limit": 0.75, "limit_from": "textbook"}
    assert X.detail_words(knees, SQUAT).startswith("knees caving in (knee width): 0.60, under the limit of 0.75 (")
    assert X.detail_words({"id": "depth_x", "value": 95.0, "limit": 90.0, "limit_from": "earlier reps"}) == \
        "depth x: 95.0, over the limit of 90.0 (the patient's own earlier reps of the session)"


def test_limits_used_lists_the_patients_own_first_and_leaves_out_what_the_view_could_not_judge():
    summary = {
        "fault_limits": {"knees_cave": "reference", "trunk_forward": "textbook", "shallow": "earlier reps",
                         "too_fast": "textbook"},
        "rep_details": [{"measured": {"knees_cave": 0.9, "shallow": 80.0, "too_fast": 1.6}, "faults": []}],
        "partial_reps": [],
        "faults_not_judged_in_view": {"trunk_forward": 4},
    }
    assert X.limits_used(summary, SQUAT) == [
        ("this patient's reference recording", ["knees caving in"]),
        ("the patient's own earlier reps of the session", ["depth"]),
        ("the exercise's standard limit", ["too fast"]),
    ]
    assert X.fault_sources(summary) == {"reference", "earlier reps", "textbook"}
    assert X.limits_sentence(summary, SQUAT).startswith("Limits used: this patient's reference recording "
                                                        "(knees caving in); ")
    assert X.limits_used({"rep_details": []}) == [] and X.limits_sentence({}) == ""
