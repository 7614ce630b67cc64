"""Adapter around MediaPipe's ``PoseLandmarker``: BGR frames in, :class:`Pose` out.

This is the only module that imports ``mediapipe`` (lazily, when a
:class:`PoseEstimator` is made).

- ``mode="video"`` (default) uses ``detect_for_video``: the detector runs only
  when tracking is lost, so it is faster and steadier; timestamps must rise, and
  a non-increasing one is bumped to 1 ms after the previous.
- ``mode="image"`` uses ``detect``: every call is independent (single photos).

Several people.  In IMAGE mode the landmarker reports up to ``num_poses`` of
them (default 2); we return the one whose **visible** landmarks (visibility >=
0.5; all of them if none is) span the largest bounding box, usually the person
nearest the camera, and put how many were seen in ``Pose.n_people``.

In VIDEO mode the tracking landmarker always runs with ``num_poses=1``: while
fewer people are tracked than ``num_poses`` allows, MediaPipe runs its person
detector on *every* frame to look for more, which costs about 28 ms a frame
instead of about 18 ms (2-core CPU, full model).  People are counted instead by
a second landmarker in IMAGE mode (``num_poses=3``) run on one frame every
``people_every_s`` seconds of video time (default 1.0).  ``Pose.n_people`` is
the latest count (at least 1) and is kept until the next check, so a second
person seen once is reported for the next second of frames.  The tracked person
is the one MediaPipe's detector picked when tracking (re)started, usually the
most prominent one; it is not switched when someone larger walks in while
tracking holds.  But when the tracked person is not in the exercise's
``posture`` (a clinician kneeling behind a side-lying patient is followed), the
counter runs on that frame and the person who is in it is taken from its
landmarks (``core.people``; about 30 ms more, on such frames only); when it
finds nobody in the posture, the frame has no person if someone else is seen or
someone in the posture was seen in the last two seconds, and otherwise the person
followed (alone, just out of the posture).
``people_every_s=0`` turns counting off (``n_people`` is then always 1), and so
does ``num_poses=1``, which has always meant "do not look
for a second person".  Other ``num_poses`` values do not change tracking.

Speed (2-core CPU, full model, 960x544): VIDEO mode about 19-20 ms a frame
(with ``num_poses=2`` tracking it was about 31 ms) plus, once a second, one
IMAGE-mode check of about 30 ms: the frame it falls on takes about 50 ms, and
on average it adds about 1 ms a frame at 30 frames/s (4%).  IMAGE mode about
28 ms a frame.  The adapter itself adds about 0.1 ms (colour conversion,
``mp.Image``, numpy conversion).  ``bench/bench_pipeline.py`` measures this.

Always close the estimator (``with PoseEstimator() as est: ...``): an unclosed
landmarker raises a TypeError at interpreter exit.

Nothing is sent anywhere.  MediaPipe 1.x's native library (``libmediapipe.so``; checked on
1.2.3) gives every landmarker Google's usage-logging client (``util/analytics``:
``TasksStatsProtoLogger`` -> ``HttpLoggingClient`` -> libcurl POST to
``https://play.googleapis.com/log``, the task name, running mode, OS, Python version and
latencies) and has no option, flag or environment variable to turn it off: its factory
always builds the HTTP client and the Python wrapper only passes a CA bundle for it.  Its
libcurl takes the proxy from the environment at each post and sets none of its own, so
:func:`block_usage_logging` points ``https_proxy``/``http_proxy`` at a scheme libcurl does
not know (and drops ``no_proxy``, which could exempt the host): every post then fails inside
libcurl before any name look-up or connection.  It runs in each process before its first
landmarker (the CLI, the app's worker, Dask workers).  ``tests/cli/test_no_network.py``
traces ``posecoach analyze`` with strace to prove it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from posecoach.errors import ModelError
from posecoach.core.landmarks import N_LANDMARKS
from posecoach.core.people import choose_person, fits_posture
from posecoach.io.pose_model import NO_NETWORK_PROXY, check_model, find_model
from posecoach.core.types import Pose

__all__ = ["PoseEstimator", "block_usage_logging"]

_VISIBLE = 0.5

_PROXY_VARS = ("https_proxy", "http_proxy")  # libcurl reads the lower-case ones first
_NO_PROXY_VARS = ("no_proxy", "NO_PROXY")  # e.g. no_proxy=* would bypass the proxy


def block_usage_logging() -> None:
    """Make MediaPipe's native usage logging fail before it reaches the network (module docstring).

    Idempotent; it only writes the environment when something differs, so calling it before
    every landmarker costs nothing once done.  posecoach itself never uses the network (the
    model is built by ``posecoach setup-model``, a process that makes no landmarker).
    """
    for name in _PROXY_VARS:
        if os.environ.get(name) != NO_NETWORK_PROXY:
            os.environ[name] = NO_NETWORK_PROXY
    for name in _NO_PROXY_VARS:
        if name in os.environ:
            del os.environ[name]


def _abandon(landmarker: object) -> None:
    """Make a MediaPipe landmarker whose ``close()`` failed inert.  After a graph error its close
    raises the error again and leaves its handle set, and the second close (its ``__del__``, at
    any later garbage collection) then blocks for ever in the native call: the whole batch hung."""
    if hasattr(landmarker, "_handle"):
        landmarker._handle = None


class PoseEstimator:
    """Pose landmarks for one frame at a time, on the CPU (a ``posecoach.core.pipeline.Estimator``).

    ``model_path``: a ``.task`` file or a models folder (default: :func:`find_model`).
    ``num_poses``: in IMAGE mode, how many people the landmarker reports; in VIDEO
    mode tracking always follows one person and ``num_poses=1`` turns the people
    count off (see the module docstring).
    ``people_every_s``: VIDEO mode only; seconds of video time between two people
    counts (0 turns counting off).
    ``posture``: the exercise's posture (``Exercise.posture``).  VIDEO mode, while several
    people are seen: when the person tracked is not in that posture, the one who is is
    taken from the people counter's landmarks of the same frame (``core.people``).
    ``video_fps``: VIDEO mode, when it is given only some of a video's frames (``analyze
    --analysis-fps``), the video's own rate: visibility is then smoothed by time, as it would
    be on every frame (:class:`_VisibilityByTime`).
    """

    PEOPLE_NUM_POSES = 3
    REFIT_MS = 2000  # for this long after someone in the posture was seen, nobody beats the wrong person

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        mode: Literal["video", "image"] = "video",
        num_poses: int = 2,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        people_every_s: float = 1.0,
        posture: str = "any",
        video_fps: float | None = None,
    ) -> None:
        if mode not in ("video", "image"):
            raise ValueError(f"mode must be 'video' or 'image', got {mode!r}")
        if num_poses < 1:
            raise ValueError(f"num_poses must be at least 1, got {num_poses}")
        if not people_every_s >= 0:  # also refuses NaN
            raise ValueError(f"people_every_s must be 0 or more, got {people_every_s}")
        path = find_model(model_path)
        check_model(path)
        self.model_path: Path = path
        self.mode = mode
        self._landmarker = None
        self._counter = None
        self._last_ms = -1
        # People count (VIDEO mode): the latest sampled count and when the next check is due.
        self.people_every_s = float(people_every_s) if (mode == "video" and num_poses > 1) else 0.0
        self._people = 1
        self._next_check_ms: int | None = None
        self.posture = posture  # the exercise's (core.people): who to follow among several people
        self._chosen: Pose | None = None
        self._fit_ms = -10**9  # when a person in the posture was last returned
        self._visibility = _VisibilityByTime(video_fps) if (mode == "video" and video_fps) else None

        block_usage_logging()  # before the native library is loaded and any landmarker exists
        with _no_pyplot():
            import mediapipe as mp  # lazy: only this adapter needs it
            from mediapipe.tasks.python import BaseOptions
            from mediapipe.tasks.python import vision

        self._mp_image = mp.Image
        self._srgb = mp.ImageFormat.SRGB

        def make(running_mode, n: int):
            options = vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(path), delegate=BaseOptions.Delegate.CPU),
                running_mode=running_mode,
                num_poses=int(n),
                min_pose_detection_confidence=float(min_detection_confidence),
                min_pose_presence_confidence=float(min_presence_confidence),
                min_tracking_confidence=float(min_tracking_confidence),
                output_segmentation_masks=False,
            )
            try:
                return vision.PoseLandmarker.create_from_options(options)
            except Exception as exc:  # the C++ side reports bad models as RuntimeError/ValueError
                why = " ".join(str(exc).split())[:200]
                raise ModelError(
                    f"model file {path} cannot be loaded ({why}); "
                    "delete it and run `posecoach setup-model`"
                ) from None

        self._make = make
        self._video_mode = vision.RunningMode.VIDEO
        with _native_quiet():
            self._create(make, vision, mode, num_poses)
        self._loud_calls_left = 2  # the first inferences also log set-up chatter

    def _create(self, make, vision, mode: str, num_poses: int) -> None:
        if mode == "video":
            self._landmarker = make(vision.RunningMode.VIDEO, 1)
            self._run = self._landmarker.detect_for_video
            if self.people_every_s > 0:
                try:
                    self._counter = make(vision.RunningMode.IMAGE, max(self.PEOPLE_NUM_POSES, num_poses))
                except ModelError:
                    self.close()
                    raise
        else:
            self._landmarker = make(vision.RunningMode.IMAGE, num_poses)
            self._run = self._landmarker.detect

    # -- lifetime -------------------------------------------------------------------

    def restart(self, posture: str | None = None, *, video_fps: float | None = None) -> None:
        """Ready for another video, giving exactly what a new estimator would, but cheaper: the
        model stays checked and loaded, and the people counter (IMAGE mode, which keeps nothing
        from one frame to the next) is kept.  The VIDEO-mode tracker is built again: it carries
        the last video's person and its landmark filters, and starts its timestamps again at 0;
        feeding it an empty frame and shifting the times does not clear it (measured: every pose
        of the next video then differs from a new estimator's).  ``posture``: the next video's
        exercise's, if it changes; ``video_fps``: as for a new estimator (the next video's rate when
        only some of its frames are analysed).  Costs 0.24 s against 0.67 s for a new estimator (2 busy
        cores, ``bench/results/batch_memory.md``).
        """
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        if self.mode == "video":
            old, self._landmarker = self._landmarker, None
            with _native_quiet():
                try:
                    old.close()
                except Exception:  # its graph failed on the last video: drop it, build a new one
                    _abandon(old)
                self._landmarker = self._make(self._video_mode, 1)
            self._run = self._landmarker.detect_for_video
        self._visibility = _VisibilityByTime(video_fps) if (self.mode == "video" and video_fps) else None
        self._last_ms = -1
        self._people = 1
        self._next_check_ms = None
        self._chosen = None
        self._fit_ms = -10**9
        if posture is not None:
            self.posture = posture
        self._loud_calls_left = 2

    def close(self) -> None:
        """Release the landmarker(s); safe to call twice, and after MediaPipe failed.  Quietly: the
        native side logs one ``INFO: [accelerator_registry.cc:43] DestroyAccelerator`` line per graph."""
        for name in ("_landmarker", "_counter"):
            landmarker = getattr(self, name)
            setattr(self, name, None)
            if landmarker is not None:
                with _native_quiet():
                    try:
                        landmarker.close()
                    except Exception:  # its graph failed (the frame's error is already raised): abandon it
                        _abandon(landmarker)

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- per frame ------------------------------------------------------------------

    def detect(self, image_bgr: np.ndarray, t_s: float = 0.0) -> Pose | None:
        """Landmarks of the main person in a BGR uint8 image, or None if nobody is found.

        ``t_s`` (seconds) matters in video mode only.
        """
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        if image_bgr.ndim == 2:
            rgb = cv2.cvtColor(image_bgr, cv2.COLOR_GRAY2RGB)
        elif image_bgr.shape[2] == 4:
            rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGRA2RGB)
        else:
            rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        mp_image = self._mp_image(image_format=self._srgb, data=rgb)
        if self._loud_calls_left > 0:
            self._loud_calls_left -= 1
            with _native_quiet():
                return self._detect(mp_image, rgb, t_s)
        return self._detect(mp_image, rgb, t_s)

    def _detect(self, mp_image, rgb: np.ndarray, t_s: float) -> Pose | None:
        h, w = rgb.shape[:2]
        if self.mode != "video":
            result = self._run(mp_image)
            people = self._poses(result, w, h, len(result.pose_landmarks or []))
            return people[_largest_pose(people)] if people else None
        ms = int(round(t_s * 1000.0))
        if ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        result = self._run(mp_image, ms)
        if self._counter is not None and (self._next_check_ms is None or ms >= self._next_check_ms):
            self._people = max(1, len(self._counter.detect(mp_image).pose_landmarks))
            self._next_check_ms = ms + int(round(self.people_every_s * 1000.0))
        tracked = self._poses(result, w, h, self._people)
        if self._visibility is not None:
            tracked = self._visibility.apply(tracked, ms)
        pose = tracked[_largest_pose(tracked)] if tracked else None
        if pose is not None and self._counter is not None and not fits_posture(pose, self.posture):
            # The one followed is not in the exercise's posture: if someone else is seen (the
            # clinician kneeling behind the patient is followed), take the one who is
            # (core.people); with nobody in the posture among several, nobody rather than the
            # wrong person; alone, the person followed (just out of the posture).
            found = self._counter.detect(mp_image)
            self._people = max(1, len(found.pose_landmarks or []))
            others = self._poses(found, w, h, self._people)
            i = choose_person(others, self.posture, self._chosen)
            if i is not None:
                pose = others[i]
            elif len(others) >= 2 or ms - self._fit_ms <= self.REFIT_MS:
                pose = None  # the detector missed the person in posture for a frame or two
        if pose is not None and fits_posture(pose, self.posture):
            self._fit_ms = ms
        self._chosen = pose
        if pose is not None and pose.n_people != self._people:  # alone after the counter's look
            pose = dataclasses.replace(pose, n_people=self._people)
        return pose

    def _poses(self, result, w: int, h: int, n_people: int) -> list[Pose]:
        """Every person in a landmarker result, in pixels (with world landmarks when given)."""
        out = []
        worlds = result.pose_world_landmarks or []
        for k, lms in enumerate(result.pose_landmarks or []):
            a = np.array([(p.x, p.y, p.visibility or 0.0) for p in lms], dtype=np.float64)
            if a.shape[0] != N_LANDMARKS:
                raise ModelError(
                    f"model {self.model_path} returned {a.shape[0]} landmarks, not {N_LANDMARKS}; "
                    "use a pose_landmarker .task bundle"
                )
            world = np.array([(p.x, p.y, p.z) for p in worlds[k]], dtype=np.float64) if k < len(worlds) else None
            out.append(Pose(xy=a[:, :2] * (w, h), visibility=a[:, 2].copy(), world=world, size_wh=(w, h),
                            n_people=n_people))
        return out


class _VisibilityByTime:
    """MediaPipe's tracking landmarker smooths each landmark's visibility per *frame* (a low-pass
    filter that moves :attr:`ALPHA` of the way to the new value on every call, reset when the
    person is lost), so on a video analysed at a third of its rate a joint coming into view
    crosses the 0.5 visibility a session needs three times later: on the team's lunge clip the
    first rep, started 0.4 s in, was missed at 10 frames a second.  This undoes MediaPipe's step
    (its input is ``(v - (1 - ALPHA) * v_before) / ALPHA``) and smooths again by time, as if
    every frame of the video had been seen: ``1 - (1 - ALPHA) ** frames_spanned`` of the way.
    On every frame it gives MediaPipe's own values back.  Landmark positions need nothing: their
    filter already works in time (it is given the timestamps).
    """

    ALPHA = 0.1  # MediaPipe's pose graph: visibility_smoothing low_pass_filter alpha

    def __init__(self, video_fps: float) -> None:
        self.frame_ms = 1000.0 / video_fps
        self._mp: np.ndarray | None = None  # MediaPipe's visibility on the last call
        self._ours: np.ndarray | None = None
        self._ms = 0

    def apply(self, tracked: list[Pose], ms: int) -> list[Pose]:
        if not tracked:
            self._mp = self._ours = None  # MediaPipe starts its filter again with the next person
            return tracked
        pose = tracked[0]
        v = pose.visibility
        if self._mp is None or self._ours is None:
            ours = v
        else:
            seen = np.clip((v - (1.0 - self.ALPHA) * self._mp) / self.ALPHA, 0.0, 1.0)
            frames = max(1, round((ms - self._ms) / self.frame_ms))  # as many steps as frames passed
            ours = self._ours + (1.0 - (1.0 - self.ALPHA) ** frames) * (seen - self._ours)
        self._mp, self._ours, self._ms = v, ours, ms
        return [dataclasses.replace(pose, visibility=ours), *tracked[1:]]


def _largest_pose(people: list[Pose]) -> int:
    """Index of the person whose visible landmarks span the largest box (in pixels)."""
    if len(people) == 1:
        return 0
    areas = []
    for p in people:
        pts = p.xy[p.visibility >= _VISIBLE]
        if len(pts) < 2:
            pts = p.xy
        span = pts.max(axis=0) - pts.min(axis=0)
        areas.append(float(span[0] * span[1]))
    return int(np.argmax(areas))


class _NotLoaded(types.ModuleType):
    def __getattr__(self, name: str):
        raise AttributeError(f"{self.__name__} was not loaded for mediapipe's drawing helpers (posecoach does "
                             "not use them)")


@contextlib.contextmanager
def _no_pyplot() -> Iterator[None]:
    """Import mediapipe without matplotlib: its vision package imports its drawing helpers, and they
    ``matplotlib.pyplot``, about 0.45 s of CPU at every ``posecoach analyze`` start (a third of the
    start-up) for plots posecoach never asks of it.  While mediapipe is imported, ``matplotlib``
    and ``matplotlib.pyplot`` are empty stand-ins (unless matplotlib is already loaded); they are
    removed afterwards, so a later ``import matplotlib`` (the reports) loads the real one."""
    if "matplotlib" in sys.modules or "mediapipe" in sys.modules:
        yield
        return
    placed = {name: _NotLoaded(name) for name in ("matplotlib", "matplotlib.pyplot")}
    sys.modules.update(placed)
    try:
        yield
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


@contextlib.contextmanager
def _native_quiet() -> Iterator[None]:
    """Silence what TFLite/MediaPipe's C++ side prints to fd 2 while it sets up.

    It logs alignment and feedback-manager notices that mean nothing to a user; our own
    errors are raised as exceptions and reported in one line.  Set POSECOACH_NATIVE_LOGS=1
    to see them.
    """
    if os.environ.get("POSECOACH_NATIVE_LOGS"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
