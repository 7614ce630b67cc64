"""Spoken cues off the caller's thread: plays what it is handed, in order, never blocking.

``Speaker.say(cue)`` only takes a lock for a few microseconds and returns; a
worker thread owns the speech engine and speaks one cue at a time.

*Which* cue is said, and when, is not decided here: the cue policy
(``posecoach.core.cues.CuePolicy``) decides that on the frames' timestamps --
priority, cooldowns, counting aloud, set-up guidance, set milestones.  The
speaker only:

- drops everything while muted (``set_muted``);
- queues what it is handed in order, and plays it one cue at a time (a cue being
  spoken is never interrupted);
- drops a cue that waited more than ``stale_s`` (2 s, wall clock) since ``say``:
  the engine fell behind, and late news only confuses;
- applies the voice settings (``set_rate``, ``set_voice``).

Backends (``backend=``):

- ``"pyttsx3"``: pyttsx3 with its default driver (espeak-ng on Linux), spoken
  aloud.  On Linux that driver synthesises into memory and plays the result
  with ``aplay``, so an audio device means: ``aplay`` is installed and
  ``/proc/asound/cards`` (or ``aplay -l``) lists a sound card, or ``aplay -L``
  offers a PulseAudio/PipeWire PCM and that sound server's socket exists.
  ``POSECOACH_AUDIO=0|1`` overrides the detection.  (PortAudio/sounddevice is
  not used: pyttsx3 does not play through it.)
- ``"wav"``: no audio device.  Each cue is synthesised with pyttsx3's
  ``save_to_file`` into ``wav_dir`` (``cue_0001.wav``, ...) so tests and CI can
  check that speech really happens; the worker then stays busy for the clip's
  length (``realtime``), so cues follow each other as they would aloud.
  ``audio`` is False.  Without ``wav_dir`` a temporary folder is used, only
  the newest 20 clips are kept, and ``stop()`` deletes it.
- ``"none"``: text only (no engine, or it failed); ``say`` returns False.
- ``"auto"``: the first of these that works.
- any object with ``speak(text)`` (tests, other engines): used as it is; its
  ``audio`` attribute, if any, says whether it is heard.

Measured on a 2-core machine: a thread is good enough.  Synthesis in a worker
thread (espeak's callback takes the GIL) made the longest 1 ms-sleep gap of the
main thread about 8-10 ms against 7 ms without it (p99 6-7 ms against 4 ms);
a separate process was no better than the baseline but costs a second Python
and an IPC channel, so we keep the thread.  ``on_start`` is called from the
worker thread: a Qt app must forward it with a queued signal.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from posecoach.core.cues import Cue

__all__ = ["NO_AUDIO_STATUS", "Speaker", "detect_audio", "wav_seconds"]

log = logging.getLogger(__name__)

NO_AUDIO_STATUS = "Speech is off: no audio device found, cues are shown as text."
_NO_ENGINE_STATUS = "Speech is off: no speech engine ({why}); install espeak-ng. Cues are shown as text."

# pyttsx3 keeps one engine per driver per process and espeak can only be
# initialised once, with one global synthesis callback: every use goes through
# this lock, and the engine is created once and kept.
_ENGINE_LOCK = threading.RLock()
_ENGINE: Any = None


class SpeechBackend(Protocol):
    def speak(self, text: str) -> None: ...


# ---------------------------------------------------------------- detection


def detect_audio() -> tuple[bool, str]:
    """(is there an audio output pyttsx3 can play through?, why not)."""
    force = os.environ.get("POSECOACH_AUDIO", "").strip().lower()
    if force in {"0", "no", "off", "false"}:
        return False, "audio turned off by POSECOACH_AUDIO"
    if force in {"1", "yes", "on", "true"}:
        return True, ""
    if not sys.platform.startswith("linux"):
        return True, ""  # SAPI5 / NSSS speak through the system mixer themselves
    cards = ""
    try:
        cards = Path("/proc/asound/cards").read_text()
    except OSError:
        pass
    has_card = bool(cards.strip()) and "no soundcards" not in cards
    if shutil.which("aplay") is None:
        if has_card:
            return False, "no audio player found (install alsa-utils for aplay)"
        return False, "no audio device found"
    if has_card:
        return True, ""
    try:
        out = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=3).stdout
        if re.search(r"^card \d+:", out, re.M):
            return True, ""
        pcms = subprocess.run(["aplay", "-L"], capture_output=True, text=True, timeout=3).stdout
    except (OSError, subprocess.SubprocessError):
        return False, "no audio device found"
    run = os.environ.get("XDG_RUNTIME_DIR", "")
    server = bool(os.environ.get("PULSE_SERVER")) or any(
        run and Path(run, p).exists() for p in ("pulse/native", "pipewire-0")
    )
    if server and re.search(r"^(pulse|pipewire)\b", pcms, re.M):
        return True, ""
    return False, "no audio device found"


def wav_seconds(path: Path) -> float:
    """Length of a WAV file in seconds (0.0 if unreadable)."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / float(w.getframerate() or 1)
    except (OSError, wave.Error, EOFError):
        return 0.0


