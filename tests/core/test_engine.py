"""The rep/hold state machine (``posecoach.core.engine``) on hand-made angle sequences.

Each test builds a plain list of main-angle values with ``sig``, feeds it frame
by frame and checks the engine's state after every frame.  Expected times are
derived from the input (the frame where the value crosses a threshold), never
copied from the engine's output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecoach.core.engine import ExerciseEngine, Phase, Targets

DT = 1 / 30
REST, PEAK, H = 170.0, 110.0, 5.0  # the made-up exercise of conftest (falling: peak < rest)


def first(values, pred, start: int = 0) -> int:
    """Index of the first value at or after ``start`` satisfying ``pred``."""
    return next(i for i in range(start, len(values)) if pred(values[i]))


def expected_ends(values, rest: float, peak: float, falling: bool = True) -> list[int]:
    """Frames where a full rest -> peak -> rest cycle ends (the spec, written independently)."""
    at_rest = (lambda v: v >= rest) if falling else (lambda v: v <= rest)
    at_peak = (lambda v: v <= peak) if falling else (lambda v: v >= peak)
    ends, i = [], first(values, at_rest)
    while True:
        try:
            p = first(values, at_peak, i)
            e = first(values, at_rest, p)
        except StopIteration:
            return ends
        ends.append(e)
        i = e


# --------------------------------------------------------------------------- counting


@pytest.mark.parametrize("n", [1, 3, 5])
def test_counts_exact_reps_at_the_frame_they_end(make_exercise, sig, n):
    seq = sig.hold(REST, 1.0)
    for i in range(n):
        seq += sig.cycle(REST, PEAK, up_s=0.8 + 0.1 * i, hold_s=0.3 * i, down_s=1.0)
    eng = ExerciseEngine(make_exercise())
    ends = expected_ends(seq, REST, PEAK)
    assert len(ends) == n
    for i, v in enumerate(seq):
        ev = eng.update(i * DT, {"main": v})
        want = sum(e <= i for e in ends)
        assert eng.count == want, f"frame {i} value {seq[i]}"
        assert [e.kind for e in ev if e.kind == "rep"] == (["rep"] if i in ends else [])
    assert [r.index for r in eng.reps] == list(range(1, n + 1))
    assert all(r.counted for r in eng.reps)
    assert eng.partials == []


def test_phases_follow_the_documented_cycle(make_exercise, sig, feed):
    seq = sig.hold(REST, 0.5) + sig.cycle(REST, PEAK)
    eng = ExerciseEngine(make_exercise())
    phases = []
    for i, v in enumerate(seq):
        eng.update(i * DT, {"main": v})
        phases.append(eng.phase)
    # collapse runs: the state path through one rep
    path = [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]]
    assert path == [Phase.REST, Phase.MOVING, Phase.PEAK, Phase.RETURNING, Phase.REST]
    # each transition happens exactly at its threshold (with hysteresis)
    assert phases[first(seq, lambda v: v < REST - H)] == Phase.MOVING
    assert phases[first(seq, lambda v: v < REST - H) - 1] == Phase.REST
    assert phases[first(seq, lambda v: v <= PEAK)] == Phase.PEAK
    top = first(seq, lambda v: v <= PEAK)
    leave = first(seq, lambda v: v > PEAK + H, top)
    assert phases[leave - 1] == Phase.PEAK and phases[leave] == Phase.RETURNING


def test_rising_exercise_counts_the_same(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise(rep={"rest": 100, "peak": 160}))
    seq = sig.hold(100, 0.5) + sig.cycle(100, 160) * 3
    feed(eng, seq)
    assert eng.count == 3 and eng.sign == 1.0


def test_rep_record_fields(make_exercise, sig, feed):
    ex = make_exercise(hold={"seconds": 0.2})
    seq = sig.hold(REST, 1.0) + sig.ramp(REST, PEAK - 4, 1.0) + sig.hold(PEAK - 4, 0.5) + sig.ramp(PEAK - 4, REST, 1.2) + sig.hold(REST, 0.5)
    eng = ExerciseEngine(ex)
    feed(eng, seq)
    assert eng.count == 1
    r = eng.reps[0]
    t = lambda i: i * DT  # noqa: E731
    leave_rest = first(seq, lambda v: v < REST - H)
    last_rest = max(i for i in range(leave_rest) if seq[i] >= REST)
    reach = first(seq, lambda v: v <= PEAK)
    deepest = int(np.argmin(seq))
    leave_peak = first(seq, lambda v: v > PEAK + H, reach)
    end = first(seq, lambda v: v >= REST, leave_peak)
    assert r.start_s == pytest.approx(t(last_rest))
    assert r.end_s == pytest.approx(t(end))
    assert r.duration_s == pytest.approx(t(end) - t(last_rest))
    assert r.peak_value == pytest.approx(min(seq))
    assert r.peak_s == pytest.approx(t(deepest))
    assert r.up_s == pytest.approx(t(reach) - t(last_rest))
    assert r.down_s == pytest.approx(t(end) - t(leave_peak))
    # hold: every frame after the one that reached the peak, up to leaving it
    assert r.hold_s == pytest.approx((leave_peak - 1 - reach) * DT)
    assert r.faults == []
    d = r.to_dict()
    assert set(d) >= {"index", "start_s", "end_s", "duration_s", "peak_angle", "peak_s", "up_s", "down_s", "hold_s", "faults", "side"}
    assert d["peak_angle"] == pytest.approx(min(seq), abs=1e-3)
    assert d["start_s"] == round(r.start_s, 3) and d["end_s"] == round(r.end_s, 3)


# --------------------------------------------------------------------------- noise and partials


@pytest.mark.parametrize("threshold", ["rest", "peak"])
def test_jitter_inside_the_hysteresis_never_counts(make_exercise, sig, feed, threshold):
    """Values chattering around a threshold, by less than the hysteresis, add nothing."""
    rng = np.random.default_rng(1)
    eng = ExerciseEngine(make_exercise())
    if threshold == "rest":
        # around the rest line: between 3 above rest and just short of leaving it
        jitter = list(REST + rng.uniform(-(H - 0.3), 3.0, 300))
        events = feed(eng, sig.hold(REST, 0.5) + jitter)
        assert eng.count == 0 and eng.phase == Phase.REST
        assert all(not ev for ev in events)
    else:
        # go to the peak, chatter just inside the peak band, come back: exactly one rep
        jitter = list(PEAK + rng.uniform(-3.0, H - 0.3, 300))
        seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + jitter + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.5)
        phases = []
        for i, v in enumerate(seq):
            eng.update(i * DT, {"main": v})
            phases.append(eng.phase)
        start, stop = first(seq, lambda v: v <= PEAK), sig.n(1.5) + len(jitter)
        assert all(p == Phase.PEAK for p in phases[start:stop])
        assert eng.count == 1


def test_chatter_across_the_rest_line_is_not_a_rep(make_exercise, sig, feed):
    """Leaving rest and coming back without getting near the peak: no rep, no partial."""
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(REST, 0.5)
    for _ in range(10):
        seq += sig.ramp(REST, REST - 2 * H, 0.2) + sig.ramp(REST - 2 * H, REST, 0.2) + sig.hold(REST, 0.1)
    events = feed(eng, seq)
    assert eng.count == 0 and eng.partials == []
    assert all(e.kind not in ("rep", "partial") for ev in events for e in ev)


def test_partial_rep_is_not_counted_and_emits_partial(make_exercise, sig, feed, event_kinds):
    eng = ExerciseEngine(make_exercise())
    three_quarters = REST + 0.75 * (PEAK - REST)
    seq = sig.hold(REST, 0.5) + sig.cycle(REST, three_quarters)
    events = feed(eng, seq)
    assert eng.count == 0
    assert event_kinds(events) == ["partial"]
    ev = next(e for es in events for e in es)
    assert ev.detail == "Go a bit further"
    back = first(seq, lambda v: v >= REST, first(seq, lambda v: v < three_quarters + 1))
    assert ev.t == pytest.approx(back * DT)
    assert len(eng.partials) == 1 and not eng.partials[0].counted
    assert eng.partials[0].peak_value == pytest.approx(three_quarters)
    # a full rep afterwards still counts normally, numbered 1
    feed(eng, sig.cycle(REST, PEAK), t0=len(seq) * DT)
    assert eng.count == 1 and eng.reps[0].index == 1


def test_small_excursion_is_neither_rep_nor_partial(make_exercise, sig, feed, event_kinds):
    eng = ExerciseEngine(make_exercise())
    quarter = REST + 0.3 * (PEAK - REST)
    events = feed(eng, sig.hold(REST, 0.5) + sig.cycle(REST, quarter))
    assert eng.count == 0 and event_kinds(events) == []


def test_brief_blip_past_half_range_is_not_a_partial(make_exercise, sig, feed, event_kinds):
    # A noise spike of a few frames is not an attempt: no "go further" cue for it.
    ex = make_exercise()
    eng = ExerciseEngine(ex)
    three_quarters = REST + 0.75 * (PEAK - REST)
    blip_s = 0.4 * ex.rep.min_duration_s
    seq = sig.hold(REST, 0.5) + sig.hold(three_quarters, blip_s) + sig.hold(REST, 0.5)
    events = feed(eng, seq)
    assert eng.count == 0 and event_kinds(events) == []


# --------------------------------------------------------------------------- discontinuities


def test_clip_opening_at_the_peak_does_not_count_that_rep(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(PEAK, 1.0) + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.5)
    feed(eng, seq)
    assert eng.phase == Phase.REST
    assert eng.count == 0 and eng.partials == []
    feed(eng, sig.cycle(REST, PEAK), t0=len(seq) * DT)
    assert eng.count == 1


def test_clip_opening_mid_way_down_does_not_count(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    seq = sig.ramp(140, PEAK, 0.5) + sig.hold(PEAK, 0.5) + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.5)
    phases = []
    for i, v in enumerate(seq):
        eng.update(i * DT, {"main": v})
        phases.append(eng.phase)
    # Placed at rest once within the hysteresis band of it (the REST state's own band).
    back = first(seq, lambda v: v >= REST - H)
    assert all(p == Phase.UNKNOWN for p in phases[:back])
    assert phases[back] == Phase.REST
    assert eng.count == 0


@pytest.mark.parametrize("at, goes_on", [("moving", False), ("peak", True), ("returning", False)])
def test_a_cut_mid_rep_counts_it_only_if_the_next_shot_shows_its_peak(make_exercise, sig, feed, event_kinds,
                                                                       at, goes_on):
    """A cut in the middle of a rep, the same movement going on after it.  The next shot opens at
    the peak (a cut to a close-up of the held position): the same rep, counted once when it
    returns.  It opens on the way up or down: it may be another take, nothing counts across the
    cut, and the reset is said once the shot's first frames (``resume_grace_s``) are past."""
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(REST, 0.5) + sig.cycle(REST, PEAK, up_s=1.0, hold_s=1.0, down_s=1.0)
    cut = {
        "moving": first(seq, lambda v: v < 140),
        "peak": first(seq, lambda v: v <= PEAK) + 10,
        "returning": first(seq, lambda v: v > 140, first(seq, lambda v: v <= PEAK)),
    }[at]
    feed(eng, seq[:cut])
    assert eng.phase.value == at
    ev = eng.reset(cut * DT, "camera cut")
    assert ev == [] and eng.phase == Phase.UNKNOWN  # (decided on the next shot)
    after = feed(eng, seq[cut:], t0=cut * DT)
    assert eng.count == (1 if goes_on else 0)
    resets = [e for es in after for e in es if e.kind == "reset"]
    if goes_on:
        assert resets == [] and eng.reps[0].start_s < cut * DT < eng.reps[0].end_s
    else:
        assert [e.detail for e in resets] == ["camera cut"]
        first_after_grace = next(i for i in range(cut, len(seq)) if i * DT - cut * DT > eng.resume_grace_s)
        assert next(i for i, es in enumerate(after) if es) + cut == first_after_grace
    # once seen at rest again, the next rep counts
    feed(eng, sig.cycle(REST, PEAK), t0=len(seq) * DT)
    assert eng.count == (2 if goes_on else 1)


