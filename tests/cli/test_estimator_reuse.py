"""The pose estimator is prepared once per process and lent to each video (``batch._pose_estimator``).

Whether a video ran first or after others must not change its result: with the model that is
``tests/cli/test_dask.py``'s real-model test; here, with stand-ins, how the estimator is lent,
given back, restarted and dropped after a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from posecoach.cli import batch
from posecoach.testing.fakes import SyntheticSquats

from test_dask import _clip


@pytest.fixture(autouse=True)
def no_kept_estimators():
    batch._close_idle_estimators()
    yield
    batch._close_idle_estimators()


class Recorder(SyntheticSquats):
    built: ClassVar[list[Recorder]] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closed = False
        self.postures: list[str] = [self.posture]
        type(self).built.append(self)

    def restart(self, posture=None, *, video_fps=None):
        super().restart(posture)
        self.postures.append(self.posture)

    def close(self):
        self.closed = True
        super().close()


class FailsOnSecondVideo(Recorder):
    def detect(self, image_bgr, t_s=0.0):
        if self.videos == 2:
            raise RuntimeError("CalculatorGraph::Run() failed")
        return super().detect(image_bgr, t_s)


def _videos(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [_clip(folder / f"v{i}.mp4", frames=30) for i in range(n)]


def test_one_estimator_serves_every_video_of_a_process(tmp_path):
    Recorder.built = []
    opts = batch.AnalyzeOptions(exercise="squat", estimator=Recorder)
    results = batch.run_batch(_videos(tmp_path, 3), opts, tmp_path / "out", show_progress=False)
    assert all("error" not in r for r in results)
    (est,) = Recorder.built
    assert est.videos == 3 and est.postures == ["any"] * 3 and not est.closed
    # another exercise: the same estimator, told the new posture
    lying = batch.AnalyzeOptions(exercise="clamshell", estimator=Recorder)
    batch.run_batch(_videos(tmp_path / "b", 1), lying, tmp_path / "out2", show_progress=False)
    assert len(Recorder.built) == 1 and est.postures[-1] == "lying"
    # other options (the number of people looked for) need their own
    alone = batch.AnalyzeOptions(exercise="squat", estimator=Recorder, num_poses=1)
    batch.run_batch(_videos(tmp_path / "c", 1), alone, tmp_path / "out3", show_progress=False)
    assert len(Recorder.built) == 2 and Recorder.built[1].num_poses == 1
    batch._close_idle_estimators()
    assert all(e.closed for e in Recorder.built)


def test_an_estimator_that_failed_is_closed_and_replaced(tmp_path):
    FailsOnSecondVideo.built = []
    opts = batch.AnalyzeOptions(exercise="squat", estimator=FailsOnSecondVideo)
    results = batch.run_batch(_videos(tmp_path, 3), opts, tmp_path / "out", show_progress=False)
    assert ["error" in r for r in results] == [False, True, False]
    assert "RuntimeError" in results[1]["error"]
    first, second = FailsOnSecondVideo.built
    assert first.closed and first.videos == 2  # dropped after the video it failed on
    assert not second.closed and second.videos == 1  # a new one for the next video
