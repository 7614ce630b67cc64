"""``posecoach report PATIENT --out DIR``: the printable progress report and its CSV files."""

from __future__ import annotations

import argparse

from posecoach.cli.output import EXIT_OK, output_folder, say

__all__ = ["add_parsers"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    rp = sub.add_parser("report", help="a patient's progress report: DIR/report.html (printable) and CSV")
    rp.add_argument("patient", help="patient name (or id)")
    rp.add_argument("--out", "-o", required=True, help="output folder: report.html, progress.csv, sessions.csv")
    rp.add_argument("--exercise", "-e", default=None, help="only this exercise")
    rp.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from posecoach.clinic import Clinic
    from posecoach.clinic.report import export_report

    with Clinic() as clinic:
        clinic.patient(args.patient)  # an unknown patient first: no folder is made for nobody
        output_folder(args.out)
        path, n = export_report(clinic, args.patient, args.out, exercise=args.exercise)
    say(f"wrote {path} ({n} sessions) and {path.parent / 'progress.csv'}, {path.parent / 'sessions.csv'}")
    say("the report holds the patient's data: share it only with the patient and their care team")
    return EXIT_OK
