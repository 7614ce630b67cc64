"""The relative baseline: measure the main feature from the person's own rest.

Some exercises (``rep.relative``) have no absolute rest value that fits
everyone (a pelvic tilt starts from each person's own lumbar curve).  While
the person is at rest (or not yet placed in the cycle) the baseline follows
the median of the last ``baseline_s`` seconds; during a rep it is frozen, and
the main value is reported as the difference from it.
"""

from __future__ import annotations

import statistics
from collections import deque

__all__ = ["RelativeBaseline"]


class RelativeBaseline:
    """A running median of the main feature at rest, frozen during reps."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, float]] = deque()
        self.value = 0.0

    def clear(self) -> None:
        """Forget the samples (after a reset: the next shot may show another rest)."""
        self._samples.clear()

    def relative(self, t: float, main: float, *, at_rest: bool, placed: bool, rest: float) -> float:
        """``main`` relative to the baseline.

        ``at_rest``: the counter is at rest or not yet placed (the baseline may follow);
        ``placed``: the counter knows where in the cycle it is.  Before that, the
        person is at rest by definition once a baseline exists, so ``rest`` is returned.
        """
        if at_rest or not self._samples:
            self._samples.append((t, main))
            while self._samples and t - self._samples[0][0] > self.window_s:
                self._samples.popleft()
            self.value = statistics.median(v for _, v in self._samples)
            if not placed:
                return rest
        return main - self.value
