"""The coaching run (``posecoach.app.run``) without Qt: sets, cues, the patient's targets and
the history writes, driven frame by frame with synthetic poses as the worker drives it."""

from __future__ import annotations

import threading

import pytest

from posecoach.app.run import CoachingRun, CoachView
from posecoach.clinic.history import History
from posecoach.clinic.patients import Clinic
from posecoach.core.cues import CueKind
from posecoach.core.exercise import find_exercise
from posecoach.core.sets import SetPlan
from posecoach.testing import synth as S

from history_spy import FullDisk, ThreadNotingHistory


def drive(run: CoachingRun, poses, clock: dict | None = None) -> list[CoachView]:
    """What the pipeline worker does for each frame: the session, then the run (``clock["t"]``,
    when given, is set to each frame's time first: the run's clock in step with the replay)."""
    views = []
    for t, pose in poses:
        if clock is not None:
            clock["t"] = t
        r = run.session.process(t, pose)
        views.append(run.on_result(r, r.guidance))
    return views


def with_rest(sc, seconds: float = 5.0):
    t_end, still = sc.poses[-1]
    return list(sc.poses) + [(t_end + (i + 1) / sc.fps, still) for i in range(int(seconds * sc.fps))]


def test_reps_are_written_as_they_happen_off_the_calling_thread():
    hist = ThreadNotingHistory(History())
    clock = {"t": 0.0}
    # (the rest between sets is shorter than the pause after each squat: nothing counts during a rest)
    run = CoachingRun(find_exercise("squat"), SetPlan(sets=2, reps=2, rest_s=1.5), history=hist,
                      clock=lambda: clock["t"])
    run.start(source="clip.mp4", pain_before=2)
    views = drive(run, with_rest(S.squat(3, rep_s=1.5, rest_s=2.0)), clock)
    summary = run.finish("completed")
    run.close()
    me = threading.current_thread()
    assert len(hist.threads("add_rep")) == 3 == summary["reps"]
    assert all(th is not me and th is not threading.main_thread() for _, th in hist.writes), hist.writes
    assert len({th for _, th in hist.writes}) == 1  # one writer thread, so the writes stay in order
    row = History().session(run.session_id)
    assert [r["set_index"] for r in row["reps"]] == [1, 1, 2]
    assert row["stopped"] == "completed" and row["pain_before"] == 2 and row["summary"]["reps"] == 3
    # what the screen shows
    assert views[-1].set_line == "Set 2 of 2" and views[-1].rep_line == "1 / 2"
    assert views[-1].progress_line == "Session: 3 of 4 reps, 1 of 2 sets done"
    shown = [text for v in views for text in v.show]
    assert "Set 1 done: rest until the countdown above ends" in shown
    rest = next(v for v in views if "Set 1 done: rest until the countdown above ends" in v.show)
    assert rest.rest_until is not None and rest.rest_line(rest.rest_until - 1.2) == "Set done: rest 1 s"


def test_count_aloud_hands_one_to_five_to_the_speaker_then_all_done():
    run = CoachingRun(find_exercise("squat"), SetPlan(sets=1, reps=5), history=ThreadNotingHistory(History()),
                      count_aloud=True)
    run.start(source="clip.mp4", pain_before=None)
    sc = S.squat(5, rep_s=1.5, rest_s=0.3, fault="trunk_forward", fault_reps=[1, 3])
    views = drive(run, with_rest(sc))
    run.finish("completed")
    run.close()
    handed = [v.cue for v in views if v.cue is not None]
    assert [c.text for c in handed if c.kind == CueKind.COUNT] == ["1", "2", "3", "4", "5"]
    assert handed == run.policy.said
    texts = [c.text for c in handed]
    assert texts.index("All sets done. Well done!") > texts.index("5")
    assert sum(v.all_done for v in views) == 1
    # counts are on the counter and set-up guidance on the picture: neither goes to the cue box
    shown = [text for v in views for text in v.show]
    assert not {"1", "2", "3", "4", "5"} & set(shown) and "All sets done. Well done!" in shown


def test_set_up_guidance_is_decided_by_the_policy():
    run = CoachingRun(find_exercise("squat"), SetPlan(), history=ThreadNotingHistory(History()))
    run.start(source="camera 0", pain_before=None)
    views = [run.on_result(run.session.process(i / 30, None), "Step into the camera's view") for i in range(300)]
    run.finish("user")
    run.close()
    said = [(round(v.cue.t, 2), v.cue.kind) for v in views if v.cue is not None]
    assert said == [(0.0, "setup"), (8.0, "setup")]
    assert all(not v.show for v in views)


