"""How close one rep is to a reference rep: dynamic time warping on normalised main-angle trajectories (pure numpy).

A rep's trajectory is the main angle over the rep, either a plain 1-D array of values (evenly
sampled) or an ``(n, 2)`` array of ``(t seconds, value)`` rows.  Both reps are prepared the same way:

1. **Baseline and direction.**  The baseline of each trajectory is its own resting value (the median
   of its first and last eighth, where the rep starts and ends at rest); the direction (angle rising or
   falling toward the peak) and the *range* come from the reference: range = how far the reference
   goes from its baseline (98th percentile of the deviation, so one noisy frame does not set it).
2. **Amplitude.**  ``y = direction * (value - own baseline) / reference range``: the reference goes
   from 0 (rest) to 1 (peak); a rep that only reaches 60 % of the reference's range tops out at 0.6.
   Subtracting each rep's own baseline means a patient who rests a few degrees differently (or a camera
   placed differently) is not penalised; what counts is the movement.
3. **Movement only.**  The movement is the one excursion around the rep's peak that stays more than
   10 % of the range away from rest; what comes before and after it is dropped (one sample is kept on
   each side), so the rep windows of the engine (which depend on the thresholds used) do not matter,
   nor does a pause or a shuffle at rest.
4. **Time.**  The movement is resampled to ``N_POINTS`` (50) points: tempo no longer changes the
   shape.  Tempo is scored apart, from the movement's duration, when the trajectories carry times.

Distance: DTW between the two 50-point curves with a Sakoe-Chiba band of ``BAND`` (10 %, i.e. 5 points)
either side of the diagonal, cost ``|y_ref - y_rep|``; ``d`` = the mean cost along the optimal path (in
units of the reference's range).  With times, ``d += TEMPO_WEIGHT * |log2(duration / reference
duration)|`` (0.15: a rep twice as fast, or twice as slow, adds 0.15).

Score (the mapping)::

    similarity = 100 * max(0, 1 - d / D_ZERO)        D_ZERO = 0.5

so 100 = the same movement, 90 = off by 5 % of the reference's range on average, 50 = off by a quarter
of the range (e.g. a bridge whose hips stay well below the line), 0 = off by half the range or more.

The phase that differs most: the reference movement is cut into thirds (``rise``, ``top``, ``return``);
every step of the DTW path is charged to the third of its reference sample, and the third with the
largest mean cost is reported.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "BAND",
    "D_ZERO",
    "N_POINTS",
    "PHASES",
    "TEMPO_WEIGHT",
    "TRIM",
    "dtw",
    "medoid",
    "prepare",
    "rep_distance",
    "rep_similarity",
    "rep_trajectory",
]

N_POINTS = 50
BAND = 0.10
D_ZERO = 0.5
TEMPO_WEIGHT = 0.15
TRIM = 0.10
PHASES = ("rise", "top", "return")


def _as_tv(traj: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """(times, values, has_times) with NaN samples dropped."""
    a = np.asarray(traj, dtype=float)
    if a.ndim == 1:
        t, v, timed = np.arange(a.size, dtype=float), a, False
    elif a.ndim == 2 and a.shape[1] == 2:
        t, v, timed = a[:, 0], a[:, 1], True
    else:
        raise ValueError(f"a rep trajectory is a 1-D array of angles or an (n, 2) array of (t, angle), got shape {a.shape}")
    ok = np.isfinite(v) & np.isfinite(t)
    t, v = t[ok], v[ok]
    if v.size < 3:
        raise ValueError("a rep trajectory needs at least 3 frames with the main angle")
    return t, v, timed


def _baseline(v: np.ndarray) -> float:
    k = max(2, v.size // 8)
    return float(np.median(np.concatenate([v[:k], v[-k:]])))


def _direction_and_range(v: np.ndarray, base: float) -> tuple[float, float]:
    up = float(np.percentile(v - base, 98))
    down = float(np.percentile(base - v, 98))
    sign = 1.0 if up >= down else -1.0
    rng = max(up, down)
    if not rng > 1e-6:
        raise ValueError("the reference rep does not move: it has no range to compare with")
    return sign, rng


def prepare(traj: np.ndarray, sign: float, rng: float, n: int = N_POINTS) -> tuple[np.ndarray, float]:
    """The normalised, trimmed, resampled curve (``n`` points) and the movement's duration
    (seconds when the trajectory has times, else in samples)."""
    t, v, _ = _as_tv(traj)
    y = sign * (v - _baseline(v)) / rng
    top = int(np.argmax(y))
    if y[top] >= TRIM:
        # the one excursion around the peak: a later step or shuffle at rest is not part of the rep
        i0, i1 = top, top
        while i0 > 0 and y[i0 - 1] >= TRIM:
            i0 -= 1
        while i1 < y.size - 1 and y[i1 + 1] >= TRIM:
            i1 += 1
        i0, i1 = max(0, i0 - 1), min(y.size - 1, i1 + 1)
        t, y = t[i0:i1 + 1], y[i0:i1 + 1]
    dur = float(t[-1] - t[0])
    if dur <= 0:
        return np.full(n, float(y.mean())), 0.0
    grid = np.linspace(t[0], t[-1], n)
    return np.interp(grid, t, y), dur


def dtw(a: np.ndarray, b: np.ndarray, band: int) -> tuple[float, list[tuple[int, int, float]]]:
    """DTW of two equal-length curves within a Sakoe-Chiba band: (total cost, path of (i, j, cost))."""
    n, m = len(a), len(b)
    band = max(int(band), abs(n - m))
    inf = math.inf
    acc = np.full((n + 1, m + 1), inf)
    acc[0, 0] = 0.0
    cost = np.abs(a[:, None] - b[None, :])
    for i in range(1, n + 1):
        lo, hi = max(1, i - band), min(m, i + band)
        for j in range(lo, hi + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    path = []
    i, j = n, m
    while i > 0 and j > 0:
        path.append((i - 1, j - 1, float(cost[i - 1, j - 1])))
        steps = ((acc[i - 1, j - 1], i - 1, j - 1), (acc[i - 1, j], i - 1, j), (acc[i, j - 1], i, j - 1))
        _, i, j = min(steps, key=lambda s: s[0])
    path.reverse()
    return float(acc[n, m]), path


def rep_distance(reference_rep: np.ndarray, rep: np.ndarray) -> tuple[float, dict[str, float]]:
    """``d`` (see the module docstring) and the mean cost per phase (plus ``tempo`` when timed)."""
    _, rv, timed_ref = _as_tv(reference_rep)
    _, _, timed = _as_tv(rep)
    sign, rng = _direction_and_range(rv, _baseline(rv))
    a, dur_ref = prepare(reference_rep, sign, rng)
    b, dur = prepare(rep, sign, rng)
    _, path = dtw(a, b, round(BAND * N_POINTS))
    costs = np.array([c for _, _, c in path])
    d = float(costs.mean())
    phase = {}
    for k, name in enumerate(PHASES):
        sel = [c for i, _, c in path if min(2, i * 3 // N_POINTS) == k]
        phase[name] = float(np.mean(sel)) if sel else 0.0
    if timed_ref and timed and dur_ref > 0 and dur > 0:
        tempo = TEMPO_WEIGHT * abs(math.log2(dur / dur_ref))
        phase["tempo"] = tempo
        d += tempo
    return d, phase


def rep_similarity(reference_rep: np.ndarray, rep: np.ndarray) -> tuple[float, str]:
    """0-100 (100 = the same movement) and the phase that differs most: ``rise``, ``top`` or ``return``.

    Raises ``ValueError`` when either trajectory has fewer than 3 usable frames or the reference does
    not move."""
    d, per_phase = rep_distance(reference_rep, rep)
    score = 100.0 * max(0.0, 1.0 - d / D_ZERO)
    worst = max(PHASES, key=lambda p: per_phase[p])
    return round(score, 1), worst


def rep_trajectory(trace_t, trace_v, start_s: float, end_s: float, *, lo_s: float = -math.inf,
                   hi_s: float = math.inf, pad_s: float = 0.75) -> np.ndarray:
    """The ``(n, 2)`` trajectory ``(t - start, angle)`` of the rep ``[start_s, end_s]`` in a trace,
    widened by ``pad_s`` of rest on each side (but not past ``lo_s`` / ``hi_s``, the neighbouring reps),
    so the rep's own resting value is in it.  Frames without the angle (NaN) are left out."""
    t = np.asarray(trace_t, dtype=float)
    v = np.asarray([math.nan if x is None else x for x in trace_v], dtype=float)
    a = max(start_s - pad_s, lo_s)
    b = min(end_s + pad_s, hi_s)
    sel = (t >= a - 1e-9) & (t <= b + 1e-9) & np.isfinite(v)
    return np.column_stack([t[sel] - start_s, v[sel]])


def medoid(trajectories: list[np.ndarray]) -> int:
    """Index of the trajectory closest (summed DTW distance) to all the others: the most typical rep."""
    n = len(trajectories)
    if n <= 2:
        return 0
    total = np.zeros(n)
    for i in range(n):
        for j in range(n):
            if i != j:
                try:
                    total[i] += rep_distance(trajectories[i], trajectories[j])[0]
                except ValueError:
                    total[i] += math.inf
    return int(np.argmin(total))