def test_a_shot_opening_at_the_peak_for_one_frame_does_not_carry_the_rep(make_exercise, sig, feed):
    """The next shot's first frame happens to read the peak (a transition), then rest: the rep in
    progress at the cut is not carried over (decided after the shot's first frames)."""
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.2)
    feed(eng, seq)
    eng.reset(len(seq) * DT, "camera cut")
    feed(eng, [PEAK] + sig.hold(REST, 1.0), t0=len(seq) * DT)
    assert eng.count == 0


def test_reset_at_rest_emits_nothing(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    feed(eng, sig.hold(REST, 0.5))
    assert eng.reset(0.5, "camera cut") == []
    assert eng.phase == Phase.UNKNOWN


@pytest.mark.parametrize("gap_s, kept", [(0.3, True), (0.6, True), (1.0, False), (2.0, False)])
def test_dropped_frames_short_gap_keeps_the_rep_long_gap_abandons_it(make_exercise, sig, feed, event_kinds, gap_s, kept):
    eng = ExerciseEngine(make_exercise(), max_gap_s=0.75)
    seq: list = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.5)
    seq += [None] * sig.n(gap_s)
    seq += sig.hold(PEAK, 0.3) + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.5)
    events = feed(eng, seq)
    if kept:
        assert eng.count == 1
        assert "reset" not in event_kinds(events)
    else:
        assert eng.count == 0
        resets = [e for es in events for e in es if e.kind == "reset"]
        assert len(resets) == 1 and resets[0].detail == "pose lost"
        # abandoned on the first missing frame where the person has certainly been gone longer
        # than max_gap_s (they may have been there up to a frame after the last seen), not later
        last_seen = max(i for i, v in enumerate(seq) if v is not None and i < seq.index(None))
        assert resets[0].t == pytest.approx(
            first(range(len(seq)), lambda i: (i - last_seen - 1) * DT > 0.75, last_seen) * DT)
    feed(eng, sig.cycle(REST, PEAK), t0=len(seq) * DT)
    assert eng.count == (2 if kept else 1)


