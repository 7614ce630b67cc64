"""Sets: the plan (how many sets of how many reps, the rest between) and the tracker that
splits a session's running rep count into those sets (pure; the clock is the caller's).

It lives in ``core`` because two things follow the same plan: the coaching run (what the
screen shows, which set a stored rep belongs to) and the cue policy (the spoken "Set done").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from posecoach.core.exercise.schema import Exercise

__all__ = ["SetMilestone", "SetPlan", "SetTracker"]


class SetMilestone(StrEnum):
    """What a rep just completed: nothing, a set, or the whole plan."""

    NONE = ""
    SET_DONE = "set_done"
    ALL_DONE = "all_done"


@dataclass(frozen=True)
class SetPlan:
    """How many sets of how many reps, and the rest between sets."""

    sets: int = 1
    reps: int = 5
    rest_s: float = 60.0

    @classmethod
    def of(cls, exercise: Exercise, sets: int | None = None, reps: int | None = None) -> SetPlan:
        """The exercise's own dosage, with the sets and reps chosen for today when given."""
        d = exercise.dosage
        return cls(sets=max(1, sets or d.sets), reps=max(1, reps or d.reps), rest_s=float(d.rest_s))

    @property
    def total(self) -> int:
        return self.sets * self.reps


@dataclass
class SetTracker:
    """Splits the session's running rep count into sets (the Session itself keeps counting).

    ``update(total_reps, now)`` returns what just happened: ``"set_done"``,
    ``"all_done"`` or ``""`` (a ``SetMilestone``).  Reps beyond the plan go into the
    last set.  ``now`` is any clock in seconds (the app passes ``time.monotonic()``).
    """

    plan: SetPlan
    reps: int = 0
    rest_until: float | None = None
    done: bool = False
    per_set: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.per_set:
            self.per_set = [0] * self.plan.sets

    def set_of_rep(self, rep_number: int) -> int:
        """1-based set index of the ``rep_number``-th rep (1-based)."""
        return min(self.plan.sets, (max(rep_number, 1) - 1) // self.plan.reps + 1)

    @property
    def current_set(self) -> int:
        """The set being worked on (the next one while resting)."""
        return self.set_of_rep(self.reps + 1)

    @property
    def reps_in_set(self) -> int:
        return self.per_set[self.current_set - 1] if not self.done else self.per_set[-1]

    def update(self, total_reps: int, now: float) -> SetMilestone:
        """Take the session's running count; say whether a set (or the plan) was just completed."""
        what = SetMilestone.NONE
        while self.reps < total_reps:
            self.reps += 1
            s = self.set_of_rep(self.reps)
            self.per_set[s - 1] += 1
            if self.reps == self.plan.total:
                self.done = True
                self.rest_until = None
                what = SetMilestone.ALL_DONE
            elif self.reps % self.plan.reps == 0 and self.reps < self.plan.total:
                self.rest_until = now + self.plan.rest_s
                what = what or SetMilestone.SET_DONE
            elif self.rest_until is not None and self.reps % self.plan.reps != 0:
                # moving again during the rest: the rest is over
                self.rest_until = None
        return what

    def rest_left(self, now: float) -> float | None:
        """Seconds of rest left, or None when not resting."""
        if self.rest_until is None:
            return None
        left = self.rest_until - now
        if left <= 0:
            self.rest_until = None
            return None
        return left

    def set_line(self) -> str:
        if self.done:
            return f"Set {self.plan.sets} of {self.plan.sets}: done"
        return f"Set {self.current_set} of {self.plan.sets}"

    def rep_line(self) -> str:
        if self.done:
            return f"{self.per_set[-1]} / {self.plan.reps}"
        return f"{self.per_set[self.current_set - 1]} / {self.plan.reps}"

    def progress_line(self, unit: str = "rep") -> str:
        """"Session: 3 of 16 reps, 1 of 2 sets done" (``unit`` "hold" for a hold exercise)."""
        sets_done = sum(1 for n in self.per_set if n >= self.plan.reps)
        total = self.plan.total
        return (f"Session: {self.reps} of {total} {unit}{'' if total == 1 else 's'}, "
                f"{sets_done} of {self.plan.sets} set{'' if self.plan.sets == 1 else 's'} done")
