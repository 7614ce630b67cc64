"""Two people for the person-choice tests (``core.people`` and the estimator's use of it):
a patient lying on their side seen from the front, and someone standing upright."""

from __future__ import annotations

from posecoach.core.types import Pose
from posecoach.testing import synth as S


def lying(shift: float = 0.0) -> Pose:
    post = S.side_lying("left")
    p = S.render(post, S.Camera(view="front", facing="left").fit(S.landmarks_lab(post)))
    return Pose(xy=p.xy + (shift, 0.0), visibility=p.visibility, size_wh=p.size_wh)


def upright() -> Pose:
    post = S.standing()
    return S.render(post, S.Camera(view="side").fit(S.landmarks_lab(post)))
