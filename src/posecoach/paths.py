"""Where posecoach finds its data folders.

``exercises/``, ``posture/`` and ``models/`` live at the repository root.  Environment
variables override them (``POSECOACH_EXERCISES``, ``POSECOACH_POSTURE``, ``POSECOACH_MODEL_DIR``);
``POSECOACH_HOME`` is the user's data folder (session history, settings).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["exercises_dir", "home_dir", "models_dir", "posture_file", "repo_root"]


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _pick(env: str, name: str) -> Path:
    if os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    candidate = repo_root() / name
    if candidate.is_dir():
        return candidate
    return Path.cwd() / name


def exercises_dir() -> Path:
    return _pick("POSECOACH_EXERCISES", "exercises")


def posture_file() -> Path:
    """The posture check's settings (``posture/posture_check.yaml``; ``POSECOACH_POSTURE`` names another file)."""
    if os.environ.get("POSECOACH_POSTURE"):
        return Path(os.environ["POSECOACH_POSTURE"]).expanduser()
    return _pick("POSECOACH_POSTURE_DIR", "posture") / "posture_check.yaml"


def models_dir() -> Path:
    return _pick("POSECOACH_MODEL_DIR", "models")


def home_dir() -> Path:
    if os.environ.get("POSECOACH_HOME"):
        return Path(os.environ["POSECOACH_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "posecoach"