@pytest.mark.parametrize("every", [1, 3])
def test_the_same_absence_is_judged_alike_at_30_and_10_fps(make_exercise, sig, feed, event_kinds, every):
    """The person is lost twice at the peak (0.33 s, seen for one frame, 0.33 s): at 30 fps no gap
    passes max_gap_s.  At 10 fps the one frame that found them is not among those analysed, and
    the frames seen are 0.9 s apart, of which only 0.7 s is certainly an absence: the rep is kept
    at both rates.  Fails if the whole time between frames seen is taken as the absence."""
    seq: list = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.5)
    seq += [None] * 10 + [PEAK] + [None] * 10 + sig.hold(PEAK, 0.3)
    seq += sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.5)
    lone = seq.index(PEAK, seq.index(None))
    assert lone % 3 != 0  # (the lone frame is not among every third frame)
    eng = ExerciseEngine(make_exercise(), max_gap_s=0.75)
    events = feed(eng, seq[::every], fps=sig.fps / every)
    assert eng.count == 1
    assert "reset" not in event_kinds(events)


@pytest.mark.parametrize("how", ["camera cut", "end of the stream"])
@pytest.mark.parametrize("back_to, counted", [(REST - H / 2, True), (REST - 4 * H, False)])
def test_a_rep_cut_off_within_the_band_of_rest_has_returned(make_exercise, sig, feed, event_kinds, how,
                                                            back_to, counted):
    """On the way back, last seen within the hysteresis band of rest, then a cut (or the end): the
    frame that would have crossed the line was not seen (at 10 fps, often chance).  Counted when
    back inside the band, at the last frame seen; not when still further out (four bands, more
    than its last speed covers in ``LOOKBACK_S``)."""
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.1) + sig.ramp(PEAK, back_to, 0.6)
    seq.append(back_to)
    feed(eng, seq)
    assert eng.phase == Phase.RETURNING
    t = len(seq) * DT
    ev = eng.reset(t, "camera cut") if how == "camera cut" else eng.flush(t)
    assert eng.count == (1 if counted else 0)
    if counted:
        assert event_kinds(ev) == ["rep"] and eng.reps[0].end_s == pytest.approx((len(seq) - 1) * DT)


