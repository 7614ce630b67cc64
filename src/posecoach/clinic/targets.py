"""The patient's targets: derived from a reference recording, and checked for the engine.

Targets from a reference (``derive_targets``), with ``R`` = the reference's range = median rep peak
minus its resting value:

- ``rest``: the resting value (median of the main angle in the second before each rep and the second
  after it) moved toward the peak by ``max(hysteresis, REST_MARGIN * R)`` (``REST_MARGIN`` = 0.2): the
  engine needs the angle back beyond ``rest`` to count a rep, and a patient's resting posture (and the
  camera) varies from day to day by more than the few degrees of hysteresis;
- ``peak = resting value + rom_share * R`` (0.8 by default): the patient is asked for 80 % of their own
  reference range, not a textbook range;
- ``hold_s`` (exercises with a hold): the median time the reference spent beyond that ``peak`` in each
  rep (rounded down to 0.5 s), so the hold is timed the way the coach will time it and the
  reference itself meets it;
- ``tempo_s``: the median duration of a reference rep;
- ``rule_refs``: for each form rule with personal limits (``FormRule.above_own``/``below_own``,
  ``own: reference``), the median over the reference's reps of the value that rule measures: the
  patient's own good form, which the fault's limit is then relative to (a stiff patient whose
  therapist accepted a lower bridge is not told "hips low" against a textbook angle).

Exercises counted relative to the person's own resting value (``rep.relative``: pelvic tilt, partial
crunch, trunk rotation) get offsets: ``rest`` stays the exercise's (an offset that only absorbs noise)
and ``peak = rom_share *`` the median peak offset of the reference; the stored targets carry
``"relative": true``.

If the reference is not counted with the exercise's default thresholds (a stiff patient's best
effort), it is segmented with thresholds from its own range (25 % and 70 % of the span between the 5th
and 95th percentiles of the trace), so a reference can always be taken from what the patient can do.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from posecoach.clinic.db.targets import check as check_targets
from posecoach.clinic.records import ROM_SHARE_MAX
from posecoach.core.engine import Targets
from posecoach.core.exercise import Exercise
from posecoach.errors import InvalidValue

__all__ = ["REST_MARGIN", "check_rom_share", "counted_reps", "derive_targets", "direction", "rule_refs",
           "targets_for", "trace_arrays", "value_unit"]

REST_MARGIN = 0.2
_REST_WINDOW_S = 1.0


def direction(exercise: Exercise) -> float:
    return 1.0 if exercise.rep.peak > exercise.rep.rest else -1.0


def trace_arrays(trace: Iterable) -> tuple[np.ndarray, np.ndarray]:
    rows = [(float(t), math.nan if v is None else float(v)) for t, v in trace]
    if not rows:
        return np.zeros(0), np.zeros(0)
    a = np.asarray(rows, dtype=float)
    return a[:, 0], a[:, 1]


def _resting_value(t: np.ndarray, v: np.ndarray, reps: list[dict], sign: float) -> float:
    """Median of the main angle in the second before each rep and after it (outside every rep)."""
    inside = np.zeros(t.shape, bool)
    near = np.zeros(t.shape, bool)
    for r in reps:
        a, b = r["start_s"], r["end_s"]
        inside |= (t > a) & (t < b)
        near |= ((t >= a - _REST_WINDOW_S) & (t <= a)) | ((t >= b) & (t <= b + _REST_WINDOW_S))
    sel = near & ~inside & np.isfinite(v)
    if sel.sum() >= 3:
        return float(np.median(v[sel]))
    ok = np.isfinite(v)
    if not ok.any():
        raise InvalidValue("the reference has no frame with the main angle")
    # no rest seen around the reps: the rest-side 10th percentile of the whole trace
    return float(np.percentile(v[ok], 10 if sign > 0 else 90))


def counted_reps(reps: list[dict]) -> list[dict]:
    out = []
    for r in reps:
        if r.get("counted", True) is False:
            continue
        if any(r.get(k) is None for k in ("start_s", "end_s", "peak_angle")):
            continue
        out.append(r)
    return out


def derive_targets(exercise: Exercise, trace: Sequence[tuple[float, float | None]], reps: list[dict], *,
                   rom_share: float = 0.8) -> dict:
    """The patient's targets from a reference (see the module docstring).

    ``trace``: (t, main angle or None) per frame; ``reps``: the reference's rep dicts
    (``RepRecord.to_dict()``: start_s, end_s, peak_angle, duration_s...).  Returns
    {"rest","peak","hold_s","tempo_s","rom_share","reference_id": None,"note"} (+ "relative": True
    for exercises counted relative to the resting value).  InvalidValue (one line) when the reference
    has no rep or too small a range."""
    check_rom_share(rom_share)
    rep = exercise.rep
    counted = counted_reps(reps)
    if not counted:
        raise InvalidValue(
            f"the reference has no {exercise.name.lower()} rep: record it again with the whole movement in view"
        )
    sign = direction(exercise)
    h = rep.hysteresis
    unit, digits = value_unit(exercise)
    peak_ref = statistics.median(float(r["peak_angle"]) for r in counted)
    tempo = round(statistics.median(float(r["end_s"]) - float(r["start_s"]) for r in counted), 2)
    t, v = trace_arrays(trace)
    if rep.relative:
        rest_thr = rep.rest
        peak_thr = rom_share * peak_ref
        rest_val = _resting_value(t, v, counted, sign)  # the raw resting value, for the hold below
        if sign * (peak_thr - rest_thr) <= 2 * h:
            raise InvalidValue(
                f"the reference moved only {abs(peak_ref):.{digits}f}{unit} from rest: too little to set "
                f"targets for {exercise.id} (needs more than {abs(rest_thr) + 2 * h:.{digits}f}{unit} at "
                f"rom_share {rom_share})"
            )
        note = (f"from the reference: median peak offset {peak_ref:.{digits}f}{unit} from the resting value; "
                f"peak = {rom_share:g} x that")
    else:
        rest_val = _resting_value(t, v, counted, sign)
        if rep.start == "either" and sign * (peak_ref - rest_val) < 0:
            # Recorded from the other end (stand -> sit -> stand): the reps' extremes are the file's
            # rest end and the still frames around them its peak end; the targets keep the file's.
            rest_val, peak_ref = peak_ref, rest_val
        rng = sign * (peak_ref - rest_val)
        if rng <= 3 * h:
            raise InvalidValue(
                f"the reference moved only {rng:.1f} deg from rest ({rest_val:.1f}) toward the peak: too "
                f"little to set targets for {exercise.id}"
            )
        rest_thr = rest_val + sign * max(h, REST_MARGIN * rng)
        peak_thr = rest_val + sign * rom_share * rng
        if sign * (peak_thr - rest_thr) <= 2 * h:
            raise InvalidValue(
                f"rom_share {rom_share:g} puts the peak target ({peak_thr:.1f}) too close to the rest target "
                f"({rest_thr:.1f}): use a larger rom_share"
            )
        note = (f"from the reference: rest {rest_val:.1f}, peak {peak_ref:.1f} deg (range {rng:.1f}); "
                f"peak = rest + {rom_share:g} x range")
    hold = None
    if exercise.hold is not None or exercise.counting == "hold":
        hold = _hold_beyond(t, v, counted, peak_thr, sign, relative=rep.relative, baseline=rest_val)
    refs = rule_refs(exercise, counted)
    out: dict[str, Any] = {
        "rest": round(float(rest_thr), digits),
        "peak": round(float(peak_thr), digits),
        "hold_s": hold,
        "tempo_s": tempo,
        "rom_share": float(rom_share),
        "reference_id": None,
        "note": note,
    }
    if refs:
        out["rule_refs"] = refs
    if rep.relative:
        out["relative"] = True
    return out


def rule_refs(exercise: Exercise, reps: list[dict]) -> dict[str, float]:
    """Rule id -> the median of what the rule measured over the reference's ``reps`` (their
    ``measured``), for the rules whose limits are relative to the patient's reference."""
    out: dict[str, float] = {}
    for rule in exercise.form_rules:
        if not rule.personal or rule.own != "reference":
            continue
        vals = [float(v) for r in reps if (v := (r.get("measured") or {}).get(rule.id)) is not None
                and math.isfinite(float(v))]
        if vals:
            out[rule.id] = round(statistics.median(vals), 4)
    return out


