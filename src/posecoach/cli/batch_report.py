"""``report.html`` of ``posecoach analyze``: what happened in each video, to look at.

One self-contained page (``io.html_page``; plots embedded by ``io.plots``, so it opens offline
and can be mailed): a table with one row per video (exercise, reps, holds, faults, the share of
frames that could be judged, warnings), the videos that could not be analysed with their error,
then per video its main angle over time with each rep, fault, cut and unjudged stretch marked,
and its reps.  It reads only the results (the per-video JSON), so videos a re-run kept as they
were are drawn too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from posecoach.core.exercise import Exercise
from posecoach.core.explain import attempts, detail_words, limits_used
from posecoach.io.html_page import BASE_CSS, esc, head, table

__all__ = ["exercise_or_none", "render_batch_report"]

_CSS = BASE_CSS + """
body { max-width: 1180px; }
table.videos td { vertical-align: top; } table.videos th { white-space: nowrap; }
td.warn { text-align: left; color: #8a4b00; font-size: 0.92em; min-width: 16em; }
.plot img { width: 100%; height: auto; display: block; }
.failed td.l:last-child { color: #b00020; }
section.video { margin-bottom: 2em; }
table.reps td.l:nth-child(8), table.attempts td.l:last-child { max-width: 34em; }
.limits, .views { font-size: 0.92em; } .limits ul { margin: 0.2em 0 0.6em; } .views p { color: #8a4b00; margin: 0.3em 0; }
@media print { section.video { break-before: page; } img { max-width: 100%; } }
"""

_NOTE = (
    "Frames judged: the share of the video's frames in which the person was found, in the camera view the "
    "exercise needs, with the joints it needs visible; only those frames can count. In each plot a green band is "
    "a rep (or hold) from its start to its end, numbered; a red cross marks a rep with a form fault; a dashed "
    "purple line is a camera cut (nothing is counted across it); grey stretches could not be judged "
    "(the hatching says why)."
)


def render_batch_report(results: Sequence[dict], names: Sequence[str], exercise: str, *,
                        generated_at: datetime | None = None) -> str:
    """The page for ``results`` (as ``posecoach analyze`` writes them, in order; ``names``: how the
    page names each, ``batch.short_names``), analysed as ``exercise``."""
    ex_name = _exercise_name(exercise)
    ok = [(i, r) for i, r in enumerate(results) if "error" not in r]
    failed = [(names[i], r) for i, r in enumerate(results) if "error" in r]
    when = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    parts = [
        *head(f"posecoach analysis: {ex_name}", _CSS),
        f"<h1>Analysis: {esc(ex_name)}</h1>",
        f'<p class="meta">{len(results)} video(s), {len(failed)} could not be analysed · generated {esc(when)} '
        "by posecoach</p>",
    ]
    if ok:
        parts.append("<h2>Videos</h2>" + _overview(ok, names))
        parts.append(f'<p class="note">{esc(_NOTE)}</p>')
    if failed:
        parts.append("<h2>Could not be analysed</h2>"
                     + table(["video", "error"], [[n, r.get("error", "")] for n, r in failed], left=2,
                             attrs='class="failed"'))
    for i, r in ok:
        parts += _video_section(i, r, names[i])
    parts.append("</body></html>\n")
    return "\n".join(parts)


def exercise_or_none(exercise_id: str) -> Exercise | None:
    """The exercise of a result, or None when its file has gone (a custom one)."""
    try:
        from posecoach.core.exercise import find_exercise

        return find_exercise(exercise_id)
    except Exception:  # a custom exercise file that has gone: its id names it
        return None


def _exercise_name(exercise_id: str) -> str:
    ex = exercise_or_none(exercise_id)
    return ex.name if ex is not None else str(exercise_id).replace("_", " ")


def _overview(ok: Sequence[tuple[int, dict]], names: Sequence[str]) -> str:
    holds = any(r.get("counting") == "hold" for _, r in ok)
    header = ["video", "exercise", "length (s)", "reps" + (" / holds" if holds else ""),
              *(["longest hold (s)", "total held (s)"] if holds else []), "faults", "frames judged", "warnings"]
    rows = []
    for i, r in ok:
        cells = [f'<td class="l"><a href="#video-{i + 1}">{esc(names[i])}</a></td>',
                 f'<td class="l">{esc(_exercise_name(str(r.get("exercise", ""))))}</td>',
                 f"<td>{_num(r.get('duration_s'), 1)}</td>", f"<td>{esc(_reps(r))}</td>"]
        if holds:
            cells += [f"<td>{_hold_stat(r, max)}</td>", f"<td>{_hold_stat(r, sum)}</td>"]
        cells += [f'<td class="l">{esc(_faults(r))}</td>', f"<td>{esc(_judged(r))}</td>",
                  f'<td class="warn">{"<br>".join(esc(w) for w in _warnings(r)) or "-"}</td>']
        rows.append(f"<tr>{''.join(cells)}</tr>")
    th = "".join(f'<th class="l">{esc(h)}</th>' if h in ("video", "exercise", "faults", "warnings")
                 else f"<th>{esc(h)}</th>" for h in header)
    return f'<table class="videos"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _num(v: object, nd: int) -> str:
    return f"{v:.{nd}f}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "-"


def _reps(r: dict) -> str:
    """The count, with the count per side where the result has one (``left 4, right 5``)."""
    text = str(r.get("reps", "-"))
    by_side = r.get("reps_by_side")
    if isinstance(by_side, dict) and by_side:
        sides = ", ".join(f"{'near side' if s == 'near' else s} {n}" for s, n in by_side.items())
        text += f" ({sides})"
    return text


def _hold_stat(r: dict, how) -> str:
    held = [float(h.get("hold_s") or 0.0) for h in r.get("holds") or []]
    if r.get("counting") != "hold" or not held:
        return "-"
    return _num(how(held), 1)


def _faults(r: dict) -> str:
    """The fault counts, each by what it checks (the rule's label: "knees caving in" and its count)."""
    from posecoach.core.explain import rule_label

    faults = r.get("faults") or {}
    ex = exercise_or_none(str(r.get("exercise", "")))
    return ", ".join(f"{rule_label(str(k), ex)} ×{v}" for k, v in faults.items()) or "none"


def _judged(r: dict) -> str:
    frames = r.get("frames") or 0
    if not frames:
        return "-"
    return f"{100 * (r.get('frames_usable') or 0) / frames:.0f}%"


def _warnings(r: dict) -> list[str]:
    """The result's warnings, and the cuts and tracker glitches a reader should know of."""
    out = [str(w) for w in r.get("warnings") or []]
    cuts = int(r.get("cuts") or 0)
    if cuts:
        out.append(f"{cuts} camera cut{'s' if cuts != 1 else ''}: counting restarted there")
    frames = r.get("frames") or 0
    several = int(r.get("frames_several_people") or 0)
    if frames and several and not any("several people" in w for w in out):
        out.append(f"several people in view in {100 * several / frames:.0f}% of frames")
    return out


def _video_section(i: int, r: dict, name: str) -> list[str]:
    from posecoach.io.plots import angle_timeline_png

    facts = [_exercise_name(str(r.get("exercise", ""))), f"{_num(r.get('duration_s'), 1)} s",
             f"{_num(r.get('fps'), 0)} fps" if r.get("fps") else "", f"reps {_reps(r)}",
             f"frames judged {_judged(r)}"]
    png = angle_timeline_png(r, title="")
    parts = [
        f'<section class="video" id="video-{i + 1}"><h2>{esc(name)}</h2>',
        f'<p class="meta">{esc(" · ".join(f for f in facts if f))}</p>',
        f'<figure class="plot"><img alt="{esc("main angle over time: " + name)}" data-plot="timeline" '
        f'src="data:image/png;base64,{png}"></figure>',
    ]
    ex = exercise_or_none(str(r.get("exercise", "")))
    parts += _limits_and_views(r, ex)
    details = r.get("rep_details") or []
    if details:
        parts.append(_rep_table(r, details, ex))
    else:
        parts.append('<p class="note">No rep was counted in this video.</p>')
    tried = attempts(r)
    if tried:
        parts.append(_attempt_table(r, tried, ex))
    parts.append("</section>")
    return parts


def _limits_and_views(r: dict, ex: Exercise | None) -> list[str]:
    """Which limits judged the video's faults (the textbook's, or the patient's own: their
    reference, earlier reps, rest), and what the camera's view could not judge."""
    out = []
    used = limits_used(r, ex)
    if used:
        items = "".join(f"<li><strong>{esc(src[0].upper() + src[1:])}</strong>: {esc(', '.join(labels))}</li>"
                        for src, labels in used)
        out.append(f'<div class="limits" data-part="limits"><p>Faults were judged against these limits:</p>'
                   f"<ul>{items}</ul></div>")
    notes = [str(n) for n in r.get("view_notes") or []]
    if notes:
        out.append('<div class="views" data-part="view-notes">'
                   + "".join(f"<p>{esc(n)}.</p>" for n in notes) + "</div>")
    return out


def _unit(r: dict) -> tuple[str, int]:
    unit = "deg" if ((r.get("trace") or {}).get("unit", "deg")) == "deg" else "body lengths"
    return unit, 1 if unit == "deg" else 3


def _fault_words(d: dict, ex: Exercise | None) -> str:
    """A rep's faults, each with its value and the limit it crossed (or its id in words, for a
    result written before values were recorded)."""
    from posecoach.core.explain import rule_label

    details = d.get("fault_details") or []
    if details:
        return "; ".join(detail_words(f, ex) for f in details)
    return ", ".join(rule_label(str(f), ex) for f in d.get("faults") or []) or "-"


def _rep_table(r: dict, details: Sequence[dict], ex: Exercise | None = None) -> str:
    unit, nd = _unit(r)
    sim = any("similarity" in d for d in details)
    header = ["rep", "side", "start (s)", "end (s)", f"peak ({unit})", "peak at (s)", "held (s)",
              "faults: value and limit",
              *(["similarity (0-100)", "differs most"] if sim else [])]
    body = []
    for d in details:
        row = [d.get("index", ""), d.get("side") or "-", _num(d.get("start_s"), 1), _num(d.get("end_s"), 1),
               _num(d.get("peak_angle"), nd), _num(d.get("peak_s"), 1), _num(d.get("hold_s"), 1),
               _fault_words(d, ex)]
        if sim:
            row += [_num(d.get("similarity"), 0), d.get("differs_most") or "-"]
        body.append(row)
    return table(header, body, left=0, text=(1, 7, 9) if sim else (1, 7), attrs='class="reps"')


def _attempt_table(r: dict, tried: Sequence[dict], ex: Exercise | None) -> str:
    """The attempts that did not count: when, why not, and the faults they still had."""
    unit, nd = _unit(r)
    body = [[_num(d.get("start_s"), 1), _num(d.get("end_s"), 1), _num(d.get("peak_angle"), nd),
             d.get("why_not_counted") or "short of the peak", _fault_words(d, ex)] for d in tried]
    n = len(tried)
    return (f"<h3>{n} attempt{'s' if n != 1 else ''} that did not count</h3>"
            + table(["start (s)", "end (s)", f"peak ({unit})", "why not counted", "faults: value and limit"], body,
                    left=0, text=(3, 4), attrs='class="attempts"'))
