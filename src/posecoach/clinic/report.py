"""A patient's progress report: one self-contained HTML page and CSV files.

``render_report(patient, rows, out_dir)`` is pure: it takes the patient (``Clinic.patient()``)
and the progress rows (``Clinic.progress()``: one row per finished session, oldest first) and
writes

- ``report.html``: a summary table, then per exercise the plots (embedded as base64 PNG,
  drawn with matplotlib's Agg backend, so the page opens anywhere with no other file and no
  network): reps done vs prescribed, range of motion reached vs target, similarity to the
  reference, faults per session, pain before/after; print CSS so a therapist can print it;
- ``sessions.csv``: one line per session (the progress rows, faults as ``fault=count;...``);
- ``progress.csv``: one line per exercise and week (sessions, reps done and prescribed,
  median range of motion, target, similarity, faults, mean pain before/after).

Nothing leaves the machine: the files are written only where the caller asks.
"""

from __future__ import annotations

import csv
import html
import io
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from posecoach.clinic.store import (
    num as _num,  # one definition of "a finite number, or None"
)
from posecoach.core.explain import detail_code
from posecoach.io.atomic import atomic_open
from posecoach.io.html_page import BASE_CSS
from posecoach.io.html_page import head as _page_head
from posecoach.io.html_page import table as _table
from posecoach.io.plots import COLOURS
from posecoach.io.plots import png_base64 as _png
from posecoach.io.plots import style_axes as _setup

__all__ = [
    "SESSION_FIELDS",
    "WEEK_FIELDS",
    "export_report",
    "fault_detail_lines",
    "is_empty",
    "limits_text",
    "pain_text",
    "programme_for_report",
    "progress_figure",
    "progress_figure_png",
    "render_report",
    "session_rows",
    "shown_sessions",
    "weekly_rows",
    "write_csv",
]

SESSION_FIELDS = [
    "session_id", "date", "exercise_id", "sets", "reps_done", "reps_prescribed", "peak_median", "target_peak",
    "similarity_median", "faults_total", "faults", "pain_before", "pain_after", "stopped", "fault_limits",
    "fault_details",
]
WEEK_FIELDS = [
    "exercise_id", "week", "week_start", "sessions", "reps_done", "reps_prescribed", "done_pct", "peak_median",
    "target_peak", "similarity_median", "faults_total", "pain_before_mean", "pain_after_mean",
]

PRIVACY_NOTE = (
    "This report was generated on this computer from the local posecoach database. No data was sent "
    "anywhere; whoever holds this file holds the patient's data, so share it only with the patient and "
    "their care team, and delete copies you no longer need."
)


# ------------------------------------------------------------------ helpers


def _day(v: Any) -> date | None:
    """The calendar day of a row's ``date`` (a date, datetime or ISO 8601 text)."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v).strip()
    try:
        return datetime.fromisoformat(s).date()
    except ValueError:
        try:
            return date.fromisoformat(s[:10])
        except ValueError:
            return None


def is_empty(row: dict) -> bool:
    """A session with nothing in it to chart: no rep or hold counted (started and stopped, or no
    usable frame) and not stopped for pain (that stop is a finding).  Charts and tables leave these
    out, so a few false starts do not fill them; ``sessions.csv`` keeps every session."""
    return not (_num(row.get("reps_done")) or 0) and row.get("stopped") != "pain"


def shown_sessions(rows: Sequence[dict]) -> tuple[list[dict], int]:
    """The sessions the charts and tables show, and how many empty ones (``is_empty``) were left out."""
    kept = [r for r in rows if not is_empty(r)]
    return kept, len(rows) - len(kept)


def pain_text(before: Any, after: Any) -> str:
    """Pain before/after as a table cell: "3 → 4", "3" (not asked after), "? → 4", "-" (neither)."""
    b, a = _num(before), _num(after)
    if b is None and a is None:
        return "-"
    if a is None:
        return f"{b:.0f}"
    return f"{'?' if b is None else f'{b:.0f}'} → {a:.0f}"


def _faults(row: dict) -> dict[str, int]:
    f = row.get("faults") or {}
    if isinstance(f, dict):
        return {str(k): int(v) for k, v in f.items() if _num(v)}
    if isinstance(f, (list, tuple)):
        return dict(Counter(str(x) for x in f))
    return {}


def _median(xs: Iterable[Any]) -> float | None:
    vals = [v for v in (_num(x) for x in xs) if v is not None]
    return float(statistics.median(vals)) if vals else None


def _mean(xs: Iterable[Any]) -> float | None:
    vals = [v for v in (_num(x) for x in xs) if v is not None]
    return float(statistics.fmean(vals)) if vals else None


def _fmt(v: Any, nd: int = 0) -> str:
    f = _num(v)
    if f is None:
        return "" if v is None else str(v)
    return f"{f:.{nd}f}"


def _value_unit(exercise_id: str) -> tuple[str, int]:
    """The unit the exercise's rest/peak read in (degrees unless a library file says otherwise)."""
    try:
        from posecoach.clinic.targets import value_unit
        from posecoach.core.exercise import find_exercise

        return value_unit(find_exercise(exercise_id))
    except Exception:  # an unknown or custom exercise: angles
        return " deg", 1


