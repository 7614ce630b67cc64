"""The shared enums keep the JSON strings, and the engine's one way to close a rep.

``Status``, ``EventKind``, ``ResetReason`` and ``Phase`` are ``StrEnum``: each
member *is* its old string, so JSON output, string comparisons in other layers
(cues, CLI, app) and dictionary look-ups by string are unchanged.
"""

from __future__ import annotations

import inspect
import json

import pytest

from posecoach.core.engine import (
    EngineEvent,
    EventKind,
    ExerciseEngine,
    Phase,
    ResetReason,
    counter,
)
from posecoach.core.session import GUIDANCE, FrameResult
from posecoach.core.types import Status

DT = 1 / 30
REST, PEAK = 170.0, 110.0


@pytest.mark.parametrize("enum, strings", [
    (Status, ["ok", "no_person", "not_visible", "wrong_view_side", "wrong_view_front", "unsteady"]),
    (EventKind, ["rep", "partial", "fault", "hold_done", "reset", "view_note"]),
    (ResetReason, ["camera cut", "pose lost", "gap in the pose", "rep took too long", "too short to be a rep",
                   "rest between sets"]),
    (Phase, ["unknown", "rest", "moving", "peak", "returning"]),
])
def test_enums_are_their_strings(enum, strings):
    assert [m.value for m in enum] == strings
    for member, s in zip(enum, strings):
        assert member == s and str(member) == s and f"{member}" == s
        assert json.dumps(member) == json.dumps(s)
        assert json.dumps({member: [member]}) == json.dumps({s: [s]})
        assert enum(s) is member


def test_every_status_has_guidance_and_the_documented_values_are_the_real_ones():
    assert set(GUIDANCE) == set(Status)
    assert GUIDANCE["not_visible"] == GUIDANCE[Status.NOT_VISIBLE]
    comment = inspect.getsource(FrameResult).split("status: Status  #")[1].splitlines()[0]
    assert {w.strip() for w in comment.split("|")} == {s.value for s in Status}


def test_session_json_has_plain_strings(run_session):
    from posecoach.testing import synth as S

    session, results = run_session("squat", S.squat(2).poses)
    text = json.dumps(session.summary())
    assert "Status." not in text and "EventKind." not in text and "Phase." not in text
    assert {r.status for r in results} == {"ok"}
    assert json.loads(json.dumps([r.status for r in results[:2]])) == ["ok", "ok"]


def test_engine_branches_on_the_reason_not_on_text(make_exercise, sig, feed):
    """A held rep is carried over a camera cut only; any other reset reason drops it."""
    def held() -> tuple[ExerciseEngine, float]:
        eng = ExerciseEngine(make_exercise(hold={"seconds": 3.0}))
        seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, eng.carry_after_s + 0.5)
        feed(eng, seq)
        return eng, len(seq) * DT

    eng, t = held()
    assert eng.reset(t, ResetReason.CAMERA_CUT) == [] and eng.count == 0  # suspended, may resume
    feed(eng, sig.hold(PEAK, 0.5) + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.3), t0=t + DT)
    assert eng.count == 1 and eng.reps[0].return_seen
    eng, t = held()
    events = eng.reset(t, ResetReason.POSE_LOST)
    assert [e.kind for e in events] == [EventKind.REP] and events[0].detail == "return not seen"


def test_side_is_given_at_construction_or_per_frame(make_exercise, sig, feed):
    seq = sig.hold(REST, 0.5) + sig.cycle(REST, PEAK)
    eng = ExerciseEngine(make_exercise(), side="right")
    feed(eng, seq)
    assert [r.side for r in eng.reps] == ["right"]
    near = ExerciseEngine(make_exercise())
    for i, v in enumerate(seq):
        near.update(i * DT, {"main": v}, side="left" if i < len(seq) // 2 else "right")
    assert [r.side for r in near.reps] == ["left"]  # a rep keeps the side it started on


# --------------------------------------------------------------------------- one way to close a rep


def test_only_close_appends_a_rep():
    src = inspect.getsource(counter)
    assert src.count("self.reps.append(") == 1
    close = inspect.getsource(counter.ExerciseEngine._close)
    assert "self.reps.append(" in close


@pytest.mark.parametrize("how", ["returned", "hold_ended", "unseen_at_flush", "unseen_at_cut", "unseen_after_cut"])
def test_every_counted_rep_goes_through_close(make_exercise, sig, feed, monkeypatch, how):
    calls: list[counter.Closing] = []
    real = counter.ExerciseEngine._close

    def spy(self, t, closing, *, then):
        calls.append(closing)
        return real(self, t, closing, then=then)

    monkeypatch.setattr(counter.ExerciseEngine, "_close", spy)
    if how == "hold_ended":
        eng = ExerciseEngine(make_exercise(counting="hold", rep={"min_duration_s": 0.5}))
        seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK - 2, 0.5) + sig.hold(PEAK - 2, 1.5) + sig.ramp(PEAK, REST, 0.5)
    elif how == "returned":
        eng = ExerciseEngine(make_exercise())
        seq = sig.hold(REST, 0.5) + sig.cycle(REST, PEAK)
    else:
        eng = ExerciseEngine(make_exercise(hold={"seconds": 3.0}) if how == "unseen_after_cut" else make_exercise())
        seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, eng.carry_after_s + 0.5)
    events: list[EngineEvent] = [e for es in feed(eng, seq) for e in es]
    t = len(seq) * DT
    if how == "unseen_at_flush":
        events += eng.flush(t)
    elif how == "unseen_at_cut":
        events += eng.reset(t, ResetReason.CAMERA_CUT)
    elif how == "unseen_after_cut":
        events += eng.reset(t, ResetReason.CAMERA_CUT)
        events += [e for es in feed(eng, sig.hold(REST, 0.5), t0=t + DT) for e in es]
    assert eng.count == 1
    assert [e.kind for e in events].count("rep") == 1
    kept = {"returned": counter.Closing.RETURNED, "hold_ended": counter.Closing.HOLD_ENDED}.get(how, counter.Closing.UNSEEN)
    assert calls == [kept]
    assert eng.reps[0].return_seen == (kept is not counter.Closing.UNSEEN)