@pytest.mark.parametrize("fps", [30.0, 15.0])
def test_a_return_cut_off_is_judged_alike_at_30_and_15_fps(make_exercise, feed, fps):
    """The return enters the band of rest at the moment of a cut.  At 30 fps the last frame before
    it is inside the band; at 15 it may be a frame (1/15 s) earlier, outside: at its speed it was
    inside by the cut, so the rep counts at both rates.  Fails without the look ahead."""
    eng = ExerciseEngine(make_exercise())
    speed = 60.0  # degrees a second on the way back (PEAK 110 -> REST 170 in a second)
    t_return = 1.0 + 1.0 + 0.2  # rest, way out, held
    t_cut = t_return + (REST - PEAK - H * 0.9) / speed  # the return is just inside the band then
    seq = []
    n = int(t_cut * fps) + 1  # every frame up to the cut
    for i in range(n):
        t = i / fps
        if t < 1.0:
            v = REST
        elif t < 2.0:
            v = REST + (PEAK - REST) * (t - 1.0)
        elif t < t_return:
            v = PEAK
        else:
            v = PEAK + speed * (t - t_return)
        seq.append(v)
    assert REST - seq[-1] > H  # the last frame is outside the band: the case the look ahead is for
    assert 0 <= t_cut - (len(seq) - 1) / fps <= 1 / fps
    feed(eng, seq, fps=fps)
    assert eng.phase == Phase.RETURNING
    eng.reset(t_cut, "camera cut")
    assert eng.count == 1


def test_time_jump_without_frames_abandons_the_rep(make_exercise, sig):
    eng = ExerciseEngine(make_exercise(), max_gap_s=0.75)
    t = 0.0
    for v in sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.3):
        eng.update(t, {"main": v})
        t += DT
    t += 1.5  # frames missing entirely (e.g. a paused recording)
    ev = eng.update(t, {"main": PEAK})
    assert [e.kind for e in ev] == ["reset"] and ev[0].detail == "gap in the pose"
    for v in sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.5):
        t += DT
        eng.update(t, {"main": v})
    assert eng.count == 0


def test_nan_main_value_is_a_missing_frame(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    seq: list = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0)
    seq += [{"main": math.nan}] * 5 + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.3)
    feed(eng, seq)
    assert eng.count == 1


@pytest.mark.parametrize("half_s, counted", [(0.1, False), (0.2, False), (0.3, True), (0.6, True)])
def test_min_duration_rejects_too_fast_reps(make_exercise, sig, feed, half_s, counted):
    eng = ExerciseEngine(make_exercise(rep={"min_duration_s": 0.5}))
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK - 1, half_s) + sig.ramp(PEAK - 1, REST, half_s) + sig.hold(REST, 0.5)
    events = feed(eng, seq)
    assert eng.count == int(counted)
    too_short = [e for es in events for e in es if e.kind == "reset"]
    assert [e.detail for e in too_short] == ([] if counted else ["too short to be a rep"])


def test_rep_taking_too_long_is_abandoned(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise(rep={"max_duration_s": 3}))
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, 140, 0.5) + sig.hold(140, 4.0) + sig.ramp(140, PEAK, 0.5) + sig.ramp(PEAK, REST, 1.0)
    events = feed(eng, seq)
    assert [e.detail for es in events for e in es if e.kind == "reset"] == ["rep took too long"]
    assert eng.count == 0


def test_targets_override_thresholds(make_exercise, sig, feed):
    ex = make_exercise()
    shallow = sig.hold(REST, 0.5) + sig.cycle(REST, 130) * 2
    eng = ExerciseEngine(ex)
    feed(eng, shallow)
    assert eng.count == 0
    eng = ExerciseEngine(ex, targets=Targets(peak=135))
    feed(eng, shallow)
    assert eng.count == 2


# --------------------------------------------------------------------------- holds


