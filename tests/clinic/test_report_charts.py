"""The progress charts a therapist reads (issue 12 item 8): real dates on every axis, a bar that is a
bar, the prescribed and target lines drawn and named, no "3 -> None", no empty sessions."""

from __future__ import annotations

import re

import matplotlib.dates as mdates
import pytest
from matplotlib.collections import LineCollection

from posecoach.clinic.report import pain_text, progress_figure, render_report, shown_sessions


def _row(sid: int, day: str, reps: int, **kw) -> dict:
    row = {"session_id": sid, "date": day, "exercise_id": "glute_bridge", "reps_done": reps,
           "reps_prescribed": 16, "sets": 1 if reps else 0, "peak_median": 170.0 if reps else None,
           "target_peak": 175.0, "similarity_median": None, "faults": {}, "pain_before": 3, "pain_after": None,
           "stopped": "user"}
    return {**row, **kw}


ONE = [_row(1, "2026-12-04", 6)]
WITH_EMPTY = [_row(1, "2026-12-04", 6), _row(2, "2026-12-06", 0), _row(3, "2026-12-06", 0, stopped="pain")]


def _axes(rows: list[dict]) -> dict[str, object]:
    fig = progress_figure(rows, "glute_bridge")
    fig.canvas.draw()
    return {ax.get_title(): ax for ax in fig.axes if ax.axison}


@pytest.mark.parametrize("rows", [ONE, WITH_EMPTY], ids=["one session", "with empty sessions"])
def test_every_date_axis_reads_the_sessions_days(rows):
    axes = _axes(rows)
    assert {"Reps done vs prescribed", "Form faults per session", "Pain before / after (0-10)"} <= set(axes)
    for title, ax in axes.items():
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels, title
        assert all(re.fullmatch(r"\d\d Dec", lab) for lab in labels), (title, labels)  # never "01 Jan"
        assert len(set(labels)) == len(labels), (title, labels)  # never two ticks on one day
        lo, hi = ax.get_xlim()
        assert lo <= mdates.datestr2num("2026-12-04") <= hi, title


def test_one_sessions_bar_does_not_fill_the_axis_and_the_prescribed_line_shows():
    ax = _axes(ONE)["Reps done vs prescribed"]
    bars = ax.patches
    assert len(bars) == 1 and bars[0].get_height() == 6
    lo, hi = ax.get_xlim()
    assert bars[0].get_width() / (hi - lo) < 0.2
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > 16  # the prescribed 16 fits, above the bar
    lines = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_label() == "prescribed"]
    assert lines, "no prescribed line"
    (seg,) = lines[0].get_segments()
    assert seg[0][1] == seg[1][1] == 16 and seg[1][0] - seg[0][0] > 0  # a level line with a length
    assert "prescribed" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_target_line_is_drawn_across_the_axis_for_one_session():
    ax = _axes(ONE)["Range of motion reached vs target"]
    (target,) = [ln for ln in ax.get_lines() if ln.get_label() == "target"]
    xs, ys = target.get_xdata(), target.get_ydata()
    assert set(ys) == {175.0}
    lo, hi = ax.get_xlim()
    assert min(xs) <= lo + 1e-9 and max(xs) >= hi - 1e-9  # from edge to edge, not one invisible point
    y0, y1 = sorted(ax.get_ylim())
    assert y0 < 170 < 175 < y1
    assert "target" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_empty_sessions_are_left_out_of_charts_and_tables(tmp_path):
    kept, empty = shown_sessions(WITH_EMPTY)
    assert [r["session_id"] for r in kept] == [1, 3] and empty == 1  # a stop for pain is a finding: kept
    ax = _axes(WITH_EMPTY)["Reps done vs prescribed"]
    assert len(ax.patches) == 2  # the 6 reps and the pain stop's 0, not the empty session
    page = render_report({"name": "P"}, WITH_EMPTY, tmp_path).read_text()
    assert "2 session(s)" in page and "1 session(s) with no rep counted" in page
    assert (tmp_path / "sessions.csv").read_text().count("glute_bridge") == 3  # the data keeps every one


@pytest.mark.parametrize(("before", "after", "text"), [
    (3, None, "3"), (3, 4, "3 → 4"), (None, 4, "? → 4"), (None, None, "-"), (0, 0, "0 → 0"),
])
def test_pain_cell_shows_only_what_exists(before, after, text):
    assert pain_text(before, after) == text
