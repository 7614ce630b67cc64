"""``posecoach analyze`` (videos, through the batch engine ``posecoach.cli.batch``) and
``posecoach replay`` (saved landmarks, without the model)."""

from __future__ import annotations

import argparse
from pathlib import Path

from posecoach.cli.numbers import number
from posecoach.cli.output import EXIT_OK, EXIT_SOME_FAILED, error, output_folder, readable, say, warning
from posecoach.errors import PosecoachError, UsageError

__all__ = ["AUTO_FPS_HOLDS", "AUTO_FPS_REPS", "DEFAULT_ANALYSIS_FPS", "MAX_ANALYSIS_FPS",
           "MAX_WORKERS", "add_parsers", "analysis_fps", "print_table"]

MAX_WORKERS = 64  # parallel video processes on one machine
MAX_ANALYSIS_FPS = 240  # as VideoFileSource trusts a container's rate
#: Frames a second ``analyze`` looks at by default (``--analysis-fps auto``), by what the exercise
#: measures, chosen on the team's footage (README, "Analysis frame rate"): every counted clip gives
#: the reps of full rate at 10 and at 15 (21 of 21); timing a hold needs finer steps: at 10 five
#: clips' holds moved by 0.24-0.8 s, at 15 all but three stayed within 0.2 s.  So an exercise that
#: times holds (``counting: hold``, a hold in its file or in the patient's targets) is analysed at
#: 15, one that counts reps only at 10.  A video at or below the rate is analysed frame by frame.
#: Live coaching always takes every frame.
AUTO_FPS_REPS = 10.0
AUTO_FPS_HOLDS = 15.0
DEFAULT_ANALYSIS_FPS = "auto"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("analyze", help="analyse recorded videos: reps, holds, form faults, cues")
    a.add_argument("paths", nargs="+", help="video files or folders of videos")
    a.add_argument("--exercise", "-e", required=True, help="exercise id (see `posecoach exercises`) or a file")
    a.add_argument("--out", "-o", default="posecoach-results", help="output folder (default: %(default)s)")
    a.add_argument("--workers", "-j", type=number("--workers", 1, MAX_WORKERS, whole=True), default=1,
                   help="videos analysed in parallel processes")
    a.add_argument("--analysis-fps", type=analysis_fps, default="auto", metavar="N|auto|full",
                   help="frames analysed per second of video: N (1-240), auto (the default: "
                        f"{AUTO_FPS_REPS:g} for exercises counted in reps, {AUTO_FPS_HOLDS:g} where holds are timed; "
                        "the counts of full rate on the team's footage) or full (every frame)")
    a.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    a.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    a.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the videos on a Dask cluster (scheduler address, or 'local')")
    a.add_argument("--save-landmarks", action="store_true",
                   help="also save <stem>_landmarks.jsonl, to re-judge later with `posecoach replay`")
    a.add_argument("--patient", "-p", default=None, metavar="NAME",
                   help="judge against this patient's targets, score each rep against their reference, "
                        "and store the session for them")
    a.add_argument("--annotate", action="store_true",
                   help="also write <stem>_annotated.mp4: each frame with the skeleton, angles, rep count, "
                        "hold timer, cues and camera cuts drawn on it")
    a.add_argument("--force", action="store_true",
                   help="analyse every video again, even those whose results in --out are up to date")
    a.add_argument("--no-report", dest="html_report", action="store_false",
                   help="do not write report.html (a plot per video, drawn at the end of the batch)")
    a.set_defaults(run=run_analyze)

    r = sub.add_parser("replay", help="judge saved landmarks (from analyze --save-landmarks) without the model")
    r.add_argument("recordings", nargs="+", help="*_landmarks.jsonl files")
    r.add_argument("--exercise", "-e", required=True)
    r.add_argument("--out", "-o", default="posecoach-results")
    r.set_defaults(run=run_replay)


def analysis_fps(text: str) -> float | str | None:
    """``--analysis-fps``: a rate from 1 to 240 frames a second, ``auto`` (chosen per exercise:
    ``cli.batch.analysis_rate``) or ``full`` (None: every frame); one ``UsageError`` line otherwise."""
    word = text.strip().lower()
    if word == "auto":
        return "auto"
    if word == "full":
        return None
    return float(number("--analysis-fps", 1, MAX_ANALYSIS_FPS,
                        unit=" frames a second, or auto or full")(text))


def _check_patient(args: argparse.Namespace) -> None:
    """Once, before the batch: an unknown patient is one error, not one per video."""
    if args.patient and args.dask:
        raise UsageError("--patient stores the sessions in this machine's database: run it without --dask")
    if args.patient:
        from posecoach.clinic import Clinic

        with Clinic() as clinic:
            clinic.patient(args.patient)