def _exercise_name(exercise_id: str) -> str:
    try:
        from posecoach.core.exercise import find_exercise

        return find_exercise(exercise_id).name
    except Exception:  # an unknown or custom exercise: its id is its name
        return exercise_id.replace("_", " ")


def _by_exercise(rows: Sequence[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(str(r.get("exercise_id", "")), []).append(r)
    for rs in out.values():
        rs.sort(key=lambda r: (str(_day(r.get("date")) or ""), _num(r.get("session_id")) or 0))
    return out


# ---------------------------------------------------------------- CSV data


def session_rows(rows: Sequence[dict]) -> list[dict]:
    """The progress rows flattened for ``sessions.csv`` (oldest first)."""
    out = []
    for r in sorted(rows, key=lambda r: (str(_day(r.get("date")) or ""), _num(r.get("session_id")) or 0)):
        faults = _faults(r)
        out.append({
            "session_id": r.get("session_id"),
            "date": str(_day(r.get("date")) or ""),
            "exercise_id": r.get("exercise_id"),
            "sets": r.get("sets"),
            "reps_done": r.get("reps_done"),
            "reps_prescribed": r.get("reps_prescribed"),
            "peak_median": _fmt(r.get("peak_median"), 1),
            "target_peak": _fmt(r.get("target_peak"), 1),
            "similarity_median": _fmt(r.get("similarity_median"), 1),
            "faults_total": sum(faults.values()),
            "faults": ";".join(f"{k}={v}" for k, v in sorted(faults.items())),
            "pain_before": r.get("pain_before"),
            "pain_after": r.get("pain_after"),
            "stopped": r.get("stopped"),
            "fault_limits": ";".join(f"{k}={v}" for k, v in (r.get("fault_limits") or {}).items()),
            "fault_details": "; ".join(f"{_which_rep(d)} {detail_code(d)}" for d in r.get("fault_details") or []),
        })
    return out


# ---------------------------------------------------------------- faults explained
_SHORT_SOURCE = {"reference": "patient's reference", "earlier reps": "own earlier reps", "rest": "own rest position",
                 "textbook": "textbook"}  # the patient's own first (as ``core.explain.limits_used``)


def _exercise(exercise_id: str) -> Any:
    try:
        from posecoach.core.exercise import find_exercise

        return find_exercise(exercise_id)
    except Exception:  # an unknown or custom exercise: ids stand in for labels
        return None


def limits_text(row: dict) -> str:
    """Which limits judged a session's faults, short: ``patient's reference (knees caving in);
    textbook (too fast)`` ("" for a session stored before limits were recorded)."""
    from posecoach.core.explain import rule_label

    ex = _exercise(str(row.get("exercise_id", "")))
    groups: dict[str, list[str]] = {}
    for rid, src in (row.get("fault_limits") or {}).items():
        groups.setdefault(str(src), []).append(rule_label(str(rid), ex))
    order = [k for k in _SHORT_SOURCE if k in groups] + [k for k in groups if k not in _SHORT_SOURCE]
    return "; ".join(f"{_SHORT_SOURCE.get(k, k)} ({', '.join(groups[k])})" for k in order)


def _which_rep(d: dict) -> str:
    if d.get("counted", True) and d.get("rep") is not None:
        return f"rep {d['rep']}"
    return f"attempt ({d['why']})" if d.get("why") else "attempt"


def fault_detail_lines(row: dict) -> list[str]:
    """Each fault of a session with its rep, value and limit: ``rep 2: knees caving in: 0.57,
    under the limit of 0.83 (this patient's reference recording)``."""
    from posecoach.core.explain import detail_words

    ex = _exercise(str(row.get("exercise_id", "")))
    return [f"{_which_rep(d)}: {detail_words(d, ex)}" for d in row.get("fault_details") or []]


def weekly_rows(rows: Sequence[dict]) -> list[dict]:
    """Per exercise and week (week 1 starts on the day of the patient's first session)."""
    days = [d for d in (_day(r.get("date")) for r in rows) if d is not None]
    if not days:
        return []
    first = min(days)
    out = []
    for ex, rs in sorted(_by_exercise(rows).items()):
        weeks: dict[int, list[dict]] = {}
        for r in rs:
            d = _day(r.get("date"))
            if d is None:
                continue
            weeks.setdefault((d - first).days // 7 + 1, []).append(r)
        for w, wr in sorted(weeks.items()):
            done = sum(int(_num(r.get("reps_done")) or 0) for r in wr)
            pres = sum(int(_num(r.get("reps_prescribed")) or 0) for r in wr)
            out.append({
                "exercise_id": ex,
                "week": w,
                "week_start": str(date.fromordinal(first.toordinal() + 7 * (w - 1))),
                "sessions": len(wr),
                "reps_done": done,
                "reps_prescribed": pres,
                "done_pct": _fmt(100.0 * done / pres, 0) if pres else "",
                "peak_median": _fmt(_median(r.get("peak_median") for r in wr), 1),
                "target_peak": _fmt(_median(r.get("target_peak") for r in wr), 1),
                "similarity_median": _fmt(_median(r.get("similarity_median") for r in wr), 1),
                "faults_total": sum(sum(_faults(r).values()) for r in wr),
                "pain_before_mean": _fmt(_mean(r.get("pain_before") for r in wr), 1),
                "pain_after_mean": _fmt(_mean(r.get("pain_after") for r in wr), 1),
            })
    return out


def write_csv(path: Path, fields: Sequence[str], rows: Sequence[dict]) -> None:
    """Write atomically (a temporary file in the same folder, then rename)."""
    with atomic_open(path, "w", newline="", fsync=False) as f:
        w = csv.DictWriter(f, fieldnames=list(fields), extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in fields})


def _write_text(path: Path, text: str) -> None:
    with atomic_open(path, "w", fsync=False) as f:
        f.write(text)


# ------------------------------------------------------------------- plots


#: sessions of one day share this much of the day on a date axis (side by side), so a bar stays a bar
DAY_SHARE = 0.8
#: a date axis spans at least this many days: one session is a bar in a week, not the whole axis
MIN_SPAN_DAYS = 7.0


def _xs(rs: Sequence[dict]) -> list[float]:
    """Where each session sits on a date axis (matplotlib's day numbers, as plain floats): on its
    day's tick, sessions of the same day side by side within ``DAY_SHARE`` of it.  Plain numbers and
    explicit limits (``_dates``) rather than date objects: a plot with nothing drawn or a single
    point then still reads the sessions' days, never matplotlib's epoch ("01 Jan")."""
    import matplotlib.dates as mdates

    days = [_day(r.get("date")) for r in rs]
    per_day = Counter(days)
    seen: Counter[date | None] = Counter()
    out = []
    for d in days:
        base = mdates.date2num(datetime.combine(d, time())) if d is not None else float("nan")
        n, k = per_day[d], seen[d]
        seen[d] += 1
        out.append(float(base) + DAY_SHARE * ((k + 0.5) / n - 0.5))
    return out


def _width(rs: Sequence[dict]) -> float:
    """A bar's width in days: the day's share split between that day's sessions, with a gap."""
    most = max(Counter(_day(r.get("date")) for r in rs).values(), default=1)
    return 0.85 * DAY_SHARE / most


def _span(xs: Sequence[float]) -> tuple[float, float]:
    """The date axis' limits: the sessions' days with most of a day around them, at least a week."""
    vals = [x for x in xs if x == x]
    if not vals:
        import matplotlib.dates as mdates

        now = float(mdates.date2num(datetime.combine(date.today(), time())))
        vals = [now]
    lo, hi = min(vals) - 0.8, max(vals) + 0.8  # a day's bars clear of the frame
    if hi - lo < MIN_SPAN_DAYS:
        mid = (lo + hi) / 2
        lo, hi = mid - MIN_SPAN_DAYS / 2, mid + MIN_SPAN_DAYS / 2
    return lo, hi


def _dates(ax: Any, xs: Sequence[float]) -> None:
    """The x axis as calendar days ("04 Dec"): limits from the sessions, whole days as ticks."""
    import math

    import matplotlib.dates as mdates

    lo, hi = _span(xs)
    ax.set_xlim(lo, hi)
    days = hi - lo
    if days <= 70:  # a tick every day or every few days (at most five): never two ticks on one day
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, math.ceil(days / 5))))
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=5))
    year = mdates.num2date(lo).year != mdates.num2date(hi).year
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b %y" if year else "%d %b"))


