"""The One Euro filter (``posecoach.core.smoothing``): smooth when still, little lag when moving."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecoach.core.session import SessionConfig
from posecoach.core.smoothing import OneEuroFilter

FPS = 30.0
CFG = SessionConfig()  # the settings the session uses (positions divided by the frame height)


def run(f: OneEuroFilter, xs: np.ndarray, fps: float = FPS) -> np.ndarray:
    return np.array([f(x, i / fps) for i, x in enumerate(xs)])


def still(n: int = 300, sigma: float = 3 / 480, seed: int = 0) -> np.ndarray:
    """33 landmarks held still, with 3 px of tracker jitter (in frame heights)."""
    rng = np.random.default_rng(seed)
    return 0.5 + rng.normal(0.0, sigma, (n, 33, 2))


def ramp_lag_s(f: OneEuroFilter, speed: float, seconds: float = 3.0) -> float:
    """Steady-state lag on a constant-speed movement, in seconds."""
    t = np.arange(int(seconds * FPS)) / FPS
    xs = 0.2 + speed * t
    out = run(f, xs[:, None])[:, 0]
    return float(((xs - out) / speed)[int(FPS):].max())


def test_session_settings_cut_still_jitter():
    xs = still()
    out = run(OneEuroFilter(CFG.min_cutoff, CFG.beta), xs)
    ratio = xs[30:].std() / out[30:].std()
    # a first-order filter at ~2 Hz on 30 fps: variance down more than 4x
    assert ratio > 2.0
    assert np.abs(out[30:] - 0.5).max() < np.abs(xs[30:] - 0.5).max() / 2


def test_low_cutoff_removes_jitter_by_a_large_factor():
    xs = still()
    out = run(OneEuroFilter(min_cutoff=0.3, beta=0.0), xs)
    assert xs[60:].std() / out[60:].std() > 5.0


@pytest.mark.parametrize("speed", [0.1, 0.5, 1.0])
def test_bounded_lag_on_a_ramp(speed):
    f = OneEuroFilter(CFG.min_cutoff, CFG.beta)
    lag = ramp_lag_s(f, speed)
    # never more than a plain low-pass at min_cutoff (its time constant) ...
    assert 0.0 < lag <= 1 / (2 * math.pi * CFG.min_cutoff)
    # ... and speed opens the filter: less lag than with beta = 0
    assert lag < 0.6 * ramp_lag_s(OneEuroFilter(CFG.min_cutoff, 0.0), speed)


def test_faster_movement_lags_less():
    lags = [ramp_lag_s(OneEuroFilter(CFG.min_cutoff, CFG.beta), v) for v in (0.1, 0.5, 1.0)]
    assert lags == sorted(lags, reverse=True)
    assert lags[-1] < 0.03  # under one frame at 30 fps


def test_first_sample_passes_and_reset_forgets():
    f = OneEuroFilter()
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.array_equal(f(x0, 0.0), x0)
    for i in range(1, 10):
        f(x0, i / FPS)
    far = x0 + 100.0
    # without a reset a jump is smoothed (partly followed) ...
    g = OneEuroFilter()
    for i in range(10):
        g(x0, i / FPS)
    assert np.all(g(far, 10 / FPS) < far - 1.0)
    # ... after a reset the next sample is taken as is
    f.reset()
    assert np.array_equal(f(far, 10 / FPS), far)


def test_repeated_or_backward_timestamps_return_the_last_output():
    f = OneEuroFilter()
    f(np.array([0.0]), 0.0)
    a = f(np.array([1.0]), 1 / FPS)
    assert np.array_equal(f(np.array([50.0]), 1 / FPS), a)
    assert np.array_equal(f(np.array([50.0]), 0.0), a)


def test_output_is_a_copy_with_the_input_shape():
    f = OneEuroFilter()
    x = np.zeros((33, 3))
    y = f(x, 0.0)
    y[:] = 7.0
    assert f(x, 1 / FPS).shape == (33, 3)
    assert np.all(f(x, 2 / FPS) < 1.0)


@pytest.mark.parametrize("kw", [{"min_cutoff": 0.0}, {"beta": -1.0}, {"d_cutoff": 0.0}])
def test_bad_parameters(kw):
    with pytest.raises(ValueError):
        OneEuroFilter(**kw)
