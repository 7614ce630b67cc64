"""Saves that are several rows (a patient's analysed session; a reference with its targets) killed
(SIGKILL) at every step: the database holds all of the save or none of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from posecoach.clinic import references as references_module
from posecoach.clinic.patients import Clinic
from posecoach.errors import OutputError
from posecoach.io.recording import read_recording
from posecoach.testing import synth

# The child kills itself (SIGKILL: no cleanup, no rollback) when SQLite is about to run the N-th
# statement that starts with PATTERN, or, for PATTERN "landmarks", half way through the landmarks file.
KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from posecoach.clinic import references
    from posecoach.clinic.patients import Clinic
    from posecoach.clinic.store import Store
    from posecoach.core.exercise import find_exercise
    from posecoach.testing import synth

    db, what, pattern, nth = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    seen = [0]

    def step():
        seen[0] += 1
        if seen[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

    connect = Store._connect

    def traced(path, **kw):
        con = connect(path, **kw)
        con.set_trace_callback(lambda sql: step() if sql.lstrip().upper().startswith(pattern) else None)
        return con

    Store._connect = staticmethod(traced)
    c = Clinic(db)
    ex = find_exercise("squat")
    sc = synth.squat(3, depth_knee_deg=62, noise_px=1.0, seed=1)
    frames = [(t, p, False) for t, p in sc.poses]
    if what == "session":
        from posecoach.clinic.judge import PatientJudge

        reps = [{"index": i, "start_s": 2.0 * i, "end_s": 2.0 * i + 1.5, "peak_angle": 100.0, "hold_s": None,
                 "faults": [], "counted": True} for i in range(1, 4)]
        result = {"source": "v.mp4", "reps": 3, "rep_details": reps,
                  "cues": [{"t": 1.0, "text": "slower"}, {"t": 2.0, "text": "good"}]}
        PatientJudge.load(c, "Ann", ex).store(c, result)
    else:
        import posecoach.io.recording as rec

        if pattern == "LANDMARKS":
            record = rec._record

            def slow(*a):
                step()
                return record(*a)

            rec._record = slow
        references._capture = lambda *a, **k: (frames, {"source": "v.mp4", "fps": sc.fps, "size": [640, 480]})
        references.record_reference("v.mp4", "squat", "Ann", clinic=c)
    print("saved", flush=True)
    """
)


def _run(db: Path, what: str, pattern: str, nth: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", KILLER, str(db), what, pattern, str(nth)],
                          capture_output=True, text=True, env=env, timeout=60)


def _ann(db: Path) -> int:
    with Clinic(db) as c:
        return c.add_patient("Ann")


@pytest.mark.slow
@pytest.mark.parametrize(("pattern", "nth"), [
    ("INSERT INTO REPS", 2), ("INSERT INTO EVENTS", 2), ("UPDATE SESSIONS", 1), ("NEVER", 1),
])
def test_a_patient_session_is_saved_whole_or_not_at_all(tmp_path, pattern, nth):
    db = tmp_path / "c.db"
    pid = _ann(db)
    p = _run(db, "session", pattern, nth)
    killed = p.returncode == -signal.SIGKILL
    assert killed or (p.returncode == 0 and "saved" in p.stdout), p.stderr
    with Clinic(db) as c:
        sessions = c.sessions(pid)
        if pattern == "NEVER":
            assert not killed and len(sessions) == 1
        if killed:
            assert sessions == [], f"a kill at {pattern} #{nth} left part of a session: {sessions}"
        for s in sessions:
            whole = c.history.session(s["id"])
            assert whole["ended_at"] is not None and whole["stopped"] == "completed"
            assert len(whole["reps"]) == 3 and len(whole["events"]) == 2
        assert c.history.unfinished() == []


@pytest.mark.slow
@pytest.mark.parametrize(("pattern", "nth"), [
    ("LANDMARKS", 40), ("INSERT INTO CLINIC_TARGETS", 1), ("COMMIT", 1), ("NEVER", 1),
])
def test_a_reference_is_saved_with_its_targets_or_not_at_all(tmp_path, pattern, nth):
    db = tmp_path / "c.db"
    pid = _ann(db)
    p = _run(db, "reference", pattern, nth)
    killed = p.returncode == -signal.SIGKILL
    assert killed or (p.returncode == 0 and "saved" in p.stdout), p.stderr
    with Clinic(db) as c:
        refs = c.references(pid)
        targets = c.targets(pid, "squat")
        if pattern == "NEVER":
            assert not killed and len(refs) == 1
        if killed:
            assert refs == [] and targets is None, f"a kill at {pattern} left {refs} / {targets}"
        for r in refs:  # a reference in the database is whole: its targets, its landmarks file
            assert targets is not None and targets["reference_id"] == r.id
            frames, meta = read_recording(r.landmarks_file)
            assert len(frames) == len(r.trace) and meta["patient_id"] == pid


# ------------------------------------------------------------ in-process failures


def _fake_capture(monkeypatch):
    sc = synth.squat(3, depth_knee_deg=62, noise_px=1.0, seed=1)
    frames = [(t, p, False) for t, p in sc.poses]
    monkeypatch.setattr(references_module, "_capture",
                        lambda *a, **k: (frames, {"source": "v.mp4", "fps": sc.fps, "size": [640, 480]}))
    return frames


@pytest.mark.slow
def test_a_reference_the_database_refuses_leaves_no_file(tmp_path, monkeypatch):
    _fake_capture(monkeypatch)
    with Clinic() as c:
        pid = c.add_patient("Ann")

        def refuse(*a, **k):
            raise OutputError("session history: the disk is full")

        monkeypatch.setattr(c.store, "transaction", refuse)
        with pytest.raises(OutputError):
            references_module.record_reference("v.mp4", "squat", pid, clinic=c)
        folder = c.reference_dir(pid)
        monkeypatch.undo()
        assert c.references(pid) == [] and c.targets(pid, "squat") is None
    assert not folder.exists() or list(folder.iterdir()) == []


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return datetime(2026, 3, 1, 10, 0, 0, tzinfo=tz)


@pytest.mark.slow
def test_two_references_within_one_second_keep_both_landmark_files(monkeypatch):
    frames = _fake_capture(monkeypatch)
    monkeypatch.setattr(references_module, "datetime", _Frozen)
    with Clinic() as c:
        pid = c.add_patient("Ann")
        a = references_module.record_reference("v.mp4", "squat", pid, clinic=c)
        b = references_module.record_reference("v.mp4", "squat", pid, clinic=c, notes="second")
        assert a["landmarks_file"] != b["landmarks_file"]
        for res in (a, b):
            ref = c.reference(res["reference_id"])
            assert ref.landmarks_file == res["landmarks_file"]
            assert len(read_recording(ref.landmarks_file)[0]) == len(frames)
