"""The command line.  ``main(argv) -> int`` is separate from the console entry
point so tests call it in-process; every ``PosecoachError`` becomes a one-line
``ERROR ...`` and an exit code here, in one place.

Exit codes: 0 ok, 1 some input failed (others were still processed), 2 usage
or set-up error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from posecoach.errors import PosecoachError

__all__ = ["main", "entry_point"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="posecoach", description="An exercise coach for people with low back pain.")
    sub = p.add_subparsers(dest="cmd")

    a = sub.add_parser("analyze", help="analyse recorded videos: reps, holds, form faults, cues")
    a.add_argument("paths", nargs="+", help="video files or folders of videos")
    a.add_argument("--exercise", "-e", required=True, help="exercise id (see `posecoach exercises`) or a file")
    a.add_argument("--out", "-o", default="posecoach-results", help="output folder (default: %(default)s)")
    a.add_argument("--workers", "-j", type=int, default=1, help="videos analysed in parallel processes")
    a.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    a.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    a.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the videos on a Dask cluster (scheduler address, or 'local')")
    a.add_argument("--save-landmarks", action="store_true",
                   help="also save <stem>_landmarks.jsonl, to re-judge later with `posecoach replay`")
    a.add_argument("--patient", "-p", default=None, metavar="NAME",
                   help="judge against this patient's targets, score each rep against their reference, "
                        "and store the session for them")

    r = sub.add_parser("replay", help="judge saved landmarks (from analyze --save-landmarks) without the model")
    r.add_argument("recordings", nargs="+", help="*_landmarks.jsonl files")
    r.add_argument("--exercise", "-e", required=True)
    r.add_argument("--out", "-o", default="posecoach-results")

    e = sub.add_parser("exercises", help="list the exercises, or validate an exercise file")
    e.add_argument("action", nargs="?", choices=["list", "validate", "docs"], default="list")
    e.add_argument("files", nargs="*", help="with validate: exercise files to check")
    e.add_argument("--out", default=None, help="with docs: write the page here (default: print it)")

    m = sub.add_parser("setup-model", help="find or build the pose model in models/")
    m.add_argument("rest", nargs=argparse.REMAINDER)

    d = sub.add_parser("demo", help="replay a generated session (no camera needed) and show the coaching")
    d.add_argument("--exercise", "-e", default="glute_bridge")
    d.add_argument("--speed", type=float, default=4.0, help="replay speed (1 = real time, 0 = as fast as possible)")
    d.add_argument("--out", default=None, help="also write the session's JSON result here")

    s = sub.add_parser("start", help="coach live on the default camera, or run the demo where there is none")
    s.add_argument("--exercise", "-e", default="glute_bridge")
    s.add_argument("--source", default="0")

    ap = sub.add_parser("app", help="open the coaching window (what `posecoach` alone does)")
    ap.add_argument("--source", default=None, help="camera index or video file: start coaching on it at once")
    ap.add_argument("--exercise", "-e", default=None, help="exercise id: start coaching it at once")
    ap.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    ap.add_argument("--speed", type=float, default=None, help="video playback rate (1 = real time)")
    ap.add_argument("--demo", action="store_true", help="coach a generated stick-figure video (no camera needed)")

    lv = sub.add_parser("live", help="coach live in the terminal on a camera or a video")
    lv.add_argument("--source", default="0", help="camera index or video file")
    lv.add_argument("--exercise", "-e", required=True)
    lv.add_argument("--model", default=None)
    _add_report_parser(sub)
    _add_clinic_parsers(sub)
    _add_reference_parsers(sub)
    return p


def _add_report_parser(sub: argparse._SubParsersAction) -> None:
    rp = sub.add_parser("report", help="a patient's progress report: DIR/report.html (printable) and CSV")
    rp.add_argument("patient", help="patient name (or id)")
    rp.add_argument("--out", "-o", required=True, help="output folder: report.html, progress.csv, sessions.csv")
    rp.add_argument("--exercise", "-e", default=None, help="only this exercise")


def _cmd_report(args: argparse.Namespace) -> int:
    from posecoach.clinic.patients import Clinic
    from posecoach.clinic.report import programme_for_report, render_report

    with Clinic() as clinic:
        try:
            patient = clinic.patient(args.patient)
        except KeyError as err:
            print(f"ERROR {err.args[0] if err.args else err}", file=sys.stderr)
            return 2
        rows = clinic.progress(patient["id"], args.exercise)
        programme = programme_for_report(clinic, patient["id"])
        ex_ids = {r["exercise_id"] for r in rows} | {i["exercise_id"] for i in (programme or {}).get("items", [])}
        if args.exercise:
            ex_ids = {args.exercise}
        targets = {ex: t for ex in sorted(ex_ids) if (t := clinic.targets(patient["id"], ex))}
    path = render_report(patient, rows, Path(args.out), programme=programme, targets=targets)
    print(f"wrote {path} ({len(rows)} sessions) and {path.parent / 'progress.csv'}, {path.parent / 'sessions.csv'}")
    print("the report holds the patient's data: share it only with the patient and their care team")
    return 0


def _cmd_exercises(args: argparse.Namespace) -> int:
    from posecoach.core.exercise import list_exercises, load_exercise

    if args.action == "validate":
        if not args.files:
            print("ERROR give the exercise file(s) to validate: posecoach exercises validate FILE", file=sys.stderr)
            return 2
        bad = 0
        for f in args.files:
            try:
                ex = load_exercise(f)
                print(f"ok  {f}: {ex.id} ({len(ex.angles)} angles, {len(ex.form_rules)} form rules)")
            except PosecoachError as err:
                print(f"ERROR {err}", file=sys.stderr)
                bad += 1
        return 1 if bad else 0
    good, bad = list_exercises()
    if args.action == "docs":
        from posecoach.io.atomic import write_output
        from posecoach.core.exercise.docs import exercises_markdown

        page = exercises_markdown(good)
        if args.out:
            write_output(Path(args.out), page)
            print(f"wrote {args.out}")
        else:
            print(page, end="")
        for err in bad:
            print(f"ERROR {err}", file=sys.stderr)
        return 1 if bad else 0
    width = max((len(x.id) for x in good), default=10)
    for x in good:
        print(f"{x.id:<{width}}  {x.summary}")
    for err in bad:
        print(f"ERROR {err}", file=sys.stderr)
    return 1 if bad else 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from posecoach.cli.batch import AnalyzeOptions, run_batch
    from posecoach.core.exercise import find_exercise
    from posecoach.io.pose_model import find_model
    from posecoach.io.sources import collect_videos

    find_exercise(args.exercise)
    find_model(args.model)
    videos, problems = collect_videos(args.paths)
    for msg in problems:
        print(f"ERROR {msg}", file=sys.stderr)
    if not videos:
        print("ERROR no video to analyse; pass video files or folders that contain some", file=sys.stderr)
        return 2
    out = Path(args.out)
    if args.patient and args.dask:
        print("ERROR --patient stores the sessions in this machine's database: run it without --dask", file=sys.stderr)
        return 2
    if args.patient:
        from posecoach.clinic.patients import Clinic

        with Clinic() as clinic:  # once, before the batch: an unknown patient is one error, not one per video
            try:
                clinic.patient(args.patient)
            except KeyError as err:
                print(f"ERROR {err.args[0] if err.args else err}", file=sys.stderr)
                return 2
    opts = AnalyzeOptions(exercise=args.exercise, model=args.model, save_landmarks=args.save_landmarks,
                          patient=args.patient)

    def show(res: dict) -> None:
        if "error" in res:
            print(f"ERROR {res['error']}", file=sys.stderr)
        else:
            for w in res["warnings"]:
                print(f"warning {Path(res['source']).name}: {w}", file=sys.stderr)

    results = run_batch(
        videos, opts, out, workers=max(1, args.workers), show_progress=not args.quiet, on_result=show,
        dask=args.dask,
    )
    _print_table(results)
    if args.patient:
        _print_patient_results(results)
    print(f"results in {out}/ (per video JSON and reps CSV, summary.csv, report.md)")
    failed = sum("error" in r for r in results) + len(problems)
    return 1 if failed else 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from posecoach.cli.batch import _summary_files, replay_recording, write_result
    from posecoach.core.exercise import find_exercise

    ex = find_exercise(args.exercise)
    out = Path(args.out)
    results = []
    for f in args.recordings:
        try:
            res = replay_recording(f, ex)
        except PosecoachError as err:
            print(f"ERROR {err}", file=sys.stderr)
            res = {"source": str(f), "exercise": ex.id, "error": str(err)}
        stem = Path(f).name.removesuffix(".jsonl").removesuffix("_landmarks")
        write_result(res, out, stem)
        results.append(res)
    _summary_files(results, out, ex.id)
    _print_table(results)
    return 1 if any("error" in r for r in results) else 0


def _print_table(results: list[dict]) -> None:
    rows = [("video", "reps", "secs", "pose%", "faults")]
    for r in results:
        name = Path(r["source"]).name
        if "error" in r:
            rows.append((name, "-", "-", "-", "failed"))
            continue
        pct = 100 * r["frames_with_pose"] / max(r["frames"], 1)
        faults = ", ".join(f"{k}x{v}" for k, v in r["faults"].items()) or "-"
        rows.append((name, str(r["reps"]), f"{r['duration_s']:.1f}", f"{pct:.0f}", faults))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) if i in (0, 4) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


# ------------------------------------------------------------ clinic data
# `posecoach patient add|list|delete`, `posecoach programme set|show|today`,
# `posecoach db backup|restore` (posecoach.clinic.patients; the same database as the
# app's session history, under POSECOACH_HOME).


def _add_clinic_parsers(sub: argparse._SubParsersAction) -> None:
    pa = sub.add_parser("patient", help="add, list or delete patients (delete removes all their data)")
    psub = pa.add_subparsers(dest="action", required=True)
    x = psub.add_parser("add", help="add a patient")
    x.add_argument("name")
    x.add_argument("--notes", default="", help="free text (diagnosis, what to watch)")
    psub.add_parser("list", help="the patients, with their number of sessions")
    x = psub.add_parser("delete", help="delete a patient and ALL their data (sessions, references, files)")
    x.add_argument("name", help="patient name (or id)")
    x.add_argument("--yes", action="store_true", help="really delete (without it, only says what would go)")

    pr = sub.add_parser("programme", help="a patient's programme: exercises x sets x reps x hold, progression")
    rsub = pr.add_subparsers(dest="action", required=True)
    x = rsub.add_parser(
        "set",
        help="set the programme",
        description="ITEM is EXERCISE:SETSxREPS or EXERCISE:SETSxREPS:HOLD_SECONDS, e.g. glute_bridge:3x10:5. "
        "Reps go up by --add-reps after every --every sessions in which pain did not rise (up to --max-reps); "
        "when pain rises they are held back (and drop one step if it rose by 2 or more).",
    )
    x.add_argument("--patient", "-p", required=True)
    x.add_argument("--item", "-i", action="append", required=True, metavar="ITEM",
                   help="EXERCISE:SETSxREPS[:HOLD_S]; repeat for each exercise")
    x.add_argument("--days", type=int, default=5, help="days per week (default: %(default)s)")
    x.add_argument("--add-reps", type=int, default=1, help="reps added at each step (default: %(default)s)")
    x.add_argument("--every", type=int, default=3, help="sessions without more pain per step (default: %(default)s)")
    x.add_argument("--max-reps", type=int, default=15, help="never more reps than this (default: %(default)s)")
    x.add_argument("--no-hold-back", action="store_true", help="progress even when pain rises")
    x.add_argument("--since", default=None, metavar="YYYY-MM-DD",
                   help="count sessions from this day for progression (default: from now)")
    x = rsub.add_parser("show", help="the current programme")
    x.add_argument("--patient", "-p", required=True)
    x = rsub.add_parser("today", help="today's exercises, after progression")
    x.add_argument("--patient", "-p", required=True)
    x.add_argument("--date", default=None, help="YYYY-MM-DD instead of today")

    db = sub.add_parser("db", help="back up or restore the database (history, patients, programmes)")
    dsub = db.add_subparsers(dest="action", required=True)
    x = dsub.add_parser("backup", help="copy the database to FILE (or into a folder)")
    x.add_argument("file")
    x = dsub.add_parser("restore", help="replace the database with a backup (the current one is kept aside)")
    x.add_argument("file")


def _parse_item(text: str) -> dict:
    from posecoach.core.exercise import find_exercise

    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        sets, reps = parts[1].lower().split("x")
        item = {"exercise_id": parts[0].strip(), "sets": int(sets), "reps": int(reps),
                "hold_s": float(parts[2].rstrip("s")) if len(parts) == 3 and parts[2] else None}
    except ValueError:
        raise ValueError(f"programme item {text!r}: write EXERCISE:SETSxREPS or EXERCISE:SETSxREPS:HOLD_S, "
                         "e.g. glute_bridge:3x10:5") from None
    item["exercise_id"] = find_exercise(item["exercise_id"]).id  # one-line ExerciseError if unknown
    return item


def _print_programme(prog: dict | None, name: str) -> None:
    if prog is None:
        print(f"{name} has no programme: set one with `posecoach programme set --patient {name!r} --item EX:3x10`")
        return
    r = prog["rule"]
    print(f"{name}: {prog['days_per_week']} days a week, set {prog['created_at'][:16].replace('T', ' ')}")
    for i in prog["items"]:
        hold = f", hold {i['hold_s']:g} s" if i.get("hold_s") else ""
        print(f"  {i['exercise_id']}: {i['sets']} x {i['reps']}{hold}")
    back = "held back when pain rises" if r["hold_back_if_pain_rises"] else "pain not considered"
    print(f"  progression: +{r['add_reps']} reps every {r['every_n_sessions']} sessions without more pain, "
          f"up to {r['max_reps']}; {back}")


def _cmd_clinic(args: argparse.Namespace) -> int:
    from datetime import date, datetime

    from posecoach.clinic.patients import Clinic

    try:
        with Clinic() as clinic:
            if args.cmd == "patient":
                return _cmd_patient(clinic, args)
            if args.cmd == "programme":
                p = clinic.patient(args.patient)
                if args.action == "set":
                    items = [_parse_item(t) for t in args.item]
                    rule = {"add_reps": args.add_reps, "every_n_sessions": args.every, "max_reps": args.max_reps,
                            "hold_back_if_pain_rises": not args.no_hold_back}
                    since = None
                    if args.since:
                        try:
                            since = datetime.combine(date.fromisoformat(args.since), datetime.min.time())
                        except ValueError:
                            raise ValueError(f"--since {args.since!r}: write YYYY-MM-DD") from None
                    clinic.set_programme(p["id"], items, days_per_week=args.days, rule=rule, created_at=since)
                    _print_programme(clinic.programme(p["id"]), p["name"])
                elif args.action == "show":
                    _print_programme(clinic.programme(p["id"]), p["name"])
                else:
                    try:
                        day = date.fromisoformat(args.date) if args.date else date.today()
                    except ValueError:
                        raise ValueError(f"--date {args.date!r}: write YYYY-MM-DD") from None
                    plan = clinic.todays_plan(p["id"], day)
                    if not plan:
                        _print_programme(None, p["name"])
                        return 1
                    print(f"{p['name']}, {day.isoformat()}:")
                    for i in plan:
                        hold = f", hold {i['hold_s']:g} s" if i.get("hold_s") else ""
                        done = f"  (done {i['done_today']}x today)" if i["done_today"] else ""
                        print(f"  {i['exercise_id']}: {i['sets']} x {i['reps']}{hold} -- {i['progression']}{done}")
                return 0
            # db
            if args.action == "backup":
                out = clinic.backup(Path(args.file))
                print(f"backed up {clinic.path} to {out}")
                print("the backup holds patients' data: keep it somewhere safe (reference landmark files under "
                      f"{clinic.path.parent / 'references'} are not inside it)")
            else:
                keep = clinic.restore(Path(args.file))
                print(f"restored {clinic.path} from {args.file}; the previous database is kept in {keep}")
            return 0
    except (ValueError, KeyError) as err:
        print(f"ERROR {err.args[0] if err.args else err}", file=sys.stderr)
        return 2


def _cmd_patient(clinic, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    if args.action == "add":
        pid = clinic.add_patient(args.name, notes=args.notes)
        print(f"added patient {clinic.patient(pid)['name']} (id {pid})")
        return 0
    if args.action == "list":
        rows = clinic.patients()
        if not rows:
            print("no patients yet: add one with `posecoach patient add NAME`")
            return 0
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            last = f", last {r['last_session']}" if r["last_session"] else ""
            notes = f"  {r['notes']}" if r["notes"] else ""
            print(f"{r['id']:>4}  {r['name']:<{width}}  {r['sessions']} sessions{last}{notes}")
        return 0
    p = clinic.patient(args.name)
    if not args.yes:
        n = len(clinic.sessions(p["id"]))
        refs = len(clinic.references(p["id"]))
        print(f"ERROR this deletes {p['name']} with {n} sessions, {refs} references, targets and programmes, "
              f"for good: add --yes", file=sys.stderr)
        return 2
    c = clinic.delete_patient(p["id"])
    print(f"deleted {c['patient']}: {c['sessions']} sessions ({c['reps']} reps, {c['events']} events), "
          f"{c['references']} references ({c['files']} files), {c['targets']} targets, {c['programmes']} programmes")
    for f in c["files_left"]:
        print(f"warning {f} could not be removed: delete it by hand", file=sys.stderr)
    print("backups made before this still hold their data")
    return 1 if c["files_left"] else 0


# ------------------------------------------------------- references and targets
# `posecoach reference record|list`, `posecoach targets show|set` (posecoach.clinic.references).


def _add_reference_parsers(sub: argparse._SubParsersAction) -> None:
    rf = sub.add_parser("reference", help="record a patient's reference movement (from which their targets come)")
    fsub = rf.add_subparsers(dest="action", required=True)
    x = fsub.add_parser("record", help="record a reference from a video file or a camera; derives the targets")
    x.add_argument("--source", "-s", required=True, help="video file, or camera index (e.g. 0)")
    x.add_argument("--exercise", "-e", required=True)
    x.add_argument("--patient", "-p", required=True, help="patient name (added if new)")
    x.add_argument("--notes", default="", help="free text kept with the reference")
    x.add_argument("--keep-video", action="store_true", help="also keep the video (default: only the landmarks)")
    x.add_argument("--rom-share", type=float, default=0.8,
                   help="peak target as a share of the reference's range of motion (default: %(default)s)")
    x.add_argument("--seconds", type=float, default=None, help="with a camera: how long to record (default 30)")
    x.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    x = fsub.add_parser("list", help="a patient's references")
    x.add_argument("--patient", "-p", required=True)
    x.add_argument("--exercise", "-e", default=None)

    tg = sub.add_parser("targets", help="show or adjust a patient's targets for an exercise")
    tsub = tg.add_subparsers(dest="action", required=True)
    for name, hlp in (("show", "the targets the coach judges this patient against"),
                      ("set", "adjust the targets (only the values given change)")):
        x = tsub.add_parser(name, help=hlp)
        x.add_argument("--patient", "-p", required=True)
        x.add_argument("--exercise", "-e", required=True)
        if name == "set":
            x.add_argument("--peak", type=float, default=None, help="main-angle value that counts as the top of a rep")
            x.add_argument("--rest", type=float, default=None, help="main-angle value the rep must come back to")
            x.add_argument("--hold", type=float, default=None, help="seconds to hold at the top")
            x.add_argument("--tempo", type=float, default=None, help="seconds per rep")
            x.add_argument("--note", default=None)


def _print_targets(exercise, t: dict | None, name: str) -> None:  # type: ignore[no-untyped-def]
    rep = exercise.rep
    unit = " (offsets from the resting value)" if rep.relative else ""
    if t is None:
        print(f"{name} has no targets for {exercise.id}: the exercise's own apply{unit}: "
              f"rest {rep.rest:g}, peak {rep.peak:g} ({rep.angle})")
        return
    fmt = lambda v, u="": "-" if v is None else f"{v:g}{u}"  # noqa: E731
    print(f"{name}, {exercise.id} ({rep.angle}{unit}): rest {fmt(t.get('rest'))}, peak {fmt(t.get('peak'))}, "
          f"hold {fmt(t.get('hold_s'), ' s')}, tempo {fmt(t.get('tempo_s'), ' s')}/rep"
          f"  [exercise: rest {rep.rest:g}, peak {rep.peak:g}]")
    extra = [f"reference {t['reference_id']}" if t.get("reference_id") is not None else "",
             f"rom share {t['rom_share']:g}" if t.get("rom_share") is not None else "", t.get("note") or ""]
    if any(extra):
        print("  " + "; ".join(e for e in extra if e))


def _cmd_reference(args: argparse.Namespace) -> int:
    from posecoach.clinic.patients import Clinic
    from posecoach.core.exercise import find_exercise
    from posecoach.clinic.references import record_reference, targets_for

    try:
        with Clinic() as clinic:
            if args.cmd == "reference" and args.action == "record":
                ex = find_exercise(args.exercise)
                try:
                    p = clinic.patient(args.patient)
                except KeyError:
                    pid = clinic.add_patient(args.patient)
                    p = clinic.patient(pid)
                    print(f"added patient {p['name']} (id {pid})")
                res = record_reference(args.source, ex.id, p["id"], notes=args.notes, keep_video=args.keep_video,
                                       clinic=clinic, model=args.model, rom_share=args.rom_share,
                                       seconds=args.seconds, log=print)
                sm = res["summary"]
                print(f"reference {res['reference_id']} for {p['name']}: {ex.id}, {len(res['reps'])} reps "
                      f"(segmented by {sm.get('segmented_by', 'exercise thresholds')}), landmarks in {res['landmarks_file']}")
                _print_targets(ex, res["targets"], p["name"])
                print(f"review or adjust them: posecoach targets set --patient {p['name']!r} --exercise {ex.id} "
                      "--peak X --rest Y --hold S")
                return 0
            p = clinic.patient(args.patient)
            if args.cmd == "reference":
                refs = clinic.references(p["id"], args.exercise)
                if not refs:
                    print(f"{p['name']} has no references: record one with `posecoach reference record`")
                    return 0
                for r in refs:
                    kept = ", video kept" if r["video_file"] else ""
                    notes = f"  {r['notes']}" if r["notes"] else ""
                    print(f"{r['id']:>4}  {r['recorded_at'][:16].replace('T', ' ')}  {r['exercise_id']}  "
                          f"{len(r['reps'])} reps  from {r['source']}{kept}{notes}")
                return 0
            ex = find_exercise(args.exercise)
            current = clinic.targets(p["id"], ex.id)
            if args.action == "set":
                t = {k: v for k, v in (current or {}).items() if k != "updated_at"}
                if current is None:
                    t = {"rest": ex.rep.rest, "peak": ex.rep.peak, "hold_s": ex.hold.seconds if ex.hold else None,
                         "reference_id": None}
                    if ex.rep.relative:
                        t["relative"] = True
                for key, val in (("peak", args.peak), ("rest", args.rest), ("hold_s", args.hold),
                                 ("tempo_s", args.tempo), ("note", args.note)):
                    if val is not None:
                        t[key] = val
                if args.note is None and any(v is not None for v in (args.peak, args.rest, args.hold, args.tempo)):
                    t["note"] = "adjusted by the therapist"
                targets_for(ex, t)  # check before storing
                clinic.set_targets(p["id"], ex.id, t)
                current = clinic.targets(p["id"], ex.id)
            _print_targets(ex, current, p["name"])
            return 0
    except (ValueError, KeyError) as err:
        print(f"ERROR {err.args[0] if err.args else err}", file=sys.stderr)
        return 2


def _print_patient_results(results: list[dict]) -> None:
    for r in results:
        if "error" in r:
            continue
        sims = ", ".join("-" if d.get("similarity") is None else f"{d['similarity']:.0f} ({d['differs_most']})"
                         for d in r.get("rep_details", []))
        med = r.get("similarity_median")
        print(f"{Path(r['source']).name}: {r.get('patient')}, session {r.get('session_id')} stored; similarity to "
              f"the reference {'-' if med is None else f'{med:.0f}'} (median){': ' + sims if sims else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.cmd is None or args.cmd == "app":
            from posecoach.app import run_app  # lazy: Qt is loaded only for the window

            app_argv: list[str] = []
            for opt in ("source", "exercise", "model", "speed"):
                if getattr(args, opt, None) is not None:
                    app_argv += [f"--{opt}", str(getattr(args, opt))]
            if getattr(args, "demo", False):
                app_argv.append("--demo")
            return run_app(app_argv)
        if args.cmd == "start":
            from posecoach.cli.live import start

            return start(getattr(args, "exercise", "glute_bridge"), getattr(args, "source", "0"))
        if args.cmd == "exercises":
            return _cmd_exercises(args)
        if args.cmd == "analyze":
            return _cmd_analyze(args)
        if args.cmd == "replay":
            return _cmd_replay(args)
        if args.cmd == "setup-model":
            from posecoach.io.pose_model import setup_model_main

            return setup_model_main(args.rest)
        if args.cmd == "demo":
            from posecoach.cli.live import run_demo

            return run_demo(args.exercise, speed=args.speed, out=args.out)
        if args.cmd == "report":
            return _cmd_report(args)
        if args.cmd in ("patient", "programme", "db"):
            return _cmd_clinic(args)
        if args.cmd in ("reference", "targets"):
            return _cmd_reference(args)
        if args.cmd == "live":
            from posecoach.cli.live import run_live

            return run_live(args.source, args.exercise, model=args.model)
    except PosecoachError as err:
        print(f"ERROR {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    parser.print_help()
    return 2


def entry_point() -> None:  # pragma: no cover - console script
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