# ----------------------------------------------------------------- backends


def _quiet_pyttsx3() -> None:
    """pyttsx3's espeak driver prints "Audio saved to ..." on stdout: log it instead."""
    try:
        from pyttsx3.drivers import espeak as drv

        drv.print = lambda *a, **k: log.debug(" ".join(map(str, a)))
    except Exception:  # other platforms' drivers, or a different pyttsx3
        pass


def _engine() -> Any:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            import pyttsx3

            eng = pyttsx3.init()
            _quiet_pyttsx3()
            _ENGINE = eng
        return _ENGINE


class _Pyttsx3Backend:
    """pyttsx3 speaking aloud (or into files with ``to_wav``).  Worker thread only."""

    def __init__(self, *, audio: bool, wav_dir: Path | None, realtime: bool, wake: threading.Event) -> None:
        self.engine = _engine()
        self.audio = audio
        self.wav_dir = wav_dir
        self.realtime = realtime
        self._wake = wake
        self._n = itertools.count(1)
        self.rate = 165
        self.voice: str | None = None
        self.files: list[Path] = []
        self.on_ready: Callable[[str], None] | None = None
        self.keep: int | None = None  # keep only the newest N clips (own temp folder)

    def voices(self) -> list[tuple[str, str]]:
        with _ENGINE_LOCK:
            return [(str(v.id), str(v.name)) for v in self.engine.getProperty("voices")]

    def _apply(self) -> None:
        self.engine.setProperty("rate", int(self.rate))
        if self.voice:
            try:
                self.engine.setProperty("voice", self.voice)
            except Exception as e:  # unknown voice: keep the current one
                log.warning("voice %r not available (%s); keeping the default", self.voice, e)
                self.voice = None

    def speak(self, text: str) -> None:
        if self.audio:
            with _ENGINE_LOCK:
                self._apply()
                drv = getattr(getattr(self.engine, "proxy", None), "_driver", None)
                if drv is not None and hasattr(drv, "_save_file"):
                    drv._save_file = None  # after a save_to_file, say() would write that file
                self.engine.say(text)
                self.engine.runAndWait()  # blocks while aplay plays
            return
        assert self.wav_dir is not None
        path = self.wav_dir / f"cue_{next(self._n):04d}.wav"
        secs = 0.0
        for _attempt in range(2):  # espeak-ng now and then returns before writing: try once more
            with _ENGINE_LOCK:
                self._apply()
                self.engine.save_to_file(text, str(path))
                self.engine.runAndWait()
            secs = wav_seconds(path)
            if secs > 0.0:
                break
        if secs <= 0.0:
            raise RuntimeError(f"the speech engine wrote no sound to {path}")
        self.files.append(path)
        if self.keep is not None and len(self.files) > self.keep:
            for old in self.files[: -self.keep]:
                old.unlink(missing_ok=True)
            del self.files[: -self.keep]
        if self.on_ready is not None:
            self.on_ready(text)
        if self.realtime:
            self._wake.wait(secs)  # as long as it would take aloud; stop() cuts it short