def check_rom_share(rom_share: float) -> None:
    """``InvalidValue`` unless 0 < ``rom_share`` <= ``ROM_SHARE_MAX`` (NaN included)."""
    if not 0 < rom_share <= ROM_SHARE_MAX:
        raise InvalidValue(f"rom_share must be above 0 and at most {ROM_SHARE_MAX:g}, got {rom_share}")


def value_unit(exercise: Exercise) -> tuple[str, int]:
    """How the main feature's values read: degrees to 0.1, or (offsets, ratios, heights:
    fractions of a body length) to 0.0001."""
    kind = exercise.angles[exercise.rep.angle].kind
    return (" deg", 1) if kind in ("joint", "inclination") else (" of the body length", 4)


def _hold_beyond(t: np.ndarray, v: np.ndarray, reps: list[dict], peak_thr: float, sign: float, *,
                 relative: bool, baseline: float) -> float | None:
    """Median over reps of the time the trace stayed beyond ``peak_thr`` (rounded down to 0.5 s)."""
    holds = []
    for r in reps:
        sel = (t >= r["start_s"]) & (t <= r["end_s"])
        tt, vv = t[sel], v[sel]
        if tt.size < 2:
            continue
        if relative:
            vv = vv - baseline
        beyond = np.isfinite(vv) & (sign * (vv - peak_thr) >= 0)
        dt = np.diff(tt, append=tt[-1])
        holds.append(float(np.sum(dt[beyond])))
    if not holds:
        return None
    return math.floor(2 * statistics.median(holds)) / 2