def _per_session(ax: Any, xs: Sequence[float], vals: Sequence[float | None], width: float, **kw: Any) -> Any:
    """A short level line over each session's place (a prescribed number per session): unlike a
    step line it shows for a single session too.  The handle for the legend, or None."""
    pts = [(x, v) for x, v in zip(xs, vals) if v is not None]
    if not pts:
        return None
    return ax.hlines([v for _, v in pts], [x - width / 2 for x, _ in pts], [x + width / 2 for x, _ in pts], **kw)


def _whole_numbers(ax: Any) -> None:
    """Counts (reps, faults) tick at whole numbers only."""
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _plot_reps(ax: Any, rs: Sequence[dict]) -> bool:
    _setup(ax, "Reps done vs prescribed")
    xs, w = _xs(rs), _width(rs)
    done = [_num(r.get("reps_done")) or 0.0 for r in rs]
    pres = [_num(r.get("reps_prescribed")) or None for r in rs]
    ax.bar(xs, done, width=w, color=COLOURS["done"], label="done", zorder=2)
    _per_session(ax, xs, pres, w * 1.3, colors=COLOURS["target"], lw=2.5, label="prescribed", zorder=3)
    ax.set_ylabel("reps", fontsize=8)
    top = max([*done, *(p for p in pres if p is not None), 1.0])
    ax.set_ylim(0, top * 1.25 + 1)  # room above the highest bar or line for the legend
    _whole_numbers(ax)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    _dates(ax, xs)
    return True


