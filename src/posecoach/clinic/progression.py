"""The progression rule, pure (no database): today's reps from the sessions done since the programme.

Per programme item, counted over the finished sessions of that exercise since the programme was
set, oldest first:

- a session *counts* when it was finished (not stopped for "error" or "camera_lost") and pain did
  not rise: ``pain_after <= pain_before``; a session whose pain was not asked (either value
  missing) neither counts nor resets;
- after every ``every_n_sessions`` counting sessions in a row the reps go up by ``add_reps``,
  never above ``max_reps`` (an item prescribed above ``max_reps`` keeps its own number);
- pain rose (``pain_after > pain_before``) or the session was stopped for pain: *hold back* -- the
  count starts again, so no increase follows it; if pain rose by 2 points or more (or the session
  was stopped for pain), the reps also drop one step (``add_reps``), never below what the therapist
  prescribed.  With ``hold_back_if_pain_rises`` false, pain is ignored and every finished session
  counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from posecoach.clinic.records import PlannedItem, ProgrammeItem, ProgressionRule

__all__ = ["NOT_COUNTED", "progress_plan"]

#: sessions ended by a technical problem: skipped entirely
NOT_COUNTED = ("error", "camera_lost")


@dataclass
class _State:
    """The walk over the sessions: today's reps, the count towards the next step, and why."""

    reps: int
    streak: int = 0
    why: str = "as prescribed"


def _pain_step(state: _State, row: Mapping[str, Any], base: int, step: int) -> None:
    """Pain rose or the session was stopped for pain: restart the count, maybe drop one step."""
    before, after = row.get("pain_before"), row.get("pain_after")
    stopped_for_pain = row.get("stopped") == "pain"
    rose = None if before is None or after is None else after - before
    state.streak = 0
    what = "stopped for pain" if stopped_for_pain else f"pain rose {before}->{after}"
    day = row.get("date", "?")
    if stopped_for_pain or (rose is not None and rose >= 2):
        new = max(base, state.reps - step)
        state.why = (f"dropped one step: {what} on {day}" if new < state.reps
                     else f"held back at the prescribed number: {what} on {day}")
        state.reps = new
    else:
        state.why = f"held back: {what} on {day}"


def _good_step(state: _State, rule: ProgressionRule) -> None:
    """A session that counts: every ``every_n_sessions`` of them add ``add_reps`` (up to the cap)."""
    state.streak += 1
    if state.streak < rule.every_n_sessions:
        return
    state.streak = 0
    step, n, cap = rule.add_reps, rule.every_n_sessions, rule.max_reps
    if state.reps < cap and step:
        state.reps = min(cap, state.reps + step)
        state.why = f"+{step} after {n} sessions without more pain (up to {cap})"
    elif state.reps >= cap:
        state.why = f"at the maximum of {cap} reps"


def _pain_rose(row: Mapping[str, Any]) -> bool | None:
    """True (rose or stopped for pain), False (did not), None (not asked)."""
    if row.get("stopped") == "pain":
        return True
    before, after = row.get("pain_before"), row.get("pain_after")
    if before is None or after is None:
        return None
    return bool(after - before > 0)


def progress_plan(item: ProgrammeItem | Mapping[str, Any], history_rows: Sequence[Mapping[str, Any]],
                  rule: ProgressionRule | Mapping[str, Any] | None = None) -> PlannedItem:
    """``item`` with ``reps`` after the progression rule (module docstring).

    ``history_rows``: that exercise's sessions since the programme was set, oldest first, as
    ``Clinic.progress`` rows (``pain_before``, ``pain_after``, ``stopped``, ``date`` are used; rows
    of other exercises are skipped).  ``InvalidValue`` for a bad rule or item."""
    r = ProgressionRule.of(rule)
    it = ProgrammeItem.of(item)
    base = it.reps
    state = _State(reps=base)
    for row in history_rows:
        if row.get("exercise_id") not in (None, it.exercise_id):
            continue
        stopped = row.get("stopped")
        if stopped is None or stopped in NOT_COUNTED:
            continue
        rose = _pain_rose(row)
        if r.hold_back_if_pain_rises and rose:
            _pain_step(state, row, base, r.add_reps)
        elif r.hold_back_if_pain_rises and rose is None:
            continue  # pain not asked: neither counts nor resets
        else:
            _good_step(state, r)
    reps = state.reps
    return PlannedItem(
        exercise_id=it.exercise_id, sets=it.sets, reps=reps, hold_s=it.hold_s, base_reps=base,
        sessions_counted=state.streak,
        sessions_to_next=None if reps >= r.max_reps or not r.add_reps else r.every_n_sessions - state.streak,
        progression=state.why,
    )
