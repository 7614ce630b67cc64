"""The window on a real laptop (issue 12 item 9): it fits a 1366x768 screen at its minimum size,
no text is cut there, the coaching text is readable from 2 m (the cue at least 36 px) and grows
with the window, and the side panel takes a share of the width so the picture grows too.

Offscreen (pytest-qt); every page is put in its fullest state (messages, warnings, the rest
label, the longest cue of any exercise) before it is measured."""

from __future__ import annotations

import os
from types import SimpleNamespace

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app

make_app()

from PySide6.QtGui import QColor, QImage  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QLabel, QListWidget, QWidget  # noqa: E402

from app_helpers import (  # noqa: E402
    coaching_window,
    no_thread_left,  # noqa: F401 - autouse fixture
    window_maker,
)
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.clinic.patients import Clinic  # noqa: E402
from posecoach.core.exercise import list_exercises  # noqa: E402

pytestmark = pytest.mark.gui

# A 1366x768 laptop screen less a taskbar (the window manager's title bar comes off too, but
# the test measures the window's content).
SCREEN_W, SCREEN_H = 1366, 768 - 40


@pytest.fixture
def make_window(qtbot, tmp_path, clinic):
    def build() -> MainWindow:
        return coaching_window(tmp_path, clinic, speed=None)

    yield from window_maker(qtbot, build, wait_active=False)


def longest_cue() -> str:
    good, _ = list_exercises()
    return max((r.cue for e in good for r in e.form_rules), key=len)


def fill_coaching(w: MainWindow, *, rest: bool = False, notice: str = "") -> None:
    """The coaching panel as in a session of glute bridges: the counters, a hold, the longest cue."""
    c = w.coach
    c.exercise_label.setText("Bird dog (alternating arm and leg)")
    c.set_label.setText("Set 2 of 3")
    c.reps_label.setText("12 / 16")
    c.hold_label.setText("Hold: 4.2 / 5 s")
    c.progress_label.setText("Session: 28 of 48 reps, 1 of 3 sets done")
    c.cue_label.setText(longest_cue())
    c.rest_label.setText("Rest: 36 s, then set 3 of 3")
    c.rest_label.setVisible(rest)
    c.set_notice(notice)
    w.pages.setCurrentWidget(c)


def with_everything_shown(w: MainWindow, clinic: Clinic) -> None:
    """Each page at its tallest: a patient with a plan, the pain warning, an error, the caution
    after "It hurts"; the coaching panel with the rest line, a notice and the speech line; the
    summary with a message and the safety advice; the therapist page with every tab."""
    pid = clinic.add_patient("Ann Example", notes="Lumbar disc, 6 weeks; no lifting above 5 kg.")
    clinic.set_programme(pid, [{"exercise_id": "glute_bridge", "sets": 3, "reps": 16, "hold_s": 5},
                               {"exercise_id": "bird_dog", "sets": 2, "reps": 8, "hold_s": 5},
                               {"exercise_id": "plank", "sets": 3, "reps": 1, "hold_s": 20}])
    w.refresh_patients()
    w.setup.select_patient(pid)
    w.setup.pain.setValue(9)
    w.setup.set_caution("Earlier today you stopped a session because it hurt (pain 7/10). Exercising again "
                        "today may make it worse: rest, and if the pain does not settle talk to your "
                        "physiotherapist or doctor. Start again only if you feel well enough.")
    w.setup.show_error("The camera could not be opened: check that no other program uses it, or choose a "
                       "video file.")
    fill_coaching(w, rest=True, notice="The camera was lost: plug it in again, the session waits for it.")
    w.coach.speech_label.setText("Speech is off: no audio device found, cues are shown as text.")
    w.coach.speech_label.show()
    w.summary.show_summary("<h2>Glute bridge</h2>" + "<p>Rep 1: good</p>" * 20,
                           message="The video ended before the plan was done.", pain_after=6, safety=True)
    w.show_therapist()
    w.therapist.select_patient(pid)


def test_the_window_at_its_minimum_size_fits_a_laptop_screen(make_window, qtbot, clinic):
    w = make_window()
    with_everything_shown(w, clinic)
    pages = [w.setup, w.coach, w.summary, w.therapist]
    for tab in range(w.therapist.tabs.count()):
        w.therapist.tabs.setCurrentIndex(tab)
        for page in pages:
            w.pages.setCurrentWidget(page)
            qtbot.wait(1)
            hint = page.minimumSizeHint()
            assert hint.width() <= SCREEN_W and hint.height() <= SCREEN_H, (page, tab, hint)
            win = w.minimumSizeHint().expandedTo(w.minimumSize())
            assert win.width() <= SCREEN_W and win.height() <= SCREEN_H, (page, tab, win)


