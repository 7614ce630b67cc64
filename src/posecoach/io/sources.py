"""Frame sources: video file, folder of images, webcam (the only OpenCV-reading module).

Each source is an iterable of ``Frame`` with timestamps in seconds from the
start, and a context manager that releases the device or file.  An
unopenable source raises ``SourceError`` with a one-line message.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from posecoach.errors import SourceError
from posecoach.core.types import Frame

__all__ = [
    "CAMERA_INDEX_MAX",
    "DEFAULT_MAX_SIDE",
    "IMAGE_SUFFIXES",
    "MIN_SIDE",
    "VIDEO_SUFFIXES",
    "CameraSource",
    "FrameSelector",
    "FrameSource",
    "ImageFolderSource",
    "ReconnectingSource",
    "VideoFileSource",
    "camera_index",
    "collect_videos",
    "open_source",
    "opencv_name",
]

#: The pose model finds no one, or a wrong pose, in smaller pictures.  Measured on skimage's
#: astronaut (a person filling the picture) scaled down: 16 px a pose half the picture away, 24 and
#: 32 px nobody, 48 px 2% of the picture off, 64 px 1.8%, 256 px 0.4%.  A whole body is smaller
#: in its picture than her upper body, hence the margin.
MIN_SIDE = 64
#: Frames are downscaled to this many pixels on their long side before they reach the estimator:
#: the model works on 224 and 256 px crops, so a larger picture only costs decoding copies and
#: time.  A 20-frame 4K clip with the model: peak memory 512 MB at full size, 453 MB at 1280 px,
#: 20% faster; a frame is read, used and dropped, so memory does not grow with the length.
DEFAULT_MAX_SIDE = 1280
# CAP_PROP_ORIENTATION_META (degrees to turn clockwise to stand the picture up) -> cv2.rotate code,
# as OpenCV's FFmpeg backend turns them itself when CAP_PROP_ORIENTATION_AUTO is on.
_ROTATIONS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


@contextmanager
def opencv_name(path: str | Path) -> Iterator[str]:
    """A name under which OpenCV can open ``path``: the path itself when it is valid UTF-8, else
    a link with an ASCII name in a private temporary folder (removed on exit).

    OpenCV kills the whole process (a segfault, not an exception) on a file name that is not
    valid UTF-8, which a POSIX file system allows (Python hands such names over with
    ``surrogateescape``)."""
    name = os.fspath(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        yield name
        return
    folder = tempfile.mkdtemp(prefix="posecoach-")
    suffix = Path(name).suffix
    link = os.path.join(folder, "video" + (suffix if suffix.isascii() else ""))
    try:
        try:
            os.symlink(os.path.abspath(name), link)
        except OSError:
            try:
                os.link(name, link)
            except OSError as e:
                shown = os.fsencode(name).decode("utf-8", "backslashreplace")
                raise SourceError(f"{shown}: the file name is not valid UTF-8 and cannot be linked to "
                                  f"({e.strerror or e}); rename the file") from None
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class FrameSource:
    fps: float = 30.0
    name: str = ""
    n_frames: int | None = None

    def __iter__(self) -> Iterator[Frame]:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoFileSource(FrameSource):
    """Frames of a video file, upright, at most ``max_side`` pixels on the long side.

    ``t`` comes from the container's timestamps (else index / fps), so a variable frame rate
    (phones) keeps true times.  A phone video's rotation metadata is applied: OpenCV's FFmpeg
    backend turns the frames itself (``CAP_PROP_ORIENTATION_AUTO``, on by default in OpenCV 4.5+
    and 5.x; set here explicitly); where a backend reports a rotation (``CAP_PROP_ORIENTATION_META``)
    but does not apply it, the frames are turned here.  A video smaller than :data:`MIN_SIDE`
    pixels on its short side is refused in one line; frames are never downscaled below it.

    ``analysis_fps``: yield only about that many frames a second (batch analysis), evenly spaced by
    container time (:class:`FrameSelector`), each with its true time and index; None, or a rate
    at or above the video's, yields every frame.  A skipped frame is only ``grab()``-ed: decoded,
    as the next frames need it, but not converted to BGR, turned or resized; with ``skipped``
    (the scene-cut detector's) it is converted and turned, not resized, and passed to it.
    ``frames_read`` counts every frame read, kept or skipped (a video's length in frames).
    """

    def __init__(self, path: str | Path, *, max_side: int | None = DEFAULT_MAX_SIDE,
                 analysis_fps: float | None = None, skipped: Callable[[np.ndarray], object] | None = None) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise SourceError(f"{self.path}: is a folder; pass the video files inside it")
        if self.path.stat().st_size == 0:
            raise SourceError(f"{self.path}: the file is empty; record or copy the video again")
        with opencv_name(self.path) as name:  # opened now: the link may go once it is
            self._cap = cv2.VideoCapture(name)
        if not self._cap.isOpened():
            raise SourceError(
                f"{self.path}: cannot open as a video (corrupt, or an unsupported format); "
                "convert it to MP4 (H.264) and try again"
            )
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else 30.0
        n = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.n_frames = n if n > 0 else None
        self.max_side = max_side
        if analysis_fps is not None and not analysis_fps > 0:  # also refuses NaN
            raise ValueError(f"analysis_fps must be above 0, got {analysis_fps}")
        self.analysis_fps = None if analysis_fps is None or analysis_fps >= self.fps else float(analysis_fps)
        self.frames_read = 0
        self.skipped = skipped
        self._rotate = self._orientation()
        ok, first = self._cap.read()
        if not ok or first is None:
            self._cap.release()
            raise SourceError(f"{self.path}: no frame could be decoded (corrupt or empty video)")
        self._first = self._upright(first)
        self._first_t = self._timestamp(None)
        h, w = self._first.shape[:2]
        if min(h, w) < MIN_SIDE:
            self._cap.release()
            raise SourceError(
                f"{self.path}: the video is {w}x{h} pixels, too small to find a pose in; "
                f"it needs at least {MIN_SIDE} pixels on its short side: record or export it larger"
            )

    def _orientation(self) -> int | None:
        """The cv2.rotate code still to apply to each frame (None: upright as read)."""
        self._cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        angle = int(round(float(self._cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0.0))) % 360
        if angle == 0 or self._cap.get(cv2.CAP_PROP_ORIENTATION_AUTO):
            return None  # no rotation, or the backend turns the frames itself
        return _ROTATIONS.get(angle)

    def _upright(self, img: np.ndarray) -> np.ndarray:
        return img if self._rotate is None else cv2.rotate(img, self._rotate)

    def _timestamp(self, prev: float | None) -> float:
        """The container's time of the frame just read; index / fps where it has none.

        Phone videos often have a variable frame rate, where index / fps drifts.
        """
        pos = float(self._cap.get(cv2.CAP_PROP_POS_MSEC) or 0.0) / 1000.0
        if prev is None:
            return pos if 0.0 <= pos < 1.0 else 0.0
        if pos > prev and pos - prev < 2.0:
            return pos
        return prev + 1.0 / self.fps

    def __iter__(self) -> Iterator[Frame]:
        select = FrameSelector(self.analysis_fps, self.fps) if self.analysis_fps is not None else None
        i = 0
        t = self._first_t
        self.frames_read = 1
        if select is None or select.keep(t):
            yield Frame(self._resize(self._first), t, i)
        cap = self._cap
        while True:
            if not cap.grab():
                break
            i += 1
            self.frames_read += 1
            t = self._timestamp(t)
            if select is not None and not select.keep(t):
                if self.skipped is not None:
                    ok, img = cap.retrieve()
                    if ok and img is not None:
                        self.skipped(self._upright(img))
                continue  # skipped: decoded by grab(), never resized nor given to the model
            ok, img = cap.retrieve()
            if not ok or img is None:
                break
            yield Frame(self._resize(self._upright(img)), t, i)

    def _resize(self, img: np.ndarray) -> np.ndarray:
        if self.max_side is None:
            return img
        h, w = img.shape[:2]
        s = max(self.max_side / max(h, w), MIN_SIDE / min(h, w))  # a long strip keeps MIN_SIDE
        if s >= 1:
            return img
        return cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)

    def close(self) -> None:
        self._cap.release()


class FrameSelector:
    """Which frames to keep for about ``rate`` frames a second, by their times (``keep(t)`` for
    every frame, in order).

    Kept frames follow a grid ``rate`` apart: a frame is kept when it is the first at or past the
    next grid time, less half a source frame (``video_fps``), so that a 30 fps video asked for 15
    keeps every second frame exactly, one asked for 10 every third, while a 20 fps video asked for
    15 keeps three frames of four (50 and 100 ms apart, 15 a second on average).  Times, not
    indices, decide: a variable frame rate (phones) is thinned by time, not by count.  After a
    gap in the times (a frame dropped by the camera) the grid starts again at the frame after it,
    rather than keeping every frame until it catches up.
    """

    def __init__(self, rate: float, video_fps: float) -> None:
        self.step = 1.0 / rate
        self.slack = 0.5 / max(video_fps, rate)
        self._due: float | None = None

    def keep(self, t: float) -> bool:
        if self._due is not None and t < self._due - self.slack:
            return False
        if self._due is None or t - self._due > self.step:
            self._due = t  # the first frame, or the first after a gap
        self._due += self.step
        return True


class ImageFolderSource(FrameSource):
    """Images of a folder in name order, ``fps`` apart."""

    def __init__(self, folder: str | Path, *, fps: float = 30.0) -> None:
        self.folder = Path(folder)
        self.name = str(self.folder)
        if not self.folder.is_dir():
            raise SourceError(f"{self.folder}: no such folder")
        self.files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(
                f"{self.folder}: no images found (expected {', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        self.fps = fps
        self.n_frames = len(self.files)

    def __iter__(self) -> Iterator[Frame]:
        for i, p in enumerate(self.files):
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if img is None:
                continue  # an unreadable image is a dropped frame, not the end
            yield Frame(img, i / self.fps, i)


CAMERA_INDEX_MAX = 999
#: what to do about a missing camera, on the command line
CLI_CAMERA_HINT = "plug one in, pick another with --source N, or play a video file instead"
#: the same in the app's window, where a patient has no command line: what they can do there
APP_CAMERA_HINT = ("check that the camera is plugged in and not being used by another app, or pick another "
                   "camera number (or a video file) on the set-up screen")


def camera_index(spec: object) -> int | None:
    """The camera number ``spec`` names (an int, or ASCII digits such as ``"1"``), or None when it
    names a file or folder.  ``SourceError`` for a number no camera has (above ``CAMERA_INDEX_MAX``)."""
    if isinstance(spec, bool):
        return None
    if isinstance(spec, int):
        index = spec
    elif isinstance(spec, str) and spec.strip().isascii() and spec.strip().isdigit():
        text = spec.strip()
        index = int(text) if len(text) <= 9 else CAMERA_INDEX_MAX + 1  # never parse thousands of digits
    else:
        return None
    if not 0 <= index <= CAMERA_INDEX_MAX:
        text = spec.strip() if isinstance(spec, str) else str(spec) if abs(spec) < 10 ** 20 else "10**20+"
        shown = text if len(text) <= 20 else text[:17] + "..."
        raise SourceError(f"camera {shown}: camera numbers go from 0 to {CAMERA_INDEX_MAX}; pick one with "
                          "--source N, or play a video file instead")
    return index


class CameraSource(FrameSource):
    """A webcam by index.  Raises ``SourceError`` when it is missing (its message ends with ``hint``:
    what to do, ``CLI_CAMERA_HINT`` or the window's ``APP_CAMERA_HINT``); stops when unplugged."""

    def __init__(self, index: int = 0, *, width: int = 640, height: int = 480, read_timeout_s: float = 2.0,
                 hint: str = CLI_CAMERA_HINT) -> None:
        self.index = int(index)
        camera_index(self.index)  # SourceError beyond CAMERA_INDEX_MAX (OpenCV would overflow)
        self.name = f"camera {index}"
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"camera {index}: no camera found; {hint}")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else 30.0
        self.read_timeout_s = read_timeout_s
        self.lost = False

    def __iter__(self) -> Iterator[Frame]:
        t0 = time.monotonic()
        i = 0
        failing_since: float | None = None
        while True:
            ok, img = self._cap.read()
            now = time.monotonic()
            if not ok or img is None:
                failing_since = failing_since or now
                if now - failing_since > self.read_timeout_s:
                    self.lost = True
                    return  # unplugged: the caller sees the stream end and keeps the session
                time.sleep(0.02)
                continue
            failing_since = None
            yield Frame(img, now - t0, i)
            i += 1

    def close(self) -> None:
        self._cap.release()


class ReconnectingSource(FrameSource):
    """A camera that may be unplugged and plugged back in during a session.

    Reads ``first`` (a source with a ``lost`` flag, like ``CameraSource``); when it is lost (it
    stops delivering, or raises), ``on_lost()`` is called and ``reopen()`` (which opens the same
    device again, raising while it is missing) is tried every ``retry_s`` until it works, ``stop``
    is set, or ``give_up_s`` have passed (then ``lost`` is True and the frames end).  Once it is
    back, ``on_back()`` is called and the frames go on: their times continue from before the
    loss plus the time it lasted, and their indices continue, so the session sees one stream.
    """

    def __init__(self, first: FrameSource, reopen: Callable[[], FrameSource], *, retry_s: float = 1.0,
                 give_up_s: float = 600.0, stop: threading.Event | None = None,
                 on_lost: Callable[[], None] | None = None, on_back: Callable[[], None] | None = None) -> None:
        self.current = first
        self.name = getattr(first, "name", "camera")
        self.fps = float(getattr(first, "fps", 30.0) or 30.0)
        self._reopen = reopen
        self.retry_s = retry_s
        self.give_up_s = give_up_s
        self._stop = stop or threading.Event()
        self._on_lost = on_lost or (lambda: None)
        self._on_back = on_back or (lambda: None)
        self.lost = False
        self.losses = 0

    def __iter__(self) -> Iterator[Frame]:
        index, last_t, last_wall = 0, None, 0.0
        while True:
            offset: float | None = None
            src = self.current
            try:
                for f in src:
                    now = time.monotonic()
                    if offset is None:  # the first frame after (re)opening: time goes on
                        offset = 0.0 if last_t is None else last_t + max(now - last_wall, 1.0 / self.fps) - f.t
                    last_t, last_wall = offset + f.t, now
                    yield Frame(f.image, last_t, index)
                    index += 1
                if not getattr(src, "lost", False):
                    return  # it ended by itself (not a lost device)
            except Exception:  # a device that raises when it goes: lost as well
                pass
            self._close(src)
            if not self._wait_back():
                self.lost = True
                return

    def _wait_back(self) -> bool:
        """Try to open the device every ``retry_s``; True once it is back."""
        self.losses += 1
        self._on_lost()
        since = time.monotonic()
        while not self._stop.wait(self.retry_s):
            if time.monotonic() - since > self.give_up_s:
                return False
            try:
                self.current = self._reopen()
            except Exception:
                continue
            self._on_back()
            return True
        return False

    @staticmethod
    def _close(src: FrameSource) -> None:
        try:
            src.close()
        except Exception:
            pass

    def close(self) -> None:
        self._close(self.current)


def open_source(spec: str | int | Path, **kw: object) -> FrameSource:
    """``0``/``"1"`` -> camera; a folder -> images; anything else -> a video file."""
    index = camera_index(spec)
    if index is not None:
        return CameraSource(index, **kw)  # type: ignore[arg-type]
    p = Path(str(spec))
    if p.is_dir():
        return ImageFolderSource(p)
    return VideoFileSource(p, **kw)  # type: ignore[arg-type]


def collect_videos(paths: list[str | Path]) -> tuple[list[Path], list[str]]:
    """Expand files and folders into a sorted list of videos; also return problems (one line each)."""
    out: list[Path] = []
    problems: list[str] = []
    for spec in paths:
        p = Path(spec)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES)
            if not found:
                problems.append(f"{p}: no video files in this folder ({', '.join(sorted(VIDEO_SUFFIXES))})")
            out.extend(found)
        elif not p.exists():
            problems.append(f"{p}: no such file or folder")
        elif p.suffix.lower() not in VIDEO_SUFFIXES:
            problems.append(
                f"{p}: unsupported file type '{p.suffix or '(none)'}'; expected a video "
                f"({', '.join(sorted(VIDEO_SUFFIXES))})"
            )
        else:
            out.append(p)
    seen: set[Path] = set()
    unique = []
    for p in out:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p)
    return unique, problems
