"""Cue policy: the one place that decides which short spoken cue, if any, to give now (pure).

Everything the coach says is decided here, on the frames' own timestamps: form and
safety corrections, hold and partial-rep cues, counting aloud and praise (from the
engine's events, offered by ``Session.process``), and, in the app, set-up guidance
("Step into the camera's view") and the set milestones ("Set done. Rest for 60
seconds"), offered by the coaching run after each frame (``offer_frame``).  The
speaker only plays what it is handed.

Rules, in this order:

- at most one cue at a time: a cue occupies the voice for about as long as it
  takes to say (``seconds_per_word``), and nothing else starts meanwhile;
- priority: safety > setup > count > set > form > note = hold > praise, then the form
  rule's own ``priority`` (1 = most important);
- a cooldown per cue key (the fault id), so a patient is not nagged with the
  same correction every rep; counts and set milestones have none (each is news);
- praise after a good rep (no faults), at most every ``praise_every_s``;
- set-up guidance is proposed when it changes, and again every ``setup_every_s``
  while it stays the same;
- once a cue is said, the lower-priority candidates still waiting are dropped
  (stale news), except counts and set milestones: every number is said;
- a candidate that cannot be said within ``max_wait_s`` is dropped: a cue
  about a rep that is long over only confuses.  Counts and set milestones are the
  exception: each number and each "Set done" is said, in order, as soon as the voice
  is free (they outrank corrections, so they wait only for what is being said); so is a
  view note ("From the side I cannot check ..."), said once, after the cues of its moment.

Output is a stream of timed ``Cue`` events (``said``); speaking them belongs to the app.
The batch (``posecoach analyze``) never calls ``offer_frame`` and keeps ``count_aloud``
off, so its ``cues`` are the engine's cues only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from posecoach.core.engine import EngineEvent
from posecoach.core.sets import SetMilestone

__all__ = ["KIND_RANK", "Cue", "CueKind", "CuePolicy", "short_hold_text"]


class CueKind(StrEnum):
    """What a cue is about; the string is what JSON and the history store."""

    SAFETY = "safety"
    SETUP = "setup"
    SET = "set"
    FORM = "form"
    NOTE = "note"  # what the camera's view cannot judge, said once
    HOLD = "hold"
    COUNT = "count"
    PRAISE = "praise"


#: lower is more important.  A count (short, and meaningless when late) goes before the set
#: milestone it completes and before the correction of the same rep.
KIND_RANK: dict[str, int] = {
    CueKind.SAFETY: 0, CueKind.SETUP: 1, CueKind.COUNT: 2, CueKind.SET: 3, CueKind.FORM: 4,
    CueKind.NOTE: 5, CueKind.HOLD: 5, CueKind.PRAISE: 6,
}

#: kinds that are news of their own: never stale, never dropped as (nor dropping) leftovers.  A
#: view note is said once per view, usually with the first rep's own cues: dropped as stale behind
#: that rep's correction, it would never be said (nor shown) at all
_OWN_NEWS = (CueKind.COUNT, CueKind.SET, CueKind.NOTE)


@dataclass(frozen=True)
class Cue:
    """One thing to say at session time ``t``; ``key`` groups repeats (the fault id, "count", ...)."""

    t: float
    text: str
    kind: CueKind
    key: str
    priority: int = 5

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", CueKind(self.kind))  # a plain string is welcome too

    @property
    def rank(self) -> tuple[int, int]:
        return KIND_RANK[self.kind], self.priority

    def to_dict(self) -> dict[str, object]:
        return {"t": round(self.t, 3), "text": self.text, "kind": self.kind.value, "key": self.key}


def short_hold_text(hold_s: float, target_s: float) -> str:
    """What is said (and shown) after a hold that ended short of its target."""
    return f"That hold was {hold_s:.0f} of {target_s:g} seconds: hold on longer next time to count it"


class CuePolicy:
    """Decides what is said, one cue at a time; see the module docstring."""

    def __init__(
        self,
        *,
        cooldown_s: float = 8.0,
        praise_every_s: float = 12.0,
        praise: tuple[str, ...] = ("Good rep",),
        count_aloud: bool = False,
        seconds_per_word: float = 0.35,
        max_wait_s: float = 2.0,
        setup_every_s: float = 8.0,
        said_keep: int | None = None,
    ) -> None:
        """``said_keep``: keep only about the last that many cues in ``said`` (a live session of
        any length); None keeps them all."""
        self.said_keep = said_keep
        self.cooldown_s = cooldown_s
        self.praise_every_s = praise_every_s
        self.praise = tuple(praise) or ("Good rep",)
        self.count_aloud = count_aloud
        self.seconds_per_word = seconds_per_word
        self.max_wait_s = max_wait_s
        self.setup_every_s = setup_every_s
        self._busy_until = -1e9
        self._last_said: dict[str, float] = {}
        self._pending: list[Cue] = []
        self._praise_i = 0
        self._guidance: tuple[str, float] | None = None  # the set-up text last proposed, and when
        self.said: list[Cue] = []

    def duration(self, text: str) -> float:
        """About how long saying ``text`` takes (s): the voice is busy that long."""
        return 0.4 + self.seconds_per_word * max(1, len(text.split()))

    # -- candidates ------------------------------------------------------------------
    def candidates(self, events: list[EngineEvent], reps_done: int) -> list[Cue]:
        """What the engine's events of one frame could say (``reps_done``: the count after them)."""
        out: list[Cue] = []
        for ev in events:
            if ev.kind == "fault" and ev.rule is not None:
                kind = CueKind.SAFETY if ev.rule.safety else CueKind.FORM
                out.append(Cue(ev.t, ev.rule.cue, kind, ev.rule.id, ev.rule.priority))
            elif ev.kind == "view_note" and ev.detail:
                out.append(Cue(ev.t, ev.detail, CueKind.NOTE, "view_note", 6))
            elif ev.kind == "partial" and ev.detail:
                out.append(Cue(ev.t, ev.detail, CueKind.FORM, "partial", 4))
            elif ev.kind == "hold_done" and ev.detail:
                out.append(Cue(ev.t, ev.detail, CueKind.HOLD, "hold_done", 5))
            elif ev.kind == "rep" and ev.rep is not None and ev.rep.short:
                # Short of its hold target: not a done rep, so neither counted aloud nor praised.
                out.append(Cue(ev.t, short_hold_text(ev.rep.hold_s, ev.rep.hold_target_s), CueKind.HOLD,
                               "hold_short", 5))
            elif ev.kind == "rep" and ev.rep is not None:
                if self.count_aloud:
                    out.append(Cue(ev.t, str(reps_done), CueKind.COUNT, "count", 5))
                if not ev.rep.faults:
                    text = self.praise[self._praise_i % len(self.praise)]
                    out.append(Cue(ev.t, text, CueKind.PRAISE, "praise", 9))
        return out

    def setup_candidates(self, t: float, guidance: str) -> list[Cue]:
        """Set-up guidance of this frame ("" when the view is good): proposed when it changes
        and every ``setup_every_s`` while it stays."""
        if not guidance:
            self._guidance = None
            return []
        last = self._guidance
        if last is not None and last[0] == guidance and t - last[1] < self.setup_every_s:
            return []
        self._guidance = (guidance, t)
        return [Cue(t, guidance, CueKind.SETUP, "setup:" + guidance, 1)]

    @staticmethod
    def set_candidates(t: float, milestone: str, rest_s: float) -> list[Cue]:
        """The spoken end of a set (with the rest to take) or of the whole plan."""
        if milestone == SetMilestone.SET_DONE:
            return [Cue(t, f"Set done. Rest for {rest_s:.0f} seconds", CueKind.SET, "set_done", 1)]
        if milestone == SetMilestone.ALL_DONE:
            return [Cue(t, "All sets done. Well done!", CueKind.SET, "all_done", 1)]
        return []

    # -- deciding -----------------------------------------------------------------------
    def offer_frame(self, t: float, *, guidance: str = "", milestone: str = "", rest_s: float = 0.0) -> Cue | None:
        """The app's second offer of a frame, after ``Session.process``: set-up guidance and set
        milestones.  If the session's offer just said something the voice is busy, so these wait
        (and a count or praise said first is followed by "Set done", never cut by it)."""
        return self.offer(t, self.setup_candidates(t, guidance) + self.set_candidates(t, milestone, rest_s))

    def _cooldown(self, cue: Cue) -> float:
        if cue.kind in (CueKind.COUNT, CueKind.SET):
            return 0.0
        return self.praise_every_s if cue.kind == CueKind.PRAISE else self.cooldown_s

    def offer(self, t: float, new: list[Cue]) -> Cue | None:
        """Add candidates at time ``t``; return the cue to say now, if any."""
        self._pending = [c for c in self._pending + new if t - c.t <= self.max_wait_s or c.kind in _OWN_NEWS]
        if t < self._busy_until or not self._pending:
            return None
        self._pending.sort(key=lambda c: c.rank)
        for i, cue in enumerate(self._pending):
            last = self._last_said.get(cue.key)
            if last is not None and t - last < self._cooldown(cue):
                continue
            del self._pending[i]
            return self._say(t, cue)
        return None

    def _say(self, t: float, cue: Cue) -> Cue:
        said = Cue(t, cue.text, cue.kind, cue.key, cue.priority)
        self._busy_until = t + self.duration(cue.text)
        self._last_said[cue.key] = t
        if cue.kind == CueKind.PRAISE:
            self._praise_i += 1
        self.said.append(said)
        if self.said_keep is not None and len(self.said) > 2 * self.said_keep:
            del self.said[: len(self.said) - self.said_keep]
        # Lower-priority leftovers of the same moment are now stale (a correction said, the praise
        # of that rep is moot); counts and set milestones are news of their own either way.
        if said.kind not in _OWN_NEWS:
            self._pending = [c for c in self._pending if c.rank < said.rank or c.kind in _OWN_NEWS]
        return said
