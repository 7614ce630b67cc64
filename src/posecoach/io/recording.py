"""Landmark recordings: poses saved as JSON lines, replayed without the model.

One line per frame: ``{"t": s, "xy": [[x, y]...33], "vis": [...33], "world": [[x, y, z]...] | null,
"size": [w, h], "n_people": n, "cut": true?}`` or ``{"t": s, "pose": null}`` for a frame
without a person; an optional first line ``{"meta": {...}}`` (source, fps, exercise...).
``posecoach analyze --save-landmarks`` writes them, ``posecoach replay`` reads them,
and the synthetic generator uses the same format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from posecoach.core.pipeline import RawFrame
from posecoach.core.types import Pose
from posecoach.errors import SourceError

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
    """Write ``(t, pose)`` or ``(t, pose, cut)`` tuples."""
    with open(path, "w", encoding="utf-8") as fh:
        if meta is not None:
            fh.write(json.dumps({"meta": meta}) + "\n")
        for item in frames:
            t, p = item[0], item[1]
            cut = bool(item[2]) if len(item) > 2 else False
            fh.write(json.dumps(_record(t, p, cut)) + "\n")


def _size_wh(v: Any) -> tuple[int, int]:
    """A recorded ``[width, height]``."""
    w, h = v
    return int(w), int(h)


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
                rec = json.loads(line)
                if "meta" in rec and "t" not in rec:
                    yield dict(rec["meta"])
                    continue
                t = float(rec["t"])
                cut = bool(rec.get("cut", False))
                if rec.get("xy") is None:
                    yield (t, None, cut)
                    continue
                world = rec.get("world")
                pose = Pose(
                    xy=np.asarray(rec["xy"], float),
                    visibility=np.asarray(rec["vis"], float),
                    world=None if world is None else np.asarray(world, float),
                    size_wh=_size_wh(rec.get("size", (640, 480))),
                    n_people=int(rec.get("n_people", 1)),
                )
            except (ValueError, KeyError, TypeError) as e:
                raise SourceError(
                    f"{path}: line {n} is not a landmark frame ({type(e).__name__}: {e}); "
                    "record it again with `posecoach analyze --save-landmarks`"
                ) from None
            yield (t, pose, cut)


def read_recording(path: str | Path) -> tuple[list[Frame3], dict[str, Any]]:
    frames: list[Frame3] = []
    meta: dict[str, Any] = {}
    for item in iter_recording(path):
        if isinstance(item, dict):
            meta = item
        else:
            frames.append(item)
    return frames, meta
