"""``analyze --analysis-fps``: which frames a video source keeps, at what cost, and that what is
judged on them is what is judged on every frame.

Videos are generated with OpenCV: each frame carries its own number as its brightness, so a kept
frame can be checked against its index and time.  No model, no shared footage.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from posecoach.cli import batch
from posecoach.cli.analyze import AUTO_FPS_HOLDS, AUTO_FPS_REPS, DEFAULT_ANALYSIS_FPS, analysis_fps
from posecoach.cli.main import main
from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.core.types import Pose
from posecoach.errors import UsageError
from posecoach.io.estimator import _VisibilityByTime
from posecoach.io.scenecut import SceneCutDetector
from posecoach.io.sources import FrameSelector, VideoFileSource
from posecoach.testing import synth as S


def numbered_video(path, n: int, fps: float, size=(96, 64)):
    """Frame i shows its number in binary: 8 vertical bars, white for a 1 (survives compression)."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert w.isOpened()
    bar = size[0] // 8
    for i in range(n):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        for b in range(8):
            if i >> b & 1:
                img[:, b * bar:(b + 1) * bar] = 255
        w.write(img)
    w.release()
    return path


def frame_number(image: np.ndarray) -> int:
    bar = image.shape[1] // 8
    return sum(1 << b for b in range(8) if image[:, b * bar + 2:(b + 1) * bar - 2].mean() > 127)


# -- which frames -------------------------------------------------------------------------------


@pytest.mark.parametrize("rate, step", [(15.0, 2), (10.0, 3), (7.5, 4)])
def test_a_30fps_video_keeps_evenly_spaced_frames_with_their_true_times(tmp_path, rate, step):
    with VideoFileSource(numbered_video(tmp_path / "v.mp4", 60, 30.0), analysis_fps=rate) as src:
        frames = list(src)
    assert [f.index for f in frames] == list(range(0, 60, step))
    assert [frame_number(f.image) for f in frames] == [f.index for f in frames]  # the picture is that frame's
    assert np.allclose([f.t for f in frames], [f.index / 30.0 for f in frames], atol=1e-3)
    assert src.frames_read == 60 and src.analysis_fps == rate


@pytest.mark.parametrize("rate", [None, 30.0, 60.0, 240.0])
def test_full_rate_or_more_keeps_every_frame(tmp_path, rate):
    with VideoFileSource(numbered_video(tmp_path / "v.mp4", 20, 30.0), analysis_fps=rate) as src:
        assert [f.index for f in src] == list(range(20))
    assert src.analysis_fps is None


def test_a_20fps_video_asked_for_15_keeps_three_frames_in_four(tmp_path):
    with VideoFileSource(numbered_video(tmp_path / "v.mp4", 40, 20.0), analysis_fps=15.0) as src:
        frames = list(src)
    assert len(frames) == 30  # 15 a second over 2 s
    gaps = np.diff([f.index for f in frames])
    assert set(gaps) == {1, 2}  # never two frames skipped in a row, never a burst
    assert np.allclose([f.t for f in frames], [f.index / 20.0 for f in frames], atol=1e-3)


def test_selection_follows_time_not_frame_count():
    """A variable frame rate (a phone): frames bunched and spread out are thinned by their times;
    after a gap the grid starts again rather than keeping every frame until it catches up."""
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(1 / 60, 1 / 20, 300))  # 20 to 60 frames a second
    times = np.concatenate([times, times[-1] + 3.0 + np.arange(60) / 30.0])  # a 3 s gap, then 30 fps
    sel = FrameSelector(10.0, 30.0)
    kept = [t for t in times if sel.keep(float(t))]
    before = [t for t in kept if t <= times[299]]
    gaps = np.diff(before)
    # Kept frames follow a 0.1 s grid: each is the first at or past its grid time (less the slack),
    # so it is at most one frame interval (1/20 s here) late, and the next one is not early.
    assert gaps.min() >= 0.1 - 0.5 / 30.0 - 1 / 20 and gaps.max() <= 0.1 + 1 / 20 + 1e-9
    assert len(before) == pytest.approx((times[299] - times[0]) * 10, abs=2)
    after = np.diff([t for t in kept if t > times[299]])
    assert np.allclose(after, 0.1, atol=0.02)  # 10 a second at once after the gap, no burst


class CountingCapture:
    """A VideoCapture that counts grab and retrieve calls (the source reads through these only)."""

    def __init__(self, cap) -> None:
        self.cap, self.grabs, self.retrieves = cap, 0, 0

    def grab(self):
        self.grabs += 1
        return self.cap.grab()

    def retrieve(self, *a):
        self.retrieves += 1
        return self.cap.retrieve(*a)

    def __getattr__(self, name):
        return getattr(self.cap, name)


def test_skipped_frames_are_grabbed_never_retrieved(tmp_path):
    src = VideoFileSource(numbered_video(tmp_path / "v.mp4", 61, 30.0), analysis_fps=10.0)
    src._cap = cap = CountingCapture(src._cap)
    with src:
        kept = list(src)
    assert len(kept) == 21
    assert cap.grabs == 61  # every frame after the first (read on opening), and the end
    assert cap.retrieves == 20  # ... and only the kept ones are converted


