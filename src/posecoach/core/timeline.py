"""What happened over a session's time, kept small enough to store with its result.

A report draws the main angle over time with each rep, cut and unjudged stretch marked.  The
session holds every frame's angle (``Session.trace_t`` / ``trace_main``); a result written as
JSON gets a bounded copy of it (``downsample``: at most ``max_hz`` points a second and
``max_points`` in all, whatever the length of the video) and the stretches in which frames
could not be judged, as intervals (``StatusSpans``) rather than one status per frame.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from posecoach.core.types import Status

__all__ = ["MAX_HZ", "MAX_POINTS", "StatusSpans", "downsample"]

MAX_POINTS = 3000  # at most about 45 kB of JSON per video, however long it is
MAX_HZ = 10.0  # a rep lasts a second or more: ten points a second draw its shape


def downsample(t: Sequence[float], v: Sequence[float], *, max_points: int = MAX_POINTS, max_hz: float = MAX_HZ,
               digits: int = 1) -> tuple[list[float], list[float | None]]:
    """``(t, v)`` with at most ``max_points`` points and ``max_hz`` points a second; NaN -> None.

    The frames are cut into equal buckets, and each bucket gives its lowest and its highest
    value, in the order they came (or one point when they are the same frame; a bucket with no
    value gives one None at its start), so a short rep's peak is never smoothed away however
    long the video.  A short trace comes back whole (rounded).
    """
    tt = np.asarray(t, dtype=float)
    vv = np.asarray(v, dtype=float)
    n = tt.size
    if n == 0:
        return [], []
    span = float(tt[-1] - tt[0]) if n > 1 else 0.0
    budget = max(1, min(max_points, int(math.ceil(span * max_hz)) + 1))
    if n <= budget:
        return _rounded(tt, vv, np.arange(n), digits)
    buckets = max(1, budget // 2)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep: list[int] = []
    for a, b in pairwise(edges.tolist()):
        if b <= a:
            continue
        seg = vv[a:b]
        finite = np.isfinite(seg)
        if not finite.any():
            keep.append(int(a))
            continue
        idx = np.flatnonzero(finite)
        lo = int(idx[np.argmin(seg[idx])]) + a
        hi = int(idx[np.argmax(seg[idx])]) + a
        keep += sorted({lo, hi})
    return _rounded(tt, vv, np.asarray(keep), digits)


def _rounded(t: np.ndarray, v: np.ndarray, idx: np.ndarray, digits: int) -> tuple[list[float], list[float | None]]:
    ts = [round(float(x), 2) for x in t[idx]]
    vs = [None if not math.isfinite(x) else round(float(x), digits) for x in v[idx]]
    return ts, vs


class StatusSpans:
    """The stretches of frames that could not be judged, as ``[start_s, end_s, status]``.

    A stretch ends at the time of the first frame after it (so it covers its last frame), or at
    the last frame seen.  ``forget(before)`` drops stretches that ended before then (a live session
    keeps only its recent past).
    """

    def __init__(self) -> None:
        self.spans: list[list] = []
        self._open = False

    def add(self, t: float, status: Status) -> None:
        """One frame's status, in time order."""
        if self._open:
            self.spans[-1][1] = t  # the open stretch lasted until this frame
            if self.spans[-1][2] == status.value:
                return
            self._open = False
        if status is not Status.OK:
            self.spans.append([t, t, status.value])
            self._open = True

    def forget(self, before: float) -> None:
        k = 0
        while k < len(self.spans) - 1 and self.spans[k][1] < before:
            k += 1
        del self.spans[:k]

    def rounded(self) -> list[list]:
        return [[round(a, 2), round(b, 2), s] for a, b, s in self.spans]
