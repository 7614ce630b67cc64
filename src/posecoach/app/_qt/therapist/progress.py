"""The "Progress" tab: the report's plots for one exercise (drawn off the GUI thread), the last
sessions in a table, and "Export report..." (the same ``export_report`` as ``posecoach report``)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from posecoach.app._qt.therapist.common import PageContext
from posecoach.app._qt.therapist.sessions import SessionsPanel
from posecoach.errors import PosecoachError

__all__ = ["ProgressTab"]


def _row_html(r: dict) -> str:
    """One session: its faults rep by rep with the value against the limit (else the counts, for a
    session stored before values were recorded) and which limits judged it."""
    from posecoach.clinic.report import fault_detail_lines, limits_text, pain_text

    lines = fault_detail_lines(r)
    faults = "<br>".join(html.escape(x) for x in lines) if lines else html.escape(
        ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in (r.get("faults") or {}).items()) or "-")
    sim, peak = r.get("similarity_median"), r.get("peak_median")
    return (f"<tr><td>{html.escape(str(r['date']))}</td><td>{r['reps_done']} / {r.get('reps_prescribed') or '-'}"
            f"</td><td>{'-' if peak is None else f'{peak:.0f}'}</td><td>{'-' if sim is None else f'{sim:.0f}'}</td>"
            f"<td>{faults}</td><td>{html.escape(limits_text(r) or '-')}</td>"
            f"<td>{pain_text(r.get('pain_before'), r.get('pain_after'))}</td></tr>")


def _progress_png(clinic: Any, pid: int, ex_id: str) -> tuple[list[dict], int, bytes]:
    """The rows shown (no empty session: ``clinic.report.shown_sessions``), how many were left out, and the
    PNG of the five progress plots (run on a worker thread: SQL and matplotlib)."""
    from posecoach.clinic.report import progress_figure_png, shown_sessions

    rows, empty = shown_sessions(clinic.progress(pid, ex_id))
    return rows, empty, progress_figure_png(rows, ex_id)


class ProgressTab(QWidget):
    """``choose_dir(title) -> str`` picks the report folder (tests give one)."""

    def __init__(self, ctx: PageContext, choose_dir: Callable[[str], str]) -> None:
        super().__init__()
        self.ctx = ctx
        self.choose_dir = choose_dir
        self.prog_exercise = QComboBox()
        self.prog_exercise.currentIndexChanged.connect(lambda _i: self.show_progress())
        self.export_button = QPushButton("Export report (HTML + CSV)...")
        self.export_button.clicked.connect(lambda: self.export_report())
        self.chart = QLabel("")
        self.chart.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chart_table = QLabel("")
        self.chart_table.setTextFormat(Qt.TextFormat.RichText)
        self.chart_table.setWordWrap(True)
        scroll = QScrollArea()
        inner = QWidget()
        iv = QVBoxLayout(inner)
        iv.addWidget(self.chart)
        iv.addWidget(self.chart_table)
        self.sessions = SessionsPanel(ctx)  # the list with "Delete session..."
        self.sessions.deleted.connect(lambda _sid: self.fill_exercises())
        iv.addWidget(self.sessions)
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Exercise"))
        top.addWidget(self.prog_exercise, 1)
        top.addWidget(self.export_button)
        v = QVBoxLayout(self)
        v.addLayout(top)
        v.addWidget(scroll, 1)

    def fill_exercises(self) -> None:
        """The exercises the patient has finished sessions of; then the chart of the chosen one."""
        pid = self.ctx.patient_id()
        rows = self.ctx.db(lambda c: c.progress(pid)) if pid is not None else []
        ids = list(dict.fromkeys(r["exercise_id"] for r in rows))
        self.prog_exercise.blockSignals(True)
        cur = self.prog_exercise.currentData()
        self.prog_exercise.clear()
        for ex_id in ids:
            self.prog_exercise.addItem(self.ctx.exercise_name(ex_id), ex_id)
        self.prog_exercise.setCurrentIndex(max(self.prog_exercise.findData(cur), 0))
        self.prog_exercise.blockSignals(False)
        self.show_progress()

    def show_progress(self) -> bytes | None:
        """Draw the progress charts of the chosen exercise; returns the PNG (None without sessions)."""
        pid, ex_id = self.ctx.patient_id(), self.prog_exercise.currentData()
        self.sessions.show_sessions(pid, ex_id)
        if pid is None or ex_id is None:
            self.chart.setPixmap(QPixmap())
            self.chart.setText("No finished sessions yet.")
            self.chart_table.setText("")
            return None
        rows, empty, png = self.ctx.db(lambda c: _progress_png(c, pid, ex_id))
        pm = QPixmap()
        pm.loadFromData(png, "PNG")
        self.chart.setPixmap(pm)
        cells = "".join(_row_html(r) for r in reversed(rows[-10:]))  # newest first
        self.chart_table.setText(
            "<table cellpadding='3'><tr><th>date</th><th>reps</th><th>range</th><th>similarity</th>"
            f"<th>faults: value against the limit</th><th>limits used</th><th>pain</th></tr>{cells}</table>"
            + (f"<p>{empty} session(s) with no rep counted are not shown.</p>" if empty else ""))
        return png

    def export_report(self, out_dir: str | None = None) -> Path | None:
        """The printable report where the therapist chooses (``posecoach.clinic.report.export_report``)."""
        from posecoach.clinic.report import export_report

        pid = self.ctx.patient_id()
        if pid is None:
            return None
        out = out_dir or self.choose_dir("Folder for the report (it holds the patient's data)")
        if not out:
            return None
        try:
            path, _ = self.ctx.db(lambda c: export_report(c, pid, out))
        except (PosecoachError, OSError) as exc:  # an unwritable folder: say so
            self.ctx.say(f"Report not written: {exc}")
            return None
        self.ctx.say(f"Report written: {path}", ok=True)
        return path
