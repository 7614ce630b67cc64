"""How the app words numbers for a patient: plurals, and a dose a hold exercise reads as holds.

"3 sets of 1 reps" reads like a bug; a plank done as three 20-second holds is "3 holds of 20 s".
Pure text helpers, shared by the set-up screen and anything else that states a dose.
"""

from __future__ import annotations

__all__ = ["dose_text", "plural", "rest_text"]


def plural(n: int | float, word: str) -> str:
    """``"1 rep"``, ``"3 reps"`` (``n`` printed as given, ``:g`` for floats)."""
    shown = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{shown} {word}" if n == 1 else f"{shown} {word}s"


def _holds(sets: int, reps: int) -> bool:
    return reps == 1 and sets >= 1


def dose_text(sets: int, reps: int, hold_s: float | None = None, *, hold_exercise: bool = False) -> str:
    """The dose in words: "2 sets of 10 reps, hold 3 s"; for a hold exercise "3 holds of 20 s"
    (one hold per set) or "2 sets of 3 holds of 20 s"."""
    hold = float(hold_s or 0.0)
    if hold_exercise:
        length = f" of {hold:g} s" if hold > 0 else ""
        if _holds(sets, reps):
            return plural(sets, "hold") + length
        return f"{plural(sets, 'set')} of {plural(reps, 'hold')}{length}"
    text = f"{plural(sets, 'set')} of {plural(reps, 'rep')}"
    return text + (f", hold {hold:g} s" if hold > 0 else "")


def rest_text(rest_s: float, sets: int, reps: int, *, hold_exercise: bool = False) -> str:
    """"rest 60 s between sets" ("between holds" when each set is one hold; "" with one set)."""
    if sets <= 1 or rest_s <= 0:
        return ""
    between = "holds" if hold_exercise and _holds(sets, reps) else "sets"
    return f"rest {float(rest_s):g} s between {between}"
