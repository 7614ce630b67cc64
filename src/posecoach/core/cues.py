"""Cue policy: which short spoken cue, if any, to give now (pure).

Rules, in this order:

- at most one cue at a time: a cue occupies the voice for about as long as it
  takes to say (``seconds_per_word``), and nothing else starts meanwhile;
- priority: safety > setup > form > hold > count > praise, then the form
  rule's own ``priority`` (1 = most important);
- a cooldown per cue key (the fault id), so a patient is not nagged with the
  same correction every rep;
- praise after a good rep (no faults), at most every ``praise_every_s``;
- a candidate that cannot be said within ``max_wait_s`` is dropped: a cue
  about a rep that is long over only confuses.

Output is a stream of timed ``Cue`` events; speaking them belongs to the app.
"""

from __future__ import annotations

from dataclasses import dataclass

from posecoach.core.engine import EngineEvent

__all__ = ["Cue", "CuePolicy", "KIND_RANK"]

KIND_RANK = {"safety": 0, "setup": 1, "form": 2, "hold": 3, "count": 4, "praise": 5}


@dataclass(frozen=True)
class Cue:
    t: float
    text: str
    kind: str
    key: str
    priority: int = 5

    @property
    def rank(self) -> tuple[int, int]:
        return KIND_RANK.get(self.kind, 9), self.priority

    def to_dict(self) -> dict:
        return {"t": round(self.t, 3), "text": self.text, "kind": self.kind, "key": self.key}


class CuePolicy:
    def __init__(
        self,
        *,
        cooldown_s: float = 8.0,
        praise_every_s: float = 12.0,
        praise: tuple[str, ...] = ("Good rep",),
        count_aloud: bool = False,
        seconds_per_word: float = 0.35,
        max_wait_s: float = 2.0,
    ) -> None:
        self.cooldown_s = cooldown_s
        self.praise_every_s = praise_every_s
        self.praise = tuple(praise) or ("Good rep",)
        self.count_aloud = count_aloud
        self.seconds_per_word = seconds_per_word
        self.max_wait_s = max_wait_s
        self._busy_until = -1e9
        self._last_said: dict[str, float] = {}
        self._pending: list[Cue] = []
        self._praise_i = 0
        self.said: list[Cue] = []

    def duration(self, text: str) -> float:
        return 0.4 + self.seconds_per_word * max(1, len(text.split()))

    def candidates(self, events: list[EngineEvent], reps_done: int) -> list[Cue]:
        out: list[Cue] = []
        for ev in events:
            if ev.kind == "fault" and ev.rule is not None:
                kind = "safety" if ev.rule.safety else "form"
                out.append(Cue(ev.t, ev.rule.cue, kind, ev.rule.id, ev.rule.priority))
            elif ev.kind == "partial" and ev.detail:
                out.append(Cue(ev.t, ev.detail, "form", "partial", 4))
            elif ev.kind == "hold_done" and ev.detail:
                out.append(Cue(ev.t, ev.detail, "hold", "hold_done", 5))
            elif ev.kind == "rep" and ev.rep is not None:
                if self.count_aloud:
                    out.append(Cue(ev.t, str(reps_done), "count", "count", 5))
                if not ev.rep.faults:
                    text = self.praise[self._praise_i % len(self.praise)]
                    out.append(Cue(ev.t, text, "praise", "praise", 9))
        return out

    def offer(self, t: float, new: list[Cue]) -> Cue | None:
        """Add candidates at time ``t``; return the cue to say now, if any."""
        self._pending = [c for c in self._pending + new if t - c.t <= self.max_wait_s]
        if t < self._busy_until or not self._pending:
            return None
        self._pending.sort(key=lambda c: c.rank)
        for i, cue in enumerate(self._pending):
            cool = self.praise_every_s if cue.kind == "praise" else self.cooldown_s
            if cue.kind == "count":
                cool = 0.0
            last = self._last_said.get(cue.key)
            if last is not None and t - last < cool:
                continue
            del self._pending[i]
            said = Cue(t, cue.text, cue.kind, cue.key, cue.priority)
            self._busy_until = t + self.duration(cue.text)
            self._last_said[cue.key] = t
            if cue.kind == "praise":
                self._praise_i += 1
            self.said.append(said)
            # Lower-priority leftovers of the same moment are now stale.
            self._pending = [c for c in self._pending if c.rank < said.rank]
            return said
        return None
