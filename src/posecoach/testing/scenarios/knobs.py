"""Scenes with a magnitude knob per fault, for testing each fault at its limit (``testing.limits``).

The named scenarios (``functional``, ``quadruped``, ``supine``) inject a fault at one fixed,
clearly faulty size ("trunk 70 degrees forward").  Here every fault of an exercise has a knob
instead: a number in the rep's parameters that moves the measured value through the rule's
limit (how far the trunk leans, how fast the rep goes), so a search can put one rep just
inside the limit and one just outside.

A :class:`Scene` builds a sequence from one parameter dict per rep (unset parameters take the
scene's defaults): ``peak(params)`` is the top of the rep, held ``hold_s``; ``mid(params)``, when
given, replaces the middle third of the hold (a fault that comes and goes during a hold, so the
hold itself is reached cleanly).  ``rep_s`` (the way up and down together), ``hold_s`` and
``rest_s`` are parameters too, and ``tempo`` scales the rep's movement and hold together: the
duration rules' knob.

Facing: ``scene.sequence(reps, view, facing)``.  Side-on and oblique, ``facing`` is the side
toward the camera; from the front (where the camera cannot face a side) ``right`` is the mirror
image of ``left`` (``synth.mirror``); lying on the side, ``facing`` is the side lain on, seen from
in front, so ``right`` is the same scene the other way round.

:data:`KNOBS` lists, per exercise, the knob of each form rule: the parameter, a value clearly
inside the limit and one clearly outside it (the search needs nothing closer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from posecoach.testing import synth as S
from posecoach.testing.scenarios import functional as F
from posecoach.testing.scenarios import quadruped as Q
from posecoach.testing.scenarios import supine as SU
from posecoach.testing.synth import Camera, Posture, Seq

__all__ = ["KNOBS", "SCENES", "Knob", "Scene"]

Params = dict[str, Any]


@dataclass(frozen=True)
class Knob:
    """The knob of one rule: ``param`` from ``good`` (clearly inside the limit) to ``bad``."""

    param: str
    good: float
    bad: float


@dataclass(frozen=True)
class Scene:
    """Reps of one exercise built from parameters (see the module docstring)."""

    exercise: str
    base: Callable[[Params], Posture]
    peak: Callable[[Params], Posture]
    defaults: Params
    view: str = "side"  # the camera view the exercise is filmed in
    flip: str = "camera"  # how to face the other way: camera | mirror | down (lie on the other side)
    mid: Callable[[Params], Posture | None] | None = None
    build: Callable[[Scene, list[Params], str, str, float], Seq] | None = None

    def params(self, rep: Params, facing: str) -> Params:
        p = {**self.defaults, **rep}
        if "tempo" in rep:  # the whole rep faster (< 1) or slower: its movement and its hold
            p["rep_s"], p["hold_s"] = p["rep_s"] * rep["tempo"], p["hold_s"] * rep["tempo"]
        p["down"] = facing if self.flip == "down" else "left"
        return p

    def sequence(self, reps: list[Params], view: str | None = None, facing: str = "left",
                 fps: float = 30.0) -> Seq:
        """The reps filmed in ``view`` (default: the scene's), the person facing ``facing``."""
        view = view or self.view
        if self.build is not None:
            return self.build(self, reps, view, facing, fps)
        mirror = view == "front" and facing == "right"
        ps = [self.params(r, facing) for r in reps]
        peaks = [self.peak(p) for p in ps]
        mids = [self.mid(p) for p in ps] if self.mid is not None else None
        cam = Camera(view=view, facing="left" if mirror else facing)
        sc = Q.make_scenario(self.exercise, self.base(ps[0]), peaks, [None] * len(ps),
                             rep_s=[p["rep_s"] for p in ps], hold_s=[p["hold_s"] for p in ps],
                             rest_s=float(ps[0]["rest_s"]), start_rest=float(ps[0]["start_rest"]),
                             camera=cam, fps=fps, mid_hold=mids)
        return S.mirror(sc.poses) if mirror else sc.poses


_T = {"rep_s": 2.0, "hold_s": 0.4, "rest_s": 1.0, "start_rest": 1.0}


def _other(side: str) -> str:
    return "right" if side == "left" else "left"


# --------------------------------------------------------------------------- quadruped / prone

def _hydrant(p: Params) -> Posture:
    return Q.hydrant(p["leg"], abd=45.0, pelvis_tilt=p["tilt"])


def _superman(p: Params) -> Posture:
    s = p["scale"]
    return Q.superman_lift([p["leg"]], leg=25.0 * s, chest=10.0 * s, neck_ext=p["neck"])


# --------------------------------------------------------------------------- standing

def _squat(p: Params) -> Posture:
    return S.squat_posture(p["knee"], p["trunk"], valgus_deg=p["valgus"]).with_(trunk_roll=p["roll"])


def _lift(p: Params) -> Posture:
    trunk = 80.0
    return S.standing().with_(trunk_pitch=trunk, hip_flex=trunk, knee_flex=p["knee"], ankle=0.3 * p["knee"],
                              shoulder_flex=trunk, root=(0.0, 0.0, 0.0), anchor="floor")


def _leg_raise(p: Params) -> Posture:
    # a bent knee lifts the thigh higher so the foot still rises as far (as people do)
    return F.standing_leg_raise_peak(p["leg"], p["lift"] + 0.5 * p["knee"], p["knee"], p["trunk"]).with_(
        **{f"{_other(p['leg'])}_knee_flex": p["stance_knee"]})


@cache
def _hands(knee: float, trunk: float, valgus: float, sitting: bool) -> Posture:
    """Sitting, or the mid-rise posture, with the wrists on the knees (a grid search: cached)."""
    p = S.sitting() if sitting else S.squat_posture(knee, trunk, valgus_deg=valgus, arms_flex=0.0)
    return F._hands_on_knees(p)


def _sit_to_stand(scene: Scene, reps: list[Params], view: str, facing: str, fps: float) -> Seq:
    """Chair -> mid-rise (knee 60 deg, ``trunk`` forward, ``valgus``, ``roll`` sideways, hands
    ``hands`` of the way from hanging to the knees) -> standing -> chair (in ``down_s``)."""
    mirror = view == "front" and facing == "right"
    ps = [scene.params(r, facing) for r in reps]
    seat, stand = S.sitting(), S.standing()
    kf: S.Keyframes = [(0.0, seat)]
    t = float(ps[0]["start_rest"])
    for p in ps:
        mid = S.squat_posture(60.0, p["trunk"], valgus_deg=p["valgus"], arms_flex=0.0).with_(trunk_roll=p["roll"])
        chair = seat
        if p["hands"]:
            w = float(p["hands"])
            mid = S.blend(mid, _hands(60.0, p["trunk"], p["valgus"], False).with_(trunk_roll=p["roll"]), w)
            chair = S.blend(seat, _hands(0.0, 0.0, 0.0, True), w)
        up = float(p["up_s"])
        kf += [(t, chair), (t + up / 2, mid), (t + up, stand), (t + up + p["stand_s"], stand),
               (t + up + p["stand_s"] + p["down_s"], seat)]
        t += up + p["stand_s"] + p["down_s"] + p["rest_s"]
    kf.append((t, seat))
    cam = Camera(view=view, facing="left" if mirror else facing)
    sc = F._scen("sit_to_stand", kf, cam, fps, 0.0, 0, {})
    return S.mirror(sc.poses) if mirror else sc.poses


# --------------------------------------------------------------------------- lying

def _crunch(p: Params) -> Posture:
    return SU.crunch_posture(p["rise"], p["neck"])


def _knee_to_chest(p: Params) -> Posture:
    side = p["leg"]
    return SU.hook().with_(**{f"{side}_hip_flex": 130.0, f"{side}_knee_flex": 120.0, f"{side}_ankle": 0.0},
                           shoulder_flex=40.0, elbow_flex=60.0)


def _knee_to_chest_mid(p: Params) -> Posture:
    peak = _knee_to_chest(p)
    return SU.crunch_posture(p["curl"], 10.0 + p["neck"], base=peak)


def _stretch(p: Params) -> Posture:
    side = p["leg"]
    return SU.lying().with_(**{f"{side}_hip_flex": 75.0, f"{side}_knee_flex": 0.0,
                               "shoulder_flex": 60.0, "elbow_flex": 40.0})


def _stretch_mid(p: Params) -> Posture:
    side, other = p["leg"], _other(p["leg"])
    lift = p["hips"]
    return _stretch(p).with_(trunk_pitch=-90.0 - lift, **{
        f"{side}_knee_flex": p["knee"], f"{side}_hip_flex": 75.0 - lift,
        f"{other}_hip_flex": p["other"] - lift})


def _slr(p: Params) -> Posture:
    side = p["leg"]
    return SU.slr_base(side).with_(**{f"{side}_hip_flex": p["lift"], f"{side}_knee_flex": p["knee"]})


def _rotation_base(p: Params) -> Posture:
    return SU.hook().with_(trunk_yaw=90.0, trunk_roll=90.0)


def _rotation(p: Params) -> Posture:
    peak = SU.roll_knees(_rotation_base(p), 60.0)
    return SU.roll_body(peak, p["shoulders"]) if p["shoulders"] else peak


def _tilt(p: Params) -> Posture:
    return S.hook_lying(lift_deg=p["lift"], pelvic_tilt_deg=8.0)


def _press_up(p: Params) -> Posture:
    return Q.press_up(40.0)


def _press_up_mid(p: Params) -> Posture | None:
    return Q.press_up(40.0, hip_lift=p["hip_lift"]) if p["hip_lift"] else None


# --------------------------------------------------------------------------- side lying

def _clam(p: Params) -> Posture:
    down = p["down"]
    sg = 1.0 if down == "left" else -1.0
    top = _other(down)
    open_p = F.clam_open(down, 40.0 + p["roll"] / 3.0)
    together = open_p.get(f"{top}_hip_rot")
    return open_p.with_(trunk_roll=sg * (90.0 - p["roll"]), **{f"{top}_hip_rot": together * (1.0 - p["apart"])})


def _side_leg(p: Params) -> Posture:
    return F.leg_raise_peak(p["down"], p["abd"], p["flex"])


def _side_plank_base(p: Params) -> Posture:
    return F.side_lying_flat(p["down"])


def _side_plank(p: Params) -> Posture:
    return F.side_plank_posture(0.0, p["down"])


def _side_plank_mid(p: Params) -> Posture | None:
    return F.side_plank_posture(p["drop"], p["down"]) if p["drop"] else None


# --------------------------------------------------------------------------- the scenes

_STAND = S.standing().with_(root=(0.0, 0.0, 0.0), anchor="floor")

SCENES: dict[str, Scene] = {
    "cat_cow": Scene("cat_cow", lambda p: Q.cow(), lambda p: Q.cat(p["depth"]),
                     {**_T, "rep_s": 3.0, "hold_s": 0.8, "start_rest": 1.5, "depth": 1.0, "sit_back": 0.0},
                     mid=lambda p: Q.cat(p["depth"], p["sit_back"]) if p["sit_back"] else None),
    "clamshell": Scene("clamshell", lambda p: S.side_lying(p["down"]), _clam,
                       {**_T, "rep_s": 2.0, "start_rest": 1.5, "roll": 0.0, "apart": 0.0}, flip="down"),
    "donkey_kick": Scene("donkey_kick", lambda p: Q.all_fours(),
                         lambda p: Q.kick("right", hip_ext=p["ext"], pelvis_rot=p["rot"]),
                         {**_T, "ext": 10.0, "rot": 0.0}),
    "fire_hydrant": Scene("fire_hydrant", lambda p: Q.all_fours(), _hydrant,
                          {**_T, "tilt": 0.0, "leg": "left"}, view="front"),
    "hamstring_stretch": Scene("hamstring_stretch", lambda p: SU.lying(), _stretch,
                               {**_T, "rep_s": 2.0, "hold_s": 3.6, "start_rest": 1.5, "leg": "left",
                                "knee": 0.0, "other": 0.0, "hips": 0.0}, mid=_stretch_mid),
    "knee_to_chest": Scene("knee_to_chest", lambda p: SU.hook(), _knee_to_chest,
                           {**_T, "rep_s": 2.0, "hold_s": 3.6, "leg": "left", "curl": 0.0, "neck": 0.0},
                           mid=_knee_to_chest_mid),
    "lift_from_floor": Scene("lift_from_floor", lambda p: _STAND, _lift, {**_T, "rep_s": 2.4, "knee": 60.0}),
    "lunge": Scene("lunge", lambda p: _STAND, lambda p: F.lunge_posture(p["depth"], "left", p["trunk"]),
                   {**_T, "rep_s": 2.2, "depth": 1.0, "trunk": 5.0}),
    "partial_crunch": Scene("partial_crunch", lambda p: SU.hook(), _crunch,
                            {**_T, "rep_s": 2.0, "hold_s": 0.6, "start_rest": 1.5, "rise": 25.0, "neck": 10.0}),
    "pelvic_tilt": Scene("pelvic_tilt", lambda p: S.hook_lying(), _tilt,
                         {**_T, "rep_s": 0.8, "hold_s": 5.0, "rest_s": 1.5, "start_rest": 2.0, "lift": 0.0}),
    "prone_press_up": Scene("prone_press_up", lambda p: Q.prone_flat(), _press_up,
                            {**_T, "rep_s": 3.0, "hold_s": 3.6, "hip_lift": 0.0}, mid=_press_up_mid),
    "side_lying_leg_raise": Scene("side_lying_leg_raise", lambda p: S.side_lying(p["down"], 0.0, 0.0), _side_leg,
                                  {**_T, "rep_s": 2.0, "abd": 45.0, "flex": 0.0}, flip="down"),
    "side_plank": Scene("side_plank", _side_plank_base, _side_plank,
                        {**_T, "rep_s": 1.2, "hold_s": 4.5, "start_rest": 1.5, "drop": 0.0},
                        view="front", mid=_side_plank_mid),
    "sit_to_stand": Scene("sit_to_stand", lambda p: S.sitting(), lambda p: S.standing(),
                          {**_T, "up_s": 1.5, "stand_s": 0.8, "down_s": 1.6, "trunk": 35.0, "valgus": 0.0,
                           "roll": 0.0, "hands": 0.0}, build=_sit_to_stand),
    "squat": Scene("squat", lambda p: S.standing(), _squat,
                   {**_T, "rep_s": 2.4, "knee": 100.0, "trunk": 45.0, "valgus": 0.0, "roll": 0.0}),
    "standing_leg_raise": Scene("standing_leg_raise", lambda p: _STAND, _leg_raise,
                                {**_T, "rep_s": 1.6, "hold_s": 0.3, "leg": "left", "lift": 50.0, "knee": 0.0,
                                 "trunk": 0.0, "stance_knee": 0.0}),
    "straight_leg_raise": Scene("straight_leg_raise", lambda p: SU.slr_base(p["leg"]), _slr,
                                {**_T, "rep_s": 3.0, "hold_s": 0.6, "start_rest": 1.5, "leg": "left",
                                 "lift": 45.0, "knee": 0.0}),
    "superman": Scene("superman", lambda p: Q.prone_flat(arms_overhead=True), _superman,
                      {**_T, "rep_s": 2.4, "hold_s": 0.8, "leg": "left", "scale": 1.0, "neck": 30.0}),
    "trunk_rotation": Scene("trunk_rotation", _rotation_base, _rotation,
                            {**_T, "rep_s": 3.0, "hold_s": 0.3, "start_rest": 1.5, "shoulders": 0.0}),
}



def _fast(bad: float) -> Knob:
    """A duration rule's knob: the whole rep at ``bad`` of its usual pace is clearly too fast (and
    still seen as an attempt: much faster and it is no movement at all)."""
    return Knob("tempo", 1.0, bad)

#: exercise -> rule id -> its knob
KNOBS: dict[str, dict[str, Knob]] = {
    "cat_cow": {"sitting_back": Knob("sit_back", 0.0, 1.0), "too_fast": _fast(0.33)},
    "clamshell": {"roll_back": Knob("roll", 0.0, 40.0), "feet_apart": Knob("apart", 0.0, 1.0),
                  "too_fast": _fast(0.53)},
    "donkey_kick": {"back_arch": Knob("ext", 10.0, 70.0), "hips_open": Knob("rot", 0.0, 70.0),
                    "too_fast": _fast(0.55)},
    "fire_hydrant": {"trunk_rotating": Knob("tilt", 0.0, 50.0), "too_fast": _fast(0.55)},
    "hamstring_stretch": {"knee_bent": Knob("knee", 0.0, 60.0), "other_leg_lifting": Knob("other", 0.0, 50.0),
                          "hips_lifting": Knob("hips", 0.0, 35.0)},
    "knee_to_chest": {"shoulders_lifting": Knob("curl", 0.0, 40.0), "head_lifting": Knob("neck", 0.0, 70.0)},
    "lift_from_floor": {"stoop": Knob("knee", 60.0, 5.0), "too_fast": _fast(0.4)},
    "lunge": {"trunk_forward": Knob("trunk", 5.0, 45.0), "shallow": Knob("depth", 1.0, 0.68),
              "too_fast": _fast(0.4)},
    "partial_crunch": {"neck_pull": Knob("neck", 10.0, 70.0), "too_high": Knob("rise", 25.0, 60.0),
                       "too_fast": _fast(0.4)},
    "pelvic_tilt": {"hips_lifting": Knob("lift", 0.0, 20.0), "hold_short": Knob("hold_s", 5.0, 2.5)},
    "prone_press_up": {"hips_lifting": Knob("hip_lift", 0.0, 0.3), "too_fast": _fast(0.25)},
    "side_lying_leg_raise": {"leg_forward": Knob("flex", 0.0, 100.0), "too_high": Knob("abd", 45.0, 70.0),
                             "too_fast": _fast(0.5)},
    "side_plank": {"hips_drop": Knob("drop", 0.0, 0.55), "hips_sinking": Knob("drop", 0.0, 0.4)},
    "sit_to_stand": {"hands_push": Knob("hands", 0.0, 1.0), "trunk_forward": Knob("trunk", 35.0, 70.0),
                     "knees_cave": Knob("valgus", 0.0, 20.0), "weight_shift": Knob("roll", 0.0, 25.0),
                     "sit_fast": Knob("down_s", 1.6, 0.1)},
    "squat": {"knees_cave": Knob("valgus", 0.0, 15.0), "trunk_forward": Knob("trunk", 45.0, 80.0),
              "weight_shift": Knob("roll", 0.0, 25.0), "shallow": Knob("knee", 100.0, 62.0),
              "too_fast": _fast(0.45)},
    "standing_leg_raise": {"knee_bent": Knob("knee", 0.0, 50.0), "trunk_lean": Knob("trunk", 0.0, -40.0),
                           "standing_knee_bent": Knob("stance_knee", 0.0, 50.0), "low_lift": Knob("lift", 70.0, 45.0),
                           "trunk_sway": Knob("trunk", 0.0, -40.0), "too_fast": _fast(0.5)},
    "straight_leg_raise": {"knee_bent": Knob("knee", 0.0, 45.0), "too_high": Knob("lift", 45.0, 85.0),
                           "too_fast": _fast(0.5)},
    "superman": {"too_high": Knob("scale", 1.0, 2.2), "neck_cranked": Knob("neck", 30.0, 90.0),
                 "too_fast": _fast(0.45)},
    "trunk_rotation": {"shoulders_lifting": Knob("shoulders", 0.0, 60.0), "too_fast": _fast(0.5)},
}