def test_skipped_frames_go_to_the_cut_detector_only(tmp_path):
    seen: list[int] = []
    src = VideoFileSource(numbered_video(tmp_path / "v.mp4", 30, 30.0), analysis_fps=10.0,
                          skipped=lambda img: seen.append(frame_number(img)))
    with src:
        kept = [f.index for f in src]
    assert sorted(seen + kept) == list(range(30)) and not set(seen) & set(kept)


def test_a_cut_on_a_skipped_frame_is_reported_on_the_next_kept_one():
    rng = np.random.default_rng(0)
    shot_a, shot_b = (rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(2))
    pictures = [shot_a] * 10 + [shot_b] * 10  # the cut is frame 10

    def cuts_seen(keep_every: int) -> list[int]:
        det = SceneCutDetector()
        out = []
        for i, img in enumerate(pictures):
            if i % keep_every:
                det.skipped(img)
            elif det(img):
                out.append(i)
        return out

    assert cuts_seen(1) == [10]
    assert cuts_seen(3) == [12]  # frame 10 was skipped: the next analysed frame starts the new shot
    assert cuts_seen(4) == [12]


# -- what is judged ------------------------------------------------------------------------------


@pytest.mark.parametrize("make, exercise", [(lambda: S.squat(4, noise_px=1.0), "squat"),
                                            (lambda: S.glute_bridge(3, hold_s=3.0), "glute_bridge")])
@pytest.mark.parametrize("rate", [15.0, 10.0])
def test_counts_and_holds_on_fewer_frames_are_those_on_every_frame(make, exercise, rate):
    """The replay path: the same landmarks, every frame vs the frames a source would keep."""
    sc = make()
    ex = find_exercise(exercise)

    def judge(rate: float | None) -> dict:
        session = Session(ex)
        select = FrameSelector(rate, sc.fps) if rate else None
        for t, pose in sc.poses:
            if select is None or select.keep(t):
                session.process(t, pose, False)
        return session.summary()

    full, fewer = judge(None), judge(rate)
    assert full["reps"] == sc.truth["reps"] and fewer["reps"] == full["reps"]
    for a, b in zip(full["rep_details"], fewer["rep_details"], strict=True):
        assert abs(a["hold_s"] - b["hold_s"]) <= 0.2
        assert abs(a["start_s"] - b["start_s"]) <= 0.2 and abs(a["end_s"] - b["end_s"]) <= 0.2


def mediapipe_like(raw: np.ndarray, alpha: float = _VisibilityByTime.ALPHA) -> np.ndarray:
    """MediaPipe's visibility filter: a fixed share of the way on every frame."""
    out = [raw[0]]
    for v in raw[1:]:
        out.append(out[-1] + alpha * (v - out[-1]))
    return np.array(out)


def pose_with(vis: float) -> Pose:
    return Pose(xy=np.zeros((33, 2)), visibility=np.full(33, vis), size_wh=(100, 100))


def test_visibility_is_smoothed_by_time_not_by_frame():
    """A knee coming into view (seen 0.3, then 0.95): on every third frame MediaPipe's filter
    crosses 0.5 three times later; re-smoothed by time it matches every frame's."""
    raw = np.array([0.3] * 10 + [0.95] * 50)
    every = mediapipe_like(raw)  # what the tracker gives on all 60 frames (30 fps)
    kept = list(range(0, 60, 3))
    mp_kept = mediapipe_like(raw[kept])  # what it gives when only every third frame is shown
    fix = _VisibilityByTime(30.0)
    ours = [float(fix.apply([pose_with(v)], int(round(i * 1000 / 30)))[0].visibility[0]) for i, v in zip(kept, mp_kept)]
    assert np.allclose(ours, every[kept], atol=1e-3)
    first_visible = next(i for i, v in zip(kept, mp_kept) if v >= 0.5)
    assert first_visible > next(i for i, v in enumerate(every) if v >= 0.5) + 6  # the defect it mends


def test_visibility_on_every_frame_is_mediapipes_own():
    raw = np.random.default_rng(2).uniform(0, 1, 40)
    mp_out = mediapipe_like(raw)
    fix = _VisibilityByTime(30.0)
    ours = [float(fix.apply([pose_with(v)], int(round(i * 1000 / 30)))[0].visibility[0]) for i, v in enumerate(mp_out)]
    assert np.allclose(ours, mp_out, atol=1e-9)
    assert fix.apply([], 2000) == [] and fix._mp is None  # the person lost: MediaPipe starts again


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [("auto", "auto"), (" Full ", None), ("12.5", 12.5),
                                         ("1", 1.0), ("240", 240.0)])
def test_analysis_fps_values(text, value):
    assert analysis_fps(text) == value


