#!/usr/bin/env python3
"""Rep counts and form faults on UI-PRMD (Kinect v2 recordings of real people), correct vs incorrect.

    .venv/bin/python bench/uiprmd.py [--data DIR] [--pad 0.75] [--distance 3.0]

Reads ../shared/keypoints/UI-PRMD in place (never copied: licence) and exits 0
with a message when it is missing.  For m01 deep squat -> ``squat``, m05
sit-to-stand -> ``sit_to_stand`` and m06 standing active straight-leg raise ->
``standing_leg_raise`` (each only if its exercise file loads; ``straight_leg_raise``
is the lying version, a different movement), every
repetition file, correct and incorrect, is turned into a stream of posecoach
``Pose`` objects (a virtual camera side-on, 640x480, 30 Hz) and fed to
``Session``.  Each file holds exactly one repetition.  Writes
bench/results/uiprmd.md and uiprmd.json.

What the data really is (worked out from the files; the checks are re-run and
saved under ``format_checks`` in the JSON)
-------------------------------------------------------------------------------
* 66 columns = 22 joints x (x, y, z).  Row 0 of ``positions`` is the root
  (waist / SpineBase) in absolute coordinates, in **centimetres** (hip about
  85 cm above the floor, thigh ~36 cm, shank ~38-40 cm; the floor is at y ~ 0),
  y up, the subject about 2.4 m from the camera at z ~ -236 and facing +z
  (toward the camera).
* The other 21 rows are **not** parent-relative offsets in the global frame:
  they are BVH-style bone offsets in the *parent's local frame*, almost
  constant over time (e.g. the shin is always ~(0, -38, 0), the forearm ~(25,
  0, 0)).  Adding them up gives a frozen T-pose that only translates with the
  root (the knee angle never changes: see ``format_checks.naive_sum``), which
  is why "constant limb lengths" alone cannot validate a reconstruction: every
  interpretation keeps |offset| constant.  The posture is in the ``angles``
  files: per-joint Euler angles in degrees, columns (x, y, z).
* Forward kinematics (BVH convention): ``G[j] = G[parent] @ R(angles[j])`` and
  ``pos[j] = pos[parent] + G[parent] @ offset[j]``, with the root rotation
  ``R(angles[0])``.  Of the 12 Euler conventions (6 orders x angle sign) only
  ``R = Rz(z) @ Rx(x) @ Ry(y)`` (intrinsic Z-X-Y, the usual BVH order) keeps
  the feet planted during a squat: ankle/toe drift ~3 cm against 9-25 cm for
  every other choice (``format_checks.euler``).  Some public UI-PRMD loaders
  use Rz @ Ry @ Rx and an inconsistent chain; the data does not support that.
* Joint order and hierarchy (0-based; Vakanski et al. 2018 name them "waist,
  spine, chest, neck, head, head tip, collar, upper arm, forearm, hand, ...,
  upper leg, lower leg, foot, leg toes"; the BVH joint sits at the *start* of
  the named segment, so "upper leg" is the hip joint):

      0 waist (root, SpineBase)   1 spine (SpineMid)   2 chest (SpineShoulder)
      3 neck (zero rotation, 0.7 cm)   4 head (Kinect Neck)   5 head tip (Kinect Head, end site)
      6 L collar   7 L upper arm = shoulder   8 L forearm = elbow   9 L hand = wrist
      10 R collar  11 R upper arm = shoulder  12 R forearm = elbow  13 R hand = wrist
      14 L upper leg = hip  15 L lower leg = knee  16 L foot = ankle  17 L toes = Kinect FootLeft (end site)
      18 R upper leg = hip  19 R lower leg = knee  20 R foot = ankle  21 R toes = Kinect FootRight (end site)
      parents: 1<-0, 2<-1, 3<-2, 4<-3, 5<-4, 6<-2, 7<-6, 8<-7, 9<-8, 10<-2, 11<-10, 12<-11,
               13<-12, 14<-0, 15<-14, 16<-15, 17<-16, 18<-0, 19<-18, 20<-19, 21<-20
  The 22 are Kinect v2's 25 minus HandTip and Thumb on both sides (4), plus
  the converter's extra zero-rotation "neck" (3).  End sites (3, 5, 17, 21)
  carry all-zero angles, which fits.  Left joints have +x offsets, and with
  the subject facing +z and y up the "left" label is the subject's own left.
* Bone lengths (|offset|) are not exactly constant: Kinect re-estimates them
  every frame (a few % relative std, more in the arms and during deep
  squats; ``format_checks.bone_length_rel_std``).  Some frames of deep squats
  are tracking failures (3D knee angles of 5-15 degrees).
* Arms: with the same convention the arms come out raised in a wide V in the
  deep squat and with the elbows out at shoulder height and the wrists above
  them in m05/m06 (hands behind the head?).  That may be the protocol or the
  converter's arm rotations; nothing in the data pins it down.  Only
  sit_to_stand's ``hands_push`` uses an arm landmark (the wrist).
* Segments: m01 and m06 start and end standing; **m05 starts and ends
  standing too (stand -> sit -> stand)**; posecoach's sit_to_stand (rest 115 =
  sitting, peak 160 = standing) has ``rep.start: either``, so a cycle starts
  from the end the person is first seen at and these files count too.

Mapping to BlazePose's 33 landmarks: shoulders, elbows, wrists, hips, knees,
ankles direct; foot_index = the Kinect foot joint; heel = 6 cm behind the
ankle along the foot and 5 cm toward the sole; index/pinky/thumb = 9/8/5 cm
beyond the wrist along the forearm; nose, eyes, ears and mouth placed around
the Kinect head joint using the face direction (left x up from the shoulder
line and the neck->head direction).  World: metres, origin mid-hip, axes of the
virtual camera (x right, y down, z away).  The camera stands at hip height
(1.0 m) ``--distance`` m from the subject's mid-hip along the subject's own
left-right axis (estimated per file from the hip and shoulder lines), looking
horizontally: truly side-on (shoulder/hip line yaw ~90 degrees), focal 560 px
into 640x480.  Visibility 0.95 on the near side, 0.8 on the far side (a
side-on MediaPipe still sees the far limbs) and 0.95 for the face.
Camera side: the subject's left for m01/m05; for m06 the side of the raised
leg (the one whose ankle moves most), as a physio would film it.  Each file is
padded with ``--pad`` s of its first and last frame held still (a person
standing before and after the rep); the unpadded run is reported too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, ROOT, git_commit, save_results  # noqa: E402 - also puts src/ on the path

DATA = ROOT.parent / "shared" / "keypoints" / "UI-PRMD"

from posecoach.core.engine import Phase, Targets  # noqa: E402
from posecoach.errors import ExerciseError  # noqa: E402
from posecoach.core.exercise import find_exercise  # noqa: E402
from posecoach.core.features import FeatureSet  # noqa: E402
from posecoach.core.landmarks import INDEX, N_LANDMARKS  # noqa: E402
from posecoach.core.session import Session  # noqa: E402
from posecoach.core.types import Pose  # noqa: E402

FPS = 30.0
SIZE = (640, 480)
FOCAL = 560.0
CAM_HEIGHT = 1.0  # metres above the floor
VIS_NEAR, VIS_FAR, VIS_FACE = 0.95, 0.8, 0.95

MOVEMENTS = {
    "m01": ("squat", "deep squat"),
    "m05": ("sit_to_stand", "sit-to-stand"),
    "m06": ("standing_leg_raise", "standing active straight-leg raise"),
}
# Diagnostic only: a shorter minimum rep duration (an in-memory copy of the exercise; the file is not touched).
SHORT_MIN_DURATION = 0.6
FOLDERS = {True: "Segmented Movements", False: "Incorrect Segmented Movements"}

# Kinect (UI-PRMD) joint indices and parents: see the module docstring.
J = dict(
    waist=0, spine=1, chest=2, neck=3, neck_k=4, head=5,
    l_collar=6, l_shoulder=7, l_elbow=8, l_wrist=9,
    r_collar=10, r_shoulder=11, r_elbow=12, r_wrist=13,
    l_hip=14, l_knee=15, l_ankle=16, l_foot=17,
    r_hip=18, r_knee=19, r_ankle=20, r_foot=21,
)
PARENT = (-1, 0, 1, 2, 3, 4, 2, 6, 7, 8, 2, 10, 11, 12, 0, 14, 15, 16, 0, 18, 19, 20)
EULER = "ZXY"  # R = Rz(z) @ Rx(x) @ Ry(y), angles in columns (x, y, z), degrees


# -- reading and forward kinematics ------------------------------------------------
def file_path(data: Path, mov: str, subj: int, ep: int, correct: bool, kind: str) -> Path:
    suffix = "" if correct else "_inc"
    return data / FOLDERS[correct] / "Kinect" / kind.capitalize() / f"{mov}_s{subj:02d}_e{ep:02d}_{kind}{suffix}.txt.gz"


def read_csv(path: Path) -> np.ndarray:
    with gzip.open(path, "rt") as f:
        a = np.loadtxt(f, delimiter=",", ndmin=2)
    if a.shape[1] != 66:
        raise ValueError(f"{path.name}: expected 66 columns, got {a.shape[1]}")
    return a.reshape(len(a), 22, 3)


def _axis_rot(axis: str, deg: np.ndarray) -> np.ndarray:
    r = np.radians(deg)
    c, s = np.cos(r), np.sin(r)
    o, z = np.ones_like(r), np.zeros_like(r)
    if axis == "X":
        m = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == "Y":
        m = [[c, z, s], [z, o, z], [-s, z, c]]
    else:
        m = [[c, -s, z], [s, c, z], [z, z, o]]
    return np.moveaxis(np.array(m), (0, 1), (-2, -1))


def euler_matrix(angles: np.ndarray, order: str = EULER, sign: float = 1.0) -> np.ndarray:
    """(n, 3) angles in degrees, columns (x, y, z) -> (n, 3, 3), intrinsic rotations in ``order``."""
    col = {"X": 0, "Y": 1, "Z": 2}
    out = None
    for ax in order:
        r = _axis_rot(ax, sign * angles[:, col[ax]])
        out = r if out is None else out @ r
    return out


def forward_kinematics(pos: np.ndarray, ang: np.ndarray, order: str = EULER, sign: float = 1.0) -> np.ndarray:
    """Absolute joint positions (n, 22, 3), same units as the file (cm)."""
    n = len(pos)
    out = np.zeros_like(pos)
    glob = np.zeros((n, 22, 3, 3))
    for j, p in enumerate(PARENT):
        rot = euler_matrix(ang[:, j], order, sign)
        if p < 0:
            out[:, j] = pos[:, j]
            glob[:, j] = rot
        else:
            out[:, j] = out[:, p] + np.einsum("nij,nj->ni", glob[:, p], pos[:, j])
            glob[:, j] = glob[:, p] @ rot
    return out


def naive_sum(pos: np.ndarray) -> np.ndarray:
    """The tempting but wrong reading: offsets added up in the global frame."""
    out = np.zeros_like(pos)
    for j, p in enumerate(PARENT):
        out[:, j] = pos[:, j] if p < 0 else out[:, p] + pos[:, j]
    return out


def angle3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    u, v = a - b, c - b
    cos = (u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


# -- Kinect -> BlazePose ------------------------------------------------------
def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def to_blazepose(k: np.ndarray) -> np.ndarray:
    """(n, 22, 3) Kinect joints in metres, y up -> (n, 33, 3) BlazePose landmarks, same frame."""
    n = len(k)
    out = np.zeros((n, N_LANDMARKS, 3))

    def put(name: str, v: np.ndarray) -> None:
        out[:, INDEX[name]] = v

    for side, s in (("left", "l"), ("right", "r")):
        for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
            put(f"{side}_{part}", k[:, J[f"{s}_{part}"]])
        wrist, elbow = k[:, J[f"{s}_wrist"]], k[:, J[f"{s}_elbow"]]
        fore = _unit(wrist - elbow)
        put(f"{side}_index", wrist + 0.09 * fore)
        put(f"{side}_pinky", wrist + 0.08 * fore)
        put(f"{side}_thumb", wrist + 0.05 * fore)
        ankle, foot, knee = k[:, J[f"{s}_ankle"]], k[:, J[f"{s}_foot"]], k[:, J[f"{s}_knee"]]
        fdir = _unit(foot - ankle)
        shin = _unit(ankle - knee)
        sole = _unit(shin - (shin * fdir).sum(-1, keepdims=True) * fdir)  # toward the sole
        put(f"{side}_foot_index", foot)
        put(f"{side}_heel", ankle - 0.06 * fdir + 0.05 * sole)
    # face around the Kinect head joint
    head, neck = k[:, J["head"]], k[:, J["neck_k"]]
    up = _unit(head - neck)
    left = k[:, J["l_shoulder"]] - k[:, J["r_shoulder"]]
    left = _unit(left - (left * up).sum(-1, keepdims=True) * up)
    fwd = np.cross(left, up)  # left x up = forward for a right-handed, y-up frame
    put("nose", head + 0.09 * fwd - 0.01 * up)
    for side, sg in (("left", 1.0), ("right", -1.0)):
        eye = head + 0.075 * fwd + 0.02 * up
        put(f"{side}_eye_inner", eye + sg * 0.015 * left)
        put(f"{side}_eye", eye + sg * 0.032 * left)
        put(f"{side}_eye_outer", eye + sg * 0.045 * left)
        put(f"{side}_ear", head + sg * 0.075 * left - 0.01 * fwd)
        put(f"mouth_{side}", head + 0.08 * fwd - 0.05 * up + sg * 0.025 * left)
    assert n == len(out)
    return out


def _landmark_side(name: str) -> str:
    if name.startswith("left") or name.endswith("_left"):
        return "left"
    if name.startswith("right") or name.endswith("_right"):
        return "right"
    return ""


def make_poses(k_m: np.ndarray, near: str, distance: float, view: str = "side") -> tuple[list[Pose], dict]:
    """Virtual camera side-on on the subject's ``near`` side (``view="side"``), or in front of the
    subject facing them (``view="front"``: both sides equally visible); returns poses and the set-up."""
    bp = to_blazepose(k_m)
    lhip, rhip = bp[:, INDEX["left_hip"]], bp[:, INDEX["right_hip"]]
    lsh, rsh = bp[:, INDEX["left_shoulder"]], bp[:, INDEX["right_shoulder"]]
    lr = ((lhip - rhip) + (lsh - rsh)).mean(0)  # subject's left, averaged over the file
    lr[1] = 0.0
    lr = _unit(lr)
    out_dir = lr if near == "left" else -lr  # from the subject toward the camera
    if view == "front":
        out_dir = _unit(np.cross(lr, np.array([0.0, 1.0, 0.0])))  # left x up = the way the subject faces
    mid = 0.5 * (lhip + rhip).mean(0)
    cam = mid + distance * out_dir
    cam[1] = CAM_HEIGHT
    z_c = -out_dir  # camera looks at the subject, horizontally
    y_c = np.array([0.0, -1.0, 0.0])
    x_c = np.cross(y_c, z_c)
    rot = np.stack([x_c, y_c, z_c])  # rows: camera axes in data coordinates
    pc = (bp - cam) @ rot.T  # (n, 33, 3) camera frame, metres
    w, h = SIZE
    xy = FOCAL * pc[..., :2] / pc[..., 2:3] + np.array([w / 2, h / 2])
    world = pc - 0.5 * (pc[:, INDEX["left_hip"]] + pc[:, INDEX["right_hip"]])[:, None, :]
    vis = np.full(N_LANDMARKS, VIS_FACE)
    for name, i in INDEX.items():
        s = _landmark_side(name)
        if s and i > 10:  # body landmarks; the face stays at VIS_FACE
            vis[i] = VIS_NEAR if s == near or view == "front" else VIS_FAR
    poses = [Pose(xy=xy[i].copy(), visibility=vis.copy(), world=world[i].copy(), size_wh=SIZE) for i in range(len(bp))]
    d = world[:, [INDEX["left_shoulder"], INDEX["left_hip"]]] - world[:, [INDEX["right_shoulder"], INDEX["right_hip"]]]
    yaw = np.degrees(np.arctan2(np.abs(d[..., 2]), np.abs(d[..., 0]) + 1e-9)).mean()
    setup = {
        "view": view,
        "near": near,
        "yaw_deg": round(float(yaw), 1),
        "x_px": [round(float(xy[..., 0].min()), 1), round(float(xy[..., 0].max()), 1)],
        "y_px": [round(float(xy[..., 1].min()), 1), round(float(xy[..., 1].max()), 1)],
    }
    return poses, setup


def pad(poses: list[Pose], seconds: float) -> list[Pose]:
    k = int(round(seconds * FPS))
    return [poses[0]] * k + poses + [poses[-1]] * k


# -- running the session -------------------------------------------------------
def _stat(vals: list[float], stat: str) -> float:
    vals = [v for v in vals if not math.isnan(v)]
    if not vals:
        return math.nan
    return {"min": min, "max": max, "median": statistics.median, "mean": statistics.fmean}[stat](vals)


def run_session(ex, poses: list[Pose], targets: Targets | None = None) -> dict:
    sess = Session(ex, targets=targets)
    peak_vals: dict[str, list[float]] = {n: [] for n in ex.angles}
    cycle_vals: dict[str, list[float]] = {n: [] for n in ex.angles}
    statuses: dict[str, int] = {}
    resets: list[str] = []
    for i, pose in enumerate(poses):
        r = sess.process(i / FPS, pose)
        statuses[r.status] = statuses.get(r.status, 0) + 1
        resets += [e.detail for e in r.events if e.kind == "reset"]
        if r.values and r.pose is not None:
            # each engine's own side (both-sided exercises: FrameResult.values holds the left side only)
            for side, eng in sess.engines.items():
                if eng.phase not in (Phase.MOVING, Phase.PEAK, Phase.RETURNING):
                    continue
                vals = r.values if side == "near" else sess.features.values(r.pose, side, sess.config.min_visibility)
                for n, v in vals.items():
                    if eng.phase == Phase.PEAK:
                        peak_vals[n].append(v)
                    cycle_vals[n].append(v)
    s = sess.summary()
    main = np.array(sess.trace_main, dtype=float)
    sign = 1.0 if ex.rep.peak > ex.rep.rest else -1.0
    finite = main[np.isfinite(main)]
    extreme = float(sign * np.max(sign * finite)) if finite.size else math.nan
    # the value each angle-based rule judges, over the frames of the phase it judges
    rule_values = {}
    for rule in ex.form_rules:
        if rule.angle is not None and rule.phase in ("peak", "moving"):
            src = peak_vals if rule.phase == "peak" else cycle_vals
            rule_values[rule.id] = _stat(src[rule.angle], rule.stat)
        elif rule.metric is not None and s["rep_details"]:
            rule_values[rule.id] = s["rep_details"][0].get(
                {"duration_s": "duration_s", "up_s": "up_s", "down_s": "down_s", "hold_s": "hold_s", "peak": "peak_angle"}[rule.metric]
            )
    return {
        "reps": s["reps"],
        "reps_by_side": s.get("reps_by_side"),
        "partial_reps": len(s["partial_reps"]),
        "faults": sorted({f for d in s["rep_details"] for f in d["faults"]}),
        "peak_angle": s["rep_details"][0]["peak_angle"] if s["rep_details"] else None,
        "rep_duration_s": s["rep_details"][0]["duration_s"] if s["rep_details"] else None,
        "trace_extreme": None if math.isnan(extreme) else round(extreme, 1),
        "usable_pct": round(100 * s["frames_usable"] / max(s["frames"], 1), 1),
        "statuses": statuses,
        "resets": resets,
        **({"warnings": s["warnings"]} if s["warnings"] else {}),
        "rule_values": {k: (None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 3))
                        for k, v in rule_values.items()},
    }


def miss_reason(ex, row: dict, raw_near: np.ndarray, targets: Targets | None = None) -> str | None:
    """Why a file did not give exactly one rep, from the unsmoothed main angle of the near side."""
    if row["reps"] == 1:
        return None
    if row["reps"] > 1:
        return "two or more reps"
    if "too short to be a rep" in row.get("resets", []):
        return f"rest-peak-rest faster than min_duration_s {ex.rep.min_duration_s:g} s"
    if row.get("partial_reps"):
        return "peak threshold not reached (partial)"
    rest = targets.rest if targets and targets.rest is not None else ex.rep.rest
    peak = targets.peak if targets and targets.peak is not None else ex.rep.peak
    sign = 1.0 if peak > rest else -1.0
    x = sign * (raw_near - rest)
    if x[0] > 0:
        return "starts away from rest (never seen at rest before the rep)"
    if x.max() < abs(peak - rest):
        return "peak threshold not reached (partial)"
    if x[-1] > 0:
        return "ends away from rest (never back at rest after the rep)"
    return "other"


def raw_main(ex, poses: list[Pose], side: str) -> np.ndarray:
    """The main angle on the unsmoothed poses (what the engine would see without the filter)."""
    fs = FeatureSet(ex)
    return np.array([fs.values(p, side)[ex.rep.angle] for p in poses])


# -- format checks ---------------------------------------------------------------
def format_checks(data: Path) -> dict:
    """Evidence for the reconstruction, on correct deep squats (feet stay planted)."""
    files = [(s, e) for s in range(1, 11) for e in (1, 5)]
    loaded = []
    for s, e in files:
        try:
            loaded.append((read_csv(file_path(data, "m01", s, e, True, "positions")),
                           read_csv(file_path(data, "m01", s, e, True, "angles"))))
        except OSError:
            continue
    feet = [J["l_ankle"], J["l_foot"], J["r_ankle"], J["r_foot"]]

    def drift(x: np.ndarray) -> float:
        return float(x[:, feet].std(0).mean())

    def knee_range(x: np.ndarray) -> float:
        k = angle3(x[:, J["l_hip"]], x[:, J["l_knee"]], x[:, J["l_ankle"]])
        return float(k.max() - k.min())

    euler = {}
    for order in ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"):
        for sign in (1.0, -1.0):
            recs = [forward_kinematics(p, a, order, sign) for p, a in loaded]
            euler[f"{order}{'+' if sign > 0 else '-'}"] = round(statistics.median(drift(x) for x in recs), 2)
    naive = [naive_sum(p) for p, _ in loaded]
    good = [forward_kinematics(p, a) for p, a in loaded]
    bones = {}
    for name, j in (("thigh", J["l_knee"]), ("shank", J["l_ankle"]), ("upper_arm", J["l_elbow"]),
                    ("forearm", J["l_wrist"]), ("spine", J["spine"])):
        rel = [float(np.linalg.norm(p[:, j], axis=1).std() / np.linalg.norm(p[:, j], axis=1).mean()) for p, _ in loaded]
        bones[name] = round(100 * statistics.median(rel), 1)
    stand = good[0][0] if good else None
    return {
        "files": len(loaded),
        "units": "cm (converted to m)",
        "euler": euler,
        "euler_note": "median over files of the ankle/toe position std (cm) during correct deep squats; "
                      "keys are the intrinsic order and the angle sign",
        "chosen": EULER + "+",
        "naive_sum": {
            "foot_drift_cm": round(statistics.median(drift(x) for x in naive), 2),
            "knee_range_deg": round(statistics.median(knee_range(x) for x in naive), 1),
        },
        "fk_knee_range_deg": round(statistics.median(knee_range(x) for x in good), 1),
        "bone_length_rel_std_pct": bones,
        "standing_frame_cm": None if stand is None else {
            "waist_y": round(float(stand[0, 1]), 1), "head_y": round(float(stand[J["head"], 1]), 1),
            "ankle_y": round(float(stand[[J["l_ankle"], J["r_ankle"]], 1].mean()), 1),
            "toe_y": round(float(stand[[J["l_foot"], J["r_foot"]], 1].mean()), 1),
            "hip_width": round(float(np.linalg.norm(stand[J["l_hip"]] - stand[J["r_hip"]])), 1),
            "camera_z": round(float(stand[0, 2]), 1),
        },
    }


# -- summaries ------------------------------------------------------------------
def _q(vals: list) -> dict | None:
    v = sorted(float(x) for x in vals if x is not None and not (isinstance(x, float) and math.isnan(x)))
    if not v:
        return None
    a = np.array(v)
    return {"n": len(v), "median": round(float(np.median(a)), 1), "q1": round(float(np.percentile(a, 25)), 1),
            "q3": round(float(np.percentile(a, 75)), 1), "min": round(float(a.min()), 1), "max": round(float(a.max()), 1)}


def _auc(pos: list, neg: list) -> float | None:
    """P(value of an incorrect rep > value of a correct rep) (0.5 = no separation)."""
    p = [x for x in pos if x is not None]
    n = [x for x in neg if x is not None]
    if not p or not n:
        return None
    gt = sum((a > b) + 0.5 * (a == b) for a in p for b in n)
    return round(gt / (len(p) * len(n)), 3)


def summarise(rows: list[dict], ex) -> dict:
    out: dict = {}
    for label, correct in (("correct", True), ("incorrect", False)):
        rs = [r for r in rows if r["correct"] == correct]
        n = len(rs)
        reps = [r["reps"] for r in rs]
        one = [r for r in rs if r["reps"] == 1]
        out[label] = {
            "files": n,
            "exactly_one_pct": round(100 * len(one) / n, 1) if n else None,
            "zero": reps.count(0),
            "two_or_more": sum(1 for x in reps if x >= 2),
            "any_fault_pct": round(100 * sum(1 for r in rs if r["faults"]) / n, 1) if n else None,
            "any_fault_pct_of_counted": round(100 * sum(1 for r in one if r["faults"]) / len(one), 1) if one else None,
            # what the user would hear about: a fault, or a partial rep (its cue: go further)
            "fault_or_partial_pct": round(100 * sum(1 for r in rs if r["faults"] or r["partial_reps"]) / n, 1) if n else None,
            "partial_pct": round(100 * sum(1 for r in rs if r["partial_reps"]) / n, 1) if n else None,
            "rule_pct": {rule.id: round(100 * sum(1 for r in rs if rule.id in r["faults"]) / n, 1) if n else None
                         for rule in ex.form_rules},
            "peak_angle": _q([r["peak_angle"] for r in rs]),
            "trace_extreme": _q([r["trace_extreme"] for r in rs]),
            "raw_extreme": _q([r["raw_extreme"] for r in rs]),
            "raw_min": _q([r["raw_min_max"][0] for r in rs]),
            "raw_max": _q([r["raw_min_max"][1] for r in rs]),
            "raw_start": _q([r["raw_start_end"][0] for r in rs]),
            "miss_reasons": {k: sum(1 for r in rs if r["miss_reason"] == k)
                             for k in sorted({r["miss_reason"] for r in rs if r["miss_reason"]})},
            "rule_values": {rule.id: _q([r["rule_values"].get(rule.id) for r in rs]) for rule in ex.form_rules},
        }
    # separation per rule value (AUC: incorrect above correct), and of the peak angle
    cor = [r for r in rows if r["correct"]]
    inc = [r for r in rows if not r["correct"]]
    out["auc"] = {rule.id: _auc([r["rule_values"].get(rule.id) for r in inc], [r["rule_values"].get(rule.id) for r in cor])
                  for rule in ex.form_rules}
    out["auc"]["main_angle_extreme"] = _auc([r["raw_extreme"] for r in inc], [r["raw_extreme"] for r in cor])
    return out


# -- report -----------------------------------------------------------------------
def _fmt_q(q: dict | None) -> str:
    return "-" if not q else f"{q['median']:g} [{q['q1']:g}-{q['q3']:g}]"


def write_md(report: dict, path: Path) -> str:
    L = ["# UI-PRMD: one rep per file, faults on correct vs incorrect reps", "",
         f"Run {report['date']} on commit {report['commit']}, `bench/uiprmd.py` "
         f"(pad {report['pad_s']} s, camera side-on at {report['distance_m']} m, 640x480, 30 Hz).  "
         "Data: UI-PRMD Kinect v2, 10 subjects x 10 reps, read in place from ../shared/keypoints "
         "(Vakanski et al., Data 2018).  Every file is one repetition: the right count is 1.", ""]
    L += ["| movement | exercise | files C/I | exactly 1 rep C | exactly 1 rep I | 0 / >=2 reps (C+I) | any fault C | any fault I | fault or partial C | fault or partial I | peak angle C, median [IQR] | peak angle I | main-angle extreme C | extreme I |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for mov, m in report["movements"].items():
        if "skipped" in m:
            L.append(f"| {mov} {m['name']} | {m['exercise']} | - | skipped: {m['skipped']} | | | | | | | | | | |")
            continue
        c, i = m["summary"]["correct"], m["summary"]["incorrect"]
        L.append(
            f"| {mov} {m['name']} | {m['exercise']} | {c['files']}/{i['files']} | {c['exactly_one_pct']}% | {i['exactly_one_pct']}% | "
            f"{c['zero'] + i['zero']} / {c['two_or_more'] + i['two_or_more']} | {c['any_fault_pct']}% | {i['any_fault_pct']}% | "
            f"{c['fault_or_partial_pct']}% | {i['fault_or_partial_pct']}% | "
            f"{_fmt_q(c['peak_angle'])} | {_fmt_q(i['peak_angle'])} | {_fmt_q(c['raw_extreme'])} | {_fmt_q(i['raw_extreme'])} |")
    L += ["", "Peak angle = the engine's peak of the rep's main angle (counted reps only); main-angle extreme = "
          "the most extreme main angle in the file toward the peak, unsmoothed, either side for both-sided exercises "
          "(every file).  Fault rates are over all files; \"fault or partial\" also counts a rep that started but "
          "did not reach the peak (the user hears the partial cue).", ""]
    for mov, m in report["movements"].items():
        if "skipped" in m:
            continue
        s = m["summary"]
        L += [f"## {mov} {m['name']} -> `{m['exercise']}` (main angle `{m['main_angle']}`, rest {m['rest']}, peak {m['peak']})", ""]
        for lab in ("correct", "incorrect"):
            q = s[lab]
            L.append(f"- {lab}: main angle at the first frame {_fmt_q(q['raw_start'])}, lowest {_fmt_q(q['raw_min'])}, "
                     f"highest {_fmt_q(q['raw_max'])}; not exactly one rep: "
                     + (", ".join(f"{v} {k}" for k, v in q["miss_reasons"].items()) or "none"))
        L.append("")
        L += ["| rule | fired C | fired I | value judged C, median [IQR] | I | AUC (I above C) |", "|---|---|---|---|---|---|"]
        for rid in s["correct"]["rule_pct"]:
            L.append(f"| {rid} | {s['correct']['rule_pct'][rid]}% | {s['incorrect']['rule_pct'][rid]}% | "
                     f"{_fmt_q(s['correct']['rule_values'][rid])} | {_fmt_q(s['incorrect']['rule_values'][rid])} | {s['auc'][rid]} |")
        L.append(f"| (main-angle extreme) | | | {_fmt_q(s['correct']['raw_extreme'])} | {_fmt_q(s['incorrect']['raw_extreme'])} | {s['auc']['main_angle_extreme']} |")
        L += ["", "AUC: chance that an incorrect rep's value is above a correct rep's (0.5 = the value does not "
              "separate them; near 0 or 1 = it does, in one direction).", ""]
        v = m.get("variants", {})
        if v:
            L += ["Variants (exactly one rep, correct / incorrect):", ""]
            for name, d in v.items():
                L.append(f"- {name}: {d['text']}")
            L.append("")
        if m.get("notes"):
            L += [f"- {n}" for n in m["notes"]] + [""]
    fc = report["format_checks"]
    L += ["## Data format checks", "",
          f"- Offsets are bone vectors in the parent's local frame; the posture is in the angle files.  Adding the offsets "
          f"up naively gives a frozen T-pose: knee range {fc['naive_sum']['knee_range_deg']} deg over a deep squat "
          f"(forward kinematics: {fc['fk_knee_range_deg']} deg).",
          "- Foot drift (cm, median ankle/toe std over correct squats) per Euler convention: "
          + ", ".join(f"{k} {v}" for k, v in sorted(fc["euler"].items(), key=lambda kv: kv[1]))
          + f".  Chosen: {fc['chosen']} (R = Rz Rx Ry).",
          f"- Bone length relative std (%, Kinect re-estimates them per frame): {fc['bone_length_rel_std_pct']}.",
          f"- Standing frame (cm): {fc['standing_frame_cm']}.", ""]
    text = "\n".join(L) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def dump_json(report: dict) -> str:
    """Readable JSON with one line per file (600 files): the per-file rows go to a top-level ``files`` list."""
    rows = []
    rest = json.loads(json.dumps(report))
    for mov, m in rest["movements"].items():
        for r in m.pop("files", []):
            rows.append({"movement": mov, **r})
    head = json.dumps(rest, indent=1)
    body = ",\n".join("  " + json.dumps(r, separators=(", ", ": ")) for r in rows)
    return head[:-2] + ',\n "files": [\n' + body + "\n ]\n}\n"


def _one_pct(rows: list[dict], correct: bool, key: str = "reps", want: int = 1) -> str:
    rs = [r for r in rows if r["correct"] == correct]
    return f"{100 * sum(1 for r in rs if r[key] == want) / len(rs):.0f}%" if rs else "-"


# -- main -------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--pad", type=float, default=0.75, help="seconds of still first/last frame added (0 = none)")
    ap.add_argument("--distance", type=float, default=3.0, help="camera distance from the mid-hip, metres")
    ap.add_argument("--only", choices=sorted(MOVEMENTS), help="run one movement")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)

    if not (a.data / FOLDERS[True]).is_dir():
        print(f"skipped: no UI-PRMD data at {a.data}; nothing to run")
        return 0
    t0 = time.time()
    report: dict = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": git_commit(),
        "data": str(a.data),
        "pad_s": a.pad,
        "distance_m": a.distance,
        "camera": {"size": SIZE, "focal_px": FOCAL, "height_m": CAM_HEIGHT, "fps": FPS,
                   "visibility": {"near": VIS_NEAR, "far": VIS_FAR, "face": VIS_FACE}},
        "format_checks": format_checks(a.data),
        "movements": {},
    }
    for mov, (ex_id, name) in MOVEMENTS.items():
        if a.only and mov != a.only:
            continue
        entry: dict = {"exercise": ex_id, "name": name}
        report["movements"][mov] = entry
        try:
            ex = find_exercise(ex_id)
        except ExerciseError as e:
            entry["skipped"] = f"exercise not available ({e})"
            print(f"{mov}: skipped, {entry['skipped']}")
            continue
        entry.update(main_angle=ex.rep.angle, rest=ex.rep.rest, peak=ex.rep.peak, view=ex.view, sides=ex.sides)
        ex_short = None
        if mov != "m05" and ex.rep.min_duration_s > SHORT_MIN_DURATION:
            ex_short = ex.model_copy(update={"rep": ex.rep.model_copy(update={"min_duration_s": SHORT_MIN_DURATION})})
        rows: list[dict] = []
        streams: dict[tuple[int, bool], list[list[Pose]]] = {}
        for correct in (True, False):
            for subj in range(1, 11):
                for ep in range(1, 11):
                    pp = file_path(a.data, mov, subj, ep, correct, "positions")
                    if not pp.is_file():
                        continue
                    k = forward_kinematics(read_csv(pp), read_csv(file_path(a.data, mov, subj, ep, correct, "angles"))) / 100.0
                    if mov == "m06":  # film the working leg: the ankle that moves most
                        move = {s: float(np.linalg.norm(k[:, J[f"{s[0]}_ankle"]] - k[0, J[f"{s[0]}_ankle"]], axis=1).max())
                                for s in ("left", "right")}
                        near = max(move, key=move.get)
                    else:
                        near = "left"
                    poses, setup = make_poses(k, near, a.distance)
                    knee = angle3(k[:, J["l_hip"]], k[:, J["l_knee"]], k[:, J["l_ankle"]])
                    row = {"file": pp.name, "subject": subj, "episode": ep, "correct": correct,
                           "frames": len(poses), "duration_s": round(len(poses) / FPS, 2), "camera": setup,
                           "knee3d_start_end": [round(float(knee[0]), 1), round(float(knee[-1]), 1)]}
                    res = run_session(ex, pad(poses, a.pad) if a.pad > 0 else poses)
                    row.update(res)
                    raw = raw_near = raw_main(ex, poses, near)
                    if ex.sides == "both":
                        raw = np.fmin(raw, raw_main(ex, poses, "left" if near == "right" else "right")) \
                            if ex.rep.peak < ex.rep.rest else np.fmax(raw, raw_main(ex, poses, "left" if near == "right" else "right"))
                    sign = 1.0 if ex.rep.peak > ex.rep.rest else -1.0
                    row["raw_extreme"] = round(float(sign * np.nanmax(sign * raw)), 1)
                    row["raw_start_end"] = [round(float(raw_near[0]), 1), round(float(raw_near[-1]), 1)]
                    row["raw_min_max"] = [round(float(np.nanmin(raw)), 1), round(float(np.nanmax(raw)), 1)]
                    row["miss_reason"] = miss_reason(ex, row, raw_near)
                    if a.pad > 0:
                        row["reps_unpadded"] = run_session(ex, poses)["reps"]
                    if mov == "m05":
                        swapped = run_session(ex, pad(poses, a.pad), Targets(rest=ex.rep.peak, peak=ex.rep.rest))
                        row["reps_stand_sit_stand"] = swapped["reps"]
                    if ex_short is not None:
                        short = run_session(ex_short, pad(poses, a.pad))
                        row["short_min_duration"] = {"reps": short["reps"], "faults": short["faults"]}
                    rows.append(row)
                    streams.setdefault((subj, correct), []).append(pad(poses, a.pad) if a.pad > 0 else poses)
        if not rows:
            entry["skipped"] = "no files"
            continue
        entry["summary"] = summarise(rows, ex)
        variants: dict = {}
        if a.pad > 0:
            variants["no padding"] = {
                "correct": _one_pct(rows, True, "reps_unpadded"), "incorrect": _one_pct(rows, False, "reps_unpadded")}
            variants["no padding"]["text"] = (f"{variants['no padding']['correct']} / {variants['no padding']['incorrect']} "
                                              "(the files as they are, no still frames added)")
        if ex_short is not None:
            d: dict = {}
            for lab, cor in (("correct", True), ("incorrect", False)):
                rs = [r for r in rows if r["correct"] == cor]
                d[lab] = {
                    "exactly_one_pct": round(100 * sum(1 for r in rs if r["short_min_duration"]["reps"] == 1) / len(rs), 1),
                    "rule_pct": {rule.id: round(100 * sum(1 for r in rs if rule.id in r["short_min_duration"]["faults"]) / len(rs), 1)
                                 for rule in ex.form_rules},
                }
            rules = ", ".join(f"{k} {d['correct']['rule_pct'][k]:g}%/{d['incorrect']['rule_pct'][k]:g}%" for k in d["correct"]["rule_pct"])
            d["text"] = (f"{d['correct']['exactly_one_pct']:g}% / {d['incorrect']['exactly_one_pct']:g}% with rep.min_duration_s "
                         f"{SHORT_MIN_DURATION:g} instead of {ex.rep.min_duration_s:g} (in-memory copy, diagnostic); "
                         f"rules fired C/I: {rules}")
            variants[f"min_duration_s {SHORT_MIN_DURATION:g}"] = d
        if mov == "m05":
            variants["rest/peak swapped"] = {
                "correct": _one_pct(rows, True, "reps_stand_sit_stand"), "incorrect": _one_pct(rows, False, "reps_stand_sit_stand")}
            variants["rest/peak swapped"]["text"] = (
                f"{variants['rest/peak swapped']['correct']} / {variants['rest/peak swapped']['incorrect']} "
                f"(Targets(rest={ex.rep.peak:g}, peak={ex.rep.rest:g}): counting stand -> sit -> stand, as the files are cut; "
                "diagnostic only, the rules then judge the wrong phases)")
            # continuous sessions: a subject's 10 files back to back; sit -> stand -> sit cycles = files - 1
            conc = []
            for (subj, correct), seqs in sorted(streams.items()):
                flat = [p for s in seqs for p in s]
                conc.append({"subject": subj, "correct": correct, "files": len(seqs), "reps": run_session(ex, flat)["reps"]})
            entry["concatenated"] = conc
            # from standing with rep.start: either, every file is one stand -> sit -> stand cycle
            whole = ex.rep.start == "either"
            ok = [c for c in conc if c["reps"] == c["files"] - (0 if whole else 1)]
            want = "files" if whole else "files - 1"
            variants["files back to back"] = {
                "text": f"{len(ok)}/{len(conc)} subject sessions (10 files joined, correct and incorrect apart) counted {want} "
                        f"reps as they should; counts: {[c['reps'] for c in conc]}"}
        entry["variants"] = variants
        entry["files"] = rows
        print(f"{mov} {ex_id}: exactly one rep {entry['summary']['correct']['exactly_one_pct']}% correct, "
              f"{entry['summary']['incorrect']['exactly_one_pct']}% incorrect ({time.time() - t0:.0f} s)", file=sys.stderr)

    report["elapsed_s"] = round(time.time() - t0, 1)
    save_results(a.out, "uiprmd", report, write_md, json_text=dump_json(report), blank_line=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
