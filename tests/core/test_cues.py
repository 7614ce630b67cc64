"""The cue policy (``posecoach.core.cues``): which one short cue to say, and when."""

from __future__ import annotations

import pytest

from posecoach.core.cues import Cue, CueKind, CuePolicy
from posecoach.core.engine import EngineEvent, RepRecord
from posecoach.core.exercise import FormRule, find_exercise
from posecoach.core.session import Session
from posecoach.core.sets import SetMilestone, SetPlan, SetTracker
from posecoach.testing import synth as S

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


# --------------------------------------------------------------------------- one decision for all that is said


def test_cue_kinds_keep_their_json_strings():
    c = Cue(1.0, "Lift your hips", "form", "hips_low", 1)
    assert c.kind is CueKind.FORM and c.to_dict() == {"t": 1.0, "text": "Lift your hips", "kind": "form", "key": "hips_low"}
    assert [k.value for k in CueKind] == ["safety", "setup", "set", "form", "note", "hold", "count", "praise"]


def test_counts_in_quick_succession_are_all_said_even_past_a_form_cue():
    # Five reps 0.5 s apart (quicker than a count takes to say), each with a fault: every number
    # is said, in order; only the leftovers that are not numbers make way.
    p = CuePolicy(count_aloud=True, max_wait_s=3.0)
    r = rule("slow", priority=3)
    timeline = {round(0.5 * i, 6): [fault(0.5 * i, r), rep(0.5 * i, ["slow"])] for i in range(1, 6)}
    said = []
    for i in range(int(round(8.0 / DT)) + 1):
        t = i * DT
        evs = timeline.get(round(t, 6), []) if abs(t / 0.5 - round(t / 0.5)) < 1e-6 else []
        n = int(round(t / 0.5)) if evs else 0
        cue = p.offer(t, p.candidates(evs, n))
        if cue is not None:
            said.append(cue)
    assert [c.text for c in said if c.kind == CueKind.COUNT] == ["1", "2", "3", "4", "5"]
    assert said[0].text == "1" and "slow" in [c.key for c in said]  # numbers first, the correction still said


def test_set_up_guidance_is_repeated_every_few_seconds_and_at_once_when_it_changes():
    p = CuePolicy(setup_every_s=8.0, cooldown_s=8.0)
    said = []
    for i in range(int(round(20.0 / DT)) + 1):
        t = i * DT
        text = "Step into the camera's view" if t < 13.0 else ("Turn side on to the camera" if t < 19.0 else "")
        cue = p.offer_frame(t, guidance=text)
        if cue is not None:
            said.append((round(cue.t, 2), cue.text, cue.kind))
    assert said == [(0.0, "Step into the camera's view", "setup"), (8.0, "Step into the camera's view", "setup"),
                    (13.0, "Turn side on to the camera", "setup")]


def test_set_milestones_are_said_after_the_count_of_the_same_rep():
    p = CuePolicy(count_aloud=True)
    first = p.offer(10.0, p.candidates([rep(10.0)], 5))  # the session's offer of the frame
    assert first is not None and first.text == "5"
    assert p.offer_frame(10.0, milestone=SetMilestone.ALL_DONE) is None  # the voice is busy
    t = 10.0
    while (cue := p.offer_frame(t)) is None and t < 12.0:
        t += DT
    assert cue is not None and cue.text == "All sets done. Well done!" and cue.kind == CueKind.SET
    assert t == pytest.approx(10.0 + p.duration("5"), abs=DT + 1e-9)
    assert [c.text for c in p.said] == ["5", "All sets done. Well done!"]


def coach(scenario, policy: CuePolicy, plan: SetPlan) -> tuple[Session, list[Cue]]:
    """Run a synthetic session as the app does: the session's offer, then set-up guidance and set
    milestones; return the session and every cue that would be handed to the speaker."""
    session = Session(find_exercise(scenario.truth["exercise"]), cue_policy=policy)
    tracker = SetTracker(plan)
    handed = []
    t_end, still = scenario.poses[-1]
    tail = [(t_end + (i + 1) / scenario.fps, still) for i in range(int(5 * scenario.fps))]  # 5 s standing
    for t, pose in list(scenario.poses) + tail:
        r = session.process(t, pose)
        milestone = tracker.update(r.reps, t)
        follow = policy.offer_frame(t, guidance=r.guidance, milestone=milestone, rest_s=plan.rest_s)
        if (r.cue or follow) is not None:
            handed.append(r.cue or follow)
    return session, handed


