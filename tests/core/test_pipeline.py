"""The one frame loop (``posecoach.core.pipeline``) with a fake estimator and a fake cut detector
over synthetic frames: every frame once and in order, estimator -> cut detector -> session, the cut
flag and a missing pose passed through, stopping early, recording, progress, and the estimator
closed however the loop ends."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pytest

import posecoach
from posecoach.core.exercise import find_exercise
from posecoach.core.pipeline import Pipeline, Step, never_cut
from posecoach.core.session import FrameResult, Session
from posecoach.core.types import Frame, Pose
from posecoach.testing import synth
from posecoach.testing.demo import ReplayEstimator, blank_frames, demo_scenario

FPS = 30.0


@pytest.fixture(scope="module")
def seq() -> synth.Seq:
    """Two squats seen side-on, two seconds of rest in between: poses with a known count."""
    return synth.squat(n_reps=2, noise_px=0.5, seed=2).poses


def frames_of(seq: synth.Seq) -> list[Frame]:
    """A distinct tiny picture per pose (its index in the first pixel), at the pose's time."""
    out = []
    for i, (t, _) in enumerate(seq):
        img = np.zeros((2, 2, 3), np.uint8)
        img[0, 0, 0] = i % 256
        out.append(Frame(img, t, i))
    return out


class FakeEstimator:
    """Returns the pose of the frame's index (None where ``missing``); logs every call."""

    def __init__(self, seq: synth.Seq, log: list, missing: Collection[int] = ()) -> None:
        self.seq, self.log, self.missing = seq, log, missing
        self.closed = 0
        self.fail_at: int | None = None

    def detect(self, image_bgr: np.ndarray, t_s: float) -> Pose | None:
        i = round(t_s * FPS)
        self.log.append(("detect", i))
        if i == self.fail_at:
            raise RuntimeError("the model crashed")
        return None if i in self.missing else self.seq[i][1]

    def close(self) -> None:
        self.closed += 1


class FakeCuts:
    """A new shot at the frames in ``at``; logs every call."""

    def __init__(self, log: list, at: Collection[int] = ()) -> None:
        self.log, self.at = log, at

    def __call__(self, image_bgr: np.ndarray) -> bool:
        i = int(image_bgr[0, 0, 0])
        self.log.append(("cut", i))
        return i in self.at


class SpySession(Session):
    """The real session, logging what it is handed."""

    def __init__(self, log: list) -> None:
        super().__init__(find_exercise("squat"))
        self.log = log

    def process(self, t: float, pose: Pose | None, scene_cut: bool = False) -> FrameResult:
        self.log.append(("process", round(t * FPS), pose is not None, scene_cut))
        return super().process(t, pose, scene_cut)


def test_every_frame_once_in_order_estimator_then_cuts_then_session(seq) -> None:
    log: list = []
    frames = frames_of(seq)
    steps = list(Pipeline(FakeEstimator(seq, log), FakeCuts(log)).steps(frames, SpySession(log)))
    assert [s.frame.index for s in steps] == list(range(len(frames)))  # none skipped or repeated
    assert all(s.frame is f for s, f in zip(steps, frames))  # the frames themselves
    expected = []
    for i in range(len(frames)):
        expected += [("detect", i), ("cut", i), ("process", i, True, False)]
    assert log == expected
    assert all(s.result.t == s.frame.t and s.infer_s >= 0 for s in steps)
    assert steps[-1].result.reps == 2


def test_the_same_counts_as_feeding_the_session_directly(seq) -> None:
    """The loop adds nothing and drops nothing: the summary of a plain ``Session.process`` loop."""
    plain = Session(find_exercise("squat"))
    for t, pose in seq:
        plain.process(t, pose, False)
    piped = Session(find_exercise("squat"))
    for _ in Pipeline(ReplayEstimator(seq, FPS), never_cut).steps(blank_frames(seq), piped):
        pass
    assert piped.summary() == plain.summary()


def test_a_cut_is_passed_to_the_session_and_the_step(seq) -> None:
    log: list = []
    steps = list(Pipeline(FakeEstimator(seq, log), FakeCuts(log, at={40})).steps(frames_of(seq), SpySession(log)))
    assert [s.frame.index for s in steps if s.cut] == [40]
    assert [e[1] for e in log if e[0] == "process" and e[3]] == [40]


def test_no_pose_is_none_in_the_step_the_session_and_the_record(seq) -> None:
    log: list = []
    record: list = []
    est = FakeEstimator(seq, log, missing={3, 4})
    steps = list(Pipeline(est, FakeCuts(log), record=record).steps(frames_of(seq)[:8], SpySession(log)))
    assert [s.pose is None for s in steps] == [i in (3, 4) for i in range(8)]
    assert [s.result.status for s in steps][3:5] == ["no_person", "no_person"]
    assert [e[2] for e in log if e[0] == "process"] == [i not in (3, 4) for i in range(8)]
    assert record[3][0] == seq[3][0] and record[3][1:] == (None, False)