def test_hold_accumulates_only_at_the_peak_and_hold_done_fires_once(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise(hold={"seconds": 0.5, "cue_done": "Relax"}))
    # peak held 1.5 s with a dip out of the peak band and back in the middle
    seq = (sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.3) + sig.ramp(PEAK, 125, 0.2)
           + sig.ramp(125, PEAK, 0.2) + sig.hold(PEAK, 1.0) + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.5))
    prev_phase, prev_hold, done = Phase.UNKNOWN, 0.0, []
    for i, v in enumerate(seq):
        ev = eng.update(i * DT, {"main": v})
        done += [e for e in ev if e.kind == "hold_done"]
        cur = eng.reps[-1].hold_s if eng.count else eng.hold_s
        if prev_phase == Phase.PEAK and eng.phase == Phase.PEAK:
            assert cur == pytest.approx(prev_hold + DT), f"frame {i}"
        else:
            assert cur == pytest.approx(prev_hold) or eng.phase == Phase.REST, f"frame {i}"
        prev_phase, prev_hold = eng.phase, (cur if eng.phase != Phase.REST else 0.0)
    assert eng.count == 1
    assert len(done) == 1 and done[0].detail == "Relax"
    # it fired on the frame where the accumulated hold first reached the target
    assert eng.reps[0].hold_s > 0.5
    assert done[0].rep is eng.reps[0]


def test_no_hold_done_when_the_hold_is_too_short(make_exercise, sig, feed, event_kinds):
    eng = ExerciseEngine(make_exercise(hold={"seconds": 2.0}))
    events = feed(eng, sig.hold(REST, 0.5) + sig.cycle(REST, PEAK, hold_s=1.0))
    assert eng.count == 1 and "hold_done" not in event_kinds(events)
    assert eng.reps[0].hold_s < 2.0


def test_hold_pauses_while_an_always_fault_is_active(make_exercise, sig):
    ex = make_exercise(
        hold={"seconds": 5.0},
        form_rules=[{"id": "sag", "angle": "aux", "phase": "always", "above": 175, "persist_s": 0.2, "cue": "Hold it"}],
    )
    eng = ExerciseEngine(ex)
    main = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 2.0) + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 0.3)
    reach = first(main, lambda v: v <= PEAK)
    bad = range(reach + 15, reach + 45)  # aux out of range for 1 s at the peak
    aux = [180.0 if i in bad else 160.0 for i in range(len(main))]
    fault_at = None
    gained_while_active = 0.0
    prev = 0.0
    for i, (m, a) in enumerate(zip(main, aux)):
        ev = eng.update(i * DT, {"main": m, "aux": a})
        if any(e.kind == "fault" for e in ev):
            assert fault_at is None, "an always fault is raised once while it persists"
            fault_at = i
        h = eng.hold_s if eng.count == 0 else eng.reps[0].hold_s
        if fault_at is not None and fault_at < i <= bad.stop:
            gained_while_active += h - prev
        prev = h
    # raised once the condition had lasted persist_s
    assert fault_at is not None and (fault_at - bad.start) * DT == pytest.approx(0.2, abs=DT + 1e-9)
    assert gained_while_active == 0.0
    r = eng.reps[0]
    assert r.faults == ["sag"]
    leave = first(main, lambda v: v > PEAK + H, reach)
    frames_at_peak = leave - 1 - reach
    paused = bad.stop - fault_at
    assert r.hold_s == pytest.approx((frames_at_peak - paused) * DT)


# --------------------------------------------------------------------------- form rules


def _reps_with(sig, auxes_peak, auxes_moving=None, hold_s=0.5):
    """Four-ish reps; per rep the aux value at the peak and during the rest of the rep."""
    main, aux = sig.hold(REST, 0.5), [150.0] * sig.n(0.5)
    for i, ap in enumerate(auxes_peak):
        am = 150.0 if auxes_moving is None else auxes_moving[i]
        up, top, down, rest = (sig.ramp(REST, PEAK, 1.0), sig.hold(PEAK, hold_s), sig.ramp(PEAK, REST, 1.0),
                               sig.hold(REST, 0.5))
        main += up + top + down + rest
        # at the peak band (main <= PEAK + H) aux reads ap, elsewhere in the rep am, at rest 150
        aux += [ap if v <= PEAK + H else am for v in up] + [ap] * len(top)
        aux += [ap if v <= PEAK + H else am for v in down] + [150.0] * len(rest)
    return [{"main": m, "aux": a} for m, a in zip(main, aux)]


def test_peak_rule_fires_on_the_faulty_reps_only(make_exercise, sig, feed):
    ex = make_exercise(form_rules=[
        {"id": "aux_high", "angle": "aux", "phase": "peak", "stat": "median", "above": 165, "cue": "Lower it", "priority": 2},
    ])
    eng = ExerciseEngine(ex)
    # rep 3 has aux high only while moving, not at the peak: the peak rule must not see it
    frames = _reps_with(sig, [150, 170, 150, 172, 150], auxes_moving=[150, 150, 175, 150, 150])
    events = feed(eng, frames)
    assert eng.count == 5
    assert [r.faults for r in eng.reps] == [[], ["aux_high"], [], ["aux_high"], []]
    faults = [e for es in events for e in es if e.kind == "fault"]
    assert [e.rep.index for e in faults] == [2, 4]
    assert all(e.rule.id == "aux_high" and e.rule.cue == "Lower it" for e in faults)
    assert eng.fault_counts == {"aux_high": 2}
    # judged when the peak is left, i.e. before the rep ends
    for e in faults:
        assert e.t < e.rep.end_s


