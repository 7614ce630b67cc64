"""The cue policy (``posecoach.core.cues``): which one short cue to say, and when."""

from __future__ import annotations

import pytest

from posecoach.core.cues import Cue, CuePolicy
from posecoach.core.engine import EngineEvent, RepRecord
from posecoach.core.exercise import FormRule

DT = 1 / 30


def rule(rule_id: str, priority: int = 5, safety: bool = False, cue: str | None = None) -> FormRule:
    return FormRule(id=rule_id, cue=cue or f"fix {rule_id}", angle="main", above=1.0, priority=priority, safety=safety)


def fault(t: float, r: FormRule) -> EngineEvent:
    return EngineEvent(t, "fault", rule=r)


def rep(t: float, faults: list[str] | None = None) -> EngineEvent:
    return EngineEvent(t, "rep", rep=RepRecord(index=1, start_s=t - 2, end_s=t, faults=list(faults or [])))


def run(policy: CuePolicy, timeline: dict[float, list[EngineEvent]], until: float, reps_done: int = 0) -> list[Cue]:
    """Offer each frame's events at 30 fps; return what was said, checking one cue per frame at most."""
    said = []
    frames = int(round(until / DT)) + 1
    by_frame: dict[int, list[EngineEvent]] = {}
    for t, evs in timeline.items():
        by_frame.setdefault(int(round(t / DT)), []).extend(evs)
    for i in range(frames):
        t = i * DT
        cue = policy.offer(t, policy.candidates(by_frame.get(i, []), reps_done))
        if cue is not None:
            said.append(cue)
    assert said == policy.said
    return said


def test_one_cue_at_a_time_the_rest_waits_for_the_voice():
    p = CuePolicy(max_wait_s=5.0)
    long = rule("long", priority=2, cue="keep your ribs down and do not arch your back")
    safe = rule("safe", safety=True, cue="stop")
    said = run(p, {0.0: [fault(0.0, long)], 0.5: [fault(0.5, safe)]}, until=6.0)
    assert [c.key for c in said] == ["long", "safe"]
    # the second starts exactly when the first has been said, not before
    busy = p.duration(long.cue)
    assert said[1].t >= said[0].t + busy - 1e-9
    assert said[1].t < said[0].t + busy + DT + 1e-9


def test_nothing_overlaps_over_a_busy_stream():
    p = CuePolicy(cooldown_s=0.0, max_wait_s=10.0)
    rules = [rule(f"r{i}", priority=1 + i % 5) for i in range(6)]
    timeline = {round(i * 0.3, 6): [fault(i * 0.3, rules[i])] for i in range(6)}
    said = run(p, timeline, until=15.0)
    assert len(said) >= 2
    for a, b in zip(said, said[1:]):
        assert b.t >= a.t + p.duration(a.text) - 1e-9


def test_priority_safety_then_form_then_praise():
    p = CuePolicy()
    ev = [rep(0.0), fault(0.0, rule("form_b", priority=3)), fault(0.0, rule("form_a", priority=1)),
          fault(0.0, rule("danger", priority=9, safety=True))]
    cue = p.offer(0.0, p.candidates(ev, 1))
    assert cue is not None and cue.key == "danger" and cue.kind == "safety"


def test_priority_within_form_follows_the_rule_priority():
    p = CuePolicy()
    cue = p.offer(0.0, p.candidates([fault(0.0, rule("minor", priority=4)), fault(0.0, rule("major", priority=1))], 0))
    assert cue is not None and cue.key == "major"


def test_lower_priority_leftovers_of_the_same_moment_are_dropped():
    p = CuePolicy(max_wait_s=10.0)
    said = run(p, {0.0: [fault(0.0, rule("major", priority=1)), fault(0.0, rule("minor", priority=4))]}, until=8.0)
    assert [c.key for c in said] == ["major"]


def test_form_cue_beats_praise_of_the_same_rep():
    p = CuePolicy()
    r = rule("slow", priority=3)
    # the rep had a fault: no praise is even proposed
    cands = p.candidates([fault(0.0, r), rep(0.0, faults=["slow"])], 1)
    assert [c.kind for c in cands] == ["form"]


def test_cooldown_per_fault_id():
    p = CuePolicy(cooldown_s=8.0, max_wait_s=1.0)
    a, b = rule("a"), rule("b")
    timeline = {0.0: [fault(0.0, a)], 3.0: [fault(3.0, a)], 3.5: [fault(3.5, b)], 8.5: [fault(8.5, a)]}
    said = run(p, timeline, until=12.0)
    assert [(c.key, round(c.t, 2)) for c in said] == [("a", 0.0), ("b", 3.5), ("a", 8.5)]


def test_praise_only_after_fault_free_reps_and_not_too_often():
    p = CuePolicy(praise=("Good", "Great"), praise_every_s=5.0)
    timeline = {2.0: [rep(2.0)], 4.0: [rep(4.0, ["x"])], 6.0: [rep(6.0)], 8.0: [rep(8.0)], 12.0: [rep(12.0)]}
    said = run(p, timeline, until=14.0)
    # 4.0 had a fault; 6.0 waits for the praise interval (said at 2.0 + 5.0, within max_wait_s);
    # 8.0 falls inside the next interval and is dropped; 12.0 is 5 s after 7.0
    assert [(c.text, round(c.t, 2)) for c in said] == [("Good", 2.0), ("Great", 7.0), ("Good", 12.0)]
    assert all(c.kind == "praise" for c in said)
    # the faulty rep at 4.0 proposes no praise at all
    assert p.candidates([rep(4.0, ["x"])], 2) == []


def test_stale_candidates_are_dropped():
    p = CuePolicy(max_wait_s=1.0)
    long = rule("long", priority=1, cue="one two three four five six seven eight nine ten")
    later = rule("later", priority=5)
    assert p.duration(long.cue) > 1.0 + 0.5
    said = run(p, {0.0: [fault(0.0, long)], 0.2: [fault(0.2, later)]}, until=6.0)
    # 'later' could only be said when the voice was free, more than max_wait_s after it arose
    assert [c.key for c in said] == ["long"]


def test_partial_hold_and_count_cues():
    p = CuePolicy(count_aloud=True)
    cands = p.candidates([
        EngineEvent(0.0, "partial", detail="Go lower"),
        EngineEvent(0.0, "hold_done", detail="Relax"),
        EngineEvent(0.0, "partial", detail=""),  # no cue text: nothing to say
        rep(0.0),
    ], 3)
    assert [(c.kind, c.text) for c in cands] == [("form", "Go lower"), ("hold", "Relax"), ("count", "3"), ("praise", "Good rep")]


@pytest.mark.parametrize("text, words", [("Go", 1), ("Lift your hips higher", 4)])
def test_duration_grows_with_the_words(text, words):
    p = CuePolicy(seconds_per_word=0.35)
    assert p.duration(text) == pytest.approx(0.4 + 0.35 * words)