def _plot_rom(ax: Any, rs: Sequence[dict]) -> bool:
    _setup(ax, "Range of motion reached vs target")
    xs = _xs(rs)
    peak = [_num(r.get("peak_median")) for r in rs]
    tgt = [_num(r.get("target_peak")) for r in rs]
    ax.plot(xs, [float("nan") if p is None else p for p in peak], "o-", color="#4c8bc6", ms=4,
            label="reached (median peak)")
    known = [(x, t) for x, t in zip(xs, tgt) if t is not None]
    if known:
        # the target in force from each session on, across the whole axis (a single session too)
        lo, hi = _span(xs)
        tx = [lo] + [x for x, _ in known] + [hi]
        ty = [known[0][1]] + [t for _, t in known] + [known[-1][1]]
        ax.plot(tx, ty, drawstyle="steps-post", color="#d9534f", lw=1.5, ls="--", label="target")
    vals = [v for v in (*peak, *tgt) if v is not None]
    if vals:
        pad = max(3.0, 0.15 * (max(vals) - min(vals)))
        ax.set_ylim(min(vals) - pad, max(vals) + pad)
    if _decreasing(rs):  # e.g. knee angle in a squat: smaller = further; draw further as up
        ax.invert_yaxis()
        ax.set_ylabel("main angle (deg, axis reversed)", fontsize=8)
    else:
        ax.set_ylabel("main angle (deg)", fontsize=8)
    ax.legend(fontsize=7, loc="best")
    _dates(ax, xs)
    return True


def _decreasing(rs: Sequence[dict]) -> bool:
    """Whether the exercise's main angle gets smaller toward the peak (from its definition)."""
    ex_id = str(rs[0].get("exercise_id", "")) if rs else ""
    try:
        from posecoach.core.exercise import find_exercise

        rep = find_exercise(ex_id).rep
        return float(rep.peak) < float(rep.rest) and not getattr(rep, "relative", False)
    except Exception:
        return False


def _plot_similarity(ax: Any, rs: Sequence[dict]) -> bool:
    sims = [_num(r.get("similarity_median")) for r in rs]
    if all(s is None for s in sims):
        return False
    _setup(ax, "Similarity to the reference")
    xs = _xs(rs)
    ax.plot(xs, [float("nan") if s is None else s for s in sims], "o-", color="#5cb85c", ms=4)
    ax.set_ylim(0, 100)
    ax.set_ylabel("0-100 (median of reps)", fontsize=8)
    _dates(ax, xs)
    return True


