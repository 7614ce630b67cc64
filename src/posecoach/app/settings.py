"""User settings remembered between runs: ``home_dir()/settings.json``.

``load_settings`` never fails: a missing file gives the defaults; a file that
is not JSON, a value of the wrong type or out of range, or an unknown key gives
the default for that part only, with a warning on the ``posecoach.app.settings``
logger.  ``save_settings`` writes a temporary file in the same folder, syncs it
and renames it over the old one, so a crash leaves either the old or the new
file, never half of one; it raises ``OutputError`` when the folder cannot be
written.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from posecoach.errors import OutputError
from posecoach.io.atomic import atomic_open
from posecoach.paths import home_dir

__all__ = ["Settings", "load_settings", "save_settings", "settings_path"]

log = logging.getLogger(__name__)

RATE_RANGE = (80, 400)


@dataclass
class Settings:
    camera_index: int = 0
    video_path: str | None = None
    exercise_id: str = "glute_bridge"
    muted: bool = False
    count_aloud: bool = False
    rate_wpm: int = 165
    voice: str | None = None
    window_geometry: str | None = None  # base64 of QWidget.saveGeometry()
    last_pain: int | None = None
    patient_id: int | None = None  # who was exercising last time (the clinic database's id)


def settings_path() -> Path:
    return home_dir() / "settings.json"


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _opt_str(v: Any) -> bool:
    return v is None or isinstance(v, str)


_CHECKS: dict[str, tuple[Any, str]] = {
    "camera_index": (lambda v: _int(v) and 0 <= v <= 99, "a camera number 0-99"),
    "video_path": (_opt_str, "a file path or null"),
    "exercise_id": (lambda v: isinstance(v, str) and v.strip() != "", "an exercise id"),
    "muted": (lambda v: isinstance(v, bool), "true or false"),
    "count_aloud": (lambda v: isinstance(v, bool), "true or false"),
    "rate_wpm": (lambda v: _int(v) and RATE_RANGE[0] <= v <= RATE_RANGE[1], f"words per minute {RATE_RANGE[0]}-{RATE_RANGE[1]}"),
    "voice": (_opt_str, "a voice id or null"),
    "window_geometry": (_opt_str, "a base64 string or null"),
    "last_pain": (lambda v: v is None or (_int(v) and 0 <= v <= 10), "0-10 or null"),
    "patient_id": (lambda v: v is None or (_int(v) and v > 0), "a patient id or null"),
}
assert set(_CHECKS) == {f.name for f in fields(Settings)}


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings; defaults for anything missing or bad (never raises)."""
    path = Path(path) if path is not None else settings_path()
    s = Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return s
    except (OSError, UnicodeDecodeError) as e:
        log.warning("settings %s cannot be read (%s): using the defaults", path, e)
        return s
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        log.warning("settings %s are not valid JSON (%s): using the defaults", path, e)
        return s
    if not isinstance(data, dict):
        log.warning("settings %s: expected a JSON object, got %s: using the defaults", path, type(data).__name__)
        return s
    for key, value in data.items():
        check = _CHECKS.get(key)
        if check is None:
            log.warning("settings %s: unknown setting %r ignored", path, key)
            continue
        ok, expected = check
        if not ok(value):
            log.warning(
                "settings %s: %s: expected %s, got %r: using the default %r", path, key, expected, value, getattr(s, key)
            )
            continue
        setattr(s, key, value)
    return s


def save_settings(s: Settings, path: Path | None = None) -> Path:
    """Write ``s`` atomically (temp file + rename); returns the path written."""
    path = Path(path) if path is not None else settings_path()
    text = json.dumps(asdict(s), indent=2, sort_keys=True) + "\n"
    try:
        with atomic_open(path, "w", make_parents=True) as f:
            f.write(text)
    except OSError as e:
        raise OutputError(
            f"settings {path} cannot be saved ({e.strerror or e}): free some space or check the folder's "
            "permissions (or set POSECOACH_HOME)"
        ) from e
    return path
