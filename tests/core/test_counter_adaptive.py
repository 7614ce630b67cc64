"""``rep.adapt``: a rep is a full excursion from this person's rest to this person's peak and back.

The made-up exercise of conftest: rest 170, peak 110 (falling), hysteresis 5; with
``adapt`` the default floor (``min_excursion``) is half of |peak - rest| = 30 degrees.

Breaks tried: ``_learn`` returning at once (nothing learned) fails
``test_a_person_with_a_smaller_range_is_counted`` and ``test_thresholds_follow_the_range``;
``_promote`` not counting the near misses fails ``test_a_person_with_a_smaller_range_is_counted``
(count n - 2); the floor check in ``_learn`` removed fails
``test_small_movements_never_teach_the_range``; the ``max(floor, ...)`` clamp of the peak removed
fails ``test_movement_smaller_than_the_floor_never_counts``; the ``min(..., given peak)`` clamp
removed fails ``test_learned_thresholds_are_never_stricter_than_the_given_ones``.
"""

from __future__ import annotations

import pytest

from posecoach.core.engine import ExerciseEngine, Targets

REST, PEAK = 170.0, 110.0


def adaptive(make_exercise, **rep):
    return make_exercise(rep={"adapt": True, **rep})


def reps_to(sig, bottom: float, n: int, rest: float = REST, up_s: float = 1.0) -> list[float]:
    seq = sig.hold(rest, 1.0)
    for _ in range(n):
        seq += sig.cycle(rest, bottom, up_s=up_s, hold_s=0.3, down_s=1.0, rest_s=1.0)
    return seq


@pytest.mark.parametrize("n", [3, 6])
def test_a_person_with_a_smaller_range_is_counted(make_exercise, sig, feed, n):
    """Goes to 130 every time (never the file's 110): not a rep as given, every one once learned."""
    seq = reps_to(sig, 130.0, n)
    plain = ExerciseEngine(make_exercise())
    feed(plain, seq)
    assert plain.count == 0 and len(plain.partials) == n
    eng = ExerciseEngine(adaptive(make_exercise))
    events = feed(eng, seq)
    assert eng.count == n
    assert eng.partials == []
    assert [r.index for r in eng.reps] == list(range(1, n + 1))
    assert [r.start_s for r in eng.reps] == sorted(r.start_s for r in eng.reps)
    # the first two were counted when the second ended (the range was learned then)
    late = [e for ev in events for e in ev if e.kind == "rep" and "learned" in e.detail]
    assert len(late) == 2


def test_thresholds_follow_the_range(make_exercise, sig, feed):
    eng = ExerciseEngine(adaptive(make_exercise))
    feed(eng, reps_to(sig, 130.0, 2))
    # range 40 from a rest level of 170: rest 30 % (12) and peak 70 % (28) of it, but never
    # a peak excursion under the floor (30): the peak is at 140, the rest at 158
    assert eng.peak == pytest.approx(140.0)
    assert eng.rest == pytest.approx(158.0)
    assert eng.h == pytest.approx(4.0)  # 10 % of the range


def test_small_movements_never_teach_the_range(make_exercise, sig, feed):
    eng = ExerciseEngine(adaptive(make_exercise))
    feed(eng, reps_to(sig, 155.0, 5))  # 15 degrees: fidgeting, under the floor
    assert eng.count == 0
    assert (eng.rest, eng.peak) == (REST, PEAK)


def test_movement_smaller_than_the_floor_never_counts(make_exercise, sig, feed):
    """After learning a range of 40, a dip of 29 (just under the 30 floor) is not a rep."""
    eng = ExerciseEngine(adaptive(make_exercise))
    seq = reps_to(sig, 130.0, 2)
    feed(eng, seq)
    assert eng.count == 2
    feed(eng, sig.cycle(REST, REST - 29.0, rest_s=1.0) * 2, t0=len(seq) / sig.fps)
    assert eng.count == 2


def test_too_fast_is_not_a_rep(make_exercise, sig, feed):
    eng = ExerciseEngine(adaptive(make_exercise))
    seq = reps_to(sig, 130.0, 2)
    feed(eng, seq)
    fast = sig.ramp(REST, 130.0, 0.15) + sig.ramp(130.0, REST, 0.15) + sig.hold(REST, 1.0)
    feed(eng, fast, t0=len(seq) / sig.fps)
    assert eng.count == 2


def test_learned_thresholds_are_never_stricter_than_the_given_ones(make_exercise, sig, feed):
    """A person with a large range (to 60) may still do a rep to the given peak (105 < 110)."""
    eng = ExerciseEngine(adaptive(make_exercise))
    seq = reps_to(sig, 60.0, 2)
    feed(eng, seq)
    assert eng.count == 2
    assert eng.peak == pytest.approx(PEAK)
    feed(eng, sig.cycle(REST, 105.0) + sig.hold(REST, 0.5), t0=len(seq) / sig.fps)
    assert eng.count == 3


def test_the_persons_own_rest_level(make_exercise, sig, feed):
    """Rests at 160 (not 170) and goes to 125: learned around 160, reps keep counting."""
    eng = ExerciseEngine(adaptive(make_exercise, rest=158, peak=110))
    seq = reps_to(sig, 125.0, 4, rest=160.0)
    feed(eng, seq)
    assert eng.count == 4
    # range 35 from 160: peak at 70 % (24.5, over the floor of 24 = |110 - 158| / 2), rest at 30 %
    assert eng.peak == pytest.approx(160.0 - 24.5)
    assert eng.rest == pytest.approx(160.0 - 10.5)


def test_targets_seed_the_thresholds(make_exercise, sig, feed):
    """The therapist's reference (Targets) is where the learning starts: a rep to its peak counts at once."""
    eng = ExerciseEngine(adaptive(make_exercise), targets=Targets(rest=170.0, peak=135.0))
    feed(eng, reps_to(sig, 130.0, 1))
    assert eng.count == 1


def test_not_opted_in_nothing_changes(make_exercise, sig, feed):
    eng = ExerciseEngine(make_exercise())
    feed(eng, reps_to(sig, 130.0, 4))
    assert eng.count == 0
    assert (eng.rest, eng.peak) == (REST, PEAK)


def test_min_excursion_is_validated(make_exercise):
    with pytest.raises(ValueError, match="min_excursion"):
        make_exercise(rep={"adapt": True, "min_excursion": 61})
    assert make_exercise(rep={"adapt": True, "min_excursion": 20}).rep.excursion_floor == 20
