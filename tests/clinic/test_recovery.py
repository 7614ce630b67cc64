"""The app killed (SIGKILL) mid-session: at the next start its unfinished session is found and can be
closed with every rep recorded before the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posecoach.app.recovery import find_offer
from posecoach.clinic.history import History
from posecoach.clinic.recovery import RECOVERED_WARNING, close_unfinished, unfinished
from posecoach.errors import SessionNotFound

SRC = Path(__file__).resolve().parents[2] / "src"

# A coaching run (the app's, without the window) that counts three squats, writes them as they
# happen, says so, and waits to be killed.
CHILD = textwrap.dedent("""
    import sys, time
    from posecoach.app.run import CoachingRun
    from posecoach.clinic.history import History
    from posecoach.core.exercise import find_exercise
    from posecoach.core.sets import SetPlan
    from posecoach.testing import synth as S

    run = CoachingRun(find_exercise("squat"), SetPlan(sets=2, reps=5), history=History())
    run.start(source="camera 0", pain_before=3)
    sc = S.squat(3, rep_s=1.5, rest_s=0.5)
    for t, pose in list(sc.poses) + [(sc.poses[-1][0] + (i + 1) / sc.fps, sc.poses[-1][1]) for i in range(60)]:
        r = run.session.process(t, pose)
        run.on_result(r, r.guidance)
    run.writer.drain()  # the reps are committed (as the app does, on its writer thread)
    print("READY", run.view.reps, run.session_id, flush=True)
    time.sleep(60)
""")


@pytest.mark.slow
def test_a_session_killed_mid_way_is_found_and_closed_with_every_rep(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC), "POSECOACH_HOME": os.environ["POSECOACH_HOME"]}
    child = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().split()
        assert line[:1] == ["READY"], line
        reps, sid = int(line[1]), int(line[2])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL and reps == 3
    with History() as h:
        found = unfinished(h)
        assert [(u.id, u.exercise_id, u.reps) for u in found] == [(sid, "squat", 3)]
        offer = find_offer(h)
        assert offer is not None and "squat session" in offer.text and "3 reps recorded" in offer.text
        assert offer.accept(h) == "The unfinished session is closed: 3 reps kept in the history."
        row = h.session(sid)
        assert unfinished(h) == [] and find_offer(h) is None
    assert row["ended_at"] is not None and row["stopped"] == "error" and row["pain_before"] == 3
    assert len(row["reps"]) == 3 and row["summary"]["reps"] == 3
    assert [d["index"] for d in row["summary"]["rep_details"]] == [d["index"] for d in row["reps"]]
    assert row["summary"]["warnings"] == [RECOVERED_WARNING] and row["summary"]["recovered"] is True
    assert row["ended_at"] == row["reps"][-1]["recorded_at"]  # when it was last heard of


def test_a_finished_session_is_never_closed_again():
    with History() as h:
        sid = h.start_session("squat", source="x", pain_before=None, planned_sets=1, planned_reps=1)
        h.add_rep(sid, {"index": 1, "start_s": 0.0, "end_s": 1.0, "faults": ["knees_in"]}, set_index=1)
        h.add_rep(sid, {"index": 2, "start_s": 2.0, "end_s": 3.5, "counted": False}, set_index=1)
        summary = close_unfinished(h, sid)
        assert summary["reps"] == 1 and summary["faults"] == {"knees_in": 1} and summary["duration_s"] == 3.5
        with pytest.raises(SessionNotFound):
            close_unfinished(h, sid)
        with pytest.raises(SessionNotFound):
            close_unfinished(h, sid + 99)
        assert h.session(sid)["summary"]["reps"] == 1


def test_no_offer_without_a_real_history_or_without_unfinished_sessions():
    from posecoach.app.services import NullHistory

    assert find_offer(NullHistory("no folder")) is None
    with History() as h:
        assert find_offer(h) is None