def test_peak_rule_stat_max_vs_median(make_exercise, sig, feed):
    """A single high frame at the peak: 'max' sees it, 'median' does not."""
    ex = make_exercise(form_rules=[
        {"id": "by_max", "angle": "aux", "phase": "peak", "stat": "max", "above": 165, "cue": "a"},
        {"id": "by_median", "angle": "aux", "phase": "peak", "stat": "median", "above": 165, "cue": "b"},
    ])
    frames = _reps_with(sig, [150], hold_s=1.0)
    top = [i for i, f in enumerate(frames) if f["main"] <= PEAK]
    frames[top[len(top) // 2]] = {"main": PEAK, "aux": 170.0}
    eng = ExerciseEngine(ex)
    feed(eng, frames)
    assert eng.reps[0].faults == ["by_max"]


def test_moving_rule_judges_the_whole_rep_not_the_rest(make_exercise, sig, feed):
    ex = make_exercise(form_rules=[
        {"id": "jerk", "angle": "aux", "phase": "moving", "stat": "max", "above": 175, "cue": "Smoothly"},
    ])
    frames = _reps_with(sig, [150, 150, 150], auxes_moving=[150, 178, 150])
    # a spike while at rest between reps 2 and 3 must be ignored
    rest_frames = [i for i, f in enumerate(frames) if f["main"] == REST]
    frames[rest_frames[-40]] = {"main": REST, "aux": 190.0}
    eng = ExerciseEngine(ex)
    events = feed(eng, frames)
    assert [r.faults for r in eng.reps] == [[], ["jerk"], []]
    fault = next(e for es in events for e in es if e.kind == "fault")
    assert fault.t == pytest.approx(eng.reps[1].end_s)  # judged when the rep ends


def test_always_rule_needs_persist_and_ignores_rest(make_exercise, sig, feed):
    ex = make_exercise(form_rules=[
        {"id": "sag", "angle": "aux", "phase": "always", "above": 175, "persist_s": 0.3, "cue": "Keep it up", "safety": True},
    ])
    frames = _reps_with(sig, [150, 150, 150, 150])
    idx_in_rep = [[i for i, f in enumerate(frames) if f["main"] <= PEAK + H and lo < i < hi]
                  for lo, hi in _rep_spans(frames)]
    for i in idx_in_rep[0][:6]:  # 0.2 s: shorter than persist_s
        frames[i] = {**frames[i], "aux": 180.0}
    for i in idx_in_rep[2][:15]:  # 0.5 s: long enough, raised once
        frames[i] = {**frames[i], "aux": 180.0}
    for i in range(len(frames)):  # 1 s at rest before rep 4: ignored
        if frames[i]["main"] == REST and _rep_spans(frames)[2][1] < i < _rep_spans(frames)[2][1] + 30:
            frames[i] = {**frames[i], "aux": 190.0}
    eng = ExerciseEngine(ex)
    events = feed(eng, frames)
    faults = [e for es in events for e in es if e.kind == "fault"]
    assert [e.rep.index for e in faults] == [3]
    assert faults[0].rule.safety
    assert [r.faults for r in eng.reps] == [[], [], ["sag"], []]


def _rep_spans(frames):
    """(start, end) frame indices of each excursion away from rest."""
    spans, start = [], None
    for i, f in enumerate(frames):
        if f["main"] < REST and start is None:
            start = i
        elif f["main"] >= REST and start is not None:
            spans.append((start, i))
            start = None
    return spans


def test_metric_rules_on_duration_and_peak(make_exercise, sig, feed):
    ex = make_exercise(form_rules=[
        {"id": "too_fast", "metric": "duration_s", "below": 2.0, "cue": "Slower"},
        {"id": "shallow", "metric": "peak", "above": 105, "cue": "Deeper"},
    ])
    seq = (sig.hold(REST, 0.5)
           + sig.cycle(REST, PEAK, up_s=0.6, hold_s=0.0, down_s=0.6)  # fast and only just at the peak
           + sig.cycle(REST, 100, up_s=1.2, hold_s=0.5, down_s=1.2)  # slow and deep: clean
           + sig.cycle(REST, 100, up_s=0.6, hold_s=0.0, down_s=0.6))  # fast, deep
    eng = ExerciseEngine(ex)
    feed(eng, seq)
    assert eng.count == 3
    assert [sorted(r.faults) for r in eng.reps] == [["shallow", "too_fast"], [], ["too_fast"]]
    assert eng.fault_counts == {"too_fast": 2, "shallow": 1}


def test_hold_metric_is_skipped_without_a_hold_target(make_exercise, sig, feed):
    rule = {"id": "hold_short", "metric": "hold_s", "below": 1.0, "cue": "Hold longer"}
    seq = sig.hold(REST, 0.5) + sig.cycle(REST, PEAK, hold_s=0.2) + sig.cycle(REST, PEAK, hold_s=1.5)
    eng = ExerciseEngine(make_exercise(form_rules=[rule]))
    feed(eng, seq)
    assert [r.faults for r in eng.reps] == [[], []]
    eng = ExerciseEngine(make_exercise(form_rules=[rule], hold={"seconds": 1.0}))
    feed(eng, seq)
    assert [r.faults for r in eng.reps] == [["hold_short"], []]


def test_nan_in_a_rule_angle_is_not_judged(make_exercise, sig, feed):
    ex = make_exercise(form_rules=[{"id": "aux_high", "angle": "aux", "phase": "peak", "above": 165, "cue": "x"}])
    frames = [{**f, "aux": math.nan} for f in _reps_with(sig, [170, 170])]
    eng = ExerciseEngine(ex)
    feed(eng, frames)
    assert eng.count == 2 and all(r.faults == [] for r in eng.reps)


# --------------------------------------------------------------------------- relative mode


def _span(ex) -> float:
    return abs(ex.rep.peak - ex.rep.rest)


def _tilts(sig, base: float, amp: float, n: int, hold_s: float = 2.0) -> list[float]:
    seq = sig.hold(base, 2.0)
    for _ in range(n):
        seq += sig.ramp(base, base + amp, 0.8) + sig.hold(base + amp, hold_s) + sig.ramp(base + amp, base, 0.8) + sig.hold(base, 1.5)
    return seq


@pytest.mark.parametrize("base", [95.0, 131.0, 172.0])
def test_relative_mode_counts_small_movements_from_any_baseline(exercise, sig, feed, base):
    ex = exercise("pelvic_tilt")
    assert ex.rep.relative
    eng = ExerciseEngine(ex)
    amp = ex.rep.peak + _span(ex)  # the units are the feature's (a fraction of the body for the tilt)
    feed(eng, _tilts(sig, base, amp, 4))
    assert eng.count == 4
    assert eng.baseline == pytest.approx(base)
    assert all(r.peak_value == pytest.approx(amp) for r in eng.reps)


def test_relative_mode_ignores_too_small_movements_and_slow_drift(exercise, sig, feed):
    ex = exercise("pelvic_tilt")
    eng = ExerciseEngine(ex)
    # movements that stay below the peak offset
    feed(eng, _tilts(sig, 120.0, ex.rep.peak - _span(ex) / 2, 3))
    assert eng.count == 0
    # the resting value drifts by three times the tilt over 20 s (the patient settles): no rep
    eng = ExerciseEngine(ex)
    drift = 3 * _span(ex)
    feed(eng, sig.hold(120.0, 2.0) + sig.ramp(120.0, 120.0 + drift, 20.0) + sig.hold(120.0 + drift, 2.0))
    assert eng.count == 0
    assert eng.baseline == pytest.approx(120.0 + drift)


def test_relative_mode_hold_metric(exercise, sig, feed):
    """pelvic_tilt: a tilt held clearly under the rule's limit is flagged, a long one is not."""
    ex = exercise("pelvic_tilt")
    rule = next(r for r in ex.form_rules if r.metric == "hold_s")
    eng = ExerciseEngine(ex)
    amp = ex.rep.peak + _span(ex)
    seq = _tilts(sig, 130.0, amp, 1, hold_s=rule.below - 2.0)
    seq += _tilts(sig, 130.0, amp, 1, hold_s=rule.below + 1.5)[sig.n(2.0):]
    feed(eng, seq)
    assert eng.count == 2
    assert [r.faults for r in eng.reps] == [[rule.id], []]


# --------------------------------------------------------------------------- returns never seen


def test_rep_held_long_enough_counts_when_the_stream_ends_at_the_top(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, eng.end_after_s + 0.3)
    feed(eng, seq)
    assert eng.count == 0
    events = eng.flush(len(seq) * DT)
    assert [e.kind for e in events] == ["rep"] and eng.count == 1
    assert eng.reps[0].return_seen is False and math.isnan(eng.reps[0].down_s)


def test_rep_held_briefly_does_not_count_when_the_stream_ends(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 0.5 * eng.end_after_s)
    feed(eng, seq)
    assert eng.flush(len(seq) * DT) == [] and eng.count == 0


def test_the_end_of_the_stream_asks_less_than_a_cut(make_exercise, sig, feed):
    """A stream that ends at the top held a while ends a done rep (the last cat of a cat-cow
    clip); a camera cut there needs the longer carry_after_s, since the next shot may show it."""
    assert ExerciseEngine(make_exercise()).end_after_s < ExerciseEngine(make_exercise()).carry_after_s
    for stop in ("end", "cut"):
        eng = ExerciseEngine(make_exercise())
        held = (eng.end_after_s + eng.carry_after_s) / 2
        seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, held)
        feed(eng, seq)
        t = len(seq) * DT
        if stop == "end":
            eng.flush(t)
            assert eng.count == 1
        else:
            eng.reset(t, "camera cut")
            feed(eng, sig.hold(REST, 1.0), t0=t + DT)
            assert eng.count == 0


def test_held_rep_cut_away_from_and_never_resumed_counts_once(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise(hold={"seconds": 3.0}))
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, eng.carry_after_s + 0.5)
    feed(eng, seq)
    t = len(seq) * DT
    eng.reset(t, "camera cut")
    assert eng.count == 0  # suspended: it may resume in the next shot
    feed(eng, sig.hold(REST, 1.0), t0=t + DT)  # the next shot shows the person at rest
    assert eng.count == 1 and eng.reps[0].end_s == pytest.approx(t)
    assert eng.flush(t + 2.0) == [] and eng.count == 1


