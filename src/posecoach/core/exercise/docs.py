"""The exercise docs page, generated from the exercise files (never written twice)."""

from __future__ import annotations

from posecoach.core.exercise.schema import Exercise

__all__ = ["exercises_markdown"]


def _num(v: float) -> str:
    return f"{v:g}"


def _rule_condition(ex: Exercise, r) -> str:
    what = f"{r.stat} of `{r.angle}` during the {r.phase} phase" if r.angle else f"rep `{r.metric}`"
    if r.angle and r.phase == "always":
        what = f"`{r.angle}` for at least {_num(r.persist_s)} s during a rep"
    parts = []
    if r.below is not None:
        parts.append(f"below {_num(r.below)}")
    if r.above is not None:
        parts.append(f"above {_num(r.above)}")
    own_word = "its value at rest before the rep" if r.own == "rest" else "the patient's reference"
    own = []
    if r.below_own is not None:
        own.append(f"more than {_num(r.below_own)} below {own_word}")
    if r.above_own is not None:
        own.append(f"more than {_num(r.above_own)} above {own_word}")
    text = f"{what} {' or '.join(parts)}" if parts else what
    if own and r.own == "rest":
        text += (" and " if parts else " ") + " or ".join(own)
    elif own:
        fallback = "" if parts else " (without one: the patient's own earlier reps of the session)"
        text += f"; with a reference, {' or '.join(own)}{fallback}"
    if r.views:
        text += f"; judged only from the {' or '.join(r.views)}"
    return text


def exercises_markdown(exercises: list[Exercise]) -> str:
    out = [
        "# Exercises",
        "",
        "Generated from the files in `exercises/` by `posecoach exercises docs`; edit the files, not this page.",
        "",
        "| id | name | category | camera view | default dosage |",
        "|---|---|---|---|---|",
    ]
    for ex in exercises:
        d = ex.dosage
        hold = f", hold {_num(d.hold_s)} s" if d.hold_s else ""
        out.append(f"| [`{ex.id}`](#{ex.id}) | {ex.name} | {ex.category} | {ex.view} | {d.sets} x {d.reps}{hold} |")
    for ex in exercises:
        rep = ex.rep
        f = ex.angles[rep.angle]
        direction = "rises" if rep.rising else "falls"
        rel = " (relative to the person's own resting value)" if rep.relative else ""
        out += [
            "",
            f"<a id=\"{ex.id}\"></a>",
            f"## {ex.name} (`{ex.id}`)",
            "",
            ex.summary,
            "",
            f"**Camera set-up** ({ex.view} view"
            + (f"; the person {ex.posture.replace('_', ' ')} is followed when several are in view" if ex.posture != "any" else "")
            + f"): {ex.camera_setup.strip()}",
            "",
            "**How to do it**",
            "",
            *[f"{i}. {step}" for i, step in enumerate(ex.instructions, 1)],
            "",
            f"**Dosage**: {ex.dosage.sets} set(s) of {ex.dosage.reps} reps"
            + (f", each held {_num(ex.dosage.hold_s)} s" if ex.dosage.hold_s else "")
            + f", {_num(ex.dosage.rest_s)} s rest between sets. {ex.dosage.progression}",
            "",
            f"**Safety**: {ex.safety}",
            "",
            f"**Counting**: the main angle `{rep.angle}` ({f.description or f.kind}) {direction} from "
            f"{_num(rep.rest)} (rest) past {_num(rep.peak)} (peak){rel}, with {_num(rep.hysteresis)} degrees "
            f"of hysteresis; a rep takes at least {_num(rep.min_duration_s)} s."
            + (f" Hold: {_num(ex.hold.seconds)} s at the peak, counted only while form is right." if ex.hold else "")
            + (" A cycle may start at either end (the end first seen is rest)." if rep.start == "either" else "")
            + (" The thresholds adapt to the person's own range after the first reps." if rep.adapt else ""),
            "",
        ]
        if ex.form_rules:
            out += ["| fault | when | cue | how it is estimated |", "|---|---|---|---|"]
            for r in ex.form_rules:
                out.append(f"| `{r.id}` | {_rule_condition(ex, r)} | \"{r.cue}\" | {r.explain.strip()} |")
        out += ["", "Angles:", ""]
        for name, feat in ex.angles.items():
            out.append(f"- `{name}`: {feat.kind} of {', '.join(feat.points)} ({feat.space}). {feat.description}")
    return "\n".join(out) + "\n"
