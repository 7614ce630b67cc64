"""Speaker: never blocks, one cue at a time in the order handed, stale and muted cues
dropped, fallbacks.  It decides nothing else: no cooldown, priority or counting rule
(that is the cue policy's, ``tests/core/test_cues.py``)."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from app_helpers import HangingBackend
from posecoach.io import speech
from posecoach.core.cues import Cue
from posecoach.io.speech import Speaker, wav_seconds


class FakeBackend:
    """Speaks by waiting: until ``release`` is set (``gated``) or for ``seconds``."""

    def __init__(self, seconds: float = 0.0, gated: bool = False) -> None:
        self.seconds = seconds
        self.release = threading.Event()
        if not gated:
            self.release.set()
        self.spoken: list[str] = []
        self.started = threading.Event()

    def speak(self, text: str) -> None:
        self.spoken.append(text)
        self.started.set()
        if self.seconds:
            time.sleep(self.seconds)
        self.release.wait(5.0)


def cue(text: str, kind: str = "form", key: str | None = None, priority: int = 5) -> Cue:
    return Cue(0.0, text, kind, key or text, priority)


def wait_for(pred, timeout: float = 3.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.002)
    return pred()


@pytest.fixture
def gated():
    fb = FakeBackend(gated=True)
    sp = Speaker(backend=fb)
    sp.start()
    yield sp, fb
    fb.release.set()
    sp.stop()


def test_say_returns_at_once_while_the_engine_is_slow():
    fb = FakeBackend(seconds=0.5)
    sp = Speaker(backend=fb)
    sp.start()
    try:
        t0 = time.perf_counter()
        results = [sp.say(cue(f"cue {i}", key=f"k{i}")) for i in range(50)]
        took = time.perf_counter() - t0
        assert took < 0.05, took
        assert results[0] is True
        assert wait_for(lambda: fb.spoken == ["cue 0"] or len(fb.spoken) >= 1)
    finally:
        sp.stop()


def test_one_at_a_time_in_the_order_handed(gated):
    # Whatever the kinds and priorities: the policy already chose; the speaker plays all, in order.
    sp, fb = gated
    assert sp.say(cue("Good rep", "praise"))
    assert wait_for(fb.started.is_set)
    assert sp.speaking
    handed = [cue("Hold it", "hold"), cue("Slow down", "form", priority=3),
              cue("Stop: keep your back flat", "safety"), cue("Lift your hips", "form", priority=1)]
    assert all(sp.say(c) for c in handed)
    assert len(fb.spoken) == 1  # nothing overlaps the cue being spoken
    fb.release.set()
    assert wait_for(lambda: len(fb.spoken) == 5)
    assert fb.spoken == ["Good rep"] + [c.text for c in handed]
    assert [t for _, t in sp.last_started] == fb.spoken
    assert sp.dropped == {"muted": 0, "stale": 0, "off": 0}


def test_the_speaker_applies_no_cooldown():
    # The same key twice in quick succession: both are played (cooldowns are the policy's, on
    # the video's clock; a second, wall-clock cooldown here dropped counts and set-up cues).
    fb = FakeBackend()
    sp = Speaker(backend=fb)
    sp.start()
    try:
        assert sp.say(cue("Lift your hips", key="hips"))
        assert wait_for(lambda: len(fb.spoken) == 1)
        assert sp.say(cue("Lift your hips", key="hips"))
        assert sp.say(cue("Step into the camera's view", "setup", key="setup:step"))
        assert sp.say(cue("Step into the camera's view", "setup", key="setup:step"))
        assert wait_for(lambda: len(fb.spoken) == 4)
        assert fb.spoken == ["Lift your hips"] * 2 + ["Step into the camera's view"] * 2
    finally:
        sp.stop()


def test_count_aloud_sequence_is_played_whole():
    # "1, 2, 3, 4, 5" handed as fast as they come: every number is played, in order.
    fb = FakeBackend(seconds=0.02)
    with Speaker(backend=fb) as sp:
        assert all(sp.say(Cue(float(i), str(i), "count", "count", 5)) for i in range(1, 6))
        assert wait_for(lambda: len(fb.spoken) == 5)
        assert fb.spoken == ["1", "2", "3", "4", "5"]
        assert sum(sp.dropped.values()) == 0


def test_mute():
    fb = FakeBackend()
    sp = Speaker(backend=fb, muted=True)
    sp.start()
    try:
        assert not sp.say(cue("Lift your hips"))
        sp.set_muted(False)
        assert sp.say(cue("3", "count", key="count"))
        assert wait_for(lambda: fb.spoken == ["3"])
        assert sp.dropped["muted"] == 1
    finally:
        sp.stop()


def test_stale_cue_is_dropped(gated):
    sp, fb = gated
    sp.stale_s = 0.1
    assert sp.say(cue("first"))
    assert wait_for(fb.started.is_set)
    assert sp.say(cue("second", key="second"))
    time.sleep(0.2)  # "second" waits longer than stale_s
    fb.release.set()
    assert wait_for(lambda: sp.dropped["stale"] == 1)
    assert fb.spoken == ["first"]


def test_stop_joins_and_is_safe_twice():
    fb = FakeBackend(seconds=0.05)
    sp = Speaker(backend=fb)
    sp.start()
    sp.say(cue("hello"))
    th = sp._thread
    assert th is not None and th.is_alive()
    sp.stop()
    assert not th.is_alive()
    sp.stop()
    assert not sp.say(cue("after stop", key="x"))


def test_status_once_only_once():
    sp = Speaker(backend=FakeBackend())
    assert sp.status_once() is None  # not started: nothing to tell yet
    sp.start()
    try:
        first = sp.status_once()
        assert first and "\n" not in first
        assert sp.status_once() is None
        assert sp.status_once() is None
    finally:
        sp.stop()


def test_on_start_callback_and_slow_callback_never_blocks_say():
    fb = FakeBackend()
    seen: list[str] = []
    sp = Speaker(backend=fb, on_start=seen.append)
    with sp:
        sp.say(cue("Lift your hips"))
        assert wait_for(lambda: seen == ["Lift your hips"])


def test_backend_failures_fall_back_to_text():
    class Broken:
        def speak(self, text: str) -> None:
            raise OSError("device vanished")

    sp = Speaker(backend=Broken())
    with sp:
        assert sp.status_once()
        for i in range(3):
            sp.say(cue(f"c{i}", key=f"k{i}"))
            assert wait_for(lambda i=i: len(sp.last_started) == i + 1 and not sp.speaking)
        assert not sp.available
        assert "stopped working" in sp.status
        assert sp.status_once() == sp.status  # a new status is told once more
        assert not sp.say(cue("more", key="more"))


def test_no_engine_falls_back_to_text(monkeypatch, tmp_path):
    import pyttsx3

    def boom(*a, **k):
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    monkeypatch.setattr(speech, "_ENGINE", None)
    monkeypatch.setattr(pyttsx3, "init", boom)
    sp = Speaker(backend="auto", wav_dir=tmp_path)
    sp.start()
    try:
        assert not sp.available and not sp.audio
        assert sp.backend_name == "none"
        msg = sp.status_once()
        assert msg and "text" in msg and "\n" not in msg
        assert not sp.say(cue("Lift your hips"))
        assert sp.voices() == []
    finally:
        sp.stop()


def test_none_backend():
    with Speaker(backend="none") as sp:
        assert not sp.available
        assert not sp.say(cue("Lift your hips"))
        assert "text" in sp.status


def test_unknown_backend_name():
    with pytest.raises(ValueError):
        Speaker(backend="festival")


def test_detect_audio_override(monkeypatch):
    monkeypatch.setenv("POSECOACH_AUDIO", "0")
    assert speech.detect_audio()[0] is False
    monkeypatch.setenv("POSECOACH_AUDIO", "1")
    assert speech.detect_audio() == (True, "")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_real_espeak_writes_a_wav(monkeypatch, tmp_path):
    monkeypatch.setenv("POSECOACH_AUDIO", "0")  # no device: the wav backend
    started: list[str] = []
    sp = Speaker(backend="auto", wav_dir=tmp_path, rate_wpm=165, on_start=started.append)
    sp.start()
    try:
        assert sp.available and not sp.audio and sp.backend_name == "wav"
        assert sp.status_once() == speech.NO_AUDIO_STATUS.replace("no audio device found", "audio turned off by POSECOACH_AUDIO")
        assert sp.voices()
        assert sp.say(Cue(0.0, "Lift your hips higher", "form", "hips_low", 1))
        assert wait_for(lambda: len(sp.wav_files) == 1, timeout=5)
    finally:
        sp.stop()
    assert started == ["Lift your hips higher"]
    (wav,) = sorted(tmp_path.glob("*.wav"))
    assert wav_seconds(wav) > 0.3




def test_a_hung_engine_switches_speech_off_once_and_never_blocks_say():
    eng = HangingBackend()
    sp = Speaker(backend=eng, hang_s=0.2)
    sp.start()
    try:
        assert sp.status_once() == "Speech is on."
        t0 = time.monotonic()
        assert sp.say(cue("Lift your hips"))
        assert time.monotonic() - t0 < 0.05
        assert wait_for(lambda: eng.calls == 1)
        for i in range(20):  # the coaching loop goes on handing cues while the engine hangs
            t0 = time.monotonic()
            sp.say(cue(f"c{i}", key=f"k{i}"))
            assert time.monotonic() - t0 < 0.05
        assert wait_for(lambda: not sp.available, timeout=3.0)
        assert sp.status == "Speech stopped responding, so it is switched off; cues are shown as text."
        assert sp.status_once() == sp.status and sp.status_once() is None  # one message
        assert not sp.say(cue("more", key="more")) and eng.calls == 1  # nothing more reaches the engine
        t0 = time.monotonic()
        sp.stop()
        assert time.monotonic() - t0 < 1.0  # the hung engine is not waited for
    finally:
        eng.release.set()
        sp.stop()


def test_stopping_while_the_engine_hangs_returns_at_once():
    eng = HangingBackend()
    sp = Speaker(backend=eng, hang_s=60.0)
    sp.start()
    try:
        sp.say(cue("Lift your hips"))
        assert wait_for(lambda: eng.calls == 1)
        t0 = time.monotonic()
        sp.stop()
        assert time.monotonic() - t0 < 1.0
    finally:
        eng.release.set()
