"""The 33 BlazePose landmarks by name, and the bones drawn between them.

Names follow MediaPipe's ``PoseLandmark`` enum in lower case, so exercise files
can say ``left_knee`` instead of ``25``.  This module is pure: no MediaPipe import.
"""

from __future__ import annotations

__all__ = ["BEYOND", "BONES", "INDEX", "LANDMARK_NAMES", "N_LANDMARKS", "other_side", "side_name"]

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner", "left_eye", "left_eye_outer",
    "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear",
    "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
    "left_pinky", "right_pinky",
    "left_index", "right_index",
    "left_thumb", "right_thumb",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)
N_LANDMARKS = len(LANDMARK_NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

# Bones for drawing a skeleton (pairs of landmark names).
BONES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_heel"), ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
    ("right_ankle", "right_heel"), ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
    ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
)


# The body part beyond a joint, away from the trunk: the foot beyond the ankle, the hand beyond
# the wrist, the head beyond the shoulder.  Where that part lies well outside the picture, the
# body goes on past the frame's edge and a joint placed near the edge is MediaPipe's guess
# (``Session``'s frame gate).
BEYOND: dict[int, tuple[int, ...]] = {
    INDEX[f"{s}_{joint}"]: tuple(INDEX[n if n in INDEX else f"{s}_{n}"] for n in beyond)
    for s in ("left", "right")
    for joint, beyond in (
        ("ankle", ("heel", "foot_index")),
        ("knee", ("ankle",)),
        ("wrist", ("index",)),
        ("elbow", ("wrist",)),
        ("shoulder", ("ear",)),
    )
}

def side_name(name: str, side: str) -> str:
    """Resolve a side-relative name: ``side_name("near_knee", "left") == "left_knee"``.

    ``near_`` means the side facing the camera, ``far_`` the other one.
    Names without such a prefix are returned unchanged.
    """
    if name.startswith("near_"):
        return f"{side}_{name[5:]}"
    if name.startswith("far_"):
        return f"{other_side(side)}_{name[4:]}"
    return name


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"
