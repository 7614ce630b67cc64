"""How the app words things for a patient: plurals, a dose, and the faults of a session.

"3 sets of 1 reps" reads like a bug; a plank done as three 20-second holds is "3 holds of 20 s".
A fault is told as what happened and what to change ("Your knees came closer together than your
ankles at the bottom of 2 reps. Push your knees out over your toes."), never by its id; the
attempts that did not count say why ("2 attempts did not count: not deep enough / too fast").
Pure text helpers, shared by the set-up screen, the summary and anything else that states them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from posecoach.core.exercise import Exercise

__all__ = ["attempts_line", "dose_text", "fault_lines", "fault_name", "plural", "rest_text"]


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


# What the patient did, for each fault id the exercise files use: (words, True when they end
# with where in the rep it was seen: "... at the bottom" takes "of 2 reps", the others "in 2 reps").
# An exercise may word a fault its own way (_SEEN_IN); a fault not listed is told by its label.
_SEEN: dict[str, tuple[str, bool]] = {
    "knees_cave": ("Your knees came closer together than your ankles", False),
    "trunk_forward": ("Your chest leaned further forward than it should", False),
    "weight_shift": ("You leaned to one side", False),
    "shallow": ("You did not go as deep as in your usual reps", False),
    "too_fast": ("You moved faster than a steady, controlled pace", False),
    "sit_fast": ("You sat down quickly", False),
    "hands_push": ("You pushed up with your hands", False),
    "hips_sag": ("Your hips sagged below the line from your shoulders to your ankles", False),
    "hips_piked": ("Your hips rose above the line from your shoulders to your ankles", False),
    "hips_drop": ("Your hips dropped towards the floor", False),
    "hips_low": ("Your hips stayed lower than a straight line from your shoulders to your knees", False),
    "over_arch": ("Your lower back arched past a straight line", False),
    "back_arch": ("Your lower back arched", False),
    "hips_rotating": ("Your hips tipped to one side", False),
    "trunk_rotating": ("Your trunk turned with the leg", False),
    "hips_open": ("Your hips turned open", False),
    "hips_lifting": ("Your hips lifted", False),
    "shoulders_lifting": ("Your shoulders lifted", False),
    "head_lifting": ("Your head lifted", False),
    "neck_pull": ("You pulled on your neck", False),
    "neck_cranked": ("Your head tipped back", False),
    "leg_too_high": ("Your leg went higher than your hips", False),
    "leg_too_low": ("Your leg went lower than your back could stay flat", False),
    "other_leg_drifting": ("Your other knee drifted away from above your hip", False),
    "knee_bent": ("Your knee bent", False),
    "standing_knee_bent": ("Your standing knee bent", False),
    "low_lift": ("Your leg did not lift as high as in your usual reps", False),
    "too_high": ("You went further than needed", False),
    "hold_short": ("The hold was shorter than planned", False),
}
_SEEN_IN: dict[tuple[str, str], tuple[str, bool]] = {
    ("squat", "knees_cave"): ("Your knees came closer together than your ankles at the bottom", True),
    ("squat", "trunk_forward"): ("Your chest leaned further forward than your shins at the bottom", True),
    ("squat", "shallow"): ("You did not go as deep as in your usual squats", False),
    ("lunge", "shallow"): ("You did not go as deep as in your usual lunges", False),
    ("sit_to_stand", "trunk_forward"): ("You leaned forward more than needed to stand up", False),
}
# Why an attempt did not count, in the patient's words (the engine's ``why_not_counted``).
_WHY = {"too fast to count": "too fast"}
_NOT_FAR = {"squat": "not deep enough", "lunge": "not deep enough", "sit_to_stand": "did not stand up fully"}


def fault_name(rule_id: str, exercise: Exercise | None = None) -> str:
    """A fault in a few words, for a table cell: the rule's label, else its id in words."""
    from posecoach.core.explain import rule_label

    return rule_label(rule_id, exercise)


def _seen(rule_id: str, exercise: Exercise | None) -> tuple[str, bool]:
    ex_id = exercise.id if exercise is not None else ""
    if (ex_id, rule_id) in _SEEN_IN:
        return _SEEN_IN[(ex_id, rule_id)]
    if rule_id in _SEEN:
        return _SEEN[rule_id]
    name = fault_name(rule_id, exercise)
    return name[:1].upper() + name[1:], False


def _where(reps: int, attempts: int, times: int) -> str:
    """"2 reps", "1 rep and 1 attempt that did not count", "3 times" (raised outside any rep)."""
    parts = []
    if reps:
        parts.append(plural(reps, "rep"))
    if attempts:
        parts.append(plural(attempts, "attempt") + " that did not count")
    return " and ".join(parts) if parts else plural(times, "time")


def fault_lines(summary: Mapping, exercise: Exercise | None = None, cues: Mapping[str, str] | None = None) -> list[str]:
    """One line per fault of the session, most frequent first: what happened, in how many reps
    (and attempts that did not count), and what to change (the rule's cue):
    ``Your knees came closer together than your ankles at the bottom of 2 reps. Push your knees
    out over your toes.``"""
    reps: Counter[str] = Counter()
    tries: Counter[str] = Counter()
    for d in summary.get("rep_details") or []:
        reps.update(dict.fromkeys(d.get("faults") or [], 1))
    for d in summary.get("partial_reps") or []:
        tries.update(dict.fromkeys(d.get("faults") or [], 1))
    totals: Counter[str] = Counter({str(k): int(v) for k, v in (summary.get("faults") or {}).items()})
    ids = sorted(set(reps) | set(tries) | set(totals), key=lambda k: (-(reps[k] + tries[k] or totals[k]), k))
    rules = {r.id: r.cue for r in exercise.form_rules} if exercise is not None else {}
    tips = {**rules, **(cues or {})}
    out = []
    for rid in ids:
        seen, at = _seen(rid, exercise)
        line = f"{seen} {'of' if at else 'in'} {_where(reps[rid], tries[rid], totals[rid])}"
        if not reps[rid] and not tries[rid]:
            line = f"{seen} ({_where(0, 0, totals[rid])})"
        tip = tips.get(rid, "")
        out.append(f"{line}. {tip.rstrip('.')}." if tip else f"{line}.")
    return out


def attempts_line(summary: Mapping, exercise: Exercise | None = None) -> str:
    """The attempts that did not count and why: ``2 attempts did not count: not deep enough /
    too fast`` ("" when every attempt counted)."""
    tried = summary.get("partial_reps") or []
    if not tried:
        return ""
    far = _NOT_FAR.get(exercise.id if exercise is not None else "", "not far enough")
    why = Counter(_WHY.get(str(d.get("why_not_counted") or ""), far) for d in tried)
    return f"{plural(len(tried), 'attempt')} did not count: {' / '.join(w for w, _ in why.most_common())}"
