"""``posecoach patient red-flags NAME [--clear --by WHO --note TEXT]``: a patient's red-flag
screens (``posecoach.clinic.red_flags``), and clearing an open flag after the therapist's review."""

from __future__ import annotations

import argparse

from posecoach.cli.output import EXIT_OK, printable, say
from posecoach.clinic import Clinic
from posecoach.errors import UsageError

__all__ = ["add_parser"]


def add_parser(psub: argparse._SubParsersAction) -> None:
    x = psub.add_parser("red-flags", help="a patient's answers to the safety questions; --clear after review")
    x.add_argument("name", help="patient name (or id)")
    x.add_argument("--clear", action="store_true", help="you have reviewed the 'yes' answers: the patient may exercise")
    x.add_argument("--by", default="", help="who reviewed it (needed with --clear: it is recorded)")
    x.add_argument("--note", default="", help="what was checked (recorded with --clear)")
    x.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        p = clinic.patient(args.name)
        if args.clear:
            if not args.by.strip():
                raise UsageError("say who reviewed it: add --by NAME (clearing a red flag is recorded)")
            n = clinic.red_flags.clear(p.id, by=args.by, note=args.note)
            say(f"cleared {n} red flag(s) of {printable(p.name)}: they may exercise again")
            return EXIT_OK
        screens = clinic.red_flags.screens(p.id)
        due = clinic.red_flags.due(p.id)
    if not screens:
        say(f"{printable(p.name)} has not answered the safety questions yet (asked before their first session)")
        return EXIT_OK
    for s in screens:
        state = ("OPEN RED FLAG" + (" (urgent)" if s.urgent else "")) if s.open else (
            f"cleared {s.cleared_at[:10] if s.cleared_at else ''} by {printable(s.cleared_by) or '?'}"
            + (f": {printable(s.clear_note)}" if s.clear_note else "") if s.flagged else "all no")
        say(f"{s.answered_at[:10]}  yes to: {s.yes_text()}  [{state}]")
    if any(s.open for s in screens):
        say(f"coaching is stopped for {printable(p.name)}: after review, "
            f"`posecoach patient red-flags {p.id} --clear --by NAME`")
    elif due:
        say("the questions are due again before the next session")
    return EXIT_OK