def _plot_faults(ax: Any, rs: Sequence[dict]) -> bool:
    _setup(ax, "Form faults per session")
    xs, w = _xs(rs), _width(rs)
    per = [_faults(r) for r in rs]
    kinds = sorted({k for f in per for k in f}, key=lambda k: -sum(f.get(k, 0) for f in per))
    bottom = [0.0] * len(rs)
    for k in kinds:
        vals = [float(f.get(k, 0)) for f in per]
        ax.bar(xs, vals, bottom=bottom, width=w, label=k.replace("_", " "), zorder=2)
        bottom = [b + v for b, v in zip(bottom, vals)]
    if not kinds:
        ax.text(0.5, 0.5, "no faults recorded", ha="center", va="center", transform=ax.transAxes, fontsize=9)
    else:
        ax.legend(fontsize=7, loc="upper right")
    ax.set_ylabel("faults", fontsize=8)
    ax.set_ylim(0, max([*bottom, 1.0]) * 1.25 + 0.5)
    _whole_numbers(ax)
    _dates(ax, xs)
    return True


def _plot_pain(ax: Any, rs: Sequence[dict]) -> bool:
    _setup(ax, "Pain before / after (0-10)")
    xs = _xs(rs)
    before = [_num(r.get("pain_before")) for r in rs]
    after = [_num(r.get("pain_after")) for r in rs]
    for vals, style, colour, label in ((before, "o-", "#f0ad4e", "before"), (after, "s-", "#d9534f", "after")):
        if any(v is not None for v in vals):  # only what was asked is in the legend
            ax.plot(xs, [float("nan") if v is None else v for v in vals], style, color=colour, ms=4, label=label)
    ax.set_ylim(0, 10)
    ax.set_ylabel("pain", fontsize=8)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper right")
    else:
        ax.text(0.5, 0.5, "pain not asked", ha="center", va="center", transform=ax.transAxes, fontsize=9)
    _dates(ax, xs)
    return True


PLOTS = (("reps", _plot_reps), ("rom", _plot_rom), ("similarity", _plot_similarity), ("faults", _plot_faults),
         ("pain", _plot_pain))


def progress_figure(rows: Sequence[dict], exercise_id: str | None = None) -> Any:
    """The matplotlib ``Figure`` of the five progress plots of one exercise (empty sessions left out)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rs, _ = shown_sessions([r for r in rows if exercise_id is None or r.get("exercise_id") == exercise_id])
    rs.sort(key=lambda r: (str(_day(r.get("date")) or ""), _num(r.get("session_id")) or 0))
    fig = Figure(figsize=(12, 6.5))
    FigureCanvasAgg(fig)
    if not rs:
        fig.text(0.5, 0.5, "no session with reps yet", ha="center", va="center", fontsize=14)
    else:
        for i, (_, fn) in enumerate(PLOTS):
            ax = fig.add_subplot(2, 3, i + 1)
            if not fn(ax, rs):
                _setup(ax, "Similarity to the reference")
                ax.text(0.5, 0.5, "no reference recorded", ha="center", va="center", transform=ax.transAxes)
                ax.set_axis_off()
        fig.tight_layout()
    return fig


def progress_figure_png(rows: Sequence[dict], exercise_id: str | None = None, *, dpi: int = 80) -> bytes:
    """One PNG with the five progress plots of one exercise (the app's progress chart)."""
    buf = io.BytesIO()
    progress_figure(rows, exercise_id).savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# -------------------------------------------------------------------- HTML

# The shared page style (``io.html_page``) and what only this report has: a grid of plots,
# the privacy note, and a page per exercise when printed.
_CSS = BASE_CSS + """
.plots { display: grid; grid-template-columns: repeat(2, 1fr); gap: 0.8em; }
.plots figure { margin: 0; } .plots img { width: 100%; height: auto; }
.redflag { background: #ffebee; border: 2px solid #c62828; padding: 0.5em 0.8em; font-weight: bold; }
table.fault-details td:first-child, table.sessions td:first-child { white-space: nowrap; }
.privacy { background: #f7f7f7; border-left: 4px solid #888; padding: 0.5em 0.8em; font-size: 0.85em; color: #444; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  .exercise { page-break-before: always; break-before: page; }
  .plots { grid-template-columns: repeat(2, 1fr); }
  figure, table, tr { page-break-inside: avoid; break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .noprint { display: none; }
}
"""


def _first_last(vals: Sequence[float | None], nd: int = 0) -> str:
    v = [x for x in vals if x is not None]
    if not v:
        return "-"
    return _fmt(v[0], nd) if len(v) == 1 else f"{_fmt(v[0], nd)} → {_fmt(v[-1], nd)}"


def _summary(ex_rows: dict[str, list[dict]]) -> tuple[list[str], list[list[Any]]]:
    head = ["exercise", "sessions", "period", "reps done / prescribed", "range of motion (first → last)",
            "target", "similarity", "faults", "pain before", "pain after"]
    body = []
    for ex, rs in ex_rows.items():
        done = sum(int(_num(r.get("reps_done")) or 0) for r in rs)
        pres = sum(int(_num(r.get("reps_prescribed")) or 0) for r in rs)
        days = [d for d in (_day(r.get("date")) for r in rs) if d is not None]
        faults: Counter[str] = Counter()
        for r in rs:
            faults.update(_faults(r))
        top = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in faults.most_common(2))
        tgt = [_num(r.get("target_peak")) for r in rs]
        body.append([
            _exercise_name(ex),
            len(rs),
            f"{min(days):%d %b} – {max(days):%d %b %Y}" if days else "-",
            f"{done} / {pres}" + (f" ({100 * done / pres:.0f}%)" if pres else ""),
            _first_last([_num(r.get("peak_median")) for r in rs]),
            _fmt(next((t for t in reversed(tgt) if t is not None), None), 0) or "-",
            _first_last([_num(r.get("similarity_median")) for r in rs]),
            f"{sum(faults.values())}" + (f" ({top})" if top else ""),
            _first_last([_num(r.get("pain_before")) for r in rs]),
            _first_last([_num(r.get("pain_after")) for r in rs]),
        ])
    return head, body