@pytest.mark.parametrize("bad", ["0", "0.5", "241", "fast", "nan", "-10", ""])
def test_a_bad_analysis_fps_is_one_line_naming_the_choices(capsys, bad):
    with pytest.raises(UsageError) as e:
        analysis_fps(bad)
    assert "--analysis-fps" in str(e.value) and "1 to 240" in str(e.value) and "auto or full" in str(e.value)
    rc = main(["analyze", "x.mp4", "-e", "squat", "--analysis-fps", bad])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("ERROR --analysis-fps")


class NoPerson:
    def detect(self, image, t):
        return None

    def close(self):
        pass


@pytest.fixture
def fake_model(monkeypatch, tmp_path):
    from posecoach.io import pose_model

    model = tmp_path / "pose_landmarker.task"
    model.write_bytes(b"not a model")
    monkeypatch.setattr(pose_model, "find_model", lambda path=None: model)
    made: list[float | None] = []

    def estimator(opts, posture="any", video_fps=None):
        made.append(video_fps)
        return NoPerson()

    monkeypatch.setattr(batch, "_pose_estimator", estimator)
    return made


def test_result_says_the_rate_and_frames_and_keeps_the_video_duration(tmp_path, capsys, fake_model):
    video = numbered_video(tmp_path / "v.mp4", 90, 30.0)
    assert main(["analyze", str(video), "-e", "squat", "-o", str(tmp_path / "out"), "-q", "--analysis-fps", "10"]) == 0
    res = json.loads((tmp_path / "out" / "v.json").read_text())
    assert res["analysis_fps"] == 10.0 and res["frames"] == 30 and res["frames_in_video"] == 90
    assert res["duration_s"] == pytest.approx(3.0) and res["fps"] == pytest.approx(30.0)
    assert res["provenance"]["options"]["analysis_fps"] == 10.0
    assert fake_model == [30.0]  # the estimator is told the video's own rate, to smooth by time
    assert not any("cut short" in w for w in res["warnings"])


def test_full_rate_analyses_every_frame(tmp_path, capsys, fake_model):
    video = numbered_video(tmp_path / "v.mp4", 45, 30.0)
    assert main(["analyze", str(video), "-e", "squat", "-o", str(tmp_path / "out"), "-q", "--analysis-fps", "full"]) == 0
    res = json.loads((tmp_path / "out" / "v.json").read_text())
    assert res["analysis_fps"] == pytest.approx(30.0) and res["frames"] == res["frames_in_video"] == 45
    assert fake_model == [None]  # every frame: MediaPipe's smoothing as it is


def test_a_result_made_at_another_rate_is_not_up_to_date(tmp_path, capsys, fake_model):
    video = numbered_video(tmp_path / "v.mp4", 30, 30.0)
    out = tmp_path / "out"

    def run(*extra) -> str:
        assert main(["analyze", str(video), "-e", "squat", "-o", str(out), "-q", *extra]) == 0
        return capsys.readouterr().out

    run()
    assert "skipped 1 video" in run("--analysis-fps", "auto")  # auto is the default rate
    assert "skipped" not in run("--analysis-fps", "full") and len(fake_model) == 2
    assert json.loads((out / "v.json").read_text())["frames"] == 30
    assert "skipped" not in run("--analysis-fps", "15") and len(fake_model) == 3
    assert "skipped 1 video" in run("--analysis-fps", "15")


@pytest.mark.parametrize("exercise, rate", [("squat", AUTO_FPS_REPS), ("cat_cow", AUTO_FPS_REPS),
                                            ("plank", AUTO_FPS_HOLDS), ("glute_bridge", AUTO_FPS_HOLDS),
                                            ("hamstring_stretch", AUTO_FPS_HOLDS)])
def test_auto_rate_follows_what_the_exercise_times(exercise, rate):
    """``auto``: reps alone at 10 frames a second, holds (hold mode, a hold in the file) at 15."""
    from posecoach.cli.batch import analysis_rate
    from posecoach.core.exercise import find_exercise

    ex = find_exercise(exercise)
    assert (ex.counting == "hold" or ex.hold is not None) == (rate == AUTO_FPS_HOLDS)
    assert DEFAULT_ANALYSIS_FPS == "auto" and analysis_rate("auto", ex) == rate
    assert analysis_rate(12.5, ex) == 12.5 and analysis_rate(None, ex) is None


def test_auto_rate_times_a_patients_hold_target_finely():
    """A rep exercise whose therapist set a hold (the patient's targets) times holds: 15."""
    from types import SimpleNamespace

    from posecoach.cli.batch import analysis_rate
    from posecoach.core.exercise import find_exercise

    squat = find_exercise("squat")
    assert analysis_rate("auto", squat, SimpleNamespace(hold_s=3.0)) == AUTO_FPS_HOLDS
    assert analysis_rate("auto", squat, SimpleNamespace(hold_s=None)) == AUTO_FPS_REPS
    plank = find_exercise("plank")
    assert analysis_rate("auto", plank, SimpleNamespace(hold_s=None)) == AUTO_FPS_HOLDS
