"""What the session averages over time is averaged in seconds, not in frames: the same
movement is judged alike at 30 frames a second and at 10 (``analyze --analysis-fps``, a slow
laptop).  Each test fails when an average is taken per frame."""

from __future__ import annotations

import pytest

from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.testing import synth as S


def _turning_to_side_on(fps: float, t_turn: float = 1.0, end: float = 2.0) -> list[tuple[float, object]]:
    """Standing facing the camera, then (a cut-free turn of the camera set-up) side-on."""
    stand = S.standing()
    front = S.Camera(yaw_deg=0.0)
    side = S.Camera(yaw_deg=90.0)
    pts = S.landmarks_lab(stand)
    front, side = front.fit(pts), side.fit(pts)
    n = int(round(end * fps))
    return [(i / fps, S.render(stand, front if i / fps < t_turn else side)) for i in range(n)]


@pytest.mark.parametrize("exercise", ["standing_leg_raise"])
def test_the_view_is_accepted_as_soon_at_10_fps_as_at_30(exercise):
    """The yaw jumps from 0 to 90 degrees at 1 s: side-on is accepted ~0.1 s later at both rates
    (a per-frame average took 3 frames at both: 0.1 s at 30 fps, 0.3 s at 10)."""
    ex = find_exercise(exercise)
    assert ex.view == "side"
    accepted = {}
    for fps in (30.0, 10.0):
        session = Session(ex)
        results = [session.process(t, pose) for t, pose in _turning_to_side_on(fps)]
        before = [r for r in results if r.t < 1.0]
        assert before and all(r.status.wrong_view for r in before[3:])  # facing the camera: wrong view
        accepted[fps] = next(r.t for r in results if r.t >= 1.0 and not r.status.wrong_view) - 1.0
    assert accepted[30.0] <= 0.15
    assert accepted[10.0] == pytest.approx(accepted[30.0], abs=0.05)
