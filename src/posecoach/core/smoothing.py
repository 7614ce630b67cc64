"""Landmark smoothing: a vectorised One Euro filter.

The One Euro filter (Casiez, Roussel, Vogel, CHI 2012) is a low-pass filter
whose cut-off frequency rises with speed: still joints are smoothed hard
(no jitter while holding a bridge), fast joints lightly (no lag that would
delay a rep).  It works on whole arrays at once, so smoothing 33 landmarks
costs a handful of numpy operations per frame.

Time comes from the frame timestamps, never the wall clock.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["OneEuroFilter"]


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over arrays of any fixed shape.

    - ``min_cutoff`` (Hz): smoothing at rest; lower = smoother, more lag.
    - ``beta``: how fast the cut-off rises with speed (per unit of the signal per second).
      Signals should be in units where speeds are comparable; posecoach feeds it
      landmark positions divided by the body's scale (torso length), so one
      setting works for any resolution and distance from the camera.
    - ``d_cutoff`` (Hz): cut-off for the speed estimate.
    """

    def __init__(self, min_cutoff: float = 1.5, beta: float = 0.5, d_cutoff: float = 1.0) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError("OneEuroFilter needs min_cutoff > 0, d_cutoff > 0 and beta >= 0")
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a camera cut or a long gap)."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t <= self._t:
            # First sample, or a repeated/out-of-order timestamp: take it as is.
            if self._x is None or self._t is None:
                self._x = x.copy()
                self._dx = np.zeros_like(x)
                self._t = t
            return self._x.copy()
        assert self._dx is not None  # set with _x
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = _alpha(self.d_cutoff, dt)
        dx_hat = a_d * dx + (1.0 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        a = _alpha(cutoff, dt)
        x_hat = a * x + (1.0 - a) * self._x
        self._x, self._dx, self._t = x_hat, dx_hat, t
        return x_hat.copy()
