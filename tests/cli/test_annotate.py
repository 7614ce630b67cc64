"""``posecoach analyze --annotate``: ``<name>_annotated.mp4`` beside the JSON, each frame with the
app's overlay (skeleton, angles) and the HUD (reps, hold, cue, cuts), the same length and size as
the frames analysed; whole or not at all; redone by a resumed run that lacks it; and Qt loaded only
when asked for.

The videos are generated stick figures (``posecoach.app.synthvideo``) and ``ReplayEstimator``
stands in for MediaPipe with the poses they were drawn from, so where the skeleton must be drawn
is known exactly.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecoach.app.synthvideo import write_video
from posecoach.cli import batch
from posecoach.cli.main import main
from posecoach.core.landmarks import INDEX
from posecoach.testing.demo import ReplayEstimator, demo_scenario

from test_batch_robust import fake_model, strict_json  # noqa: F401
from test_cli import assert_clean_errors, no_model_needed, tiny_video  # noqa: F401


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    """Two glute bridges (held 3.5 s, the second with the hips low), 640x480 at 30 fps."""
    sc = demo_scenario("glute_bridge", n_reps=2)
    path = write_video(tmp_path_factory.mktemp("clip") / "bridge.mp4", sc.poses, sc.fps)
    return path, sc


@pytest.fixture
def replay(monkeypatch, no_model_needed, bridge):  # noqa: F811
    _, sc = bridge
    monkeypatch.setattr(batch, "_pose_estimator", lambda opts, posture="any", **_: ReplayEstimator(sc.poses, sc.fps))


def frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        out.append(img)
    cap.release()
    return out


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.slow
def test_annotated_frames_carry_the_overlay_where_the_skeleton_is(tmp_path, bridge, replay, capsys):
    video, sc = bridge
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-e", "glute_bridge", "-o", str(out), "--annotate", "-q"]) == 0
    assert "annotated MP4" in capsys.readouterr().out
    src, ann = frames(video), frames(out / "bridge_annotated.mp4")
    assert len(ann) == len(src) == len(sc.poses) and ann[0].shape == src[0].shape == (480, 640, 3)
    assert not list(out.glob(".*.tmp*")), "no temporary file is left"
    res = strict_json(out / "bridge.json")
    assert res["reps"] == 2
    for i in (30, 200, len(src) - 20):
        pose = sc.poses[i][1]
        assert pose is not None
        for joint in ("left_hip", "left_knee", "left_shoulder"):
            x, y = (int(round(v)) for v in pose.xy[INDEX[joint]])
            near = (slice(y - 3, y + 4), slice(x - 3, x + 4))
            # a white joint dot on green bones over a dark stick figure
            assert diff(ann[i][near], src[i][near]) > 40, (i, joint)
        # the floor's far corner has no overlay: only the codec's noise
        corner = (slice(440, 476), slice(560, 636))
        assert diff(ann[i][corner], src[i][corner]) < 4, i
        # the counter box (top left: the person lies in the lower half)
        assert diff(ann[i][20:60, 20:100], src[i][20:60, 20:100]) > 30


@pytest.mark.slow
def test_annotating_changes_no_result_and_shows_the_cue_said(tmp_path, bridge, replay):
    video, _ = bridge
    plain, annotated = tmp_path / "plain", tmp_path / "ann"
    assert main(["analyze", str(video), "-e", "glute_bridge", "-o", str(plain), "-q"]) == 0
    assert main(["analyze", str(video), "-e", "glute_bridge", "-o", str(annotated), "--annotate", "-q"]) == 0
    assert not (plain / "bridge_annotated.mp4").exists()
    a, b = (strict_json(d / "bridge.json") for d in (plain, annotated))
    assert "processing_s" not in a and a == b  # the same result (wall times are in timing.csv)
    ann, src = frames(annotated / "bridge_annotated.mp4"), frames(video)
    fps = b["fps"]
    # a cue with none other in the 3.2 s after it
    cue = next(c for c in b["cues"] if not any(0 < d["t"] - c["t"] < 3.2 for d in b["cues"])
               and (c["t"] + 3.2) * fps < len(ann))
    # the cue box (to the right of the counter) while the cue is fresh, gone 3 s later
    box = (slice(20, 45), slice(140, 240))
    i, later = int(round((cue["t"] + 1.0) * fps)), int(round((cue["t"] + 3.2) * fps))
    assert diff(ann[i][box], src[i][box]) > 30
    assert diff(ann[later][box], src[later][box]) < 4


def test_frames_at_their_timestamps_keep_the_length_when_frames_are_skipped(tmp_path):
    """Analysing every third frame (``--analysis-fps``): each goes to the slot of its time, the
    one before stays over the gap, so the video keeps the source's length and timing."""
    from posecoach.app.annotate import annotated_video
    from posecoach.core.exercise import find_exercise
    from posecoach.core.pipeline import Pipeline, never_cut
    from posecoach.core.session import Session
    from posecoach.core.types import Frame

    sc = demo_scenario("squat", n_reps=1)
    ex = find_exercise("squat")
    img = np.full((240, 320, 3), 90, np.uint8)
    every_third = [Frame(img, t, i) for i, (t, _) in enumerate(sc.poses) if i % 3 == 0]
    dest = tmp_path / "a_annotated.mp4"
    with annotated_video(dest, ex, sc.fps) as paint:
        for step in Pipeline(ReplayEstimator(sc.poses, sc.fps), never_cut).steps(every_third, Session(ex)):
            paint(step)
    n = len(frames(dest))
    assert abs(n - (3 * (len(every_third) - 1) + 1)) <= 1


