"""Landmark recordings: poses saved as JSON lines, replayed without the model.

One line per frame: ``{"t": s, "xy": [[x, y]...33], "vis": [...33], "world": [[x, y, z]...] | null,
"size": [w, h], "n_people": n, "cut": true?}`` or ``{"t": s, "pose": null}`` for a frame
without a person; an optional first line ``{"meta": {...}}`` (source, fps, exercise...).
``posecoach analyze --save-landmarks`` writes them, ``posecoach replay`` reads them,
and the synthetic generator uses the same format.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from posecoach.core.pipeline import RawFrame
from posecoach.core.types import Pose
from posecoach.errors import OutputError, SourceError
from posecoach.io.atomic import atomic_open, os_error_message

__all__ = ["iter_recording", "read_recording", "write_recording"]

Frame3 = RawFrame  # (t, pose or None, cut): what ``Pipeline(record=...)`` collects


def _record(t: float, p: Pose | None, cut: bool) -> dict[str, Any]:
    if p is None:
        rec: dict[str, Any] = {"t": t, "pose": None}
    else:
        rec = {
            "t": t,
            "xy": np.round(p.xy, 3).tolist(),
            "vis": np.round(p.visibility, 4).tolist(),
            "world": None if p.world is None else np.round(p.world, 5).tolist(),
            "size": list(p.size_wh),
            "n_people": p.n_people,
        }
    if cut:
        rec["cut"] = True
    return rec


def write_recording(path: str | Path, frames: Iterable[tuple], meta: dict[str, Any] | None = None) -> None:
    """Write ``(t, pose)`` or ``(t, pose, cut)`` tuples, atomically: on a full disk (or any write
    error) the file is as it was, and ``OutputError`` names it."""
    path = Path(path)
    try:
        with atomic_open(path, "w") as fh:
            if meta is not None:
                fh.write(json.dumps({"meta": meta}) + "\n")
            for item in frames:
                t, p = item[0], item[1]
                cut = bool(item[2]) if len(item) > 2 else False
                fh.write(json.dumps(_record(t, p, cut)) + "\n")
    except OSError as e:
        raise OutputError(os_error_message(path, e)) from None


def _size_wh(v: Any) -> tuple[int, int]:
    """A recorded ``[width, height]``: two positive whole numbers."""
    w, h = v
    if not all(isinstance(x, int | float) and not isinstance(x, bool) and 0 < x < 1e6 for x in (w, h)):
        raise ValueError(f"size must be [width, height] in pixels, got {v!r:.60}")
    return int(w), int(h)


def _time(v: Any) -> float:
    """A recorded time: a finite number of seconds (``"nan"`` or ``1e400`` are not)."""
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise TypeError(f"t must be a number of seconds, got {type(v).__name__}")
    t = float(v)
    if not math.isfinite(t) or abs(t) > 1e9:
        raise ValueError(f"t must be a finite number of seconds, got {v!r:.40}")
    return t


def _array(v: Any, name: str) -> np.ndarray:
    """A recorded array of finite numbers (its shape is checked by ``Pose``)."""
    a = np.asarray(v, dtype=float)
    if not np.isfinite(a).all() or (a.size and np.abs(a).max() > 1e9):
        raise ValueError(f"{name} holds a value that is not a finite number")
    return a


def _frame(rec: Any) -> Frame3 | dict:
    """One parsed line: the meta dict, or ``(t, pose or None, cut)``; ``ValueError``/``TypeError``/
    ``KeyError``/``OverflowError`` when it is not a landmark frame."""
    if not isinstance(rec, dict):
        raise TypeError(f"expected a JSON object, got {type(rec).__name__}")
    if "meta" in rec and "t" not in rec:
        if not isinstance(rec["meta"], dict):
            raise TypeError("meta must be a JSON object")
        return dict(rec["meta"])
    t = _time(rec["t"])
    cut = bool(rec.get("cut", False))
    if rec.get("xy") is None:
        return (t, None, cut)
    world = rec.get("world")
    n_people = rec.get("n_people", 1)
    if isinstance(n_people, bool) or not isinstance(n_people, int) or not 0 <= n_people < 1000:
        raise ValueError(f"n_people must be a whole number, got {n_people!r:.40}")
    pose = Pose(
        xy=_array(rec["xy"], "xy"),
        visibility=_array(rec["vis"], "vis"),
        world=None if world is None else _array(world, "world"),
        size_wh=_size_wh(rec.get("size", (640, 480))),
        n_people=n_people,
    )
    return (t, pose, cut)


def iter_recording(path: str | Path) -> Iterator[Frame3 | dict]:
    """Yield the meta dict (if any) first, then ``(t, pose, cut)`` per frame."""
    path = Path(path)
    try:
        fh = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by the `with` below
    except OSError as e:
        raise SourceError(f"{path}: cannot open the landmark recording ({e.strerror or e})") from None
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = _frame(json.loads(line))
            except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as e:
                detail = " ".join(str(e).split())[:160]
                raise SourceError(
                    f"{path}: line {n} is not a landmark frame ({type(e).__name__}: {detail}); "
                    "record it again with `posecoach analyze --save-landmarks`"
                ) from None
            yield item


def read_recording(path: str | Path) -> tuple[list[Frame3], dict[str, Any]]:
    frames: list[Frame3] = []
    meta: dict[str, Any] = {}
    for item in iter_recording(path):
        if isinstance(item, dict):
            meta = item
        else:
            frames.append(item)
    return frames, meta
