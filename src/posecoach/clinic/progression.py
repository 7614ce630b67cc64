"""The progression rule, pure (no database): today's work from the sessions done since the programme.

What grows follows the exercise's kind: a rep exercise gets more reps (``add_reps`` up to
``max_reps``), a hold exercise (``counting: hold``: a plank, a stretch) holds longer (``add_hold_s``
up to ``max_hold_s``) and keeps its number of holds.  Below, "a step" is that increase.

Per programme item, counted over the finished sessions of that exercise since the programme was
set, oldest first:

- a session *counts* when it was finished (not stopped for "error" or "camera_lost") and pain did
  not rise: ``pain_after <= pain_before``; a session whose pain was not asked (either value
  missing), or in which no rep or hold was counted (``reps_done`` 0: started and stopped, nobody
  in view), neither counts nor resets -- unless it was stopped for pain;
- after every ``every_n_sessions`` counting sessions in a row the work goes up one step, never
  above the maximum (an item prescribed above it keeps its own number);
- pain rose (``pain_after > pain_before``) or the session was stopped for pain: *hold back* -- the
  count starts again, so no increase follows it; if pain rose by 2 points or more (or the session
  was stopped for pain), the work also drops one step, never below what the therapist
  prescribed.  With ``hold_back_if_pain_rises`` false, pain is ignored and every finished session
  counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from posecoach.clinic.records import PlannedItem, ProgrammeItem, ProgressionRule

__all__ = ["NOT_COUNTED", "holds_progress", "progress_plan"]

#: sessions ended by a technical problem: skipped entirely
NOT_COUNTED = ("error", "camera_lost")


@dataclass(frozen=True)
class _Measure:
    """What progresses: its prescribed value, one step, the maximum, and how to say an amount."""

    base: float
    step: float
    cap: float
    unit: str  # "" for reps, " s" for a hold

    def say(self, v: float) -> str:
        return f"{v:g}{self.unit}"


@dataclass
class _State:
    """The walk over the sessions: today's value, the count towards the next step, and why."""

    value: float
    streak: int = 0
    why: str = "as prescribed"


def _pain_step(state: _State, row: Mapping[str, Any], m: _Measure) -> None:
    """Pain rose or the session was stopped for pain: restart the count, maybe drop one step."""
    before, after = row.get("pain_before"), row.get("pain_after")
    stopped_for_pain = row.get("stopped") == "pain"
    rose = None if before is None or after is None else after - before
    state.streak = 0
    what = "stopped for pain" if stopped_for_pain else f"pain rose {before}->{after}"
    day = row.get("date", "?")
    if stopped_for_pain or (rose is not None and rose >= 2):
        new = max(m.base, state.value - m.step)
        state.why = (f"dropped one step: {what} on {day}" if new < state.value
                     else f"held back at the prescribed number: {what} on {day}")
        state.value = new
    else:
        state.why = f"held back: {what} on {day}"


def _good_step(state: _State, m: _Measure, n: int) -> None:
    """A session that counts: every ``n`` of them add one step (up to the cap)."""
    state.streak += 1
    if state.streak < n:
        return
    state.streak = 0
    if state.value < m.cap and m.step:
        state.value = min(m.cap, state.value + m.step)
        hold = " hold" if m.unit else ""
        state.why = f"+{m.say(m.step)}{hold} after {n} sessions without more pain (up to {m.say(m.cap)})"
    elif state.value >= m.cap:
        state.why = f"at the maximum of {m.say(m.cap)}" + (" hold" if m.unit else " reps")


def _pain_rose(row: Mapping[str, Any]) -> bool | None:
    """True (rose or stopped for pain), False (did not), None (not asked)."""
    if row.get("stopped") == "pain":
        return True
    before, after = row.get("pain_before"), row.get("pain_after")
    if before is None or after is None:
        return None
    return bool(after - before > 0)


def holds_progress(exercise_id: str) -> bool:
    """Whether the exercise progresses its hold time (``counting: hold``) rather than its reps; an
    exercise the library does not know progresses its reps."""
    try:
        from posecoach.core.exercise import find_exercise

        return find_exercise(exercise_id).counting == "hold"
    except Exception:  # an unknown or broken exercise file: reps, as before
        return False


def progress_plan(item: ProgrammeItem | Mapping[str, Any], history_rows: Sequence[Mapping[str, Any]],
                  rule: ProgressionRule | Mapping[str, Any] | None = None, *,
                  holds: bool | None = None) -> PlannedItem:
    """``item`` with its work after the progression rule (module docstring): more ``reps``, or for a
    hold exercise a longer ``hold_s`` (``holds``: None looks the exercise's kind up in the library).

    ``history_rows``: that exercise's sessions since the programme was set, oldest first, as
    ``Clinic.progress`` rows (``pain_before``, ``pain_after``, ``stopped``, ``date`` are used; rows
    of other exercises are skipped).  ``InvalidValue`` for a bad rule or item."""
    r = ProgressionRule.of(rule)
    it = ProgrammeItem.of(item)
    if holds is None:
        holds = holds_progress(it.exercise_id)
    hold_progresses = bool(holds and it.hold_s)  # a hold exercise with no hold time set: nothing to grow
    if hold_progresses:
        m = _Measure(float(it.hold_s or 0.0), r.add_hold_s, max(r.max_hold_s, float(it.hold_s or 0.0)), " s")
    else:
        m = _Measure(float(it.reps), float(r.add_reps), float(r.max_reps), "")
    state = _State(value=m.base)
    for row in history_rows:
        if row.get("exercise_id") not in (None, it.exercise_id):
            continue
        stopped = row.get("stopped")
        if stopped is None or stopped in NOT_COUNTED:
            continue
        if row.get("reps_done") == 0 and stopped != "pain":
            continue  # nothing was done: no step towards more work
        rose = _pain_rose(row)
        if r.hold_back_if_pain_rises and rose:
            _pain_step(state, row, m)
        elif r.hold_back_if_pain_rises and rose is None:
            continue  # pain not asked: neither counts nor resets
        else:
            _good_step(state, m, r.every_n_sessions)
    at_top = state.value >= m.cap or not m.step
    return PlannedItem(
        exercise_id=it.exercise_id, sets=it.sets,
        reps=it.reps if hold_progresses else int(state.value),
        hold_s=round(state.value, 1) if hold_progresses else it.hold_s,
        base_reps=it.reps, base_hold_s=it.hold_s,
        sessions_counted=state.streak,
        sessions_to_next=None if at_top else r.every_n_sessions - state.streak,
        progression=state.why,
    )