# ------------------------------------------------------------ engine thread


class _EngineThread:
    """Runs the engine's calls on a daemon thread of its own, so the speaker's worker can wait for
    each with a timeout: an engine that hangs (a stuck ``runAndWait``, an audio device that never
    returns) is abandoned there, never joined, and nothing else waits on it."""

    def __init__(self) -> None:
        self._jobs: deque[tuple[Callable[[], None], threading.Event, list[BaseException]]] = deque()
        self._cond = threading.Condition()
        self.closed = False
        self._thread = threading.Thread(target=self._loop, name="posecoach-speech-engine", daemon=True)
        self._thread.start()

    def call(self, fn: Callable[[], None], timeout: float, abort: threading.Event) -> bool:
        """Run ``fn`` there; False if it did not return within ``timeout`` or ``abort`` was set
        first (it is then left running); re-raises what it raised."""
        done = threading.Event()
        err: list[BaseException] = []
        with self._cond:
            self._jobs.append((fn, done, err))
            self._cond.notify_all()
        end = time.monotonic() + timeout
        while not done.wait(0.05):
            if abort.is_set() or time.monotonic() > end:
                return False
        if err:
            raise err[0]
        return True

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self.closed:
                    self._cond.wait()
                if not self._jobs:
                    return
                fn, done, err = self._jobs.popleft()
            try:
                fn()
            except BaseException as e:  # handed back to the caller
                err.append(e)
            done.set()


# ------------------------------------------------------------------ speaker


