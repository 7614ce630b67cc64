"""The plots of posecoach's HTML reports: one look, one way to embed them.

Both reports (a patient's progress, ``clinic/report.py``, and a batch of analysed videos,
``cli/batch_report.py``) draw with matplotlib's Agg backend, without pyplot (no global state, no
display) and embed each figure as a base64 PNG, so the page opens anywhere with no other file
and no network.  matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["COLOURS", "UNJUDGED", "angle_timeline_png", "png_base64", "style_axes"]

COLOURS = {
    "line": "#1f4e79",  # the main angle
    "rep": "#5cb85c",  # a rep or hold: shaded from start to end
    "fault": "#d62728",  # a rep with a form fault
    "cut": "#7b3294",  # a camera cut
    "unjudged": "#8c8c8c",  # frames that could not be judged
    "done": "#4c8bc6",
    "target": "#d9534f",
}

# Why frames could not be judged (``core.types.Status`` values), as the plot's legend says it,
# and the hatching that tells the reasons apart on the grey.
UNJUDGED = {
    "no_person": ("no pose found", ""),
    "not_visible": ("body cut off or hidden", "////"),
    "wrong_view_side": ("wrong camera view", "\\\\\\\\"),
    "wrong_view_front": ("wrong camera view", "\\\\\\\\"),
    "unsteady": ("tracker glitch", "..."),
}


def png_base64(fig: Any, dpi: int = 110, *, tight: bool = True) -> str:
    """The figure as a base64 PNG (for ``<img src="data:image/png;base64,...">``); ``tight``: cropped
    to what is drawn (False: the figure's own size, so that plots laid out alike come out alike)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def style_axes(ax: Any, title: str) -> None:
    """The common look of a report's axes: a small title, a light grid, small tick labels."""
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=8)


def angle_timeline_png(result: dict, *, title: str = "", dpi: int = 100) -> str:
    """One video's main angle over time, as a base64 PNG: each rep (or hold) shaded from its
    start to its end with its number, a marker where a rep had a form fault (named), a dashed
    line at each camera cut and grey stretches where frames could not be judged (hatched by
    reason).  ``result``: what ``posecoach analyze`` writes per video (its ``trace`` from
    ``Session.timeline``; without one, the reps alone are drawn)."""
    from matplotlib.figure import Figure

    trace = result.get("trace") if isinstance(result.get("trace"), dict) else None
    fig = Figure(figsize=(11.0, 3.8))
    ax = fig.add_subplot(111)
    style_axes(ax, "")
    if title:
        ax.set_title(title, fontsize=10, pad=18)  # above the rep numbers
    end = _end_s(result, trace)
    handles = _unjudged(ax, (trace or {}).get("unjudged") or [])
    handles += _reps(ax, result.get("rep_details") or [], result.get("counting") == "hold")
    if trace and trace.get("t"):
        vals = [math.nan if v is None else float(v) for v in trace.get("angle", [])]
        (line,) = ax.plot(trace["t"], vals, color=COLOURS["line"], lw=1.3, label=_ylabel(trace))
        handles.insert(0, line)
    else:
        ax.text(0.5, 0.5, "no angle trace in this result (analysed by an older posecoach: --force draws it)",
                ha="center", va="center", transform=ax.transAxes, fontsize=9, color="#555")
    handles += _faults(ax, result.get("rep_details") or [])
    handles += _cuts(ax, (trace or {}).get("cut_times_s") or [])
    ax.set_xlim(0.0, end)
    ax.tick_params(labelsize=9)
    ax.set_xlabel("time in the video (s)", fontsize=10)
    ax.set_ylabel(_ylabel(trace), fontsize=10)
    rows = -(-len(handles) // 4)
    fig.legend(handles=handles, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(handles), 4),
               frameon=False, handlelength=2.5)
    # Fixed margins, not a tight crop: every video's plot has the same width and time axis
    # position, so the plots of a report line up; above the axes, the legend's rows, the rep
    # numbers and the title.
    fig.subplots_adjust(left=0.065, right=0.99, bottom=0.13, top=0.93 - 0.07 * rows - (0.06 if title else 0.0))
    return png_base64(fig, dpi=dpi, tight=False)


