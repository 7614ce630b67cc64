"""Recording a reference shows its progress, a preview and can be cancelled (issue 12 item 12).

The recorder itself (``record_reference``: ``progress`` after every frame, ``cancel`` stores nothing)
and the therapist tab driven with pytest-qt (offscreen) on a generated video replayed by a slowed
fake estimator, so the analysis takes long enough to watch and cancel."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any Qt import

import time

import pytest

import posecoach.app  # noqa: F401 - applies the PySide6/CPython 3.11 refcount guard
from posecoach.app.main import make_app

make_app()

from PySide6.QtCore import Qt  # noqa: E402

from app_helpers import bridge_clip, no_thread_left  # noqa: E402,F401 - autouse fixture
from posecoach.app._qt.therapist import TherapistPage  # noqa: E402
from posecoach.app._qt.therapist.reference import progress_text  # noqa: E402
from posecoach.clinic.patients import Clinic  # noqa: E402
from posecoach.clinic.references import RecordingCancelled, RecordProgress, record_reference  # noqa: E402
from posecoach.core.exercise import list_exercises  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """Four bridges, about 16 s of video (480 frames)."""
    return bridge_clip(tmp_path_factory.mktemp("clips") / "ref.mp4", [180.0] * 4, hold_s=1.0)


@pytest.fixture
def clinic(tmp_path):
    c = Clinic(tmp_path / "clinic.sqlite")
    yield c
    c.close()


def _files(clinic: Clinic, pid: int) -> list:
    folder = clinic.reference_dir(pid)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_progress_after_every_frame_with_the_frame_and_its_pose(clinic, clip):
    pid = clinic.add_patient("Ann")
    seen: list[RecordProgress] = []
    res = record_reference(str(clip.path), "glute_bridge", pid, clinic=clinic,
                           estimator_factory=clip.estimator_factory(), progress=seen.append)
    assert res["reference_id"] and len(seen) == len(clip.poses)
    assert [p.frames for p in seen] == list(range(1, len(seen) + 1))
    assert seen[0].total_frames == len(clip.poses) and seen[-1].share == 1.0 and seen[-1].left_s == 0.0
    assert seen[0].image is not None and sum(p.pose is not None for p in seen) > 0.9 * len(seen)


def test_cancel_stops_at_once_and_stores_nothing(clinic, clip):
    pid = clinic.add_patient("Ben")
    seen: list[RecordProgress] = []
    with pytest.raises(RecordingCancelled, match="nothing was stored"):
        record_reference(str(clip.path), "glute_bridge", pid, clinic=clinic, keep_video=True,
                         estimator_factory=clip.estimator_factory(), progress=seen.append,
                         cancel=lambda: len(seen) >= 50)
    assert len(seen) == 50  # not one frame more
    assert clinic.references(pid, "glute_bridge") == [] and clinic.targets(pid, "glute_bridge") is None
    assert _files(clinic, pid) == []


@pytest.mark.parametrize(("p", "text"), [
    (RecordProgress(120, 480, 4.0, None, 10.0), "Analysing the video: frame 120 of 480 (25%), about 30 s left."),
    (RecordProgress(240, 480, 8.0, None, 90.0), "Analysing the video: frame 240 of 480 (50%), about 1 min 30 s left."),
    (RecordProgress(1, None, 0.0, None, 0.1), "Analysing the video: frame 1."),
    (RecordProgress(480, 480, 16.0, None, 40.0), "Analysed all 480 frames: finding the reps and the targets..."),
    (RecordProgress(150, None, 12.0, 30.0, 12.0), "Recording: 12 of 30 s (40%), about 18 s left, 150 frames analysed."),
])
def test_progress_text(p, text):
    assert progress_text(p) == text


@pytest.fixture
def page(qtbot, clinic, clip):
    good, _ = list_exercises()
    # 20 ms a frame: about 10 s for the whole clip, time enough to watch it and cancel
    t = TherapistPage(clinic, good, record_kwargs={"estimator_factory": clip.estimator_factory(cost_s=0.02)})
    qtbot.addWidget(t)
    t.resize(1300, 740)
    t.show()
    yield t
    t.shutdown()


def test_the_tab_shows_progress_and_a_preview_and_cancel_stores_nothing(qtbot, page, clinic, clip):
    t = page
    pid = clinic.add_patient("Cy")
    t.refresh(select=pid)
    t.set_reference_video(str(clip.path))
    assert not t.reference.cancel_record_button.isEnabled()
    assert t.record_reference()
    tab = t.reference
    assert tab.cancel_record_button.isEnabled() and tab.ref_progress.isVisible() and tab.ref_preview.isVisible()
    qtbot.waitUntil(lambda: 100 < tab.ref_progress.value() < 1000, timeout=15000)
    text = t.ref_status.text()
    assert text.startswith("Analysing the video: frame ") and f"of {len(clip.poses)}" in text and "left" in text
    pm = tab.ref_preview.pixmap()
    assert pm is not None and not pm.isNull() and pm.width() <= 320
    img = pm.toImage()
    greens = sum(1 for x in range(0, img.width(), 2) for y in range(0, img.height(), 2)
                 if img.pixelColor(x, y).green() > 180 and img.pixelColor(x, y).red() < 140)
    assert greens > 20  # the skeleton is drawn over the frame
    started = time.monotonic()
    qtbot.mouseClick(tab.cancel_record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: t.recorder is None, timeout=5000)
    assert time.monotonic() - started < 1.5  # promptly, not after the remaining frames
    assert t.ref_status.text() == "Cancelled: nothing was stored."
    assert not tab.ref_progress.isVisible() and not tab.ref_preview.isVisible() and t.record_button.isEnabled()
    assert clinic.references(pid, "glute_bridge") == [] and _files(clinic, pid) == []
    assert t.last_reference is None


def test_the_worker_passes_on_a_few_progresses_and_always_the_last(qtbot):
    from posecoach.app._qt.therapist.jobs import RecordWorker

    def record(*, stop, progress, cancel, **kw):
        for i in range(1, 301):
            progress(RecordProgress(i, 300, i / 30, None, i * 0.001))
        return {}

    got: list = []
    w = RecordWorker(record, {}, every_s=0.5)
    w.progress.connect(got.append)
    with qtbot.waitSignal(w.finished, timeout=5000):
        w.start()
    qtbot.waitUntil(lambda: bool(got) and got[-1].frames == 300, timeout=2000)
    assert len(got) <= 3 and got[0].frames == 1  # throttled: not 300 repaints
    w.wait()
