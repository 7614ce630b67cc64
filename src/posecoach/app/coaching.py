"""Display helpers of the desktop app (no Qt): live figures, what the overlay draws and
what the summary says, plus the safety advice and the lighting check.

The Qt views (``_qt/``) get these objects and only display them; tests can
drive them with made-up numbers and times.  The coaching run itself (sets, history,
cues) is ``posecoach.app.run``; ``SetPlan``/``SetTracker`` live in ``posecoach.core.sets``
and are re-exported here for the views.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
import numpy as np

from posecoach.app.wording import attempts_line, fault_lines, fault_name
from posecoach.core.exercise.schema import Exercise
from posecoach.core.landmarks import BONES, INDEX, side_name
from posecoach.core.sets import SetPlan, SetTracker

__all__ = [
    "DARK_MEAN",
    "DROPPED_EXPLAINED",
    "MIN_COACH_FPS",
    "SAFETY_ADVICE",
    "STOP_REASONS",
    "LiveStats",
    "SetPlan",
    "SetTracker",
    "angle_anchors",
    "angle_unit",
    "bone_indices",
    "frame_rate_warning",
    "lighting_guidance",
    "patient_readable",
    "summary_html",
    "summary_text",
]

SAFETY_ADVICE = (
    "Stop the exercise for today. See a doctor or physiotherapist soon if you have numbness, "
    "tingling or weakness in a leg, or pain that keeps getting worse. Get urgent help at once "
    "for numbness around the buttocks or genitals, or new trouble passing urine."
)

#: why a session ended (the History's ``stopped`` field)
STOP_REASONS = ("completed", "user", "pain", "camera_lost", "error")

#: shown while a camera that was unplugged is waited for (the session goes on when it is back)
CAMERA_LOST_NOTICE = "Camera lost — plug it back in; your reps are kept"

#: mean grey level (0-255) below which the room is too dark for the pose model
DARK_MEAN = 45.0

#: frames analysed a second below which the count is not reliable: the patient is told so.  Measured
#: by bench/bench_low_fps.py (bench/results/low_fps.md): generated sessions and the hand-counted
#: squat clips through the live path, with the analysis jittering as under load, counted every rep
#: at 9 frames a second and above; at 8 one phase of a squat clip in six read 3 of 4.  10 keeps a
#: frame a second of margin (a real camera's timing is rougher than the bench's) and is the rate
#: ``analyze``'s automatic setting takes for reps
MIN_COACH_FPS = 10.0
#: the warning goes once the rate is back above this (no flicker around the threshold)
CLEAR_COACH_FPS = 11.5
#: the rate is judged over this many seconds of the session's own clock, from this many in
RATE_WINDOW_S = 3.0

LOW_RATE_ADVICE = ("Close other programs, plug the laptop in (on battery it may slow down) and switch "
                   "on more light (in a dim room the camera sends fewer pictures).")

DROPPED_EXPLAINED = ("Skipped pictures: the computer analyses the newest picture from the camera and "
                     "skips the ones that arrive while it is busy. A few are normal; if the count "
                     "of frames a second falls low, reps can be missed.")


def frame_rate_warning(rate: float | None, shown: bool) -> str:
    """What to tell the patient about the analysed frame rate ("" = nothing): below
    ``MIN_COACH_FPS`` the count may miss reps; a warning ``shown`` already stays until the rate is
    back above ``CLEAR_COACH_FPS``.  ``rate`` None: not known yet."""
    if rate is None or math.isnan(rate):
        return ""
    if rate < MIN_COACH_FPS or (shown and rate < CLEAR_COACH_FPS):
        return (f"This computer is analysing only {rate:.0f} pictures a second: too few to count your "
                f"reps reliably, so some may be missed. {LOW_RATE_ADVICE}")
    return ""


def lighting_guidance(mean_brightness: float | None) -> str:
    """A guidance line when the picture is too dark (or blown out), else ``""``."""
    if mean_brightness is None or math.isnan(mean_brightness):
        return ""
    if mean_brightness < DARK_MEAN:
        return "The lighting is too dark: switch on a light or face a window"
    if mean_brightness > 235:
        return "The picture is too bright: move away from a window behind you"
    return ""


# --------------------------------------------------------------------------- live figures


class LiveStats:
    """Frames per second, frame-to-overlay latency and dropped frames, over a short window."""

    def __init__(self, window_s: float = 2.0, keep: int = 120, all_keep: int = 5000) -> None:
        self.window_s = window_s
        self._shown: deque[float] = deque()
        self.latencies_ms: deque[float] = deque(maxlen=keep)
        # the latencies of the newest frames shown (bounded: a session of any length)
        self.all_latencies_ms: deque[float] = deque(maxlen=all_keep)
        self.dropped = 0
        self.processed = 0
        self.shown = 0
        self._analysed: deque[float] = deque()  # the session times (s) of the frames analysed lately
        self._first_t: float | None = None

    def analysed(self, t: float) -> None:
        """A frame was analysed at session time ``t`` (the video's or the camera's clock)."""
        if self._first_t is None:
            self._first_t = t
        self._analysed.append(t)
        while self._analysed and t - self._analysed[0] > RATE_WINDOW_S:
            self._analysed.popleft()

    def analysed_fps(self) -> float | None:
        """Frames analysed a second of the session's clock over the last ``RATE_WINDOW_S``; None in
        the first ``RATE_WINDOW_S`` of the session (a start is often slow)."""
        if self._first_t is None or len(self._analysed) < 2 or self._analysed[-1] - self._first_t < RATE_WINDOW_S:
            return None
        span = self._analysed[-1] - self._analysed[0]
        # (a window that spans a gap of nothing analysed counts the gap: the rate is what counting saw)
        return (len(self._analysed) - 1) / max(span, 1e-6)

    def frame_shown(self, now: float, captured_at: float) -> None:
        self.shown += 1
        self._shown.append(now)
        while self._shown and now - self._shown[0] > self.window_s:
            self._shown.popleft()
        lat = 1000.0 * max(0.0, now - captured_at)
        self.latencies_ms.append(lat)
        self.all_latencies_ms.append(lat)

    def fps(self, now: float) -> float:
        while self._shown and now - self._shown[0] > self.window_s:
            self._shown.popleft()
        if len(self._shown) < 2:
            return 0.0
        span = max(now - self._shown[0], 1e-6)
        return (len(self._shown) - 1) / span if span > 0 else 0.0

    def latency_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else math.nan

    def status_line(self, now: float) -> str:
        lat = self.latency_ms()
        lat_s = "-" if math.isnan(lat) else f"{lat:.0f} ms"
        skipped = f"{self.dropped} pictures skipped (the computer is slower than the camera)" if self.dropped \
            else "no pictures skipped"
        rate = self.analysed_fps()
        fps = f"{self.fps(now):4.1f} frames/s" if rate is None else f"{rate:4.1f} frames/s analysed"
        return f"{fps}   latency {lat_s}   {skipped}"


# --------------------------------------------------------------------------- overlay


def bone_indices() -> list[tuple[int, int]]:
    return [(INDEX[a], INDEX[b]) for a, b in BONES]


def _point_xy(name: str, side: str, xy: np.ndarray) -> np.ndarray:
    if name.startswith("mid_"):
        base = name[4:]
        return 0.5 * (xy[INDEX[f"left_{base}"]] + xy[INDEX[f"right_{base}"]])
    return xy[INDEX[side_name(name, side)]]


def patient_readable(exercise: Exercise, name: str) -> bool:
    """Whether the patient can read this feature as an angle: a plain joint angle (0-180, 180 =
    straight) or an inclination (0-180), not a difference of two.  A signed joint angle runs 0-360 (a plank's "knee lift"
    reads 223) and ratios, heights and offsets are not angles at all: they are measuring devices
    of the exercise file, for the annotated videos a therapist reads, not for the patient."""
    spec = exercise.angles.get(name)
    if spec is None:
        return False
    if spec.minus is not None:
        return False  # a difference of two angles (trunk lean less shin lean) may read below 0
    return (spec.kind == "joint" and not spec.signed) or spec.kind == "inclination"


def angle_anchors(
    exercise: Exercise, xy: np.ndarray, side: str, values: dict[str, float], *, patient: bool = False
) -> list[tuple[str, float, float, float, bool]]:
    """Where to write each angle that matters: ``(name, value, x, y, is_rep_angle)``.

    The angles are the rep angle and the form rules' angles; a joint angle is
    written at its vertex (the middle point), other features at their first point.
    Angles without a value this frame (hidden joints) are left out; with ``patient`` (the
    patient's window) so are those a patient cannot read as 0-180 degrees (``patient_readable``).
    """
    names = [exercise.rep.angle] + [r.angle for r in exercise.form_rules if r.angle]
    seen: list[str] = []
    out = []
    for name in names:
        if name in seen or name not in exercise.angles:
            continue
        seen.append(name)
        if patient and not patient_readable(exercise, name):
            continue
        v = values.get(name, math.nan)
        if v is None or math.isnan(v):
            continue
        spec = exercise.angles[name]
        anchor = spec.points[1] if spec.kind == "joint" else spec.points[0]
        p = _point_xy(anchor, side, xy)
        out.append((name, float(v), float(p[0]), float(p[1]), name == exercise.rep.angle))
    return out


def angle_unit(exercise: Exercise, name: str) -> str:
    kind = exercise.angles[name].kind
    return "°" if kind in ("joint", "inclination") else ""


# --------------------------------------------------------------------------- summary


def _count(exercise: Exercise, n: int) -> str:
    """"1 rep", "8 reps"; "3 holds" for a hold exercise (issue 12: not "1 reps")."""
    from posecoach.app.wording import plural

    return plural(n, "hold" if exercise.counting == "hold" else "rep")


_STOPPED_TEXT = {
    "completed": "Session complete.",
    "user": "You stopped the session.",
    "pain": "Stopped because it hurt.",
    "camera_lost": "The camera stopped sending pictures; your session so far is kept.",
    "error": "The session stopped because of a problem with the video source.",
}


def reps_by_set(details: list[dict], plan: SetPlan) -> list[list[dict]]:
    """The summary's rep details set by set, as the session filled the sets: a rep that met its
    hold target takes the next place in the plan, one short of it (``short``) stays in the set
    being worked on without filling it (``core.sets``: a set is done by its reps' holds)."""
    out: list[list[dict]] = [[] for _ in range(plan.sets)]
    met = 0
    for d in sorted(details, key=lambda d: d.get("index") or 0):
        out[min(plan.sets, met // plan.reps + 1) - 1].append(d)
        if not d.get("short"):
            met += 1
    return out


def _met(reps: list[dict]) -> int:
    return sum(1 for d in reps if not d.get("short"))


def _held(d: dict, target: float) -> str:
    """"held 5.8 s", or "held 5.8 of 20 s: short" for a hold short of its target."""
    h = d.get("hold_s") or 0.0
    if d.get("short"):
        return f"held {h:.1f} of {float(d.get('hold_target_s') or target):g} s: short"
    return f"held {h:.1f} s"


def _headline(summary: dict, exercise: Exercise, plan: SetPlan) -> str:
    """"Plank: 1 of 3 reps in 95 s (2 holds short of the target)"."""
    met = summary.get("reps_met", summary.get("reps", 0))
    short = int(summary.get("reps", 0) or 0) - int(met or 0)
    extra = f" ({short} {'hold' if short == 1 else 'holds'} short of the target)" if short > 0 else ""
    return f"{exercise.name}: {met} of {_count(exercise, plan.total)} in {summary.get('duration_s', 0.0):.0f} s{extra}"


def summary_text(summary: dict, *, exercise: Exercise, plan: SetPlan, stopped: str,
                 pain_before: int | None, pain_after: int | None, fault_cues: dict[str, str] | None = None,
                 message: str = "") -> str:
    """A plain-text (HTML-free) summary: reps per set, holds, faults, pain before/after."""
    lines = [_headline(summary, exercise, plan), message or _STOPPED_TEXT.get(stopped, stopped)]
    details = summary.get("rep_details", [])
    hold_target = float(summary.get("hold_target_s") or 0.0)
    for s, reps in enumerate(reps_by_set(details, plan), 1):
        if not reps and s > 1:
            continue
        lines.append(f"Set {s}: {_met(reps)} of {_count(exercise, plan.reps)}")
        for d in reps:
            bits = []
            if hold_target > 0 or exercise.counting == "hold":
                bits.append(_held(d, hold_target))
            if d.get("faults"):
                bits.append("to work on: " + ", ".join(fault_name(f, exercise) for f in d["faults"]))
            lines.append(f"   rep {d['index']}" + (": " + "; ".join(bits) if bits else ": good"))
    tried = attempts_line(summary, exercise)
    if tried:
        lines.append(tried[:1].upper() + tried[1:] + ".")
    faults = fault_lines(summary, exercise, fault_cues)
    if faults:
        lines.append("Form to work on:")
        lines += [f"   {f}" for f in faults]
    else:
        lines.append("No form faults.")
    pb = "-" if pain_before is None else f"{pain_before}/10"
    pa = "-" if pain_after is None else f"{pain_after}/10"
    lines.append(f"Pain before: {pb}   after: {pa}")
    for n in summary.get("view_notes") or []:
        lines.append(f"{n}.")
    for w in summary.get("warnings", []):
        lines.append(f"Note: {w}")
    return "\n".join(lines)


def summary_html(summary: dict, *, exercise: Exercise, plan: SetPlan, stopped: str,
                 pain_before: int | None, pain_after: int | None, fault_cues: dict[str, str] | None = None) -> str:
    """The summary for the window: the same facts as :func:`summary_text`, as simple HTML."""
    import html as _h

    esc = _h.escape
    details = summary.get("rep_details", [])
    hold_target = float(summary.get("hold_target_s") or 0.0)
    show_hold = hold_target > 0 or exercise.counting == "hold"
    out = [f"<h2>{esc(_headline(summary, exercise, plan))}</h2>",
           f"<p>{esc(_STOPPED_TEXT.get(stopped, stopped))}</p>"]
    pb = "-" if pain_before is None else f"{pain_before}/10"
    pa = "-" if pain_after is None else f"{pain_after}/10"
    out.append(f"<p><b>Pain before: {pb}, after: {pa}</b></p>")
    for s, reps in enumerate(reps_by_set(details, plan), 1):
        if not reps and s > 1:
            continue
        out.append(f"<h3>Set {s}: {_met(reps)} of {_count(exercise, plan.reps)}</h3>")
        if reps:
            head = "<th align=left>rep</th>" + ("<th align=left>held</th>" if show_hold else "") + \
                "<th align=left>form</th>"
            rows = []
            for d in reps:
                hold = f"<td>{esc(_held(d, hold_target)[5:])}</td>" if show_hold else ""
                form = ", ".join(fault_name(f, exercise) for f in d.get("faults") or []) or (
                    "short hold" if d.get("short") else "good")
                rows.append(f"<tr><td>{d['index']}</td>{hold}<td>{esc(form)}</td></tr>")
            out.append(f"<table cellspacing=0 cellpadding=4>{'<tr>' + head + '</tr>'}{''.join(rows)}</table>")
    tried = attempts_line(summary, exercise)
    if tried:
        out.append(f"<p>{esc(tried[:1].upper() + tried[1:])}.</p>")
    faults = fault_lines(summary, exercise, fault_cues)
    if faults:
        items = "".join(f"<li>{esc(f)}</li>" for f in faults)
        out.append(f"<h3>Form to work on</h3><ul>{items}</ul>")
    else:
        out.append("<p>No form faults.</p>")
    for n in summary.get("view_notes") or []:  # what this camera angle could not check (said once live)
        out.append(f"<p><i>{esc(n)}.</i></p>")
    for w in summary.get("warnings", []):
        out.append(f"<p><i>Note: {esc(w)}</i></p>")
    return "\n".join(out)
