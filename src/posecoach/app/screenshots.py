"""Screenshots of the real window for the docs: set-up, coaching, summary (and "it hurts"), the
posture guide and the posture check's small window, then the therapist's page and a patient's
set-up screen with today's plan, on the synthetic patient of ``bench/make_sample_report.py`` (two
weeks).

    Xvfb :99 -screen 0 1366x768x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python -m posecoach.app.screenshots docs/screenshots

Coaching is shown on a generated stick-figure video with replayed poses (no real
person's footage), so what is on screen is what the app draws: the skeleton, the
angles, the counters, the cue.  The history and settings go to a temporary folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def _pump(app, seconds: float, until=None) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        app.processEvents()
        time.sleep(0.005)
        if until is not None and until():
            return


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="posecoach-shots-"))
    os.environ["POSECOACH_HOME"] = str(tmp)

    from posecoach.app.main import make_app

    app = make_app()
    from posecoach.app._qt.main_window import MainWindow
    from posecoach.app.services import make_speaker
    from posecoach.app.synthvideo import ReplayEstimator, demo_scenario, write_video

    sc = demo_scenario("glute_bridge", 4)
    video = write_video(tmp / "glute_bridge_stick_figure.mp4", sc.poses, sc.fps)
    speaker = make_speaker(None, backend="wav")
    w = MainWindow(settings_path=tmp / "settings.json", speaker=speaker,
                   estimator_factory=lambda: ReplayEstimator(sc.poses, sc.fps), speed=1.0)
    w.resize(1366, 768)
    w.move(0, 0)
    w.show()

    def shot(name: str) -> None:
        _pump(app, 0.3)
        screen = w.screen()
        pix = screen.grabWindow(0, 0, 0, 1366, 768) if os.environ.get("QT_QPA_PLATFORM") == "xcb" else w.grab()
        pix.save(str(out / f"{name}.png"))
        print(f"wrote {out / name}.png")

    w.setup.select_exercise("glute_bridge")
    w.setup.pain.setValue(3)
    shot("setup")

    w.start_session(str(video), "glute_bridge", 3, 2, 3)
    # rep 3, holding at the top after the fault of rep 2 was called
    _pump(app, 40, lambda: any("Lift your hips" in c for c in w.cue_history))
    _pump(app, 20, lambda: w.view is not None and w.view.reps >= 2 and w.coach.hold_label.text().startswith("Hold: 2."))
    shot("coaching")
    _pump(app, 1.0)
    w.it_hurts()
    _pump(app, 1.0)
    dlg = w.pain_dialog
    if dlg is not None:
        dlg.set_value(5)
        _pump(app, 0.3)
        dlg.grab().save(str(out / "it_hurts.png"))
        print(f"wrote {out / 'it_hurts.png'}")
        dlg.accept()
    _pump(app, 5, lambda: w.pages.currentWidget() is w.summary)
    shot("summary")
    _posture_shots(app, w, out, shot)
    _therapist_shots(app, w, tmp, shot)
    w.close()
    return 0


def _posture_shots(app, w, out: Path, shot) -> None:
    """The "how to sit, stand and lift" page, and the posture check's small window after a
    generated desk session (a minute and a half with the head forward: one reminder)."""
    from posecoach.app._qt.posture import PostureWindow
    from posecoach.testing.scenarios.posture import laptop_session, seated

    w.back_to_setup()
    w.posture.show_guide()
    shot("posture_guide")
    w.back_to_setup()
    sc = laptop_session([(15.0, seated()), (90.0, seated(head_deg=25.0))], fps=5.0, noise_px=1.0, seed=1)
    win = PostureWindow(poses=lambda stop: iter(sc.poses))
    win.show()
    _pump(app, 20, lambda: win.last is not None and win.last.t >= sc.poses[-1][0] - 1e-6)
    _pump(app, 0.3)
    win.grab().save(str(out / "posture_check.png"))
    print(f"wrote {out / 'posture_check.png'}")
    win.close()


def _therapist_shots(app, w, tmp: Path, shot) -> None:
    """The synthetic patient (bench/make_sample_report.py) in the therapist's page and the set-up."""
    import importlib.util

    from posecoach.paths import repo_root

    script = repo_root() / "bench" / "make_sample_report.py"
    if w.clinic is None or not script.exists():
        print("therapist screenshots skipped (no clinic database or no bench/make_sample_report.py)")
        return
    spec = importlib.util.spec_from_file_location("make_sample_report", script)
    if spec is None or spec.loader is None:
        print(f"therapist screenshots skipped ({script} cannot be loaded)")
        return
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.build(w.clinic.path, tmp / "report", days=14)
    w.back_to_setup()
    pid = w.clinic.patient(mod.PATIENT).id
    w.setup.select_patient(pid)
    shot("setup_patient")
    w.show_therapist()
    t = w.therapist
    t.select_patient(pid)
    t.ref_exercise.setCurrentIndex(t.ref_exercise.findData("glute_bridge"))
    shot("therapist_targets")
    t.tabs.setCurrentIndex(1)
    shot("therapist_programme")
    t.tabs.setCurrentIndex(2)
    _pump(app, 0.5)
    shot("therapist_progress")


if __name__ == "__main__":
    sys.exit(main())
