"""Landmark recordings that are broken, hostile or half-written: ``posecoach replay`` gives a
one-line ``PosecoachError`` naming the file and line, or a valid result, never another exception;
``write_recording`` is atomic."""

from __future__ import annotations

import copy
import errno
import json
import math
import resource
import signal
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posecoach.cli.batch import replay_recording
from posecoach.cli.main import main
from posecoach.core.exercise import find_exercise
from posecoach.errors import OutputError, PosecoachError, SourceError
from posecoach.io.recording import read_recording, write_recording
from posecoach.testing import synth


@lru_cache(maxsize=1)
def _frames():
    sc = synth.squat(n_reps=1, noise_px=1.0, seed=2)
    return [(t, p, False) for t, p in sc.poses[:40]]


@lru_cache(maxsize=1)
def _lines() -> tuple[str, ...]:
    """A good recording's lines: a meta line, then one line per frame."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "good_landmarks.jsonl"
        write_recording(path, _frames(), {"source": "clip.mp4", "fps": 30.0})
        return tuple(path.read_text().splitlines())


def strict_loads(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- non-finite values


@pytest.mark.parametrize("field, value", [
    ("t", "nan"), ("t", float("nan")), ("t", float("inf")), ("t", 10**400), ("t", True),
    ("xy", "nan"), ("vis", "inf"), ("world", "nan"), ("size", [float("nan"), 480]), ("n_people", 1e300),
], ids=lambda v: repr(v)[:12])
def test_a_non_finite_value_is_one_line_naming_file_and_line(tmp_path, field, value):
    """``"t": "nan"`` was read as NaN and made the result JSON invalid (``NaN``)."""
    lines = [json.loads(ln) for ln in _lines()]
    rec = lines[3]
    if field in ("xy", "vis", "world") and isinstance(value, str):
        rec[field][5] = [float(value)] * (2 if field == "xy" else 3) if field != "vis" else float(value)
    else:
        rec[field] = value
    path = tmp_path / "r_landmarks.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    with pytest.raises(SourceError) as info:
        replay_recording(path, find_exercise("squat"))
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{path}: line 4 is not a landmark frame")


def test_replay_of_a_nan_time_writes_valid_json(tmp_path, capsys):
    lines = list(_lines())
    rec = json.loads(lines[2])
    rec["t"] = "nan"
    lines[2] = json.dumps(rec)
    path = tmp_path / "clip_landmarks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["replay", str(path), "-e", "squat", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"ERROR {path}: line 3 is not a landmark frame")
    for f in out.glob("*.json"):
        strict_loads(f.read_text())


# --------------------------------------------------------------------------- atomic writes


def test_write_recording_on_a_full_disk_keeps_the_old_file_and_names_it(tmp_path):
    """It wrote in place: a full disk left half a recording and no old one."""
    path = tmp_path / "rec_landmarks.jsonl"
    path.write_text('{"meta": {"source": "old"}}\n')
    old = path.read_text()
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))  # the file system fills at 20 kB
    try:
        with pytest.raises(OutputError) as info:
            write_recording(path, _frames() * 3, {"source": "new"})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)
    assert path.read_text() == old
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_write_recording_error_names_the_file(tmp_path, monkeypatch):
    from posecoach.io import atomic

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    path = tmp_path / "x_landmarks.jsonl"
    with pytest.raises(OutputError) as info:
        write_recording(path, _frames())
    assert str(info.value) == f"{path}: the disk is full; free some space and run again"


# --------------------------------------------------------------------------- fuzzing


JUNK = st.one_of(
    st.none(), st.booleans(), st.text(max_size=6),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.lists(st.lists(st.integers(-(10**20), 10**20), max_size=3), max_size=35),
    st.dictionaries(st.sampled_from(["t", "xy", "meta", "source"]), st.integers(), max_size=2),
)
KEYS = ["t", "xy", "vis", "world", "size", "n_people", "cut", "meta", "pose"]


@st.composite
def mangled_line(draw) -> bytes:
    """One line of a recording: a good one, a good one with a key removed or set to junk, an
    array cut short or one landmark replaced, a scaled-up one, or bytes that are not JSON."""
    kind = draw(st.sampled_from(["good", "junk_value", "drop_key", "short_array", "bad_point", "huge", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=80)).replace(b"\n", b" ")
    lines = _lines()
    rec = copy.deepcopy(json.loads(lines[draw(st.integers(0, len(lines) - 1))]))
    key = draw(st.sampled_from(KEYS))
    if kind == "junk_value":
        rec[key] = draw(JUNK)
    elif kind == "drop_key":
        rec.pop(key, None)
    elif kind == "short_array" and isinstance(rec.get("xy"), list):
        name = draw(st.sampled_from(["xy", "vis", "world"]))
        if isinstance(rec.get(name), list):
            rec[name] = rec[name][: draw(st.integers(0, 34))]
    elif kind == "bad_point" and isinstance(rec.get("xy"), list):
        rec["xy"][draw(st.integers(0, 32))] = draw(JUNK)
    elif kind == "huge" and isinstance(rec.get("xy"), list):
        factor = draw(st.sampled_from([1e12, 1e300, -1e308, 10**30]))
        rec["xy"] = [[x * factor for x in pt] for pt in rec["xy"]]
    return json.dumps(rec, allow_nan=True).encode()


@pytest.mark.slow
@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.lists(mangled_line(), min_size=1, max_size=12), keep_good=st.integers(0, 30))
def test_a_mangled_recording_is_one_error_line_or_a_valid_result(tmp_path_factory, body, keep_good):
    path = tmp_path_factory.mktemp("fuzz") / "f_landmarks.jsonl"
    good = [ln.encode() for ln in _lines()[:keep_good]]
    path.write_bytes(b"\n".join(good + body) + b"\n")
    try:
        res = replay_recording(path, find_exercise("squat"))
    except PosecoachError as e:
        msg = str(e)
        assert msg and "\n" not in msg and msg.startswith(f"{path}: ")
        return
    strict_loads(json.dumps(res, allow_nan=False))  # what write_result writes
    assert math.isfinite(res["duration_s"]) and res["frames"] >= 1
    frames, _ = read_recording(path)
    assert len(frames) == res["frames"]