@pytest.mark.parametrize("counting", ["hold", "reps"])
@pytest.mark.parametrize("transition", [0, 2])
def test_a_position_held_across_a_cut_is_one_hold(make_exercise, sig, feed, counting, transition):
    """A plank (hold mode) or a held rep seen held on both sides of a camera cut is one hold, its
    time kept per shot; the new shot's first ``transition`` frames between rest and the peak (a
    dissolve) are waited out, up to resume_grace_s.  Breaks if hold mode closes its hold at the
    cut, or if the first frame after the cut alone decides."""
    ex = make_exercise(counting=counting, hold={"seconds": 30.0})
    eng = ExerciseEngine(ex)
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, eng.carry_after_s + 1.0)
    feed(eng, seq)
    t = len(seq) * DT
    before = eng.hold_s
    eng.reset(t, "camera cut")
    mid = (REST + PEAK) / 2
    after = [mid] * transition + sig.hold(PEAK, 3.0) + sig.ramp(PEAK, REST, 1.0) + sig.hold(REST, 1.0)
    feed(eng, after, t0=t + DT)
    eng.flush(t + (len(after) + 1) * DT)
    assert eng.count == 1, [r.to_dict() for r in eng.reps]
    rep = eng.reps[0]
    assert len(rep.hold_segments) == 2 and rep.hold_segments[0] == pytest.approx(before)
    assert rep.hold_s == pytest.approx(before + 3.0, abs=0.3)


