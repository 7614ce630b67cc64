"""The app's links to speech, the session history and the settings file (no Qt).

Each is made through one function so the window can be given fakes in tests,
and so a missing or broken part (no speech engine, an unwritable data folder)
turns into a message in the window instead of a crash.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from posecoach.core.cues import Cue

__all__ = [
    "NullHistory", "TextOnlySpeaker", "load_app_settings", "make_speaker", "open_clinic", "open_history", "save_app_settings",
]

log = logging.getLogger(__name__)


class TextOnlySpeaker:
    """Stands in for ``posecoach.io.speech.Speaker`` when it cannot be made: cues stay text."""

    def __init__(self, why: str) -> None:
        self.status = f"Speech is off: {why}. Cues are shown as text."
        self._told = False
        self.available = False
        self.audio = False
        self.muted = False
        self.last_started: list[tuple[float, str]] = []
        self.on_start = None

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 5.0) -> None:
        pass

    def say(self, cue: Cue) -> bool:
        return False

    def status_once(self) -> str | None:
        if self._told:
            return None
        self._told = True
        return self.status

    def set_muted(self, muted: bool) -> None:
        self.muted = muted

    def set_rate(self, rate_wpm: int) -> None:
        pass

    def set_voice(self, voice: str | None) -> None:
        pass

    def voices(self) -> list:
        return []


def make_speaker(settings: Any = None, backend: Any = "auto") -> Any:
    """A started ``Speaker`` with the patient's settings, or a ``TextOnlySpeaker``."""
    try:
        from posecoach.io.speech import Speaker
    except Exception as exc:
        return TextOnlySpeaker(f"the speech module could not be loaded ({exc})")
    kw: dict[str, Any] = {}
    if settings is not None:
        kw = {
            "rate_wpm": int(getattr(settings, "rate_wpm", 165) or 165),
            "voice": getattr(settings, "voice", None) or None,
            "muted": bool(getattr(settings, "muted", False)),
        }
    try:
        sp = Speaker(backend=backend, **kw)
        sp.start()
        return sp
    except Exception as exc:
        return TextOnlySpeaker(f"the speech engine failed to start ({exc})")


class DiscardingHistory:
    """A session history that keeps nothing: sessions get numbers, their reps and events go nowhere."""

    def __init__(self) -> None:
        self._n = 0

    def start_session(self, exercise_id: str, **kw: Any) -> int:
        self._n += 1
        return self._n

    def add_rep(self, *a: Any, **kw: Any) -> None:
        pass

    def add_event(self, *a: Any, **kw: Any) -> None:
        pass

    def finish_session(self, *a: Any, **kw: Any) -> None:
        pass

    def sessions(self, limit: int = 20) -> list[dict]:
        return []


class NullHistory(DiscardingHistory):
    """Used when the history database cannot be opened; the window says so (and tries it again)."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why

    def close(self) -> None:
        pass


def open_history() -> tuple[Any, str]:
    """The session history and an error message ("" when it opened)."""
    try:
        from posecoach.clinic.history import History

        h = History()
        enter = getattr(h, "__enter__", None)
        if enter is not None:
            h = enter()
        return h, ""
    except Exception as exc:
        msg = f"The session history cannot be saved ({exc})."
        log.warning(msg)
        return NullHistory(msg), msg


def open_clinic(history: Any) -> Any:
    """The patients' side of the same database (``posecoach.clinic.patients.Clinic``), or None when the
    history is not a real one (it could not be opened, or a test gave a fake)."""
    try:
        from posecoach.clinic.patients import Clinic
        from posecoach.clinic.history import History

        if isinstance(history, History):
            return Clinic(history=history)
    except Exception as exc:
        log.warning("clinic not opened: %s", exc)
    return None


@dataclass
class _FallbackSettings:
    camera_index: int = 0
    video_path: str | None = None
    exercise_id: str | None = None
    muted: bool = False
    count_aloud: bool = False
    rate_wpm: int = 165
    voice: str | None = None
    window_geometry: str | None = None
    last_pain: int | None = None


def load_app_settings(path: Any = None) -> Any:
    try:
        from posecoach.app.settings import load_settings

        return load_settings(path)
    except Exception as exc:
        log.warning("settings not loaded: %s", exc)
        return _FallbackSettings()


def save_app_settings(s: Any, path: Any = None) -> str:
    """Save; return an error message or ``""``."""
    try:
        from posecoach.app.settings import save_settings

        save_settings(s, path)
        return ""
    except Exception as exc:
        log.warning("settings not saved: %s", exc)
        return f"Settings not saved ({exc})."