def _end_s(result: dict, trace: dict | None) -> float:
    ends = [float(result.get("duration_s") or 0.0)]
    if trace and trace.get("t"):
        ends.append(float(trace["t"][-1]))
    ends += [float(r.get("end_s") or 0.0) for r in result.get("rep_details") or []]
    return max(max(ends), 1.0)


def _ylabel(trace: dict | None) -> str:
    if not trace:
        return "main angle"
    name = str(trace.get("feature") or "main angle").replace("_", " ")
    if trace.get("unit", "deg") != "deg":
        return f"{name} (body lengths)"
    return f"{name}{'' if 'angle' in name else ' angle'} (degrees)"


def _unjudged(ax: Any, spans: Sequence[Sequence[Any]]) -> list[Any]:
    from matplotlib.patches import Patch

    seen: dict[str, Any] = {}
    for a, b, why in spans:
        label, hatch = UNJUDGED.get(str(why), (str(why).replace("_", " "), ""))
        # The grey at a third (a hatched one lighter, its hatching dark): the curve stays readable.
        ax.axvspan(float(a), max(float(b), float(a) + 0.05), facecolor=_grey(0.35 if not hatch else 0.15),
                   hatch=hatch or None, edgecolor="#6e6e6e", lw=0, zorder=0)
        if label not in seen:
            seen[label] = Patch(facecolor=_grey(0.35 if not hatch else 0.15), hatch=hatch or None,
                                edgecolor="#6e6e6e", label=f"not judged: {label}")
    return list(seen.values())


def _grey(alpha: float) -> tuple[float, float, float]:
    """``COLOURS["unjudged"]`` at ``alpha`` over white, opaque (a hatch keeps its own colour)."""
    from matplotlib.colors import to_rgb

    return tuple(alpha * c + (1.0 - alpha) for c in to_rgb(COLOURS["unjudged"]))  # type: ignore[return-value]


def _reps(ax: Any, reps: Sequence[dict], holds: bool) -> list[Any]:
    from matplotlib.patches import Patch
    from matplotlib.transforms import blended_transform_factory

    top = blended_transform_factory(ax.transData, ax.transAxes)
    for r in reps:
        a, b = float(r.get("start_s") or 0.0), float(r.get("end_s") or 0.0)
        ax.axvspan(a, b, facecolor=COLOURS["rep"], alpha=0.18, lw=0, zorder=0)
        ax.text((a + b) / 2, 1.01, str(r.get("index", "")), transform=top, ha="center", va="bottom", fontsize=9,
                color="#2d6a2d", fontweight="bold", clip_on=False)
    if not reps:
        return []
    return [Patch(facecolor=COLOURS["rep"], alpha=0.3, label="hold (numbered)" if holds else "rep (numbered)")]


def _faults(ax: Any, reps: Sequence[dict]) -> list[Any]:
    faulty = [r for r in reps if r.get("faults") and r.get("peak_s") is not None and r.get("peak_angle") is not None]
    if not faulty:
        return []
    xs = [float(r["peak_s"]) for r in faulty]
    ys = [float(r["peak_angle"]) for r in faulty]
    mark = ax.scatter(xs, ys, marker="X", s=80, color=COLOURS["fault"], edgecolors="white", linewidths=0.8,
                      zorder=5, label="form fault (at the rep's peak)")
    for x, y, r in zip(xs, ys, faulty):
        ax.annotate(", ".join(str(f).replace("_", " ") for f in r["faults"]), (x, y), xytext=(7, 3),
                    textcoords="offset points", fontsize=8, color=COLOURS["fault"], va="bottom", zorder=6,
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
    return [mark]


def _cuts(ax: Any, cuts: Sequence[float]) -> list[Any]:
    lines = [ax.axvline(float(c), color=COLOURS["cut"], ls="--", lw=1.4, zorder=4) for c in cuts]
    if not lines:
        return []
    lines[0].set_label("camera cut (counting restarts)")
    return [lines[0]]