def test_a_hold_not_seen_again_after_a_cut_ends_there(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise(counting="hold", hold={"seconds": 30.0}))
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, eng.carry_after_s + 1.0)
    feed(eng, seq)
    t = len(seq) * DT
    held = eng.hold_s
    eng.reset(t, "camera cut")
    feed(eng, sig.hold(REST, 1.0) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, 2.0), t0=t + DT)
    eng.flush(t + 5.0)
    assert eng.count == 2 and eng.reps[0].end_s == pytest.approx(t) and eng.reps[0].hold_s == pytest.approx(held)


def test_rep_without_a_hold_held_at_a_cut_counts_at_the_cut(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    seq = sig.hold(REST, 0.5) + sig.ramp(REST, PEAK, 1.0) + sig.hold(PEAK, eng.carry_after_s + 0.5)
    feed(eng, seq)
    t = len(seq) * DT
    assert [e.kind for e in eng.reset(t, "camera cut")] == ["rep"]
    assert eng.count == 1 and eng.phase == Phase.UNKNOWN


def test_relative_peak_limit_is_an_absolute_sanity_limit(make_exercise, sig, feed):
    """rep.peak_limit: relative to the person's rest the excursion is the same, but only the one
    that also passes the absolute limit reaches the peak (the clamshell's bottom knee never does)."""
    ex = make_exercise(rep={"relative": True, "rest": -5, "peak": -15, "hysteresis": 2, "peak_limit": 100})
    short_of_it = ExerciseEngine(ex)
    feed(short_of_it, _tilts(sig, 120.0, -17.0, 2))  # 120 -> 103: 17 below rest, still above 100
    assert short_of_it.count == 0
    past_it = ExerciseEngine(ex)
    feed(past_it, _tilts(sig, 110.0, -17.0, 2))  # 110 -> 93
    assert past_it.count == 2
    with pytest.raises(ValueError, match="peak_limit"):
        make_exercise(rep={"peak_limit": 100})  # only with relative


def test_a_hold_is_timed_while_the_position_is_kept_still(make_exercise, sig, feed):
    """A peak threshold crossed early on a big movement: the seconds still rising to the top (and
    already lowering) are not held; the hold is the time at the top (a hand-timed hold: the plank
    clip's first hold was 6.4 s by the threshold, 5.3 by hand)."""
    ex = make_exercise(rep={"rest": 170, "peak": 160, "hysteresis": 2}, hold={"seconds": 10})
    eng = ExerciseEngine(ex)
    feed(eng, sig.hold(170, 1.0) + sig.ramp(170, 100, 1.0) + sig.hold(100, 3.0) + sig.ramp(100, 170, 1.0)
         + sig.hold(170, 1.0))
    assert eng.count == 1
    assert 2.8 <= eng.reps[0].hold_s <= 3.4, eng.reps[0].hold_s
    # the same movement done slowly, or a slow drift at the top, is still held
    slow = ExerciseEngine(ex)
    feed(slow, sig.hold(170, 1.0) + sig.ramp(170, 150, 1.0) + sig.ramp(150, 140, 3.0) + sig.ramp(140, 170, 1.0)
         + sig.hold(170, 1.0))
    assert slow.reps[0].hold_s > 3.0
