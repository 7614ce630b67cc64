"""Synthetic sessions for the posture check (``posecoach.core.posture``): a person seated at a
laptop, seen by its own camera from the front with only the head, shoulders and upper trunk in
the picture (the hips are below the frame, as behind a desk).

``seated(head_deg, slump_deg, tilt_deg)`` is one posture: the neck bent forward (the head coming
forward and down), the trunk slumped forward from the hips (thighs stay on the chair) and tilted
sideways.  ``laptop_session`` strings postures together over time (cosine easing between them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from posecoach.core.landmarks import INDEX
from posecoach.testing import synth as S
from posecoach.testing.synth import Camera, Posture, Scenario

__all__ = ["UPPER_BODY", "laptop_camera", "laptop_session", "seated"]

# What a laptop's camera frames: the head and shoulders down to the elbows.
UPPER_BODY = ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow")


def seated(head_deg: float = 0.0, slump_deg: float = 0.0, tilt_deg: float = 0.0) -> Posture:
    """Sitting on a chair, hands forward on a keyboard: ``head_deg`` neck flexion (+ forward),
    ``slump_deg`` trunk pitch (+ forward; the thighs stay level on the seat), ``tilt_deg`` sideways
    roll of the trunk (+ toward the person's left)."""
    return S.sitting().with_(trunk_pitch=slump_deg, trunk_roll=tilt_deg, neck_flex=head_deg,
                             hip_flex=90.0 + slump_deg, shoulder_flex=40.0 - slump_deg, elbow_flex=60.0,
                             root=(0.0, 0.5, 0.0), anchor="mid_hip")


def laptop_camera(postures: Sequence[Posture], yaw_deg: float = 0.0, mirror: bool = False,
                  hips: bool = False) -> Camera:
    """A laptop camera about 70 cm in front (``yaw_deg`` off to one side), framed on the upper body
    of every posture given: the hips are out of the picture (``hips``: framed down to the hips,
    as a camera set back on a desk sees them)."""
    names = UPPER_BODY + (("left_hip", "right_hip", "left_knee", "right_knee") if hips else ())
    pts = np.concatenate([S.landmarks_lab(p)[[INDEX[n] for n in names]] for p in postures])
    cam = Camera(view="front", distance=1.2 if hips else 0.7, yaw_deg=None if yaw_deg == 0 else 90.0 - yaw_deg,
                 facing="left", mirror=mirror, fill=0.8)
    return cam.fit(pts)


def laptop_session(segments: Sequence[tuple[float, Posture]], fps: float = 10.0, *, yaw_deg: float = 0.0,
                   mirror: bool = False, hips: bool = False, noise_px: float = 0.0, seed: int = 0,
                   ease_s: float = 1.0) -> Scenario:
    """``segments`` of (seconds, posture) one after the other, each reached over ``ease_s``.
    Truth: each segment's (start, end) and posture."""
    kf: S.Keyframes = []
    t = 0.0
    windows = []
    for i, (dur, p) in enumerate(segments):
        start = t
        kf.append((t + (ease_s if i else 0.0), p))
        t += dur
        kf.append((t, p))
        windows.append((start, t))
    cam = laptop_camera([p for _, p in segments], yaw_deg, mirror, hips)
    seq = S.keyframe_sequence(kf, fps, cam)
    if noise_px > 0:
        seq = S.add_noise(seq, noise_px, seed)
    return Scenario(seq, fps, {"segments": windows, "duration_s": t}, cam, kf)