def cut_text(root: QWidget) -> list[str]:
    """The visible labels and buttons under ``root`` whose text does not fit them."""
    cut = []
    for wdg in root.findChildren(QWidget):
        if not wdg.isVisibleTo(root) or not wdg.isVisible():
            continue
        if hasattr(wdg, "text_fits"):  # the cue sizes its font to its box
            if not wdg.text_fits():
                cut.append(f"cue {wdg.text()!r} at {wdg.fontInfo().pixelSize()} px in {wdg.size()}")
        elif isinstance(wdg, QLabel) and wdg.text() and wdg.pixmap().isNull():
            if wdg.wordWrap():
                if wdg.height() < wdg.heightForWidth(wdg.width()) - 1:
                    cut.append(f"label {wdg.text()[:40]!r} {wdg.height()} < {wdg.heightForWidth(wdg.width())}")
            elif wdg.width() < wdg.sizeHint().width() - 1 or wdg.height() < wdg.sizeHint().height() - 1:
                cut.append(f"label {wdg.text()[:40]!r} {wdg.size()} < {wdg.sizeHint()}")
        elif isinstance(wdg, QListWidget):
            width = wdg.viewport().width()
            for i in range(wdg.count()):
                need = wdg.fontMetrics().horizontalAdvance(wdg.item(i).text()) + 8
                if need > width:
                    cut.append(f"list item {wdg.item(i).text()!r} {need} > {width}")
        elif isinstance(wdg, QAbstractButton) and wdg.text() and wdg.width() < wdg.minimumSizeHint().width() - 1:
            cut.append(f"button {wdg.text()!r} {wdg.width()} < {wdg.minimumSizeHint().width()}")
    return cut


def test_no_text_is_cut_on_any_page_at_1366x768(make_window, qtbot, clinic):
    w = make_window()
    w.resize(1366, 768)
    with_everything_shown(w, clinic)
    for page in (w.setup, w.coach, w.summary):
        w.pages.setCurrentWidget(page)
        qtbot.wait(20)
        assert w.height() <= 768 and cut_text(page) == [], page
    w.pages.setCurrentWidget(w.therapist)
    for tab in range(w.therapist.tabs.count()):
        w.therapist.tabs.setCurrentIndex(tab)
        qtbot.wait(20)
        assert w.height() <= 768 and cut_text(w.therapist) == [], tab


def coaching_at(w: MainWindow, qtbot, width: int, height: int) -> dict:
    w.resize(width, height)
    fill_coaching(w)
    qtbot.waitUntil(lambda: w.coach.width() == width, timeout=2000)
    qtbot.wait(50)
    c = w.coach
    return {
        "cue": c.cue_label.fontInfo().pixelSize(), "reps": c.reps_label.fontInfo().pixelSize(),
        "hold": c.hold_label.fontInfo().pixelSize(), "set": c.set_label.fontInfo().pixelSize(),
        "progress": c.progress_label.fontInfo().pixelSize(),
        "side": c.cue_label.parentWidget().width(), "video": c.video.width(), "page": c.width(),
    }


def test_the_cue_is_readable_from_two_metres_on_a_laptop(make_window, qtbot):
    """The longest cue of any exercise, at 1366x768: at least 36 px, and all of it in its box."""
    w = make_window()
    small = coaching_at(w, qtbot, 1366, 768)
    assert small["cue"] >= 36, small
    assert small["reps"] >= 80 and small["hold"] >= 30 and small["progress"] >= 16, small
    assert cut_text(w.coach) == []
    # maximised on that screen under a taskbar and a title bar: still 36 px
    low = coaching_at(w, qtbot, 1366, 705)
    assert low["cue"] >= 36 and cut_text(w.coach) == [], low


def test_the_counter_hold_timer_cue_and_picture_grow_with_the_window(make_window, qtbot):
    w = make_window()
    small = coaching_at(w, qtbot, 1366, 768)
    big = coaching_at(w, qtbot, 1920, 1080)
    for key in ("cue", "reps", "hold", "set", "progress"):
        assert big[key] >= small[key] * 1.25, (key, small, big)
    # the side panel takes a share of the width, bounded; the picture gets the rest
    assert small["side"] >= 360 and big["side"] > small["side"] and big["side"] <= 0.34 * big["page"]
    assert big["video"] >= small["video"] + 300
    assert cut_text(w.coach) == []
    huge = coaching_at(w, qtbot, 3840, 2160)
    assert huge["side"] <= 640 and huge["video"] >= 3000
    # the big text does not keep the window big: it can be made small again, and the text follows
    w.coach.rest_label.show()
    w.coach.set_notice("The camera was lost: plug it in again, the session waits for it.")
    qtbot.wait(20)
    win = w.minimumSizeHint().expandedTo(w.minimumSize())
    assert win.width() <= SCREEN_W and win.height() <= SCREEN_H, win
    again = coaching_at(w, qtbot, 1366, 768)
    assert again["cue"] <= small["cue"] and again["reps"] == small["reps"] and again["side"] == small["side"]


def banner_height(w: MainWindow, qtbot, width: int, height: int) -> int:
    """The height in px of the orange guidance box over the picture (its left padding column)."""
    w.resize(width, height)
    fill_coaching(w)
    grey = QImage(640, 480, QImage.Format.Format_RGB888)
    grey.fill(QColor(90, 90, 90))
    frame = SimpleNamespace(image=grey, result=SimpleNamespace(pose=None, values={}, status="no_pose"), index=1,
                            captured_at=0.0, guidance="Step into the picture: your whole body from head to feet")
    w.coach.video.show_frame(frame)
    qtbot.waitUntil(lambda: w.coach.width() == width, timeout=2000)
    img = w.coach.video.grab().toImage()
    rows = [img.pixelColor(26, y) for y in range(img.height())]
    return sum(1 for c in rows if c.red() > 120 and c.blue() < 60)


def test_the_guidance_over_the_picture_grows_with_the_window(make_window, qtbot):
    w = make_window()
    small = banner_height(w, qtbot, 1366, 768)
    big = banner_height(w, qtbot, 1920, 1080)
    assert small >= 30 and big >= small * 1.25, (small, big)