def programme_for_report(clinic: Any, patient_id: int) -> dict | None:
    """The patient's programme as the report shows it (``Programme.to_dict()``) with ``today``:
    {exercise_id: today's reps after the progression rule} and ``hold_today`` (the hold, which a
    hold exercise progresses instead)."""
    programme = clinic.programme(patient_id)
    if programme is None:
        return None
    plan = clinic.todays_plan(patient_id)
    return {**programme.to_dict(), "today": {i.exercise_id: i.reps for i in plan},
            "hold_today": {i.exercise_id: i.hold_s for i in plan}}


def export_report(clinic: Any, patient: str | int, out_dir: str | Path, *,
                  exercise: str | None = None) -> tuple[Path, int]:
    """The report of a patient (name or id) from the clinic database, written into ``out_dir``:
    what ``posecoach report`` and the therapist page's "Export report" both call.  Returns the
    HTML path and the number of sessions in it; ``PatientNotFound`` for an unknown patient."""
    p = clinic.patient(patient)
    rows = clinic.progress(p.id, exercise)
    programme = programme_for_report(clinic, p.id)
    ex_ids = {r["exercise_id"] for r in rows} | {i["exercise_id"] for i in (programme or {}).get("items", [])}
    if exercise:
        ex_ids = {exercise}
    targets = {ex: t for ex in sorted(ex_ids) if (t := clinic.targets(p.id, ex))}
    red = getattr(clinic, "red_flags", None)
    screens = [s.to_dict() for s in red.screens(p.id)] if red is not None else None
    path = render_report(p.to_dict(), rows, Path(out_dir), programme=programme, targets=targets,
                         red_flags=screens)
    return path, len(rows)


def _red_flags_html(screens: Sequence[dict] | None) -> str:
    """The red-flag screens (``Screen.to_dict()``, newest first): an open "yes" in a red box at the
    top of the report, then every answered screen with its clearing."""
    if screens is None:
        return ""
    if not screens:
        return ("<h2>Red-flag screen</h2><p class=\"note\">Not answered yet: the patient is asked before "
                "their first session.</p>")
    parts = ["<h2>Red-flag screen</h2>"]
    for s in screens:
        if s.get("open"):
            parts.append(f'<p class="redflag">Open red flag since {html.escape(str(s.get("answered_at", ""))[:10])}: '
                         f'the patient answered yes to {html.escape(str(s.get("yes_text", "")))}. '
                         "Coaching is stopped until a therapist has reviewed and cleared it.</p>")
    body = []
    for s in screens:
        cleared = ""
        if s.get("cleared_at"):
            who = f" by {s['cleared_by']}" if s.get("cleared_by") else ""
            note = f": {s['clear_note']}" if s.get("clear_note") else ""
            cleared = f"cleared {str(s['cleared_at'])[:10]}{who}{note}"
        outcome = ("open: urgent, same day" if s.get("urgent") else "open") if s.get("open") else \
            ("stopped coaching" if s.get("flagged") else "all no")
        body.append([str(s.get("answered_at", ""))[:10], s.get("yes_text") or "none", outcome, cleared])
    parts.append(_table(["date", "answered yes", "outcome", "therapist review"], body))
    return "".join(parts)