def test_a_folder_that_cannot_be_written_fails_that_video_in_one_line(tmp_path, monkeypatch, capsys, fake_model):  # noqa: F811
    import posecoach.app.annotate as annotate

    def refuse(path, suffix=".tmp"):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(annotate, "atomic_path", refuse)
    video = tiny_video(tmp_path / "v.mp4", frames=4)
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-e", "squat", "-o", str(out), "--annotate", "-q"]) == 1
    lines = assert_clean_errors(capsys.readouterr())
    assert len(lines) == 1 and "v_annotated.mp4: cannot write (Permission denied)" in lines[0]
    assert "cannot write" in strict_json(out / "v.json")["error"]
    assert not list(out.glob("*.mp4")) and not list(out.glob(".*.tmp*"))


def test_a_video_that_comes_out_short_is_an_error_and_leaves_nothing(tmp_path, monkeypatch, capsys, fake_model):  # noqa: F811
    """OpenCV does not report a failed write (a full disk): the frames in the file are counted."""
    import posecoach.app.annotate as annotate

    monkeypatch.setattr(annotate.VideoAnnotator, "_write", lambda self, img: setattr(self, "written", self.written + 1))
    video = tiny_video(tmp_path / "v.mp4", frames=4)
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-e", "squat", "-o", str(out), "--annotate", "-q"]) == 1
    (line,) = assert_clean_errors(capsys.readouterr())
    assert "the annotated video could not be written whole (0 of 4 frames)" in line
    assert not list(out.glob("*.mp4")) and not list(out.glob(".*.tmp*"))


def test_resume_redoes_a_video_whose_annotated_file_is_missing(tmp_path, monkeypatch, capsys, no_model_needed):  # noqa: F811
    made: list[int] = []

    class NoPerson:
        def detect(self, image_bgr, t_s):
            return None

        def close(self):
            pass

    def estimator(opts, posture="any", **_):
        made.append(1)
        return NoPerson()

    monkeypatch.setattr(batch, "_pose_estimator", estimator)
    (tmp_path / "in").mkdir()
    videos = [str(tiny_video(tmp_path / "in" / f"v{i}.mp4", frames=4 + i)) for i in range(2)]
    out = tmp_path / "out"
    assert main(["analyze", *videos, "-e", "squat", "-o", str(out), "-q"]) == 0
    assert len(made) == 2 and not list(out.glob("*.mp4"))
    # asked for now: both are done again, for their annotated videos
    assert main(["analyze", *videos, "-e", "squat", "-o", str(out), "-q", "--annotate"]) == 0
    assert len(made) == 4 and sorted(p.name for p in out.glob("*.mp4")) == ["v0_annotated.mp4", "v1_annotated.mp4"]
    # one is lost (and a killed run left a temporary file): only that one is done again
    (out / "v1_annotated.mp4").unlink()
    leftover = out / ".v1_annotated.mp4.abcd_123.tmp.mp4"
    leftover.write_bytes(b"half a video")
    capsys.readouterr()
    assert main(["analyze", *videos, "-e", "squat", "-o", str(out), "-q", "--annotate"]) == 0
    assert len(made) == 5 and "skipped 1 video" in capsys.readouterr().out
    assert (out / "v1_annotated.mp4").is_file() and not leftover.exists()
    assert len(frames(out / "v1_annotated.mp4")) == 5
    # without --annotate nothing is redone for it
    assert main(["analyze", *videos, "-e", "squat", "-o", str(out), "-q"]) == 0
    assert len(made) == 5


_CHILD = textwrap.dedent("""
    import os, sys
    from posecoach.cli import batch
    from posecoach.io import pose_model

    class NoPerson:
        def detect(self, image, t):
            return None
        def close(self):
            pass

    # at the top level: spawned workers import this file again (as __mp_main__) and get them too
    pose_model.find_model = lambda path=None: "pose_landmarker.task"
    batch._pose_estimator = lambda opts, posture="any", **_: NoPerson()

    if __name__ == "__main__":
        from posecoach.cli.main import main
        rc = main(sys.argv[1:])
        print("QT-LOADED" if "PySide6.QtGui" in sys.modules else "NO-QT")
        sys.exit(rc)
""")


@pytest.mark.slow
def test_qt_is_loaded_only_to_annotate_and_needs_no_display(tmp_path):
    """Without --annotate, Qt is never imported; with it, spawned workers (``--workers 2``) paint
    offscreen with no DISPLAY and no QT_QPA_PLATFORM set."""
    videos = [str(tiny_video(tmp_path / f"v{i}.mp4", frames=3 + i)) for i in range(2)]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)

    child = tmp_path / "child.py"
    child.write_text(_CHILD, encoding="utf-8")

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(child), "analyze", *videos, "-e", "squat", "-q", *extra],
                              capture_output=True, text=True, env=env, timeout=120)

    plain = run("-o", str(tmp_path / "plain"))
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert "NO-QT" in plain.stdout
    ann = run("-o", str(tmp_path / "ann"), "--annotate", "--workers", "2")
    assert ann.returncode == 0, ann.stderr[-2000:]
    assert "Traceback" not in ann.stderr
    for i in range(2):
        assert len(frames(tmp_path / "ann" / f"v{i}_annotated.mp4")) == 3 + i
        assert json.loads((tmp_path / "ann" / f"v{i}.json").read_text())["frames"] == 3 + i
