"""The desktop app, driven for real offscreen with pytest-qt.

The window plays generated stick-figure videos (``posecoach.app.synthvideo``)
through the real worker (reader thread, newest-frame mailbox, shot-cut
detector, Session, speech) with a fake estimator that replays the poses each
frame was drawn from: everything but MediaPipe runs.  One ``model`` test runs
the real estimator on a blank video.  Playback is sped up (``speed``) so the
file stays short; frame times are still the video's.
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import threading  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402

import posecoach.app  # noqa: E402,F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app  # noqa: E402

make_app()  # drops OpenCV's QT_QPA_PLATFORM_PLUGIN_PATH before pytest-qt makes the QApplication

from PySide6.QtCore import Qt  # noqa: E402

from app_helpers import (  # noqa: E402
    HangingBackend,
    FPS, FailingBackend, FakeCamera, IndexedCamera, IndexReplay, RecordingBackend, blank_video, bridge_clip,
    no_thread_left,  # noqa: F401 - autouse fixture
    window_maker,
)
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.app.coaching import (  # noqa: E402
    SAFETY_ADVICE, LiveStats, SetPlan, SetTracker, angle_anchors, lighting_guidance, summary_text,
)
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.clinic.history import History  # noqa: E402
from posecoach.errors import SourceError  # noqa: E402
from posecoach.app.settings import Settings, load_settings  # noqa: E402
from posecoach.io.speech import Speaker  # noqa: E402

from history_spy import FullDisk, ThreadNotingHistory  # noqa: E402

pytestmark = pytest.mark.gui

SPEED = 6.0


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """Three bridges: good, hips low (counted, hips_low fault), good."""
    return bridge_clip(tmp_path_factory.mktemp("clips") / "bridges.mp4", [180.0, 160.0, 180.0])


@pytest.fixture
def make_window(qtbot, tmp_path):
    # lossless: every frame is judged even when the machine is busy (a loaded CI machine would
    # otherwise drop frames and with them reps); the newest-frame behaviour has its own test below.
    def build(clip=None, *, speaker=None, speed=SPEED, cost_s=0.0, source_factory=None, lossless=True,
              **kw) -> MainWindow:
        if speaker is None:
            speaker = Speaker(backend=RecordingBackend())
            speaker.start()
        return MainWindow(
            settings_path=tmp_path / "settings.json", speaker=speaker,
            estimator_factory=kw.pop("estimator_factory", None) or (
                clip.estimator_factory(cost_s) if clip is not None else None),
            source_factory=source_factory, speed=speed, lossless=lossless, **kw,
        )

    yield from window_maker(qtbot, build, wait_active=True)


def wait_summary(qtbot, w: MainWindow, timeout=15000) -> None:
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=timeout)


def history_session(sid) -> dict:
    with History() as h:
        return h.session(sid)


# --------------------------------------------------------------------------- pure model


def test_set_tracker_splits_the_running_count_into_sets():
    t = SetTracker(SetPlan(sets=2, reps=2, rest_s=30))
    assert (t.set_line(), t.rep_line()) == ("Set 1 of 2", "0 / 2")
    assert t.update(1, 0.0) == ""
    assert t.update(2, 10.0) == "set_done"
    assert t.rest_left(15.0) == pytest.approx(25.0)
    assert (t.set_line(), t.rep_line()) == ("Set 2 of 2", "0 / 2")
    assert t.update(4, 50.0) == "all_done"  # two reps in one frame still count both
    assert t.per_set == [2, 2] and t.done
    assert t.progress_line() == "Session: 4 of 4 reps, 2 of 2 sets done"
    t.update(5, 60.0)  # extra reps go into the last set
    assert t.per_set == [2, 3]


def test_live_stats_lighting_and_summary_text():
    s = LiveStats(window_s=1.0)
    for i in range(11):
        s.frame_shown(10.0 + i * 0.1, 10.0 + i * 0.1 - 0.04)
    assert s.fps(11.0) == pytest.approx(10.0, rel=0.05)
    assert s.latency_ms() == pytest.approx(40.0, abs=0.5)
    assert "no pictures skipped" in s.status_line(11.0)
    assert "too dark" in lighting_guidance(20.0)
    assert lighting_guidance(120.0) == ""
    ex = find_exercise("glute_bridge")
    summary = {"reps": 3, "duration_s": 30.0, "hold_target_s": 3.0, "faults": {"hips_low": 1},
               "rep_details": [{"index": i, "hold_s": 3.0, "faults": ["hips_low"] if i == 2 else []}
                               for i in (1, 2, 3)], "warnings": []}
    text = summary_text(summary, exercise=ex, plan=SetPlan(2, 2, 30), stopped="pain", pain_before=3,
                        pain_after=6, fault_cues={"hips_low": "Lift your hips higher"})
    assert "Set 1: 2 of 2 reps" in text and "Set 2: 1 of 2 reps" in text
    assert f"rep 2: held 3.0 s; to work on: {ex.form_rules[0].what}" in text  # (the rule's label)
    assert ex.form_rules[0].id == "hips_low"
    assert "Your hips stayed lower than a straight line from your shoulders to your knees in 1 rep. " \
        "Lift your hips higher." in text
    assert "hips_low" not in text  # never a raw id
    assert "Pain before: 3/10   after: 6/10" in text and "Stopped because it hurt." in text


def test_angles_are_written_at_their_vertex(clip):
    ex = find_exercise("glute_bridge")
    _, pose = clip.poses[10]
    from posecoach.core.landmarks import INDEX

    anchors = angle_anchors(ex, pose.xy, "left", {"hip": 150.0, "knee": 80.0})
    assert [a[0] for a in anchors] == ["hip", "knee"]
    name, value, x, y, is_rep = anchors[0]
    assert is_rep and value == 150.0
    assert (x, y) == pytest.approx(tuple(pose.xy[INDEX["left_hip"]]))
    assert angle_anchors(ex, pose.xy, "left", {"hip": float("nan")}) == []


# --------------------------------------------------------------------------- the window


def test_setup_screen_shows_exercise_camera_and_pain_check(make_window, qtbot, clip):
    w = make_window(clip)
    assert w.pages.currentWidget() is w.setup
    w.setup.select_exercise("glute_bridge")
    html = w.setup.details.toPlainText()
    ex = find_exercise("glute_bridge")
    assert ex.instructions[0] in html and "Set up the camera" in html and "2 m away" in html
    assert (w.setup.sets.value(), w.setup.reps.value()) == (ex.dosage.sets, ex.dosage.reps)
    assert w.setup.camera_index.value() == 0 and w.setup.use_camera.isChecked()
    w.setup.set_video(str(clip.path))
    w.setup.pain.setValue(9)
    assert w.setup.pain_warning.isVisibleTo(w.setup)
    w.setup.pain.setValue(3)
    w.setup.reps.setValue(2)
    qtbot.mouseClick(w.setup.start_button, Qt.MouseButton.LeftButton)
    assert w.pages.currentWidget() is w.coach
    assert w.coach.exercise_label.text() == "Glute bridge"
    w.stop("user")
    wait_summary(qtbot, w)
    saved = load_settings(w._settings_path)
    assert saved.exercise_id == "glute_bridge" and saved.video_path == str(clip.path) and saved.last_pain == 3


def test_coaching_counts_reps_in_sets_cues_faults_and_saves_history(make_window, qtbot, clip):
    w = make_window(clip)
    assert w.start_session(str(clip.path), "glute_bridge", 2, 2, 2)
    assert w.pages.currentWidget() is w.coach
    # reps appear on screen as they happen
    qtbot.waitUntil(lambda: w.coach.reps_label.text() == "1 / 2", timeout=10000)
    live = w.coach.video._frame
    assert live is not None and live.result.pose is not None and "hip" in live.result.values
    # the set ends after 2 reps: a rest countdown (nothing counts during it: the patient skips it
    # here); the fault of rep 2 changes the cue
    qtbot.waitUntil(lambda: any(c.startswith("Set 1 done: rest") for c in w.cue_history), timeout=10000)
    assert w.coach.set_label.text() == "Set 2 of 2"
    w.skip_rest()
    assert any("Lift your hips higher" in c for c in w.cue_history), w.cue_history
    i_fault = next(i for i, c in enumerate(w.cue_history) if "Lift your hips higher" in c)
    assert w.cue_history[i_fault - 1] != w.cue_history[i_fault]
    assert "frames/s" in w.stats_label.text() and "latency" in w.stats_label.text()
    wait_summary(qtbot, w)
    assert w.stopped == "completed"
    text = w.summary.text.toPlainText()
    assert "Set 1: 2 of 2 reps" in text and "Set 2: 1 of 2 reps" in text
    assert "Your hips stayed lower than a straight line from your shoulders to your knees in 1 rep. " \
        "Lift your hips higher" in text
    assert "Pain before: 2/10, after: -" in text
    row = history_session(w.session_id)
    assert [r["set_index"] for r in row["reps"]] == [1, 1, 2]  # recorded rep by rep
    assert row["stopped"] == "completed" and row["pain_before"] == 2 and row["summary"]["reps"] == 3
    assert row["planned_sets"] == 2 and row["planned_reps"] == 2
    assert row["faults"] == {"hips_low": 1}
    # pain after, entered on the summary, updates the same history row
    w.summary.pain.setValue(1)
    qtbot.mouseClick(w.summary.save_pain, Qt.MouseButton.LeftButton)
    assert history_session(w.session_id)["pain_after"] == 1
    assert "after: 1/10" in w.summary.text.toPlainText()
    # the speaker was fed the cues (a recording backend)
    assert w.speaker.last_started


def test_reps_are_written_off_the_gui_thread(make_window, qtbot, clip):
    spy = ThreadNotingHistory(History())
    w = make_window(clip, history=spy)
    assert w.start_session(str(clip.path), "glute_bridge", 2, 1, 3)
    wait_summary(qtbot, w)
    gui = threading.main_thread()
    reps = spy.threads("add_rep")
    assert len(reps) == 3 == w.last_summary["reps"]
    assert all(th is not gui for _, th in spy.writes), [(n, th.name) for n, th in spy.writes]
    assert [r["set_index"] for r in history_session(w.session_id)["reps"]] == [1, 1, 1]


def test_space_stops_at_once_and_the_session_is_kept(make_window, qtbot, clip):
    w = make_window(clip, speed=1.0)
    w.start_session(str(clip.path), "glute_bridge", 4)
    # (a session shorter than a few seconds with no rep is not kept: let this one run past that)
    qtbot.waitUntil(lambda: w.coach.video._frame is not None and w.coach.video._frame.t > 5.5, timeout=10000)
    t0 = time.monotonic()
    qtbot.keyClick(w, Qt.Key.Key_Space)
    assert not w._running and not w.coach.stop_button.isEnabled()
    wait_summary(qtbot, w, timeout=3000)
    assert time.monotonic() - t0 < 1.0
    assert w.stopped == "user"
    row = history_session(w.session_id)
    assert row["stopped"] == "user" and row["ended_at"]
    assert "You stopped the session." in w.summary.text.toPlainText()


def test_it_hurts_stops_asks_the_pain_and_gives_safety_advice(make_window, qtbot, clip):
    w = make_window(clip, speed=1.0)
    w.start_session(str(clip.path), "glute_bridge", 3)
    qtbot.waitUntil(lambda: w.stats.shown > 3, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_H)
    assert not w._running
    dlg = w.pain_dialog
    assert dlg is not None and dlg.isVisible()
    assert "numbness" in SAFETY_ADVICE and "tingling" in SAFETY_ADVICE and "worse" in SAFETY_ADVICE
    wait_summary(qtbot, w, timeout=3000)  # the session is saved while the question is open
    assert history_session(w.session_id)["stopped"] == "pain"
    dlg.set_value(7)
    dlg.accept()
    qtbot.waitUntil(lambda: w.pain_after == 7, timeout=2000)
    assert "after: 7/10" in w.summary.text.toPlainText()
    assert w.summary.safety.isVisibleTo(w.summary) and "leg" in w.summary.safety.text()
    row = history_session(w.session_id)
    assert (row["stopped"], row["pain_before"], row["pain_after"]) == ("pain", 3, 7)


def test_speech_failure_falls_back_to_text(make_window, qtbot, clip):
    backend = FailingBackend()
    sp = Speaker(backend=backend)
    sp.start()
    w = make_window(clip, speaker=sp)
    w.start_session(str(clip.path), "glute_bridge", 0, 1, 3)  # cues: praise, fault, "all sets done"
    qtbot.waitUntil(lambda: "stopped working" in w.speech_label.text(), timeout=15000)
    assert "cues are shown as text" in w.speech_label.text()
    assert w.coach.speech_label.isVisibleTo(w.coach)
    qtbot.waitUntil(lambda: len(w.cue_history) >= 3, timeout=15000)  # cues still shown
    assert backend.calls >= 3
    wait_summary(qtbot, w)


def wait_setup_error(qtbot, w: MainWindow, timeout=15000) -> str:
    """A failed start: the worker lets go and the window is back on the set-up screen."""
    qtbot.waitUntil(lambda: w.worker is None and w.pages.currentWidget() is w.setup, timeout=timeout)
    assert w.setup.error_label.isVisibleTo(w.setup)
    return w.setup.error_label.text()


def session_count() -> int:
    with History() as h:
        return len(h.sessions())


@pytest.mark.parametrize("kind", ["not_a_video", "missing_file", "no_camera"])
def test_a_failed_start_stays_on_the_setup_screen_and_stores_nothing(make_window, qtbot, clip, tmp_path, kind):
    """Issue 12 item 3: no summary ("0 of 16 reps"), no session saved, one line on the set-up screen."""
    if kind == "not_a_video":
        source = tmp_path / "broken.mp4"
        source.write_bytes(b"this is not a video" * 100)
        name = "broken.mp4"
    elif kind == "missing_file":
        source, name = tmp_path / "gone.mp4", "gone.mp4"
    else:
        source, name = 7, "camera 7"
    before = session_count()
    w = make_window(clip)
    w.start_session(str(source) if kind != "no_camera" else source, "glute_bridge", 2)
    text = wait_setup_error(qtbot, w)
    assert name in text and "\n" not in text.strip(), text
    if kind == "no_camera":
        assert "no camera" in text
    qtbot.wait(200)
    assert w.pages.currentWidget() is w.setup and w.last_summary is None
    assert session_count() == before
    # the set-up screen works again: a real video starts a session that is kept
    assert w.start_session(str(clip.path), "glute_bridge", 2, 1, 1)
    wait_summary(qtbot, w)
    assert session_count() == before + 1
    assert not w.setup.error_label.isVisibleTo(w.setup)  # the old message went with the new start


def test_camera_unplugged_for_good_ends_the_session_with_what_was_done(make_window, qtbot, clip):
    cams: list[FakeCamera] = []

    def source_factory(spec):
        def make():
            if cams:  # never plugged back in
                raise SourceError("camera 0: no camera found")
            cams.append(FakeCamera(clip, seconds=9.0))  # rep 1 and 2 done, then unplugged
            return cams[-1]
        return make

    w = make_window(clip, source_factory=source_factory, camera_retry_s=0.05, camera_wait_s=0.6)
    w.start_session(0, "glute_bridge", 2)
    qtbot.waitUntil(lambda: w.source_paused, timeout=10000)
    assert "Camera lost" in w.coach.notice_label.text()
    wait_summary(qtbot, w)
    assert w.stopped == "camera_lost"
    assert "camera stopped sending pictures" in w.summary.message.text()
    row = history_session(w.session_id)
    assert row["stopped"] == "camera_lost" and len(row["reps"]) >= 1
    assert cams[0].closed


def test_camera_unplugged_and_back_goes_on_with_the_same_session(tmp_path, make_window, qtbot):
    # three bridges; the camera is unplugged after the first, missing for a few tries, then back
    three = bridge_clip(tmp_path / "three.mp4", [180.0, 180.0, 180.0])
    cut = round(6.1 * FPS)  # after rep 1 (rest 1 s, 2 s up/down, 2.6 s hold) and some rest
    tries: list[str] = []

    def source_factory(spec):
        def make():
            tries.append(str(spec))
            if len(tries) == 1:
                return IndexedCamera(three.poses, 0, cut)
            if len(tries) < 5:
                raise SourceError("camera 0: no camera found")
            return IndexedCamera(three.poses, cut, len(three.poses))
        return make

    w = make_window(None, source_factory=source_factory, estimator_factory=lambda: IndexReplay(three.poses),
                    camera_retry_s=0.05)
    w.start_session(0, "glute_bridge", 2)
    qtbot.waitUntil(lambda: w.source_paused or w.worker is None, timeout=10000)
    assert w.source_paused, (w.end_reason, w.end_message, w.view.reps)
    assert w.coach.notice_label.text() == "Camera lost — plug it back in; your reps are kept"
    assert w.view.reps == 1 and w.worker is not None  # the session waits, with its rep
    qtbot.waitUntil(lambda: not w.source_paused, timeout=10000)
    assert w.coach.notice_label.text() == ""
    qtbot.waitUntil(lambda: w.view.reps == 3, timeout=10000)  # the same session counts on
    w.stop()
    wait_summary(qtbot, w)
    assert tries == ["0"] * 5  # the same device, opened again until it was back
    row = history_session(w.session_id)
    assert row["stopped"] == "user" and len(row["reps"]) == 3
    assert len(History().sessions()) == 1


def test_slow_inference_takes_the_newest_frame_without_growing_lag(make_window, qtbot, clip):
    # 30 frames/s played in real time, inference 60 ms a frame: about half the frames are dropped
    w = make_window(clip, speed=1.0, cost_s=0.06, lossless=False)
    w.start_session(str(clip.path), "glute_bridge", 2)
    qtbot.wait(2500)
    w.stop()
    wait_summary(qtbot, w)
    assert w.stats.dropped >= 15
    lat = sorted(w.stats.all_latencies_ms)
    assert lat and lat[len(lat) // 2] < 150, lat
    late = lat[-5:]
    assert max(late) < 250, late  # no growing lag at the end of the run


def test_dark_room_guidance(make_window, qtbot, clip, tmp_path):
    # The light is mentioned when it spoils the tracking (faint landmarks), not over a person
    # tracked fine (issue 12 item 11: tests/app/test_wrong_warnings.py).
    import dataclasses

    from app_helpers import SynthClip

    dark = blank_video(tmp_path / "dark.mp4", seconds=1.0, level=8)
    faint = [(t, dataclasses.replace(p, visibility=p.visibility * 0.1)) for t, p in clip.poses]
    w = make_window(estimator_factory=SynthClip(clip.path, faint, clip.fps).estimator_factory())
    w.start_session(str(dark), "glute_bridge", 2)
    qtbot.waitUntil(lambda: "too dark" in w.last_guidance, timeout=5000)
    wait_summary(qtbot, w)


def test_settings_and_shortcuts(make_window, qtbot, clip, tmp_path):
    sp = Speaker(backend=RecordingBackend())
    sp.start()
    w = make_window(clip, speaker=sp, speed=1.0)
    assert not sp.muted
    w.setup.count_aloud.setChecked(True)
    w.setup.rate.setValue(140)
    assert w.settings.count_aloud and sp.rate_wpm == 140  # counting aloud is the cue policy's, not the speaker's
    w.setup.select_exercise("squat")
    w.start_session(str(clip.path), "squat", 5)
    qtbot.keyClick(w, Qt.Key.Key_M)
    assert sp.muted and w.coach.mute_button.isChecked() and "Unmute" in w.coach.mute_button.text()
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert not w._running
    wait_summary(qtbot, w)
    w.close()
    s = load_settings(tmp_path / "settings.json")
    assert (s.exercise_id, s.muted, s.last_pain) == ("squat", True, 5) and s.window_geometry
    assert (s.count_aloud, s.rate_wpm) == (True, 140)
    w2 = make_window(clip)
    assert w2.setup.exercise_id() == "squat" and w2.coach.mute_button.isChecked()
    assert w2.setup.pain.value() == 5 and w2.setup.count_aloud.isChecked() and w2.setup.rate.value() == 140


def test_cli_opens_the_window(monkeypatch):
    import posecoach.app as app_pkg
    from posecoach.cli.main import main

    calls = []
    monkeypatch.setattr(app_pkg, "run_app", lambda argv=None: calls.append(argv) or 0)
    assert main([]) == 0
    assert main(["app", "--source", "clip.mp4", "--exercise", "squat"]) == 0
    assert calls == [[], ["--source", "clip.mp4", "--exercise", "squat"]]


@pytest.mark.model
def test_real_model_on_a_blank_video_asks_the_person_to_step_in(make_window, qtbot, tmp_path):
    from posecoach.io import pose_model as model_mod
    from posecoach.errors import ModelError

    try:
        model_mod.find_model()
    except ModelError as e:
        pytest.skip(f"no pose model: {e}")
    video = blank_video(tmp_path / "empty_room.mp4", seconds=2.0)
    w = make_window(None, speed=2.0)
    w.start_session(str(video), "glute_bridge", 1)
    qtbot.waitUntil(lambda: w.last_guidance == "Step into the camera's view", timeout=15000)
    wait_summary(qtbot, w, timeout=15000)
    assert w.last_summary["frames_with_pose"] == 0


def test_at_start_the_window_offers_to_close_a_session_the_app_never_finished(make_window, qtbot, clip):
    with History() as h:  # the app was killed during this session: its row is still open
        sid = h.start_session("glute_bridge", source="camera 0", pain_before=None, planned_sets=2, planned_reps=8)
        for i in (1, 2):
            h.add_rep(sid, {"index": i, "start_s": 3.0 * i, "end_s": 3.0 * i + 2}, set_index=1)
    w = make_window(clip)
    qtbot.waitUntil(lambda: w.recovery_box is not None and w.recovery_box.isVisible(), timeout=5000)
    assert "glute bridge session" in w.recovery_box.text() and "2 reps recorded" in w.recovery_box.text()
    w.recovery_box.button(w.recovery_box.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: w.recovery_box is None, timeout=5000)
    assert w.statusBar().currentMessage() == "The unfinished session is closed: 2 reps kept in the history."
    row = history_session(sid)
    assert row["ended_at"] is not None and len(row["reps"]) == 2 and row["summary"]["reps"] == 2


def test_a_data_folder_that_cannot_be_written_says_so_and_still_shows_the_summary(make_window, qtbot, clip):
    w = make_window(clip, history=FullDisk(History()))
    w.start_session(str(clip.path), "glute_bridge", 2)
    qtbot.waitUntil(lambda: "cannot be saved" in w.statusBar().currentMessage(), timeout=10000)
    assert w.worker is not None  # coaching goes on
    wait_summary(qtbot, w)
    msg = w.summary.message.text()
    assert "This session could not be saved" in msg and "No space left on device" in msg
    assert w.last_summary["reps"] == 3 and History().sessions() == []




def test_a_hung_speech_engine_leaves_the_cues_on_screen(make_window, qtbot, clip):
    backend = HangingBackend()
    sp = Speaker(backend=backend, hang_s=0.3)
    sp.start()
    try:
        w = make_window(clip, speaker=sp)
        w.start_session(str(clip.path), "glute_bridge", 0, 1, 3)  # cues: praise, fault, "all sets done"
        qtbot.waitUntil(lambda: "stopped responding" in w.speech_label.text(), timeout=15000)
        assert "cues are shown as text" in w.coach.speech_label.text()
        qtbot.waitUntil(lambda: len(w.cue_history) >= 3, timeout=15000)  # the coaching and its cues go on
        wait_summary(qtbot, w)
        assert backend.calls == 1 and w.last_summary["reps"] == 3
    finally:
        backend.release.set()


def test_a_data_folder_that_cannot_be_opened_is_tried_again_at_the_next_session(make_window, qtbot, clip, tmp_path,
                                                                               monkeypatch):
    home = tmp_path / "home"
    home.write_text("not a folder")  # the data folder cannot be made (even by root)
    monkeypatch.setenv("POSECOACH_HOME", str(home))
    w = make_window(clip)
    assert "cannot be saved" in w.statusBar().currentMessage()
    w.start_session(str(clip.path), "glute_bridge", 2)
    wait_summary(qtbot, w)
    msg = w.summary.message.text()
    assert "This session was not saved: The session history cannot be saved (" in msg
    assert msg.endswith("The summary below is not kept.") and w.last_summary["reps"] == 3
    home.unlink()  # fixed: the next session is saved
    w.back_to_setup()
    w.start_session(str(clip.path), "glute_bridge", 2)
    wait_summary(qtbot, w)
    assert "not saved" not in w.summary.message.text()
    assert [s["reps"] for s in History().sessions()] == [3]


def test_space_pressed_twice_keeps_the_summary_and_the_pain_question(make_window, qtbot, clip):
    """Issue 12 item 10: a second Space within a second must not press "New session" (which kept the
    focus on the summary page since it was clicked after the last session) and skip the pain question."""
    w = make_window(clip, speed=1.0)
    for k in range(2):
        w.start_session(str(clip.path), "glute_bridge", 4)
        qtbot.waitUntil(lambda: w.stats.shown > 3, timeout=5000)
        qtbot.keyClick(w, Qt.Key.Key_Space)
        wait_summary(qtbot, w, timeout=3000)
        qtbot.keyClick(w.focusWidget() or w, Qt.Key.Key_Space)  # the second press
        assert w.pages.currentWidget() is w.summary, f"session {k + 1}: the summary was skipped"
        assert w.summary.pain.hasFocus()  # the pain-after question is what keys reach
        if k == 0:
            qtbot.mouseClick(w.summary.again, Qt.MouseButton.LeftButton)
            assert w.pages.currentWidget() is w.setup


def test_without_a_patient_a_new_session_after_it_hurts_needs_a_confirmation(make_window, qtbot, clip):
    """Issue 12 item 6 with nobody chosen: the reason comes from today's history, the pain is the last one."""
    w = make_window(clip, speed=1.0)
    w.setup.pain.setValue(3)
    w.start_session(str(clip.path), "glute_bridge", 3)
    qtbot.waitUntil(lambda: w.stats.shown > 3, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_H)
    w.pain_dialog.set_value(7)
    w.pain_dialog.accept()
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary and w.pain_after == 7, timeout=5000)
    w.summary.again.click()
    assert w.pages.currentWidget() is w.setup and w.setup.pain.value() == 7
    assert not w.setup.start_button.isEnabled()
    assert "because it hurt (pain 7/10)" in w.setup.caution_label.text()
    w.setup.confirm.setChecked(True)
    assert w.setup.start_button.isEnabled()


def test_the_pain_confirmation_fits_a_laptop_screen(make_window, qtbot):
    """At 1366x768 the settings column does not squash its text when the pain warning and its
    confirmation appear: it scrolls, and the confirmation is scrolled into view; Start is grey
    until it is ticked."""
    w = make_window()
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    s = w.setup
    s.pain.setValue(10)
    label = s.pain_warning

    def laid_out() -> bool:  # the wrapped warning at its full height, the confirmation all in view
        return (s.confirm.isVisible() and label.height() >= label.heightForWidth(label.width()) - 1
                and s.confirm.visibleRegion().boundingRect().height() >= s.confirm.height() > 0)

    qtbot.waitUntil(laid_out, timeout=3000)
    assert not s.start_button.isEnabled()
    grey = s.start_button.grab().toImage().pixelColor(s.start_button.width() // 2, 6)
    s.confirm.setChecked(True)
    green = s.start_button.grab().toImage().pixelColor(s.start_button.width() // 2, 6)
    assert s.start_button.isEnabled() and green.green() > green.red() + 40 and abs(grey.green() - grey.red()) < 20
