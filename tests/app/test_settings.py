"""Settings: round trip, defaults for bad parts, atomic save, POSECOACH_HOME."""

from __future__ import annotations

import json
import logging
import os

import pytest

from posecoach.errors import OutputError
from posecoach.app.settings import Settings, load_settings, save_settings


def test_missing_file_gives_defaults(tmp_path):
    assert load_settings(tmp_path / "nope.json") == Settings()


def test_round_trip(tmp_path):
    s = Settings(camera_index=2, video_path="/v/clip.mp4", exercise_id="squat", muted=True, count_aloud=True,
                 rate_wpm=140, voice="gmw/en-gb", window_geometry="AdnQywADAAA=", last_pain=4)
    p = save_settings(s, tmp_path / "settings.json")
    assert load_settings(p) == s
    assert json.loads(p.read_text())["exercise_id"] == "squat"


def test_corrupt_file_gives_defaults_and_a_warning(tmp_path, caplog):
    p = tmp_path / "settings.json"
    p.write_text('{"muted": tru')
    with caplog.at_level(logging.WARNING, logger="posecoach.app.settings"):
        assert load_settings(p) == Settings()
    assert "not valid JSON" in caplog.text


@pytest.mark.parametrize("content", ["[1, 2]", "null", "\x00\xff"])
def test_not_an_object_gives_defaults(tmp_path, content, caplog):
    p = tmp_path / "settings.json"
    p.write_bytes(content.encode("latin-1"))
    with caplog.at_level(logging.WARNING, logger="posecoach.app.settings"):
        assert load_settings(p) == Settings()
    assert caplog.records


def test_bad_parts_only_fall_back(tmp_path, caplog):
    p = tmp_path / "settings.json"
    p.write_text(json.dumps({
        "exercise_id": "plank", "muted": True,            # good
        "rate_wpm": "fast", "camera_index": -1,          # wrong type / out of range
        "last_pain": 12, "count_aloud": 1,               # out of range / int is not a bool
        "theme": "dark",                                 # unknown key
    }))
    with caplog.at_level(logging.WARNING, logger="posecoach.app.settings"):
        s = load_settings(p)
    assert s == Settings(exercise_id="plank", muted=True)
    text = caplog.text
    for word in ("rate_wpm", "camera_index", "last_pain", "count_aloud", "theme"):
        assert word in text


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    p = tmp_path / "settings.json"
    save_settings(Settings(exercise_id="squat"), p)

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OutputError) as e:
        save_settings(Settings(exercise_id="plank"), p)
    assert "\n" not in str(e.value)
    monkeypatch.undo()
    assert load_settings(p).exercise_id == "squat"  # the old file is intact
    assert sorted(x.name for x in tmp_path.iterdir()) == ["settings.json"]


def test_posecoach_home_is_respected(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("POSECOACH_HOME", str(home))
    save_settings(Settings(rate_wpm=200))
    assert (home / "settings.json").is_file()
    assert load_settings().rate_wpm == 200


def test_patient_id_is_remembered_and_checked(tmp_path):
    from posecoach.app.settings import Settings, load_settings, save_settings

    path = tmp_path / "settings.json"
    save_settings(Settings(patient_id=7), path)
    assert load_settings(path).patient_id == 7
    path.write_text('{"patient_id": "Ann"}')
    assert load_settings(path).patient_id is None
