"""Faults explained on the clinic side: a session's reps keep each fault's value and limit in the
history, attempts that did not count keep theirs in the summary, and the progress rows, the
clinic report and its sessions.csv say which limits judged the session (textbook or this
patient's reference) and each fault's value against its limit.

The sessions are real ``Session`` runs over a generated front-view squat: a good squat, a shallow
attempt with the knees a little in, a deep squat with the knees well in, a good squat."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from posecoach.clinic.patients import Clinic
from posecoach.clinic.report import fault_detail_lines, limits_text, render_report
from posecoach.core.engine.records import Targets
from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.testing import synth as S


def _summary(refs: dict[str, float]) -> dict:
    peaks = [S.squat_posture(100, 45), S.squat_posture(50, 22, valgus_deg=8.0),
             S.squat_posture(100, 45, valgus_deg=8.0), S.squat_posture(100, 45)]
    kf, _ = S.reps(S.standing(), peaks, len(peaks), 2.5, 0.0, 1.0, 1.0)
    cam = S.Camera(view="front", facing="left").fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    s = Session(find_exercise("squat"), targets=Targets(rule_refs=refs))
    for t, p in S.keyframe_sequence(kf, 30.0, cam):
        s.process(t, p)
    return s.summary()


@pytest.fixture(scope="module")
def with_reference() -> dict:
    return _summary({"knees_cave": 0.95})  # caving in under 0.95 - 0.12 = 0.83


@pytest.fixture(scope="module")
def textbook() -> dict:
    return _summary({})


def _store_like_the_app(clinic: Clinic, pid: int, summary: dict) -> int:
    """Rep by rep as they happen, then the whole summary at the end (``app.run``)."""
    sid = clinic.start_session(pid, "squat", source="camera 0", planned_sets=1, planned_reps=4)
    for d in summary["rep_details"]:
        clinic.history.add_rep(sid, d, set_index=1)
    clinic.history.finish_session(sid, summary=summary, pain_after=2, stopped="user")
    return sid


def _store_like_analyze(clinic: Clinic, pid: int, summary: dict) -> int:
    """One transaction, the summary without its reps (``clinic.judge.PatientJudge.store``)."""
    rest = {k: v for k, v in summary.items() if k not in ("rep_details", "cues", "trace")}
    return clinic.save_session(pid, "squat", source="clip.mp4", reps=summary["rep_details"], events=[],
                               summary=rest, stopped="completed")


@pytest.mark.parametrize("store", [_store_like_the_app, _store_like_analyze])
def test_history_keeps_values_limits_and_attempts(tmp_path, with_reference, store):
    s = with_reference
    with Clinic(tmp_path / "c.sqlite") as clinic:
        pid = clinic.add_patient("Ann")
        store(clinic, pid, s)
        (row,) = clinic.progress(pid)
    assert row["fault_limits"]["knees_cave"] == "reference" and row["fault_limits"]["too_fast"] == "textbook"
    assert "trunk_forward" not in row["fault_limits"]  # never judged from the front
    deep = s["rep_details"][1]["fault_details"][0]
    short, shallow = s["partial_reps"][0]["fault_details"][:2]  # (the attempt first says it fell short of the peak)
    assert [(d["rep"], d["counted"], d["id"], d["value"], d["limit"], d["limit_from"]) for d in row["fault_details"]] \
        == [(2, True, "knees_cave", deep["value"], 0.83, "reference"),
            (None, False, "short_of_peak", short["value"], short["limit"], short["limit_from"]),
            (None, False, "knees_cave", shallow["value"], 0.83, "reference")]
    assert row["fault_details"][1]["why"] == row["fault_details"][2]["why"] == "short of the peak"
    assert any("cannot check the trunk leaning forward" in n for n in row["view_notes"])
    assert limits_text(row) == ("patient's reference (knees caving in); own earlier reps (depth); "
                                "textbook (leaning to one side, too fast)")
    assert fault_detail_lines(row) == [
        f"rep 2: knees caving in (knee width): {deep['value']:.2f}, under the limit of 0.83 (this patient's reference recording)",
        f"attempt (short of the peak): not far enough to count (knee at its furthest): {short['value']:.1f}°, short of "
        f"the {short['limit']:.1f}° a rep needs (the exercise's standard limit)",
        f"attempt (short of the peak): knees caving in (knee width): {shallow['value']:.2f}, under the limit of 0.83 "
        "(this patient's reference recording)"]


def test_report_says_which_limits_and_each_value_against_its_limit(tmp_path, with_reference, textbook):
    with Clinic(tmp_path / "c.sqlite") as clinic:
        pid = clinic.add_patient("Ann")
        _store_like_the_app(clinic, pid, textbook)
        _store_like_the_app(clinic, pid, with_reference)
        rows = clinic.progress(pid)
    page = render_report({"name": "Ann"}, rows, tmp_path / "out").read_text()
    sessions = re.search(r'<table class="sessions">.*?</table>', page, re.S).group(0)
    limits = [re.findall(r"<td[^>]*>(.*?)</td>", tr)[-1] for tr in re.findall(r"<tr>(.*?)</tr>", sessions)[1:]]
    assert limits[0].startswith("own earlier reps (depth); textbook (knees caving in, ")
    assert limits[1].startswith("patient&#x27;s reference (knees caving in); own earlier reps (depth); textbook (")
    details = re.search(r'<table class="fault-details">.*?</table>', page, re.S).group(0)
    deep = textbook["rep_details"][1]["fault_details"][0]["value"]
    assert f"rep 2: knees caving in (knee width): {deep:.2f}, under the limit of 0.80 (the exercise&#x27;s standard limit)" \
        in details
    assert "under the limit of 0.83 (this patient&#x27;s reference recording)" in details
    assert details.count("not checked: From the front I cannot check the trunk leaning forward") == 2
    with open(tmp_path / "out" / "sessions.csv", newline="") as f:
        got = list(csv.DictReader(f))
    assert got[0]["fault_limits"].startswith("knees_cave=textbook;") and "knees_cave=reference" in got[1]["fault_limits"]
    short, shallow = with_reference["partial_reps"][0]["fault_details"][:2]
    assert got[1]["fault_details"] == (
        f"rep 2 knees_cave {deep:.2f} < 0.83 (reference); attempt (short of the peak) short_of_peak "
        f"{short['value']:.1f} > {short['limit']:.1f} (textbook); attempt (short of the peak) knees_cave "
        f"{shallow['value']:.2f} < 0.83 (reference)")


def test_a_session_stored_before_limits_were_recorded_reads_as_before(tmp_path):
    with Clinic(tmp_path / "c.sqlite") as clinic:
        pid = clinic.add_patient("Old")
        clinic.save_session(pid, "squat", source="x", reps=[{"index": 1, "peak_angle": 90.0, "faults": ["too_fast"]}],
                            events=[], summary={}, stopped="completed")
        (row,) = clinic.progress(pid)
    assert row["fault_limits"] == {} and row["fault_details"] == [] and row["faults"] == {"too_fast": 1}
    assert limits_text(row) == "" and fault_detail_lines(row) == []
