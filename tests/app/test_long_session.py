"""A long live session: what the app keeps in memory must not grow with the frames (reps may).

The accelerated soak (``bench/soak.py`` is the real-time hour): the coaching run and its session
on thousands of frames of a looped glute-bridge clip, as fast as they go, with ``tracemalloc``
counting what is still allocated between frame ``WARM`` and the end."""

from __future__ import annotations

import tracemalloc

import pytest

from posecoach.app import run as run_mod
from posecoach.app.run import CoachingRun
from posecoach.app.services import NullHistory
from posecoach.core.exercise import find_exercise
from posecoach.core.sets import SetPlan
from posecoach.testing import synth

from app_helpers import no_thread_left  # noqa: F401

FPS = 30.0
WARM = 400
FRAMES = 2400
REP_BYTES = 4000  # what one rep may keep (its record, its events): reps are fine, frames are not
FRAME_BYTES = 8  # allowed slack per frame (allocator noise), far below a float kept per frame (32+)


def bridge_poses():
    base = synth.hook_lying()
    peaks = [synth.hook_lying(shk_deg=a) for a in (180, 160, 180, 176)]
    kf, _ = synth.reps(base, peaks, len(peaks), rep_s=2.0, hold_s=1.0, rest_s=1.0, start_rest=1.0, end_rest=1.5)
    seq = synth.keyframe_sequence(kf, FPS, synth.Camera(view="side", facing="left"))
    return [p for _, p in synth.add_noise(seq, 0.8, seed=3)]


@pytest.mark.slow
def test_memory_of_a_live_session_does_not_grow_with_frames(monkeypatch):
    """What the coaching run and its session keep: the angle trace is a window, the cues said a few
    hundred; only the reps (records, events) may add up."""
    monkeypatch.setattr(run_mod, "TRACE_KEEP_S", 10.0)  # the live trace window, short for the test
    ex = find_exercise("glute_bridge")
    run = CoachingRun(ex, SetPlan(sets=99, reps=99, rest_s=1.0), history=NullHistory("test"), count_aloud=True)
    run.start(source="looped clip", pain_before=None)
    poses = bridge_poses()

    def drive(a: int, b: int) -> None:
        for i in range(a, b):
            r = run.session.process(i / FPS, poses[i % len(poses)])
            run.on_result(r, r.guidance)

    drive(0, WARM)
    run.writer.drain()
    reps0 = run.session.count  # (bridges held 1 s of 3: short, stored, not filling a set)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        drive(WARM, FRAMES)
        run.writer.drain()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
        run.close()
    reps = run.session.count - reps0
    assert reps >= 10 and len(run.policy.said) > 0
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    budget = reps * REP_BYTES + (FRAMES - WARM) * FRAME_BYTES
    top = "\n".join(str(s) for s in after.compare_to(before, "lineno")[:5])
    assert grown < budget, f"{grown} bytes kept over {FRAMES - WARM} frames and {reps} reps:\n{top}"
    assert len(run.session.trace_t) <= 2 * 10.0 * FPS + 2