def test_record_keeps_the_raw_frames(seq) -> None:
    log: list = []
    record: list = []
    pipe = Pipeline(FakeEstimator(seq, log), FakeCuts(log, at={7}), record=record)
    steps = list(pipe.steps(frames_of(seq), SpySession(log)))
    assert len(record) == len(seq)
    assert [(t, cut) for t, _, cut in record] == [(s.frame.t, s.cut) for s in steps]
    assert all(r[1] is s.pose for r, s in zip(record, steps))
    assert all(r[1] is p for r, (_, p) in zip(record, seq))  # the estimator's poses, not smoothed ones
    assert record[7][2] is True


def test_stop_is_polled_once_per_frame_and_ends_the_loop(seq) -> None:
    log: list = []
    polls: list[int] = []
    est = FakeEstimator(seq, log)
    record: list = []
    progress: list[int] = []

    def stop() -> bool:
        polls.append(1)
        return len(polls) > 5

    pipe = Pipeline(est, FakeCuts(log), stop=stop, record=record, progress=progress.append)
    steps = list(pipe.steps(frames_of(seq), SpySession(log)))
    assert len(steps) == 5 and len(record) == 5 and len(polls) == 6
    assert [e for e in log if e[0] == "detect"] == [("detect", i) for i in range(5)]
    assert est.closed == 1 and progress == [5]


@pytest.mark.parametrize("n, every, calls", [(60, 25, [25, 25, 10]), (50, 25, [25, 25]), (3, 25, [3]),
                                             (0, 25, [])])
def test_progress_counts_every_frame(seq, n, every, calls) -> None:
    got: list[int] = []
    log: list = []
    pipe = Pipeline(FakeEstimator(seq, log), FakeCuts(log), progress=got.append, progress_every=every)
    assert len(list(pipe.detections(frames_of(seq)[:n]))) == n
    assert got == calls


def test_the_estimator_is_closed_when_the_frames_end(seq) -> None:
    est = FakeEstimator(seq, [])
    list(Pipeline(est, FakeCuts([])).steps(frames_of(seq)[:3], Session(find_exercise("squat"))))
    assert est.closed == 1


def test_the_estimator_is_closed_when_the_consumer_stops_early(seq) -> None:
    est = FakeEstimator(seq, [])
    steps = Pipeline(est, FakeCuts([])).steps(frames_of(seq), Session(find_exercise("squat")))
    next(steps)
    assert est.closed == 0
    steps.close()
    assert est.closed == 1


def test_the_estimator_is_closed_when_it_fails(seq) -> None:
    est = FakeEstimator(seq, [])
    est.fail_at = 4
    seen = []
    with pytest.raises(RuntimeError, match="crashed"):
        for s in Pipeline(est, FakeCuts([])).steps(frames_of(seq), Session(find_exercise("squat"))):
            seen.append(s.frame.index)
    assert seen == [0, 1, 2, 3] and est.closed == 1


def test_the_caller_gets_its_own_frame_objects_back(seq) -> None:
    """A caller's frame type (the app's frames carry when they were read) comes back in the step."""

    class Mine:
        def __init__(self, f: Frame) -> None:
            self.image, self.t, self.read_at = f.image, f.t, 123.0 + f.index

    mine = [Mine(f) for f in frames_of(seq)[:4]]
    steps = list(Pipeline(FakeEstimator(seq, []), FakeCuts([])).steps(mine, Session(find_exercise("squat"))))
    assert [s.frame for s in steps] == mine and steps[2].frame.read_at == 125.0


def test_one_frame_at_a_time_is_the_loop_body(seq) -> None:
    """``detect`` + ``judge`` (the benchmark's per-frame call) give what the loop gives."""
    frames = frames_of(seq)[:30]
    a = list(Pipeline(FakeEstimator(seq, []), FakeCuts([], at={9})).steps(frames, Session(find_exercise("squat"))))
    pipe, session = Pipeline(FakeEstimator(seq, []), FakeCuts([], at={9})), Session(find_exercise("squat"))
    b = [pipe.detect(f).judge(session) for f in frames]
    assert all(isinstance(s, Step) for s in b)
    assert [(s.frame.index, s.pose is p, s.cut, s.result.reps, s.result.status) for s, (_, p) in zip(a, seq)] == \
        [(s.frame.index, s.pose is p, s.cut, s.result.reps, s.result.status) for s, (_, p) in zip(b, seq)]


def test_the_demo_through_the_loop_counts_its_reps() -> None:
    sc = demo_scenario("glute_bridge")
    session = Session(find_exercise("glute_bridge"))
    last = None
    for last in Pipeline(ReplayEstimator(sc.poses, sc.fps), never_cut).steps(blank_frames(sc.poses), session):
        pass
    assert last is not None and last.result.reps == 4


def test_the_pipeline_module_is_pure() -> None:
    """No OpenCV, MediaPipe or Qt behind ``import posecoach.core.pipeline``."""
    code = ("import sys, posecoach.core.pipeline; "
            "print(sorted(m for m in ('cv2', 'mediapipe', 'PySide6') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": str(Path(posecoach.__file__).resolve().parents[1])}  # this checkout
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                         env=env)
    assert out.stdout.strip() == "[]"
