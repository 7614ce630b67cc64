"""Resumable ``posecoach analyze``: what makes a stored result up to date.

Each result JSON holds a ``"provenance"`` object: the video's content hash (sha256 of its
bytes), a hash of the exercise's validated definition, the posecoach version and the analysis
options that change results (the model file's hash, frame size, frames analysed a second,
people, session settings, the patient and, with ``--patient``, their targets and reference as
they are now).  A re-run into the same ``--out`` skips a video whose stored result has the same
provenance and no error (``--force`` redoes it); the check needs no other state.  With ``--patient`` a skipped video
stores no second session for the patient.

Hashing a video reads all of it, so the hashes are cached in ``.posecoach-hashes`` (JSON) in the
output folder, by absolute path, size and modification time: a re-run re-reads only the files
that changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import posecoach
from posecoach.core.exercise import Exercise
from posecoach.errors import PosecoachError
from posecoach.io.atomic import write_output

__all__ = ["HASH_CACHE", "HashCache", "exercise_sha256", "file_sha256", "provenance", "stored_result"]

HASH_CACHE = ".posecoach-hashes"  # JSON; not "*.json", which scripts take for results
_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> str:
    """The sha256 of a file's bytes, read in 1 MB pieces (videos can be gigabytes); ``progress`` is
    told the size of each piece."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            if progress is not None:
                progress(len(chunk))
    return h.hexdigest()


class HashCache:
    """File hashes kept by absolute path, size and ``st_mtime_ns`` in ``out_dir/HASH_CACHE``."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / HASH_CACHE
        self._dirty = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or unreadable: hash again
            data = {}
        self._entries: dict = data if isinstance(data, dict) else {}

    def _cached(self, key: str, st: os.stat_result) -> str | None:
        entry = self._entries.get(key)
        if isinstance(entry, dict) and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns:
            digest = entry.get("sha256")
            if isinstance(digest, str):
                return digest
        return None

    def to_read(self, path: str | os.PathLike[str]) -> int:
        """How many bytes ``sha256(path)`` will read (0 when its hash is cached or it is unreadable)."""
        try:
            st = os.stat(path)
        except OSError:
            return 0
        return 0 if self._cached(os.path.abspath(os.fsdecode(path)), st) else st.st_size

    def sha256(self, path: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> str | None:
        """The file's hash, from the cache when its size and time are unchanged; None if unreadable
        (its analysis then reports the problem)."""
        key = os.path.abspath(os.fsdecode(path))
        try:
            st = os.stat(path)
        except OSError:
            return None
        digest = self._cached(key, st)
        if digest is not None:
            return digest
        try:
            digest = file_sha256(path, progress)
        except OSError:
            return None
        self._entries[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        self._dirty = True
        return digest

    def save(self) -> None:
        """Write the cache (atomically) if it changed; a cache that cannot be written costs only time."""
        if not self._dirty:
            return
        try:
            write_output(self.path, json.dumps(self._entries, indent=1, sort_keys=True,
                                               ensure_ascii=True) + "\n")
        except PosecoachError:
            return
        self._dirty = False


def exercise_sha256(exercise: Exercise) -> str:
    """A hash of the exercise's validated content: the same definition gives the same hash
    whatever its file's time, layout or comments."""
    text = json.dumps(exercise.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(video_sha256: str | None, exercise: Exercise, options: dict) -> dict:
    """What a result depends on, recorded in it as ``"provenance"`` (as JSON gives it back, so that
    a stored one compares equal)."""
    prov = {
        "video_sha256": video_sha256,
        "exercise_sha256": exercise_sha256(exercise),
        "posecoach_version": posecoach.__version__,
        "options": options,
    }
    return json.loads(json.dumps(prov, default=str))


def result_options(opts, model_sha256: str | None) -> dict:
    """The analysis options (``batch.AnalyzeOptions``) that change a result, as JSON values."""
    options = {
        "model_sha256": model_sha256,
        "max_side": opts.max_side,
        "analysis_fps": opts.analysis_fps,
        "num_poses": opts.num_poses,
        "config": dataclasses.asdict(opts.config),
        "patient": opts.patient,
    }
    stand_in = getattr(opts, "estimator", None)
    if stand_in is not None:  # a test's stand-in for the model: its results are not the model's
        options["estimator"] = f"{stand_in.__module__}.{stand_in.__qualname__}"
    return options


def stored_result(json_path: Path, prov: dict) -> dict | None:
    """The result stored at ``json_path`` if it is complete and up to date for ``prov``, else None."""
    if prov.get("video_sha256") is None:
        return None
    try:
        stored = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or "error" in stored or stored.get("provenance") != prov:
        return None
    return stored