def targets_for(exercise: Exercise, targets: dict | None) -> Targets | None:
    """``engine.Targets`` from stored targets (None: the exercise's own thresholds).

    InvalidValue (one line) if a number is not finite or out of its range (``db.targets.check``), or the
    thresholds point the wrong way for the exercise or are too close."""
    if not targets:
        return None
    checked = check_targets(targets)  # every number finite and within its range
    rest = checked.get("rest")
    peak = checked.get("peak")
    hold = checked.get("hold_s")
    rep = exercise.rep
    r = rep.rest if rest is None else float(rest)
    p = rep.peak if peak is None else float(peak)
    if direction(exercise) * (p - r) <= 0:
        way = "above" if rep.peak > rep.rest else "below"
        raise InvalidValue(
            f"{exercise.id}: the peak target ({p:g}) must be {way} the rest target ({r:g}), as in the "
            f"exercise (rest {rep.rest:g}, peak {rep.peak:g})"
        )
    unit, _ = value_unit(exercise)
    gap = 2.0 if unit == " deg" else 2 * rep.hysteresis  # degrees; else the file's own scale
    if abs(p - r) < gap:
        raise InvalidValue(
            f"{exercise.id}: the peak ({p:g}) and rest ({r:g}) targets must be at least {gap:g}{unit} apart")
    if rep.relative and not targets.get("relative") and (rest is not None or peak is not None):
        raise InvalidValue(
            f"{exercise.id} is counted relative to the resting value: its rest and peak targets are "
            "offsets from it (set them again, e.g. from a reference)"
        )
    known = {r.id for r in exercise.form_rules if r.personal}
    return Targets(
        rest=None if rest is None else float(rest),
        peak=None if peak is None else float(peak),
        hold_s=None if hold is None else float(hold),
        rule_refs={k: float(v) for k, v in (checked.get("rule_refs") or {}).items() if k in known},
    )
