"""At start: sessions the app never finished (it was killed or crashed), offered to be closed.

Qt-free: ``find_offer(history)`` decides whether there is anything to offer and words it; the window
only shows ``RecoveryOffer.text`` and calls ``accept`` when the patient says yes.  Closing keeps
every rep recorded before the app stopped (``posecoach.clinic.recovery``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from posecoach.clinic.recovery import Unfinished, close_unfinished, unfinished

__all__ = ["RecoveryOffer", "find_offer"]


def _exercise_name(exercise_id: str) -> str:
    try:
        from posecoach.core.exercise import find_exercise

        return find_exercise(exercise_id).name.lower()
    except Exception:
        return exercise_id.replace("_", " ")


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%d %b %Y %H:%M")
    except (TypeError, ValueError):
        return str(iso)


def _reps(n: int) -> str:
    return f"{n} rep" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class RecoveryOffer:
    """The unfinished sessions, and what to ask about them."""

    sessions: tuple[Unfinished, ...]

    @property
    def reps(self) -> int:
        return sum(s.reps for s in self.sessions)

    @property
    def text(self) -> str:
        if len(self.sessions) == 1:
            s = self.sessions[0]
            return (f"The app stopped during your {_exercise_name(s.exercise_id)} session of {_when(s.started_at)}, "
                    f"with {_reps(s.reps)} recorded. Close that session and keep its reps?")
        return (f"The app stopped during {len(self.sessions)} sessions, with {_reps(self.reps)} recorded in all. "
                "Close them and keep their reps?")

    def accept(self, history: Any) -> str:
        """Close every session of the offer; the message for the patient (one line)."""
        closed, kept = 0, 0
        for s in self.sessions:
            try:
                kept += int(close_unfinished(history, s.id)["reps"])
                closed += 1
            except Exception as exc:
                return (f"The unfinished session of {_when(s.started_at)} could not be closed ({exc}); "
                        "its reps are still in the history, and you will be asked again next time.")
        what = "session is" if closed == 1 else f"{closed} sessions are"
        return f"The unfinished {what} closed: {_reps(kept)} kept in the history."


def find_offer(history: Any) -> RecoveryOffer | None:
    """The offer for ``history``'s unfinished sessions; None when there are none (or it is not a real
    history: a fake, or one that could not be opened)."""
    if getattr(history, "store", None) is None:
        return None
    try:
        found = unfinished(history)
    except Exception:
        return None
    return RecoveryOffer(tuple(found)) if found else None