def test_a_session_of_five_quick_reps_counts_one_to_five_aloud():
    sc = S.squat(5, rep_s=1.5, rest_s=0.3, fault="trunk_forward", fault_reps=[1, 3])  # 1.8 s a rep
    policy = CuePolicy(praise=("Good rep",), count_aloud=True)
    session, handed = coach(sc, policy, SetPlan(sets=1, reps=5, rest_s=30.0))
    assert session.count == 5
    assert [c.text for c in handed if c.kind == CueKind.COUNT] == ["1", "2", "3", "4", "5"]
    assert handed == policy.said  # one decision: what is handed is what the policy said
    texts = [c.text for c in handed]
    assert texts.index("All sets done. Well done!") > texts.index("5")
    for a, b in zip(handed, handed[1:]):  # one at a time
        assert b.t >= a.t + policy.duration(a.text) - 1e-9


def test_set_done_is_said_between_sets():
    sc = S.squat(4, rep_s=1.5, rest_s=0.5)
    _, handed = coach(sc, CuePolicy(count_aloud=False), SetPlan(sets=2, reps=2, rest_s=45.0))
    sets = [c.text for c in handed if c.kind == CueKind.SET]
    assert sets == ["Set done. Rest for 45 seconds", "All sets done. Well done!"]


def test_the_batch_configuration_says_only_the_engines_cues():
    # `posecoach analyze`: the session's default policy, no offer_frame -> no counts, no set-up, no sets.
    sc = S.squat(3, rep_s=1.5, rest_s=0.5)
    session = Session(find_exercise("squat"))
    for t, pose in sc.poses[:20] + [(sc.poses[20][0], None)] * 1 + sc.poses[21:]:
        session.process(t, pose)
    kinds = {c["kind"] for c in session.summary()["cues"]}
    assert kinds <= {"safety", "form", "note", "hold", "praise"}  # (note: a view the faults need, from the engine)


def test_said_keeps_the_last_cues_of_a_long_session():
    p = CuePolicy(said_keep=10, cooldown_s=0.0, praise_every_s=0.0)
    out = [p.offer(float(i), [Cue(float(i), f"c{i}", CueKind.FORM, f"k{i}", 3)]) for i in range(0, 200, 5)]
    said = [c for c in out if c is not None]
    assert len(said) == 40 and 10 <= len(p.said) <= 20 and p.said[-1] == said[-1]
    assert CuePolicy().said_keep is None  # everything is kept by default (a video judged as a whole)


def test_a_view_note_behind_the_first_reps_correction_is_still_said_once():
    """The note comes with the first rep's judgement, often with its correction: it waits for the
    voice (however long) instead of being dropped as stale, and is said once."""
    p = CuePolicy()  # max_wait_s 2: the correction takes longer than that to say
    note = EngineEvent(0.0, "view_note", detail="From the front I cannot check the trunk leaning forward")
    long = rule("knees", priority=1, cue="Push your knees out over your toes and keep them there")
    said = run(p, {0.0: [fault(0.0, long), note, fault(0.0, rule("minor", priority=4))]}, until=12.0)
    assert [(c.kind, c.key) for c in said] == [("form", "knees"), ("note", "view_note")]
    assert said[1].t >= p.duration(long.cue) > p.max_wait_s
    # in a whole session: a front-view squat whose first rep caves in still hears the note, once
    s = Session(find_exercise("squat"))
    for t, pose in S.squat(n_reps=3, fault="knees_cave", fault_reps=[0], view="front").poses:
        s.process(t, pose)
    notes = [c for c in s.cues.said if c.kind == CueKind.NOTE]
    assert len(notes) == 1 and notes[0].text == s.view_notes[0]