def _inputs(specs: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The videos to analyse, and ``(input, problem)`` for each argument that gave none (a missing
    file, an empty folder...), so that it is listed in the summary as well as printed."""
    from posecoach.io.sources import collect_videos

    videos: list[Path] = []
    seen: set[Path] = set()
    problems: list[tuple[str, str]] = []
    for spec in specs:
        found, probs = collect_videos([spec])
        problems += [(spec, msg) for msg in probs]
        for v in found:
            if v.resolve() not in seen:
                seen.add(v.resolve())
                videos.append(v)
    return videos, problems


def _say_up_to_date(n: int) -> None:
    if n:
        say(f"skipped {n} video{'s' if n != 1 else ''} with up-to-date results; --force redoes them")


def _show(res: dict) -> None:
    if "error" in res:
        error(res["error"])
    else:
        for w in res["warnings"]:
            warning(f"{Path(res['source']).name}: {w}")


def run_analyze(args: argparse.Namespace) -> int:
    from posecoach.cli.batch import AnalyzeOptions, run_batch
    from posecoach.core.exercise import find_exercise
    from posecoach.io.pose_model import find_model

    find_exercise(args.exercise)
    find_model(args.model)
    videos, problems = _inputs(args.paths)
    for _, msg in problems:
        error(readable(msg))
    if not videos:
        raise UsageError("no video to analyse; pass video files or folders that contain some")
    out = Path(args.out)
    _check_patient(args)
    output_folder(out)  # before the first video: a bad --out is one line, at once
    opts = AnalyzeOptions(exercise=args.exercise, model=args.model, save_landmarks=args.save_landmarks,
                          patient=args.patient, annotate=args.annotate, analysis_fps=args.analysis_fps)
    results = run_batch(videos, opts, out, workers=max(1, args.workers), show_progress=not args.quiet,
                        on_result=_show, dask=args.dask, skipped=problems, force=args.force,
                        on_up_to_date=_say_up_to_date, html_report=args.html_report)
    print_table(results)
    if args.patient:
        _print_patient_results(results)
    extra = ", annotated MP4" if args.annotate else ""
    report = ", report.html (open it in a browser)" if args.html_report else ""
    print(f"results in {readable(str(out))}/ (per video JSON and reps CSV{extra}, summary.csv, report.md{report})")
    return EXIT_SOME_FAILED if any("error" in r for r in results) else EXIT_OK


def run_replay(args: argparse.Namespace) -> int:
    from posecoach.cli.batch import _summary_files, final_result, output_names, replay_recording, write_result
    from posecoach.core.exercise import find_exercise

    ex = find_exercise(args.exercise)
    out = output_folder(args.out)
    results = []
    names = output_names([Path(f) for f in args.recordings], strip="_landmarks.jsonl")
    for f, name in zip(args.recordings, names):
        try:
            res = replay_recording(f, ex)
        except PosecoachError as err:
            res = {"source": str(f), "exercise": ex.id, "error": str(err)}
        res = final_result(res, ex.id)
        if "error" in res:
            error(res["error"])
        write_result(res, out, name)
        results.append(res)
    _summary_files(results, out, ex.id)
    print_table(results)
    return EXIT_SOME_FAILED if any("error" in r for r in results) else EXIT_OK


def print_table(results: list[dict]) -> None:
    """One line per video: reps, seconds, share of frames with a pose, faults."""
    from posecoach.cli.batch import short_names

    rows = [("video", "reps", "secs", "pose%", "faults")]
    for r, name in zip(results, short_names(results)):
        if "error" in r:
            rows.append((name, "-", "-", "-", "failed"))
            continue
        pct = 100 * r["frames_with_pose"] / max(r["frames"], 1)
        faults = ", ".join(f"{k}x{v}" for k, v in r["faults"].items()) or "-"
        rows.append((name, str(r["reps"]), f"{r['duration_s']:.1f}", f"{pct:.0f}", faults))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        say("  ".join(c.ljust(w) if i in (0, 4) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


def _print_patient_results(results: list[dict]) -> None:
    for r in results:
        if "error" in r:
            continue
        sims = ", ".join("-" if d.get("similarity") is None else f"{d['similarity']:.0f} ({d['differs_most']})"
                         for d in r.get("rep_details", []))
        med = r.get("similarity_median")
        say(f"{Path(r['source']).name}: {r.get('patient')}, session {r.get('session_id')} stored; similarity to "
              f"the reference {'-' if med is None else f'{med:.0f}'} (median){': ' + sims if sims else ''}")
