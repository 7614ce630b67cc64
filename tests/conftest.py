"""Shared fixtures: tiny input builders, fed frame by frame.

- ``make_exercise(**changes)``: a small valid ``Exercise`` (main angle ``main``
  from rest 170 down to peak 110, an extra angle ``aux``) with fields replaced
  or, for ``rep``, merged;
- ``sig``: builders for plain main-angle sequences at ``FPS`` (``sig.hold``,
  ``sig.ramp``, ``sig.cycle``);
- ``feed(engine, frames)``: one ``ExerciseEngine.update`` per frame (a number is
  the main angle, a dict all values, ``None`` a frame without a pose), returning
  the events of every frame so tests can check the state after each one;
- ``run_session(exercise, poses, ...)``: a whole ``Session`` over a synthetic
  sequence, returning the session and one ``FrameResult`` per frame.

An autouse fixture points ``POSECOACH_HOME`` at a temporary folder so no test
touches the user's data.
"""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import pytest

from posecoach.core.engine import EngineEvent, ExerciseEngine
from posecoach.core.exercise import Exercise, find_exercise
from posecoach.core.session import FrameResult, Session, SessionConfig
from posecoach.core.types import Pose

FPS = 30.0

BASE_EXERCISE: dict = {
    "id": "test_ex",
    "name": "Test exercise",
    "summary": "A made-up exercise for the engine tests.",
    "view": "any",
    "camera_setup": "Anywhere.",
    "angles": {
        "main": {"points": ["near_hip", "near_knee", "near_ankle"]},
        "aux": {"points": ["near_shoulder", "near_hip", "near_knee"]},
    },
    "rep": {
        "angle": "main",
        "rest": 170,
        "peak": 110,
        "hysteresis": 5,
        "min_duration_s": 0.5,
        "max_duration_s": 10,
        "partial_cue": "Go a bit further",
    },
    "instructions": ["Move."],
}


@pytest.fixture(scope="module")
def model_dir() -> Path:
    """The folder of the installed pose model; the test is skipped without one."""
    from posecoach.errors import ModelError
    from posecoach.io.pose_model import find_model

    try:
        return find_model().parent
    except ModelError as e:
        pytest.skip(f"no pose model: {e}")


@pytest.fixture(autouse=True)
def posecoach_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("posecoach_home")
    monkeypatch.setenv("POSECOACH_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def no_estimator_kept_between_tests():
    """``posecoach analyze`` keeps its pose estimator for the next video of the process
    (``batch._pose_estimator``); a test must not get the one an earlier test left (a real model
    where it stands a fake in, or the other way round)."""
    yield
    batch = sys.modules.get("posecoach.cli.batch")
    if batch is not None:
        batch._close_idle_estimators()


@lru_cache(maxsize=None)
def _exercise(name: str) -> Exercise:
    return find_exercise(name)


@pytest.fixture
def exercise() -> Callable[[str], Exercise]:
    """The repository's exercise by id (loaded once per test run)."""
    return _exercise


@pytest.fixture
def make_exercise() -> Callable[..., Exercise]:
    def make(**changes) -> Exercise:
        data = copy.deepcopy(BASE_EXERCISE)
        for key, value in changes.items():
            if key == "rep":
                data["rep"].update(value)
            else:
                data[key] = value
        return Exercise.model_validate(data)

    return make


class Sig:
    """Main-angle sequences sampled at ``FPS`` (lists of floats, end point excluded)."""

    fps = FPS

    @staticmethod
    def n(seconds: float) -> int:
        return int(round(seconds * FPS))

    @classmethod
    def hold(cls, value: float, seconds: float) -> list[float]:
        return [float(value)] * cls.n(seconds)

    @classmethod
    def ramp(cls, a: float, b: float, seconds: float) -> list[float]:
        n = cls.n(seconds)
        return [a + (b - a) * i / n for i in range(n)]

    @classmethod
    def cycle(cls, rest: float, peak: float, up_s: float = 1.0, hold_s: float = 0.5,
              down_s: float = 1.0, rest_s: float = 1.0) -> list[float]:
        """rest -> peak (held) -> rest, then ``rest_s`` at rest."""
        return (cls.ramp(rest, peak, up_s) + cls.hold(peak, hold_s) + cls.ramp(peak, rest, down_s)
                + cls.hold(rest, rest_s))


@pytest.fixture
def sig() -> type[Sig]:
    return Sig


Frame = float | dict | None


def _feed(engine: ExerciseEngine, frames: Sequence[Frame], t0: float = 0.0,
          fps: float = FPS) -> list[list[EngineEvent]]:
    main = engine.exercise.rep.angle
    out = []
    for i, f in enumerate(frames):
        values = None if f is None else (f if isinstance(f, dict) else {main: float(f)})
        out.append(engine.update(t0 + i / fps, values))
    return out


@pytest.fixture
def feed() -> Callable[..., list[list[EngineEvent]]]:
    return _feed


def kinds(events: Sequence[Sequence[EngineEvent]] | Sequence[EngineEvent]) -> list[str]:
    """Event kinds in order, flattening per-frame lists."""
    flat: list[EngineEvent] = []
    for e in events:
        flat.extend(e if isinstance(e, list) else [e])
    return [e.kind for e in flat]


@pytest.fixture
def event_kinds() -> Callable[..., list[str]]:
    return kinds


def _run_session(
    ex: str | Exercise,
    poses: Sequence[tuple[float, Pose | None]],
    *,
    scene_cuts: Sequence[float] = (),
    targets=None,
    **cfg,
) -> tuple[Session, list[FrameResult]]:
    exercise = _exercise(ex) if isinstance(ex, str) else ex
    session = Session(exercise, config=SessionConfig(**cfg), targets=targets)
    results = [
        session.process(t, p, scene_cut=any(math.isclose(t, c, abs_tol=1e-6) for c in scene_cuts))
        for t, p in poses
    ]
    return session, results


@pytest.fixture
def run_session() -> Callable[..., tuple[Session, list[FrameResult]]]:
    return _run_session


# --------------------------------------------------------------------------- markers
# Whole modules that run generated scenarios through the session, drive the window or load
# the model take seconds per test: they are "slow", so `pytest -m "not slow"` (the unit tests of
# every layer) runs in well under 30 s.  Window tests are also "gui".  Measured with --durations.
_SLOW_MODULES = {
    "test_library_supine.py", "test_library_quadruped.py", "test_library_functional.py", "test_session.py",
    "test_rep_side.py", "test_reference.py", "test_report.py", "test_synth.py", "test_recording.py",
    "test_similarity.py", "test_dask.py", "test_fault_limits.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path
        if path.parent.name == "app" and path.name != "test_settings.py":
            item.add_marker(pytest.mark.gui)
        if (path.name in _SLOW_MODULES or item.get_closest_marker("gui") is not None
                or item.get_closest_marker("model") is not None):
            item.add_marker(pytest.mark.slow)
