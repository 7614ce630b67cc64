"""``posecoach programme set|show|today``: a patient's exercises x sets x reps x hold, and progression."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from posecoach.cli.numbers import number, parse_number
from posecoach.cli.output import EXIT_OK, EXIT_SOME_FAILED, say
from posecoach.clinic import Clinic
from posecoach.clinic.records import (
    ADD_HOLD_MAX_S,
    ADD_REPS_MAX,
    DEFAULT_RULE,
    DAYS_MAX,
    EVERY_MAX,
    HOLD_MAX_S,
    REPS_MAX,
    SETS_MAX,
    PlannedItem,
    Programme,
    ProgrammeItem,
)
from posecoach.errors import UsageError

__all__ = ["add_parsers", "parse_item"]

_SET_HELP = (
    "ITEM is EXERCISE:SETSxREPS or EXERCISE:SETSxREPS:HOLD_SECONDS, e.g. glute_bridge:3x10:5. "
    "Reps go up by --add-reps after every --every sessions in which pain did not rise (up to --max-reps); "
    "a hold exercise (a plank) holds --add-hold seconds longer instead (up to --max-hold); "
    "when pain rises they are held back (and drop one step if it rose by 2 or more)."
)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    pr = sub.add_parser("programme", help="a patient's programme: exercises x sets x reps x hold, progression")
    rsub = pr.add_subparsers(dest="action", required=True)
    x = rsub.add_parser("set", help="set the programme", description=_SET_HELP)
    x.add_argument("--patient", "-p", required=True)
    x.add_argument("--item", "-i", action="append", required=True, metavar="ITEM",
                   help="EXERCISE:SETSxREPS[:HOLD_S]; repeat for each exercise")
    x.add_argument("--days", type=number("--days", 1, DAYS_MAX, whole=True), default=5,
                   help="days per week (default: %(default)s)")
    x.add_argument("--add-reps", type=number("--add-reps", 0, ADD_REPS_MAX, whole=True), default=1,
                   help="reps added at each step (default: %(default)s)")
    x.add_argument("--every", type=number("--every", 1, EVERY_MAX, whole=True), default=3,
                   help="sessions without more pain per step (default: %(default)s)")
    x.add_argument("--max-reps", type=number("--max-reps", 1, REPS_MAX, whole=True), default=15,
                   help="never more reps than this (default: %(default)s)")
    x.add_argument("--add-hold", type=number("--add-hold", 0, ADD_HOLD_MAX_S, unit=" s"),
                   default=DEFAULT_RULE["add_hold_s"],
                   help="seconds a hold exercise's hold grows at each step (default: %(default)g)")
    x.add_argument("--max-hold", type=number("--max-hold", 0, HOLD_MAX_S, above_lo=True, unit=" s"),
                   default=DEFAULT_RULE["max_hold_s"],
                   help="never a longer hold than this, in seconds (default: %(default)g)")
    x.add_argument("--no-hold-back", action="store_true", help="progress even when pain rises")
    x.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                   help="count sessions from this day for progression (default: from now)")
    x.set_defaults(run=_set)
    x = rsub.add_parser("show", help="the current programme")
    x.add_argument("--patient", "-p", required=True)
    x.set_defaults(run=_show)
    x = rsub.add_parser("today", help="today's exercises, after progression")
    x.add_argument("--patient", "-p", required=True)
    x.add_argument("--date", default=None, help="YYYY-MM-DD instead of today")
    x.set_defaults(run=_today)


def parse_item(text: str) -> dict:
    """``EXERCISE:SETSxREPS[:HOLD_S]`` as a programme item; ``UsageError`` / ``ExerciseError`` if bad."""
    from posecoach.core.exercise import find_exercise

    parts = text.split(":")
    shown = repr(text if len(text) <= 60 else text[:57] + "...")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        sets, reps = parts[1].lower().split("x")
    except ValueError:
        raise UsageError(f"programme item {shown}: write EXERCISE:SETSxREPS or EXERCISE:SETSxREPS:HOLD_S, "
                         "e.g. glute_bridge:3x10:5") from None
    hold = parts[2].strip().rstrip("s") if len(parts) == 3 and parts[2].strip() else None
    item = {"exercise_id": parts[0].strip(),
            "sets": int(parse_number(sets, f"programme item {shown}: sets", 1, SETS_MAX, whole=True)),
            "reps": int(parse_number(reps, f"programme item {shown}: reps", 1, REPS_MAX, whole=True)),
            "hold_s": None if hold is None else parse_number(hold, f"programme item {shown}: hold", 0, HOLD_MAX_S,
                                                              unit=" s")}
    item["exercise_id"] = find_exercise(str(item["exercise_id"])).id  # one-line ExerciseError if unknown
    return item


def _day(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: write YYYY-MM-DD") from None


def _hold(item: ProgrammeItem) -> str:
    return f", hold {item.hold_s:g} s" if item.hold_s else ""


def _print_programme(prog: Programme | None, name: str) -> None:
    if prog is None:
        say(f"{name} has no programme: set one with `posecoach programme set --patient {name!r} --item EX:3x10`")
        return
    r = prog.rule
    say(f"{name}: {prog.days_per_week} days a week, set {prog.created_at[:16].replace('T', ' ')}")
    for i in prog.items:
        say(f"  {i.exercise_id}: {i.sets} x {i.reps}{_hold(i)}")
    back = "held back when pain rises" if r.hold_back_if_pain_rises else "pain not considered"
    say(f"  progression: +{r.add_reps} reps every {r.every_n_sessions} sessions without more pain, "
          f"up to {r.max_reps} (hold exercises: +{r.add_hold_s:g} s hold, up to {r.max_hold_s:g} s); {back}")


def _set(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        p = clinic.patient(args.patient)
        items = [parse_item(t) for t in args.item]
        rule = {"add_reps": args.add_reps, "every_n_sessions": args.every, "max_reps": args.max_reps,
                "hold_back_if_pain_rises": not args.no_hold_back, "add_hold_s": args.add_hold,
                "max_hold_s": args.max_hold}
        day = _day(args.since, "--since")
        since = None if day is None else datetime.combine(day, datetime.min.time())
        clinic.set_programme(p.id, items, days_per_week=args.days, rule=rule, created_at=since)
        _print_programme(clinic.programme(p.id), p.name)
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        p = clinic.patient(args.patient)
        _print_programme(clinic.programme(p.id), p.name)
    return EXIT_OK


def _today(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        p = clinic.patient(args.patient)
        day = _day(args.date, "--date") or date.today()
        plan = clinic.todays_plan(p.id, day)
    if not plan:
        _print_programme(None, p.name)
        return EXIT_SOME_FAILED
    say(f"{p.name}, {day.isoformat()}:")
    for i in plan:
        say(f"  {i.exercise_id}: {i.sets} x {i.reps}{_hold(i)} -- {i.progression}{_done_today(i)}")
    return EXIT_OK


def _done_today(item: PlannedItem) -> str:
    """Done only when the prescribed reps are (a session stopped early is not), else how far."""
    if item.complete:
        return "  (done today)"
    return f"  ({item.reps_today} of {item.sets * item.reps} reps today)" if item.done_today else ""