class Speaker:
    """Speaks ``Cue`` objects from a worker thread; see the module docstring."""

    def __init__(
        self,
        *,
        backend: str | SpeechBackend = "auto",
        rate_wpm: int = 165,
        voice: str | None = None,
        muted: bool = False,
        wav_dir: Path | None = None,
        on_start: Callable[[str], None] | None = None,
        stale_s: float = 2.0,
        realtime: bool = True,
        hang_s: float = 10.0,
    ) -> None:
        """``hang_s``: a cue the engine has not finished after this long (plus 0.6 s a word) means
        the engine hangs: speech is switched off (cues stay text), the engine is abandoned."""
        if isinstance(backend, str) and backend not in {"auto", "pyttsx3", "wav", "none"}:
            raise ValueError(f"unknown speech backend {backend!r}: use auto, pyttsx3, wav or none")
        self._requested = backend
        self.rate_wpm = int(rate_wpm)
        self.voice = voice
        self.muted = bool(muted)
        self.stale_s = float(stale_s)
        self.realtime = realtime
        self.hang_s = float(hang_s)
        self._engine_thread: _EngineThread | None = None
        self.on_start = on_start
        # the newest cues started / synthesised (bounded: a session of any length)
        self.last_started: deque[tuple[float, str]] = deque(maxlen=200)
        # wav backend: when each clip was synthesised (playback could begin)
        self.last_ready: deque[tuple[float, str]] = deque(maxlen=200)
        self.dropped: dict[str, int] = {"muted": 0, "stale": 0, "off": 0}
        self._wav_dir_arg = Path(wav_dir) if wav_dir is not None else None
        self._own_tmp: Path | None = None
        self._cond = threading.Condition()
        self._wake = threading.Event()  # set by stop(): ends a realtime wait at once
        self._queue: deque[tuple[Cue, float]] = deque()  # (cue, monotonic time of say)
        self._speaking: Cue | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping = False
        self._backend: Any = None
        self._backend_name = "none"
        self._available = False
        self._audio = False
        self._status = "Speech has not started yet."
        self._status_told: str | None = None
        self._voices: list[tuple[str, str]] = []
        self._settings_dirty = True

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the worker; returns once the engine is chosen (well under a second)."""
        if self._thread is not None:
            return
        self._stopping = False
        self._wake.clear()
        self._thread = threading.Thread(target=self._run, name="posecoach-speech", daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0):
            log.warning("speech engine is slow to start; cues are shown as text meanwhile")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker and join it (a cue being spoken aloud is let finish, up to ``timeout``)."""
        th = self._thread
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._cond.notify_all()
        self._wake.set()
        if th is not None and th is not threading.current_thread():
            th.join(timeout)
            if th.is_alive():
                log.warning("speech worker did not stop within %.1f s", timeout)
        self._thread = None
        if self._own_tmp is not None:
            shutil.rmtree(self._own_tmp, ignore_errors=True)
            self._own_tmp = None

    def __enter__(self) -> Speaker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ properties

    @property
    def available(self) -> bool:
        """A working speech engine (aloud or into WAV files)."""
        return self._available

    @property
    def audio(self) -> bool:
        """Cues are heard (an audio device exists and the engine speaks aloud)."""
        return self._audio

    @property
    def backend_name(self) -> str:
        """``"pyttsx3"``, ``"wav"``, ``"none"`` or ``"custom"``."""
        return self._backend_name

    @property
    def status(self) -> str:
        return self._status

    @property
    def speaking(self) -> bool:
        return self._speaking is not None

    @property
    def wav_dir(self) -> Path | None:
        return self._wav_dir_arg or self._own_tmp

    @property
    def wav_files(self) -> list[Path]:
        return list(getattr(self._backend, "files", []))

    def status_once(self) -> str | None:
        """The status the first time it is asked for (and again only if it changes); else None."""
        if not self._ready.is_set() or self._status == self._status_told:
            return None
        self._status_told = self._status
        return self._status

    def set_muted(self, muted: bool) -> None:
        with self._cond:
            self.muted = bool(muted)
            if self.muted:
                self._queue.clear()

    def set_rate(self, rate_wpm: int) -> None:
        with self._cond:
            self.rate_wpm = max(60, min(450, int(rate_wpm)))
            self._settings_dirty = True

    def set_voice(self, voice: str | None) -> None:
        with self._cond:
            self.voice = voice or None
            self._settings_dirty = True

    def voices(self) -> list[tuple[str, str]]:
        """(id, name) of the engine's voices; empty without an engine or before ``start``."""
        return list(self._voices)

    # ------------------------------------------------------------------ say

    def say(self, cue: Cue) -> bool:
        """Queue a cue to be played; never blocks.  False if it was dropped (muted, no speech)."""
        with self._cond:
            if self.muted:
                return self._drop("muted", cue)
            if self._stopping or (self._ready.is_set() and not self._available):
                return self._drop("off", cue)
            self._queue.append((cue, time.monotonic()))
            self._cond.notify_all()
            return True

    def _drop(self, why: str, cue: Cue) -> bool:
        self.dropped[why] += 1
        log.debug("cue %r not spoken: %s", cue.text, why)
        return False

    # --------------------------------------------------------------- worker

    def _choose(self) -> None:
        req = self._requested
        if not isinstance(req, str):
            self._backend, self._backend_name = req, "custom"
            self._available = True
            self._audio = bool(getattr(req, "audio", False))
            self._status = "Speech is on." if self._audio else "Speech is on (not heard: no audio output)."
            return
        if req == "none":
            self._status = "Speech is off: cues are shown as text."
            return
        audio, why = (True, "") if req == "pyttsx3" else detect_audio()
        want_audio = audio if req in ("auto", "pyttsx3") else False  # "wav": files only
        try:
            _engine()
        except Exception as e:  # no espeak, broken driver, ...
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            log.warning("speech engine unavailable: %s", reason)
            self._status = _NO_ENGINE_STATUS.format(why=reason)
            return
        wav_dir = None
        if not want_audio:
            wav_dir = self._wav_dir_arg
            if wav_dir is None:
                self._own_tmp = wav_dir = Path(tempfile.mkdtemp(prefix="posecoach-speech-"))
            wav_dir.mkdir(parents=True, exist_ok=True)
        self._backend = _Pyttsx3Backend(audio=want_audio, wav_dir=wav_dir, realtime=self.realtime, wake=self._wake)
        self._backend.on_ready = lambda text: self.last_ready.append((time.monotonic(), text))
        if self._own_tmp is not None:
            self._backend.keep = 20  # the app's own temp folder: do not fill the disk in a long session
        self._available = True
        self._audio = want_audio
        self._backend_name = "pyttsx3" if want_audio else "wav"
        try:
            self._voices = self._backend.voices()
        except Exception as e:
            log.debug("could not list voices: %s", e)
        if want_audio:
            self._status = "Speech is on (espeak-ng)." if sys.platform.startswith("linux") else "Speech is on."
        elif req == "wav":
            self._status = "Speech is not heard: it is written to WAV files; cues are shown as text."
        else:
            self._status = NO_AUDIO_STATUS if why == "no audio device found" else (
                f"Speech is off: {why}, cues are shown as text."
            )

    def _run(self) -> None:
        try:
            self._choose()
        except Exception as e:  # never take the app down
            log.exception("speech set-up failed")
            self._backend, self._available, self._audio = None, False, False
            self._status = f"Speech is off: {e}. Cues are shown as text."
        finally:
            self._ready.set()
        failures = 0
        self._engine_thread = _EngineThread()
        try:
            while True:
                cue = self._next()
                if cue is None:
                    return
                failures = self._play(cue, failures)
        finally:
            if self._engine_thread is not None:
                self._engine_thread.close()  # ends once its call returns (a hung one is not waited for)

    def _next(self) -> Cue | None:
        """The next cue to play (waiting for one; stale ones are dropped); None when stopping."""
        with self._cond:
            while True:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return None
                cue, t_said = self._queue.popleft()
                if time.monotonic() - t_said > self.stale_s:
                    self._drop("stale", cue)
                    continue
                if not self._available:
                    continue
                self._speaking = cue
                return cue

    def _play(self, cue: Cue, failures: int) -> int:
        """Speak one cue (worker thread); returns the count of failures in a row."""
        with self._cond:
            dirty, self._settings_dirty = self._settings_dirty, False
            rate, voice = self.rate_wpm, self.voice
        backend = self._backend
        if dirty and isinstance(backend, _Pyttsx3Backend):
            backend.rate, backend.voice = rate, voice
        self.last_started.append((time.monotonic(), cue.text))
        if self.on_start is not None:
            try:
                self.on_start(cue.text)
            except Exception:
                log.exception("speech on_start callback failed")
        engine = self._engine_thread
        try:
            if engine is None:  # abandoned after a hang: speech is off
                return failures
            timeout = self.hang_s + 0.6 * len(cue.text.split())
            if engine.call(lambda: backend.speak(cue.text), timeout, self._wake):
                failures = 0
            elif not self._stopping:
                log.warning("speech engine hung on %r for %.0f s: speech switched off", cue.text, timeout)
                engine.close()  # abandoned with the call stuck in it: ends if that ever returns
                self._engine_thread = None
                self._switch_off("Speech stopped responding, so it is switched off; cues are shown as text.")
        except Exception as e:
            failures += 1
            log.warning("speech failed for %r: %s", cue.text, e)
            if failures >= 3:
                self._switch_off(f"Speech stopped working ({e}); cues are shown as text.")
        finally:
            with self._cond:
                self._speaking = None
        return failures

    def _switch_off(self, status: str) -> None:
        """No more speech this run: what is queued is dropped, later cues are refused (text only)."""
        with self._cond:
            self._available = self._audio = False
            self._status = status
            self._queue.clear()