def _programme_html(programme: dict | None) -> str:
    if not programme or not programme.get("items"):
        return ""
    now, hold_now = programme.get("today") or {}, programme.get("hold_today") or {}

    def hold(i: dict) -> str:
        base, today = _num(i.get("hold_s")), _num(hold_now.get(i.get("exercise_id")))
        if base is None:
            return "-"
        return _fmt(base, 0) + (f" → {_fmt(today, 0)}" if today is not None and today != base else "")

    body = [[_exercise_name(str(i.get("exercise_id"))), i.get("sets", ""), i.get("reps", ""),
             now.get(i.get("exercise_id"), i.get("reps", "")), hold(i)]
            for i in programme["items"]]
    rule = programme.get("rule") or {}
    rule_txt = ""
    if rule:
        rule_txt = (f"Progression: +{rule.get('add_reps', 1)} rep(s) every {rule.get('every_n_sessions', '?')} "
                    f"sessions in which pain did not rise, up to {rule.get('max_reps', '?')} reps"
                    + f"; hold exercises: +{_fmt(rule.get('add_hold_s', 5), 0)} s hold, up to "
                    f"{_fmt(rule.get('max_hold_s', 60), 0)} s"
                    + ("; held back when pain rises." if rule.get("hold_back_if_pain_rises", True) else "."))
    return (f"<h2>Current programme</h2><p class=\"meta\">{html.escape(str(programme.get('days_per_week', '')))} "
            f"days per week</p>"
            + _table(["exercise", "sets", "reps prescribed", "reps today", "hold (s): prescribed → today"], body)
            + (f'<p class="note">{html.escape(rule_txt)}</p>' if rule_txt else ""))


def _share(v: Any) -> str:
    """A share of the reference range as a percentage ("-" when not set)."""
    f = _num(v)
    return f"{100 * f:.0f}%" if f else "-"


def _targets_html(targets: dict[str, dict] | None) -> str:
    if not targets:
        return ""
    body = []
    for ex, t in sorted(targets.items()):
        if not t:
            continue
        unit, digits = _value_unit(ex)
        nd = 0 if digits == 1 else digits
        body.append([_exercise_name(ex), (_fmt(t.get("rest"), nd) + unit) if t.get("rest") is not None else "-",
                     (_fmt(t.get("peak"), nd) + unit) if t.get("peak") is not None else "-",
                     _fmt(t.get("hold_s"), 1) or "-", _fmt(t.get("tempo_s"), 1) or "-",
                     _share(t.get("rom_share")),
                     t.get("note") or ""])
    if not body:
        return ""
    return "<h2>Targets</h2>" + _table(
        ["exercise", "rest", "peak", "hold (s)", "tempo (s/rep)", "share of reference range", "note"],
        body)


def _exercise_section(ex: str, rs: Sequence[dict]) -> list[str]:
    """One exercise's page of the report: its plots (embedded PNG) and a table of its sessions."""
    from matplotlib.figure import Figure

    parts = [f'<section class="exercise"><h2>{html.escape(_exercise_name(ex))}</h2>']
    figs = []
    for key, fn in PLOTS:
        fig = Figure(figsize=(4.6, 2.6))
        ax = fig.add_subplot(111)
        if not fn(ax, rs):
            continue
        title = ax.get_title()
        figs.append(f'<figure><img alt="{html.escape(title)}" data-plot="{key}" '
                    f'src="data:image/png;base64,{_png(fig)}"></figure>')
    parts.append(f'<div class="plots">{"".join(figs)}</div>')
    from posecoach.core.explain import rule_label

    exercise = _exercise(ex)
    body = [[str(_day(r.get("date")) or ""), r.get("sets", ""),
             f"{r.get('reps_done', '')} / {r.get('reps_prescribed', '')}",
             _fmt(r.get("peak_median"), 0), _fmt(r.get("target_peak"), 0), _fmt(r.get("similarity_median"), 0),
             ", ".join(f"{rule_label(k, exercise)} {v}" for k, v in sorted(_faults(r).items())),
             _fmt(r.get("pain_before")), _fmt(r.get("pain_after")), r.get("stopped") or "",
             limits_text(r) or "-"]
            for r in rs]
    parts.append(_table(["date", "sets", "reps done / prescribed", "ROM (deg)", "target", "similarity",
                         "faults", "pain before", "pain after", "ended", "limits used"], body, text=(6, 10),
                        attrs='class="sessions"'))
    parts.append(_fault_table(rs))
    parts.append("</section>")
    return parts


