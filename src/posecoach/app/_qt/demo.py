""""Try the demo" on the set-up screen: coaching on the generated demo video, no camera needed.

The same demo as ``posecoach app --demo`` (``posecoach.app.synthvideo.demo_video``: a stick figure
doing the chosen exercise if the demo has it, else glute bridges, and an estimator replaying the
poses it was drawn from, so no model is needed either), as one set of the reps it shows.  A demo is nobody's session and is not
stored: its run writes to a history that keeps nothing, so it never shows in a patient's progress
or the session list, and its temporary video is not remembered as the patient's video.  The
window's own estimator, history and clinic are left alone: the next real session uses the
camera and the model as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from posecoach.app.services import DiscardingHistory

__all__ = ["DemoHistory", "DemoSession", "start_demo"]


class DemoHistory(DiscardingHistory):
    """The demo's history: keeps nothing.  Not a ``NullHistory``, which the window would take for a
    database that failed to open (it would try to open the real one in its place, and the summary
    would say the session could not be saved)."""


@dataclass(frozen=True)
class DemoSession:
    """What a demo's session uses instead of the window's own (``MainWindow.start_session(demo=)``):
    the estimator replaying the demo's poses, and a history that keeps nothing (no clinic)."""

    estimator_factory: Callable[[], Any]
    history: DemoHistory


def start_demo(window: Any, exercise_id: str | None = None) -> bool:
    """Start coaching the demo in ``window`` (a ``MainWindow``); False if a session is running or
    the demo could not be made (the set-up screen says why)."""
    if window.worker is not None:
        return False
    from posecoach.app._qt.therapist.jobs import off_gui
    from posecoach.app.synthvideo import demo_video

    try:
        demo = off_gui(lambda: demo_video(exercise_id))  # writing the video takes a second or two
    except (OSError, ValueError) as exc:
        window.setup.show_error(f"The demo could not be made ({exc}).")
        return False
    session = DemoSession(estimator_factory=demo.estimator_factory, history=DemoHistory())
    # one set of the reps the video shows: the plan is done when the demo is
    return bool(window.start_session(str(demo.path), demo.exercise_id, None, 1, demo.reps, patient_id=None,
                                     demo=session))