def test_a_broken_history_does_not_stop_the_coaching():
    class Broken:
        def start_session(self, *a, **kw):
            raise OSError("disk full")

    run = CoachingRun(find_exercise("squat"), SetPlan(), history=Broken())
    run.start(source="clip.mp4", pain_before=None)
    poses = S.squat(2, rep_s=1.5, rest_s=0.5).poses
    drive(run, poses)
    run.writer.drain()  # the failed start is reported by the writer thread, asynchronously
    t_end = poses[-1][0]
    later = run.on_result(run.session.process(t_end + 1 / 30, None), "")
    assert "cannot be saved (disk full)" in later.problem
    assert run.finish("completed")["reps"] == 2
    run.close()


def test_a_patients_run_uses_their_targets_and_todays_hold():
    clinic = Clinic()
    pid = clinic.add_patient("Ann")
    clinic.set_targets(pid, "glute_bridge", {"rest": 138.0, "peak": 146.0})
    run = CoachingRun(find_exercise("glute_bridge"), SetPlan(sets=1, reps=3), history=clinic.history,
                      clinic=clinic, patient_id=pid, plan_hold_s=2.0)
    assert run.judge is not None and run.judge.engine_targets.peak == 146.0
    assert run.targets is not None and run.targets["hold_s"] == 2.0 and run.targets["peak"] == 146.0
    run.start(source="clip.mp4", pain_before=1)
    drive(run, S.glute_bridge(1, hold_s=2.0).poses)  # (a session with nothing in it is not kept)
    summary = run.finish("user")
    run.close()
    assert summary["patient_id"] == pid and summary["targets"]["hold_s"] == 2.0
    assert clinic.session_patient(run.session_id) == pid


def test_the_summarys_similarity_is_the_median_the_progress_view_shows():
    """Issue 12 item 4: two reps scored 61 and 74 are 67.5 in the summary, as in the progress
    view and the report (the summary took the upper middle one, 74)."""
    import statistics

    clinic = Clinic()
    pid = clinic.add_patient("Ann")
    run = CoachingRun(find_exercise("glute_bridge"), SetPlan(sets=1, reps=3), history=clinic.history,
                      clinic=clinic, patient_id=pid)
    run.start(source="clip.mp4", pain_before=1)
    run.similarities = [74.0, 61.0]
    summary = run.finish("user")
    run.close()
    assert summary["similarity_median"] == 67.5 == statistics.median(run.similarities)


def test_targets_pointing_the_wrong_way_refuse_the_run():
    clinic = Clinic()
    pid = clinic.add_patient("Bo")
    clinic.set_targets(pid, "glute_bridge", {"rest": 160.0, "peak": 140.0})
    with pytest.raises(ValueError):
        CoachingRun(find_exercise("glute_bridge"), SetPlan(), history=clinic.history, clinic=clinic, patient_id=pid)


def test_a_full_data_folder_keeps_the_session_in_memory_until_it_can_be_saved():
    disk = FullDisk(History())
    run = CoachingRun(find_exercise("squat"), SetPlan(sets=1, reps=5), history=disk)
    run.writer.retry_s = 0.0  # try again on every frame (the app: every 2 s)
    run.start(source="camera 0", pain_before=2)
    sc = S.squat(2, rep_s=1.5, rest_s=0.5)
    views = drive(run, sc.poses)
    run.writer.drain()
    assert views[-1].reps == 2  # coaching went on
    later = run.on_result(run.session.process(sc.poses[-1][0] + 0.04, None), "")
    assert "cannot be saved ([Errno 28] No space left on device) right now" in later.problem
    assert run.writer.waiting >= 3 and History().sessions() == []  # the start and both reps, in memory
    disk.full = False  # space was freed
    t = sc.poses[-1][0] + 0.1
    run.on_result(run.session.process(t, None), "")  # the next frame tries again
    run.writer.drain()
    assert run.writer.waiting == 0 and run.writer.problem == ""
    assert run.on_result(run.session.process(t + 0.04, None), "").problem == ""
    summary = run.finish("user")
    run.close()
    row = History().session(run.session_id)
    assert len(row["reps"]) == 2 == summary["reps"] and row["stopped"] == "user" and row["pain_before"] == 2
    assert [r["index"] for r in row["reps"]] == [1, 2]


def test_a_data_folder_that_never_comes_back_still_gives_the_summary_and_says_it_was_not_kept():
    disk = FullDisk(History())
    run = CoachingRun(find_exercise("squat"), SetPlan(sets=1, reps=5), history=disk)
    run.start(source="camera 0", pain_before=None)
    drive(run, S.squat(2, rep_s=1.5, rest_s=0.5).poses)
    summary = run.finish("user")
    run.close()
    assert summary["reps"] == 2 and run.session_id is None
    assert run.writer.problem.startswith("This session could not be saved: the data folder (")
    assert "No space left on device" in run.writer.problem and run.writer.problem.endswith("the summary below is not kept.")
    assert "\n" not in run.writer.problem and History().sessions() == []
