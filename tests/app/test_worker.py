"""The worker's mailbox: live coaching keeps the newest frame; a lossless replay judges every frame."""

from __future__ import annotations

import threading
import time

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.worker import _Mailbox


def _run(box: _Mailbox, n: int, take_every_s: float) -> list[int]:
    got: list[int] = []

    def produce() -> None:
        for i in range(n):
            box.put((i, 0.0))  # type: ignore[arg-type]
        box.close()

    th = threading.Thread(target=produce)
    th.start()
    while True:
        item = box.take(timeout=0.05)
        if item is not None:
            got.append(item[0])  # type: ignore[arg-type]
        elif box.closed:
            break
        time.sleep(take_every_s)
    th.join(2.0)
    return got


@pytest.mark.parametrize("lossless", [True, False])
def test_a_slow_consumer_gets_every_frame_only_when_lossless(lossless):
    box = _Mailbox(lossless)
    got = _run(box, 40, take_every_s=0.003)
    if lossless:
        assert got == list(range(40)) and box.dropped == 0
    else:
        assert box.dropped > 0 and got == sorted(got) and got[-1] == 39


def test_closing_releases_a_waiting_lossless_producer():
    box = _Mailbox(lossless=True)
    box.put((0, 0.0))  # type: ignore[arg-type]
    done = threading.Event()
    th = threading.Thread(target=lambda: (box.put((1, 0.0)), done.set()))  # type: ignore[arg-type]
    th.start()
    time.sleep(0.2)
    assert not done.is_set()  # waits for the first frame to be taken
    box.close()
    th.join(2.0)
    assert done.is_set()
