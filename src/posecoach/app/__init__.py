"""The patient's desktop app (PySide6): set-up, live coaching with spoken cues, summary.

- ``model``: pure app state (sets, rest countdown, live figures, overlay, summary text);
- ``worker``: the pipeline thread (newest frame only, pose estimator, session, speech);
- ``_qt``: the private Qt views;
- ``main.run_app(argv)``: the entry point (``posecoach`` / ``posecoach app``).

Qt is imported only by ``worker``, ``_qt`` and ``main``; ``import posecoach.app`` alone does not.
"""

from __future__ import annotations

from posecoach.app._compat import immortalize_singletons

__all__ = ["run_app"]

# PySide6 6.12.0 on CPython 3.11 drops references to None/True: see _compat.
immortalize_singletons()


def run_app(argv: list[str] | None = None) -> int:
    from posecoach.app.main import run_app as _run

    return _run(argv)
