"""Issue 12 item 11: warnings that were wrong.  A lighting line over a well-tracked exercise or over
an empty end card, 0-360 angles shown to a patient, "3 sets of 1 reps", the camera error telling
a patient to use ``--source N``, and cues left on screen long after they applied.

Qt tests run offscreen with generated stick-figure videos and a fake estimator replaying their poses."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import dataclasses  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import pytest  # noqa: E402

import posecoach.app  # noqa: E402,F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app  # noqa: E402

make_app()

from app_helpers import (  # noqa: E402
    RecordingBackend, SynthClip, blank_video, bridge_clip,
    no_thread_left,  # noqa: F401 - autouse fixture
    window_maker,
)
from posecoach.app import coaching  # noqa: E402
from posecoach.app._qt import main_window as mw  # noqa: E402
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.app.lighting import LightingWatch  # noqa: E402
from posecoach.app.wording import dose_text, rest_text  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.errors import SourceError  # noqa: E402
from posecoach.io.speech import Speaker  # noqa: E402

SPEED = 6.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return bridge_clip(tmp_path_factory.mktemp("clips") / "bridges.mp4", [180.0, 180.0], hold_s=1.0)


@pytest.fixture
def make_window(qtbot, tmp_path):
    def build(clip=None, *, estimator_factory=None) -> MainWindow:
        speaker = Speaker(backend=RecordingBackend())
        speaker.start()
        return MainWindow(settings_path=tmp_path / "settings.json", speaker=speaker, history=None,
                          estimator_factory=estimator_factory or (clip.estimator_factory() if clip else None),
                          speed=SPEED, lossless=True)

    yield from window_maker(qtbot, build, wait_active=False)


# ----------------------------------------------------------------------------- lighting


def test_the_light_is_mentioned_only_while_it_spoils_the_tracking():
    watch = LightingWatch(window_s=2.0)
    t = 0.0
    for _ in range(90):  # 3 s of a blown-out picture, tracked fine: nothing to say
        assert watch.update(t, 245.0, "ok") == ""
        t += 1 / 30
    said = [watch.update(t + i / 30, 245.0, "unsteady") for i in range(60)]
    assert said[0] == "" and "too bright" in said[-1]  # once most recent frames cannot be judged
    t += 2.0
    back = [watch.update(t + i / 30, 245.0, "ok") for i in range(60)]
    assert back[-1] == "" and "" in back[:40]  # and gone again when the tracking is fine
    card = LightingWatch()
    assert all(card.update(i / 30, 5.0, "no_person") == "" for i in range(90))  # a black end card
    turned = LightingWatch()  # seen well enough to be facing the wrong way: not the light's fault
    assert all(turned.update(i / 30, 245.0, "wrong_view_side") == "" for i in range(90))


def _guidance_seen(w: MainWindow, qtbot, video: str) -> list[str]:
    seen: list[str] = []
    assert w.start_session(video, "glute_bridge", 2)
    w.worker.frame_ready.connect(lambda live: seen.append(live.guidance))
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    return seen


def test_a_dark_picture_of_a_person_tracked_fine_gets_no_lighting_warning(make_window, qtbot, clip, tmp_path):
    dark = blank_video(tmp_path / "dark.mp4", seconds=3.0, level=8)
    seen = _guidance_seen(make_window(clip), qtbot, str(dark))
    assert seen and not any("dark" in g for g in seen), set(seen)


def test_a_dark_picture_that_spoils_the_tracking_says_so(make_window, qtbot, clip, tmp_path):
    dark = blank_video(tmp_path / "dark.mp4", seconds=3.0, level=8)
    faint = [(t, dataclasses.replace(p, visibility=p.visibility * 0.1)) for t, p in clip.poses]
    poor = SynthClip(clip.path, faint, clip.fps)
    seen = _guidance_seen(make_window(estimator_factory=poor.estimator_factory()), qtbot, str(dark))
    assert any("too dark" in g for g in seen), set(seen)


def test_an_end_card_with_no_one_in_it_is_not_a_dark_room(make_window, qtbot, clip, tmp_path):
    card = blank_video(tmp_path / "card.mp4", seconds=3.0, level=5)
    empty = SynthClip(clip.path, [(t, None) for t, _ in clip.poses], clip.fps)
    seen = _guidance_seen(make_window(estimator_factory=empty.estimator_factory()), qtbot, str(card))
    assert seen and not any("dark" in g or "bright" in g for g in seen), set(seen)
    assert "Step into the camera's view" in seen


# ----------------------------------------------------------------------------- angles


def test_a_patient_sees_only_angles_they_can_read(clip):
    _, pose = clip.poses[10]
    plank = find_exercise("plank")
    values = {"knee_lift": 223.0, "hip": 191.0}
    assert [a[0] for a in coaching.angle_anchors(plank, pose.xy, "left", values)] == ["knee_lift", "hip"]
    assert coaching.angle_anchors(plank, pose.xy, "left", values, patient=True) == []  # 0-360 device angles
    squat = find_exercise("squat")
    shown = coaching.angle_anchors(squat, pose.xy, "left", {"knee": 95.0, "trunk_past_shins": -4.0, "knee_width": 0.8,
                                                             "trunk_side_lean": 3.0}, patient=True)
    # the ratio is not an angle, and the trunk's lean less the shins' is a difference (here below 0)
    assert [a[0] for a in shown] == ["knee", "trunk_side_lean"]
    assert all(0 <= a[1] <= 180 for a in shown)


def test_the_coaching_window_draws_the_patient_angles(make_window, qtbot, clip, monkeypatch):
    from posecoach.app._qt import video_view

    calls = []
    real = video_view.paint_angles
    monkeypatch.setattr(video_view, "paint_angles", lambda *a, **kw: calls.append(kw) or real(*a, **kw))
    w = make_window(clip)
    assert w.start_session(str(clip.path), "glute_bridge", 2)
    qtbot.waitUntil(lambda: bool(calls), timeout=10000)
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    assert all(kw.get("patient") is True for kw in calls)


# ----------------------------------------------------------------------------- wording


def test_doses_read_as_a_patient_would_say_them():
    assert dose_text(3, 1, 20, hold_exercise=True) == "3 holds of 20 s"
    assert dose_text(1, 1, 20, hold_exercise=True) == "1 hold of 20 s"
    assert dose_text(2, 3, 10, hold_exercise=True) == "2 sets of 3 holds of 10 s"
    assert dose_text(1, 1) == "1 set of 1 rep"
    assert dose_text(2, 8, 3.0) == "2 sets of 8 reps, hold 3 s"
    assert rest_text(60, 3, 1, hold_exercise=True) == "rest 60 s between holds"
    assert rest_text(30, 2, 8) == "rest 30 s between sets" and rest_text(30, 1, 8) == ""


def test_the_setup_screen_says_3_holds_of_20_s_for_a_plank(make_window):
    w = make_window()
    w.setup.select_exercise("plank")
    text = w.setup.details.toPlainText()
    assert "3 holds of 20 s, rest 60 s between holds" in text, text
    assert "1 reps" not in text and "sets of 1" not in text
    w.setup.select_exercise("glute_bridge")
    assert "2 sets of 8 reps, hold 3 s" in w.setup.details.toPlainText()


# ----------------------------------------------------------------------------- camera


def _no_camera(index: int) -> bool:
    cap = cv2.VideoCapture(index)
    try:
        return not cap.isOpened()
    finally:
        cap.release()


def test_the_window_tells_a_patient_what_to_do_about_a_missing_camera():
    from posecoach.app.worker import default_source_factory
    from posecoach.io.sources import CameraSource

    index = 7
    if not _no_camera(index):
        pytest.skip("this machine has a camera 7")
    with pytest.raises(SourceError) as e:
        default_source_factory(index)()
    msg = str(e.value)
    assert "--source" not in msg and "plugged in" in msg and "another app" in msg and "set-up screen" in msg
    with pytest.raises(SourceError) as e:
        CameraSource(index)  # the command line keeps its flag
    assert "--source N" in str(e.value)


# ----------------------------------------------------------------------------- cues


def test_a_cue_is_cleared_a_few_seconds_after_it_was_shown(make_window):
    w = make_window()
    w._show_cue("Lift your hips a little, keep a straight line")
    now = time.monotonic()
    w._fade_cue(now + 1.0)
    assert w.coach.cue_label.text() == "Lift your hips a little, keep a straight line"  # still fresh
    w._fade_cue(now + mw.CUE_SHOWN_S + 0.1)
    assert w.coach.cue_label.text() == ""


def test_a_cue_does_not_stay_on_screen_for_the_rest_of_a_session(make_window, qtbot, clip, monkeypatch):
    monkeypatch.setattr(mw, "CUE_SHOWN_S", 0.3)
    w = make_window(clip)
    assert w.start_session(str(clip.path), "glute_bridge", 2, 1, 8)  # more reps than the clip: no "all done"
    qtbot.waitUntil(lambda: len(w.cue_history) >= 1, timeout=10000)
    qtbot.waitUntil(lambda: w.coach.cue_label.text() == "" and w._running, timeout=10000)  # cleared mid-session
    w.stop("user")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)


def test_a_plank_counts_holds_in_the_summary_and_the_progress_line():
    from posecoach.app.coaching import summary_html, summary_text
    from posecoach.core.sets import SetPlan, SetTracker

    plank = find_exercise("plank")
    summary = {"reps": 1, "duration_s": 40.0, "hold_target_s": 20.0, "faults": {}, "warnings": [],
               "rep_details": [{"index": 1, "hold_s": 21.0, "faults": []}]}
    for fn in (summary_text, summary_html):
        text = fn(summary, exercise=plank, plan=SetPlan(3, 1, 60), stopped="user", pain_before=1, pain_after=1)
        assert "1 of 3 holds" in text and "Set 1: 1 of 1 hold" in text and "reps" not in text, text
    t = SetTracker(SetPlan(3, 1, 60))
    t.update(1, 10.0)
    assert t.progress_line("hold") == "Session: 1 of 3 holds, 1 of 3 sets done"
    one = SetTracker(SetPlan(1, 1, 60))
    assert one.progress_line() == "Session: 0 of 1 rep, 0 of 1 set done"
