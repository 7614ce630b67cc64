"""``posecoach reference record|list`` and ``posecoach targets show|set``: a patient's reference
movement and the targets the coach judges them against (``posecoach.clinic.references``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from posecoach.cli.numbers import number
from posecoach.cli.output import EXIT_OK, say
from posecoach.clinic import Clinic
from posecoach.clinic.records import (
    HOLD_MAX_S,
    RECORD_MAX_S,
    ROM_SHARE_MAX,
    TEMPO_MAX_S,
    VALUE_LIMIT,
    Patient,
)
from posecoach.errors import PatientNotFound

if TYPE_CHECKING:
    from posecoach.core.exercise import Exercise

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    rf = sub.add_parser("reference", help="record a patient's reference movement (from which their targets come)")
    fsub = rf.add_subparsers(dest="action", required=True)
    x = fsub.add_parser("record", help="record a reference from a video file or a camera; derives the targets")
    x.add_argument("--source", "-s", required=True, help="video file, or camera index (e.g. 0)")
    x.add_argument("--exercise", "-e", required=True)
    x.add_argument("--patient", "-p", required=True, help="patient name (added if new)")
    x.add_argument("--notes", default="", help="free text kept with the reference")
    x.add_argument("--keep-video", action="store_true", help="also keep the video (default: only the landmarks)")
    x.add_argument("--rom-share", type=number("--rom-share", 0, ROM_SHARE_MAX, above_lo=True), default=0.8,
                   help="peak target as a share of the reference's range of motion (default: %(default)s)")
    x.add_argument("--seconds", type=number("--seconds", 0, RECORD_MAX_S, above_lo=True, unit=" s"), default=None,
                   help="with a camera: how long to record (default 30)")
    x.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    x.set_defaults(run=_record)
    x = fsub.add_parser("list", help="a patient's references")
    x.add_argument("--patient", "-p", required=True)
    x.add_argument("--exercise", "-e", default=None)
    x.set_defaults(run=_list)

    tg = sub.add_parser("targets", help="show or adjust a patient's targets for an exercise")
    tsub = tg.add_subparsers(dest="action", required=True)
    for name, hlp in (("show", "the targets the coach judges this patient against"),
                      ("set", "adjust the targets (only the values given change)")):
        x = tsub.add_parser(name, help=hlp)
        x.add_argument("--patient", "-p", required=True)
        x.add_argument("--exercise", "-e", required=True)
        if name == "set":
            x.add_argument("--peak", type=number("--peak", -VALUE_LIMIT, VALUE_LIMIT), default=None,
                           help="main-angle value that counts as the top of a rep")
            x.add_argument("--rest", type=number("--rest", -VALUE_LIMIT, VALUE_LIMIT), default=None,
                           help="main-angle value the rep must come back to")
            x.add_argument("--hold", type=number("--hold", 0, HOLD_MAX_S, unit=" s"), default=None,
                           help="seconds to hold at the top")
            x.add_argument("--tempo", type=number("--tempo", 0, TEMPO_MAX_S, unit=" s"), default=None,
                           help="seconds per rep")
            x.add_argument("--note", default=None)
        x.set_defaults(run=_targets)


def _fmt(v: Any, unit: str = "") -> str:
    return "-" if v is None else f"{v:g}{unit}"


def print_targets(exercise: Exercise, t: dict | None, name: str) -> None:
    """The patient's targets next to the exercise's own thresholds."""
    rep = exercise.rep
    unit = " (offsets from the resting value)" if rep.relative else ""
    if t is None:
        say(f"{name} has no targets for {exercise.id}: the exercise's own apply{unit}: "
              f"rest {rep.rest:g}, peak {rep.peak:g} ({rep.angle})")
        return
    say(f"{name}, {exercise.id} ({rep.angle}{unit}): rest {_fmt(t.get('rest'))}, peak {_fmt(t.get('peak'))}, "
          f"hold {_fmt(t.get('hold_s'), ' s')}, tempo {_fmt(t.get('tempo_s'), ' s')}/rep"
          f"  [exercise: rest {rep.rest:g}, peak {rep.peak:g}]")
    extra = [f"reference {t['reference_id']}" if t.get("reference_id") is not None else "",
             f"rom share {t['rom_share']:g}" if t.get("rom_share") is not None else "", t.get("note") or ""]
    if any(extra):
        say("  " + "; ".join(e for e in extra if e))


def _patient_or_new(clinic: Clinic, name: str) -> Patient:
    try:
        return clinic.patient(name)
    except PatientNotFound:
        pid = clinic.add_patient(name)
        p = clinic.patient(pid)
        say(f"added patient {p.name} (id {pid})")
        return p


def _record(args: argparse.Namespace) -> int:
    from posecoach.clinic.references import record_reference
    from posecoach.core.exercise import find_exercise

    with Clinic() as clinic:
        ex = find_exercise(args.exercise)
        p = _patient_or_new(clinic, args.patient)
        res = record_reference(args.source, ex.id, p.id, notes=args.notes, keep_video=args.keep_video,
                               clinic=clinic, model=args.model, rom_share=args.rom_share,
                               seconds=args.seconds, log=say)
    sm = res["summary"]
    say(f"reference {res['reference_id']} for {p.name}: {ex.id}, {len(res['reps'])} reps "
          f"(segmented by {sm.get('segmented_by', 'exercise thresholds')}), landmarks in {res['landmarks_file']}")
    print_targets(ex, res["targets"], p.name)
    say(f"review or adjust them: posecoach targets set --patient {p.name!r} --exercise {ex.id} "
          "--peak X --rest Y --hold S")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        p = clinic.patient(args.patient)
        refs = clinic.references(p.id, args.exercise)
    if not refs:
        say(f"{p.name} has no references: record one with `posecoach reference record`")
        return EXIT_OK
    for r in refs:
        kept = ", video kept" if r.video_file else ""
        notes = f"  {r.notes}" if r.notes else ""
        say(f"{r.id:>4}  {r.recorded_at[:16].replace('T', ' ')}  {r.exercise_id}  "
              f"{len(r.reps)} reps  from {r.source}{kept}{notes}")
    return EXIT_OK


def _edited(ex: Exercise, current: dict | None, args: argparse.Namespace) -> dict:
    """The stored targets (or the exercise's thresholds) with the values given on the command line."""
    t = {k: v for k, v in (current or {}).items() if k != "updated_at"}
    if current is None:
        t = {"rest": ex.rep.rest, "peak": ex.rep.peak, "hold_s": ex.hold.seconds if ex.hold else None,
             "reference_id": None}
        if ex.rep.relative:
            t["relative"] = True
    for key, val in (("peak", args.peak), ("rest", args.rest), ("hold_s", args.hold), ("tempo_s", args.tempo),
                     ("note", args.note)):
        if val is not None:
            t[key] = val
    if args.note is None and any(v is not None for v in (args.peak, args.rest, args.hold, args.tempo)):
        t["note"] = "adjusted by the therapist"
    return t


def _targets(args: argparse.Namespace) -> int:
    from posecoach.clinic.targets import targets_for
    from posecoach.core.exercise import find_exercise

    with Clinic() as clinic:
        p = clinic.patient(args.patient)
        ex = find_exercise(args.exercise)
        current = clinic.targets(p.id, ex.id)
        if args.action == "set":
            t = _edited(ex, current, args)
            targets_for(ex, t)  # check before storing
            clinic.set_targets(p.id, ex.id, t)
            current = clinic.targets(p.id, ex.id)
    print_targets(ex, current, p.name)
    return EXIT_OK