def _fault_table(rs: Sequence[dict], last: int = 10) -> str:
    """The faults of the last ``last`` sessions rep by rep: the value measured against the limit
    that flagged it, and where that limit came from; and what the camera's view could not check."""
    body = []
    for r in list(rs)[-last:]:
        # the session's start to the minute: two sessions of a day are told apart
        day = str(r.get("started_at") or "")[:16].replace("T", " ") or str(_day(r.get("date")) or "")
        body += [[day, line] for line in fault_detail_lines(r)]
        notes = [str(n) for n in r.get("view_notes") or []]
        if notes:
            body.append([day, "not checked: " + "; ".join(notes)])
    if not body:
        return ""
    return ('<h3>Faults rep by rep (value against the limit)</h3>'
            + _table(["session", "fault"], body, left=2, attrs='class="fault-details"'))


def render_report(
    patient: dict,
    rows: list[dict],
    out_dir: str | Path,
    *,
    programme: dict | None = None,
    targets: dict[str, dict] | None = None,
    generated_at: datetime | None = None,
    red_flags: Sequence[dict] | None = None,
) -> Path:
    """Write ``report.html``, ``sessions.csv`` and ``progress.csv`` into ``out_dir``; return the HTML path.

    ``patient``: ``{"name", "notes", ...}``; ``rows``: ``Clinic.progress()`` rows; optionally the current
    ``programme`` (``Programme.to_dict()``, see ``programme_for_report``) and ``targets`` per exercise id
    (``Clinic.targets()``); ``red_flags``: the patient's red-flag screens (``Screen.to_dict()``, newest first).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [dict(r) for r in rows]
    write_csv(out / "sessions.csv", SESSION_FIELDS, session_rows(rows))
    rows, empty = shown_sessions(rows)  # sessions.csv above has every session; the rest leaves out empty ones
    write_csv(out / "progress.csv", WEEK_FIELDS, weekly_rows(rows))

    when = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    name = str(patient.get("name", "patient"))
    ex_rows = _by_exercise(rows)
    days = [d for d in (_day(r.get("date")) for r in rows) if d is not None]
    period = f"{min(days):%d %b %Y} – {max(days):%d %b %Y}" if days else "no sessions yet"
    parts = [
        *_page_head(f"Progress report: {name}", _CSS),
        f"<h1>Progress report: {html.escape(name)}</h1>",
        f'<p class="meta">{html.escape(period)} · {len(rows)} session(s) · generated {html.escape(when)} by posecoach</p>',
    ]
    if patient.get("notes"):
        parts.append(f'<p class="note">Notes: {html.escape(str(patient["notes"]))}</p>')
    parts.append(f'<p class="privacy">{html.escape(PRIVACY_NOTE)}</p>')
    parts.append(_red_flags_html(red_flags))
    if empty:
        parts.append(f'<p class="note">{empty} session(s) with no rep counted (stopped at once, or nobody in view) '
                     'are left out of the tables and plots; sessions.csv lists them.</p>')
    if not rows:
        parts.append("<p>No finished sessions yet.</p>")
    else:
        head, body = _summary(ex_rows)
        parts.append("<h2>Summary</h2>" + _table(head, body))
        parts.append(
            '<p class="note">Range of motion: the main angle of the exercise at the top of each rep (median over the '
            "session's reps), against the patient's target. Similarity: 0-100 against the reference movement the "
            "therapist recorded (median over the session's reps). Pain: 0-10, asked before and after each session. "
            'Data: <a href="sessions.csv">sessions.csv</a> (one line per session), '
            '<a href="progress.csv">progress.csv</a> (one line per exercise and week).</p>'
        )
    parts.append(_programme_html(programme))
    parts.append(_targets_html(targets))
    for ex, rs in ex_rows.items():
        parts += _exercise_section(ex, rs)
    parts.append("</body></html>\n")
    path = out / "report.html"
    _write_text(path, "\n".join(p for p in parts if p))
    return path
