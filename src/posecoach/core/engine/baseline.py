"""The person's own rest and range: the relative baseline and the range learner.

``RangeLearner`` (``rep.adapt``) learns how far this person moves: see its docstring.

Some exercises (``rep.relative``) have no absolute rest value that fits
everyone (a pelvic tilt starts from each person's own lumbar curve).  While
the person is at rest (or not yet placed in the cycle) the baseline follows
the median of the last ``baseline_s`` seconds; during a rep it is frozen, and
the main value is reported as the difference from it.
"""

from __future__ import annotations

import statistics
from collections import deque

__all__ = ["RangeLearner", "RelativeBaseline"]


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


class RangeLearner:
    """This person's range of the main feature (``rep.adapt``): rest level and extreme per excursion.

    The engine tells it every value seen at rest (``at_rest``) and, at the end of
    every excursion that went at least the floor (a rep or a near miss), where it
    started (``level``) and how far it went (``add``).  After ``n`` excursions
    ``range`` gives the median rest level and the median excursion: the person's
    own rest and peak, robust to one odd rep.  Rest samples are kept by time, not by
    frame count, so the level does not depend on the frame rate.
    """

    def __init__(self, n: int, window_s: float = 1.0, keep: int = 5) -> None:
        self.n = n
        self.window_s = window_s
        self._rest: deque[tuple[float, float]] = deque()
        self._seen: deque[tuple[float, float]] = deque(maxlen=keep)

    def clear(self) -> None:
        """Forget everything (the orientation of the cycle changed)."""
        self._rest.clear()
        self._seen.clear()

    def at_rest(self, t: float, main: float) -> None:
        self._rest.append((t, main))
        while self._rest and t - self._rest[0][0] > self.window_s:
            self._rest.popleft()

    def level(self) -> float | None:
        """The rest level just before now (median of the last ``window_s`` s at rest)."""
        return statistics.median(v for _, v in self._rest) if self._rest else None

    def add(self, level: float, extreme: float) -> None:
        self._seen.append((level, extreme))

    @property
    def range(self) -> tuple[float, float] | None:
        """(rest level, signed excursion extreme - level), medians, once ``n`` excursions were seen."""
        if len(self._seen) < self.n:
            return None
        level = statistics.median(lv for lv, _ in self._seen)
        return level, statistics.median(ex - lv for lv, ex in self._seen)
