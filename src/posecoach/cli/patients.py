"""``posecoach patient add|list|delete|red-flags`` and ``posecoach db backup|restore``: the clinic database
(the same file as the app's session history, under POSECOACH_HOME)."""

from __future__ import annotations

import argparse
from pathlib import Path

from posecoach.cli import red_flags
from posecoach.cli.output import EXIT_OK, EXIT_SOME_FAILED, printable, say, warning
from posecoach.clinic import Clinic
from posecoach.errors import UsageError
from posecoach.paths import home_dir

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    pa = sub.add_parser("patient", help="add, list or delete patients (delete removes all their data)")
    psub = pa.add_subparsers(dest="action", required=True)
    x = psub.add_parser("add", help="add a patient")
    x.add_argument("name")
    x.add_argument("--notes", default="", help="free text (diagnosis, what to watch)")
    x.set_defaults(run=_add)
    x = psub.add_parser("list", help="the patients, with their number of sessions")
    x.set_defaults(run=_list)
    x = psub.add_parser("delete", help="delete a patient and ALL their data (sessions, references, files)")
    x.add_argument("name", help="patient name (or id)")
    x.add_argument("--yes", action="store_true", help="really delete (without it, only says what would go)")
    x.set_defaults(run=_delete)
    red_flags.add_parser(psub)

    db = sub.add_parser("db", help="back up or restore the database (history, patients, programmes)")
    dsub = db.add_subparsers(dest="action", required=True)
    x = dsub.add_parser("backup", help="copy the database to FILE (or into a folder)")
    x.add_argument("file")
    x.set_defaults(run=_backup)
    x = dsub.add_parser("restore", help="replace the database with a backup (the current one is kept aside)")
    x.add_argument("file")
    x.set_defaults(run=_restore)


def _add(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        pid = clinic.add_patient(args.name, notes=args.notes)
        say(f"added patient {clinic.patient(pid).name} (id {pid})")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        rows = clinic.patients()
        flagged = clinic.red_flags.open_patients()
    if not rows:
        say("no patients yet: add one with `posecoach patient add NAME`")
        return EXIT_OK
    width = max(len(printable(r.name)) for r in rows)
    for r in rows:
        last = f", last {r.last_session}" if r.last_session else ""
        notes = f"  {r.notes}" if r.notes else ""
        flag = "  RED FLAG (see `posecoach patient red-flags`)" if r.id in flagged else ""
        say(f"{r.id:>4}  {printable(r.name):<{width}}  {r.sessions} sessions{last}{notes}{flag}")
    return EXIT_OK


def _delete(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        p = clinic.patient(args.name)
        if not args.yes:
            n = len(clinic.sessions(p.id))
            refs = len(clinic.references(p.id))
            raise UsageError(f"this deletes {p.name} with {n} sessions, {refs} references, targets and programmes, "
                             f"for good: add --yes")
        c = clinic.delete_patient(p.id)
    say(f"deleted {c.patient}: {c.sessions} sessions ({c.reps} reps, {c.events} events), "
          f"{c.references} references ({c.files} files), {c.targets} targets, {c.programmes} programmes")
    for f in c.files_left:
        warning(f"{f} could not be removed: delete it by hand")
    for f in c.files_skipped:
        warning(f"{f} was not removed: it is outside posecoach's reference folder "
                f"{home_dir() / 'references' / str(c.id)} (posecoach deletes only its own files); "
                "delete it by hand if it is this patient's")
    say("backups made before this still hold their data")
    return EXIT_SOME_FAILED if c.files_left else EXIT_OK


def _backup(args: argparse.Namespace) -> int:
    with Clinic() as clinic:
        out = clinic.backup(Path(args.file))
        say(f"backed up {clinic.path} to {out}")
        say("the backup holds patients' data: keep it somewhere safe (reference landmark files under "
              f"{clinic.path.parent / 'references'} are not inside it)")
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    """Also when the current database cannot be opened (damaged, empty): it is kept aside as it is."""
    from posecoach.clinic.backup import restore_file
    from posecoach.clinic.store import default_db_path

    path = default_db_path()
    keep = restore_file(path, Path(args.file))
    say(f"restored {path} from {args.file}; the previous database is kept in {keep}")
    return EXIT_OK
