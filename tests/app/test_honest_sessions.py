"""Sessions that mean something (issue 12): a session with no rep that is shorter than a few
seconds, or had no frame that could count, is not stored; a session started from the command
line without a patient is nobody's; a therapist can delete a session (with a confirmation)."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app

make_app()

from app_helpers import (  # noqa: E402
    coaching_window,
    bridge_clip,
    no_thread_left,  # noqa: F401 - autouse fixture
    window_maker,
)
from posecoach.app._qt.main_window import MainWindow  # noqa: E402
from posecoach.app import run as run_module  # noqa: E402
from posecoach.app.run import CoachingRun  # noqa: E402
from posecoach.clinic.history import History  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.core.sets import SetPlan  # noqa: E402
from posecoach.errors import SessionNotFound  # noqa: E402
from posecoach.testing import synth as S  # noqa: E402

SPEED = 6.0
MIN_KEPT_S = getattr(run_module, "MIN_KEPT_S", 5.0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return bridge_clip(tmp_path_factory.mktemp("clips") / "two.mp4", [180.0, 180.0])


@pytest.fixture
def make_window(qtbot, tmp_path, clinic):
    def build(clip=None, **kw) -> MainWindow:
        return coaching_window(tmp_path, clinic, clip, speed=SPEED, **kw)

    yield from window_maker(qtbot, build, wait_active=False)


def _run(history, **kw) -> CoachingRun:
    run = CoachingRun(find_exercise("squat"), SetPlan(sets=1, reps=5), history=history, **kw)
    run.start(source="camera 0", pain_before=2)
    return run


# --------------------------------------------------------------------------- not stored


def test_a_stop_before_the_first_frame_stores_nothing():
    h = History()
    run = _run(h)
    summary = run.finish("user")
    run.close()
    assert summary["reps"] == 0 and run.not_kept
    assert h.sessions() == [] and run.session_id is None


def test_a_few_seconds_with_no_rep_or_no_usable_frame_are_not_stored():
    h = History()
    short = _run(h)
    for t, pose in S.keyframe_sequence([(0.0, S.standing()), (MIN_KEPT_S - 1.0, S.standing())], 15.0,
                                       S.Camera(view="front")):
        r = short.session.process(t, pose)  # driven as the worker drives it
        short.on_result(r, r.guidance)
    assert short.session_id is not None  # the row was written with the first frame...
    short.finish("user")
    short.close()
    assert "shorter than" in short.not_kept and h.sessions() == []  # ...and removed at the end
    # a minute with nobody in view: nothing could be counted
    nobody = _run(h)
    for i in range(15 * 60):
        r = nobody.session.process(i / 15.0, None)
        nobody.on_result(r, r.guidance)
    nobody.finish("user")
    nobody.close()
    assert "nothing could be counted" in nobody.not_kept and h.sessions() == []


def test_a_session_with_reps_or_stopped_for_pain_is_kept():
    h = History()
    sc = S.squat(2, rep_s=1.5, rest_s=0.5)
    run = _run(h)
    for t, pose in sc.poses:
        r = run.session.process(t, pose)
        run.on_result(r, r.guidance)
    run.finish("user")
    run.close()
    assert not run.not_kept and h.sessions()[0]["reps"] == 2
    hurt = _run(h)
    r = hurt.session.process(0.0, None)
    hurt.on_result(r, "")
    hurt.finish("pain")
    hurt.close()
    assert not hurt.not_kept and h.sessions()[0]["stopped"] == "pain"  # the next pain check reads it
    # pain of 8 or more entered after a session too short to keep: kept after all
    short = _run(h)
    short.finish("user")
    assert short.not_kept
    short.save_pain_after(9)
    short.close()
    assert h.sessions()[0]["pain_after"] == 9 and len(h.sessions()) == 3


def test_the_window_says_a_short_session_was_not_saved(make_window, qtbot, clip):
    w = make_window(clip)
    w.start_session(str(clip.path), "glute_bridge", 1, patient_id=None)
    w.stop("user")  # at once: before (or just after) the first frame
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=10000)
    assert w.summary.message.isVisible() and "not saved" in w.summary.message.text()
    assert History().sessions() == []
    w.summary.pain.setValue(3)
    w.summary.save_pain.click()  # nothing to update, and no error
    assert History().sessions() == []


# --------------------------------------------------------------------------- the command line


def test_a_command_line_session_without_a_patient_is_nobodys(make_window, qtbot, clinic, clip, tmp_path):
    from posecoach.app.main import start_at_once

    from posecoach.clinic.red_flags import QUESTIONS

    ann = clinic.add_patient("Ann")
    clinic.red_flags.record(ann, {q.id: False for q in QUESTIONS})  # her safety questions answered
    w = make_window(clip)
    w.setup.select_patient(ann)  # whoever was chosen in the window last time
    assert w.setup.patient_id() == ann
    assert start_at_once(w, str(clip.path), "glute_bridge", 2, None)
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    sid = w.session_id
    assert sid is not None and clinic.session_patient(sid) is None
    assert clinic.sessions(ann) == []
    # named on the command line: theirs
    w.back_to_setup()
    w.setup.select_patient(None)
    assert start_at_once(w, str(clip.path), "glute_bridge", 2, "Ann")
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.summary, timeout=20000)
    assert clinic.session_patient(w.session_id) == ann


def test_app_command_passes_the_patient_on(monkeypatch):
    import posecoach.app as app_pkg
    from posecoach.cli.main import main

    calls: list = []
    monkeypatch.setattr(app_pkg, "run_app", lambda argv=None: calls.append(argv) or 0)
    assert main(["app", "--source", "clip.mp4", "-e", "squat", "--patient", "Ann"]) == 0
    assert calls[0][-2:] == ["--patient", "Ann"]


# --------------------------------------------------------------------------- deleting


def test_history_and_clinic_delete_a_session_with_its_reps_and_events(clinic):
    ann, bob = clinic.add_patient("Ann"), clinic.add_patient("Bob")
    sid = clinic.start_session(ann, "squat", source="camera 0", planned_sets=1, planned_reps=2)
    clinic.history.add_rep(sid, {"index": 1, "start_s": 0.0, "end_s": 2.0, "hold_s": 0.0, "faults": []}, set_index=1)
    clinic.history.add_event(sid, 1.0, "cue", "Good rep")
    clinic.history.finish_session(sid, summary={"reps": 1}, pain_after=None, stopped="user")
    with pytest.raises(SessionNotFound):
        clinic.delete_session(bob, sid)  # not Bob's: kept
    assert len(clinic.sessions(ann)) == 1
    clinic.delete_session(ann, sid)
    assert clinic.sessions(ann) == [] and clinic.progress(ann) == []
    left = clinic.store.read(lambda c: [c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                                        for t in ("reps", "events", "sessions")])
    assert left == [0, 0, 0]
    with pytest.raises(SessionNotFound):
        clinic.history.delete_session(sid)


def test_therapist_deletes_a_session_after_confirming(make_window, qtbot, clinic):
    ann = clinic.add_patient("Ann")
    sids = []
    for reps in (0, 3):
        sid = clinic.start_session(ann, "squat", source="camera 0", planned_sets=1, planned_reps=5)
        for i in range(reps):
            clinic.history.add_rep(sid, {"index": i + 1, "start_s": i * 2.0, "end_s": i * 2.0 + 1.5,
                                         "hold_s": 0.0, "faults": []}, set_index=1)
        clinic.history.finish_session(sid, summary={"reps": reps}, pain_after=None, stopped="user")
        sids.append(sid)
    w = make_window()
    w.show_therapist()
    t = w.therapist
    t.select_patient(ann)
    panel = t.progress.sessions
    assert panel.session_list.count() == 2
    assert "0 of 5 reps" in panel.session_list.item(1).text()  # newest first
    panel.select(sids[0])
    asked: list[str] = []
    panel.confirm = lambda title, text: asked.append(text) or False
    assert not panel.delete_session()  # "No": nothing deleted
    assert len(clinic.sessions(ann)) == 2 and asked and "cannot be undone" in asked[0]
    panel.confirm = lambda title, text: True
    panel.select(sids[0])
    assert panel.delete_session()
    assert [s["id"] for s in clinic.sessions(ann)] == [sids[1]]
    assert panel.session_list.count() == 1  # the list (and the charts) were refreshed
