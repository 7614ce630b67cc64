"""Exercise files: every shipped file validates; each broken file gives its one-line error.

One broken file per failure mode, written into ``tmp_path``; the tests check the
exact message text (file, field path, expectation), as a user would read it.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from posecoach.errors import ExerciseError
from posecoach.core.exercise import exercise_files, find_exercise, list_exercises, load_exercise
from posecoach.paths import exercises_dir

SHIPPED = exercise_files()

GOOD = {
    "schema_version": 1,
    "id": "bridge",
    "name": "Bridge",
    "summary": "Lift the hips.",
    "view": "side",
    "camera_setup": "Side-on.",
    "angles": {
        "hip": {"points": ["near_shoulder", "near_hip", "near_knee"], "signed": "up"},
        "knee": {"points": ["near_hip", "near_knee", "near_ankle"]},
    },
    "rep": {"angle": "hip", "rest": 140, "peak": 160, "hysteresis": 4},
    "hold": {"seconds": 3},
    "form_rules": [
        {"id": "hips_low", "angle": "hip", "phase": "peak", "stat": "max", "below": 166, "cue": "Higher"},
        {"id": "feet_far", "angle": "knee", "phase": "peak", "above": 125, "cue": "Feet closer"},
    ],
    "instructions": ["Lie down.", "Lift."],
}


def write(tmp_path: Path, data=None, *, text: str | None = None, name: str = "bridge") -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(text if text is not None else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return p


def broken(**edits) -> dict:
    """GOOD with edits: keys are dotted paths (list items by index); value None deletes."""
    data = copy.deepcopy(GOOD)
    for path, value in edits.items():
        *parents, last = path.split("__")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is None:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return data


def error(p: Path) -> str:
    with pytest.raises(ExerciseError) as info:
        load_exercise(p)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# --------------------------------------------------------------------------- shipped files


def test_there_are_shipped_exercises():
    assert {p.stem for p in SHIPPED} >= {"squat", "glute_bridge", "pelvic_tilt"}


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_file_validates(path):
    ex = load_exercise(path)
    assert ex.id == path.stem
    assert ex.rep.angle in ex.angles
    assert all(r.angle is None or r.angle in ex.angles for r in ex.form_rules)
    assert abs(ex.rep.peak - ex.rep.rest) > 2 * ex.rep.hysteresis


def test_list_exercises_reports_no_broken_files():
    good, bad = list_exercises()
    assert bad == []
    assert sorted(x.id for x in good) == sorted(p.stem for p in SHIPPED)


def test_good_fixture_loads(tmp_path):
    ex = load_exercise(write(tmp_path, GOOD))
    assert ex.id == "bridge" and ex.rep.peak == 160
    with pytest.raises(Exception):
        ex.rep.peak = 1  # validated records are immutable


# --------------------------------------------------------------------------- one file per failure mode


def test_invalid_yaml(tmp_path):
    p = write(tmp_path, text="id: bridge\nname: [unclosed\n")
    assert error(p) == f"{p}: invalid YAML: line 3, column 1: expected ',' or ']', but got '<stream end>'"


@pytest.mark.parametrize("text, got", [("- a\n- b\n", "list"), ("just words\n", "str"), ("", "NoneType")])
def test_not_a_mapping(tmp_path, text, got):
    p = write(tmp_path, text=text)
    assert error(p) == f"{p}: expected a mapping of fields (id, name, angles, rep, ...), got {got}"


def test_unknown_field_with_did_you_mean(tmp_path):
    p = write(tmp_path, broken(rep__hysterisis=3))
    assert error(p) == (f"{p}: rep.hysterisis: unknown field (remove it or check its spelling); "
                        "did you mean 'hysteresis'?")


def test_unknown_field_in_a_list_item(tmp_path):
    p = write(tmp_path, broken(form_rules__0__angel="hip"))
    assert error(p) == (f"{p}: form_rules[0].angel: unknown field (remove it or check its spelling); "
                        "did you mean 'angle'?")


def test_unknown_top_level_field(tmp_path):
    p = write(tmp_path, broken(praize=["Good"]))
    assert error(p) == f"{p}: praize: unknown field (remove it or check its spelling); did you mean 'praise'?"


def test_sides_together_needs_both_sides(tmp_path):
    p = write(tmp_path, broken(sides_together="one"))
    assert error(p) == f"{p}: sides_together: one: only with 'sides: both' and 'count_per: side'"


def test_missing_field(tmp_path):
    p = write(tmp_path, broken(camera_setup=None))
    assert error(p) == f"{p}: camera_setup: required field is missing"


def test_wrong_type(tmp_path):
    p = write(tmp_path, broken(rep__peak="deep"))
    assert error(p) == f"{p}: rep.peak: expected a number, got 'deep'"


def test_wrong_choice(tmp_path):
    p = write(tmp_path, broken(view="top"))
    assert error(p) == f"{p}: view: input should be 'side', 'oblique', 'front' or 'any', got 'top'"


def test_oblique_view_needs_every_angle_in_3d(tmp_path):
    p = write(tmp_path, broken(view="oblique", angles__hip__space="world", angles__hip__signed=None))
    assert error(p) == (f"{p}: view: oblique: every angle must be measured in 3D ('space: world'), which an "
                        "oblique camera does not distort; 'knee' is in the picture ('space: image')")
    p = write(tmp_path, broken(view="oblique", angles__hip__space="world", angles__hip__signed=None, angles__knee__space="world"))
    assert load_exercise(p).view == "oblique"


def test_unknown_landmark_with_did_you_mean(tmp_path):
    p = write(tmp_path, broken(angles__hip__points=["near_shoulder", "near_hipp", "near_knee"]))
    assert error(p) == f"{p}: angles.hip.points: unknown landmark 'near_hipp'; did you mean 'near_hip'?"


def test_wrong_number_of_points(tmp_path):
    p = write(tmp_path, broken(angles__knee__points=["near_hip", "near_knee"]))
    assert error(p) == f"{p}: angles.knee: a 'joint' feature takes 3 points, got 2"


def test_rep_angle_not_defined(tmp_path):
    p = write(tmp_path, broken(rep__angle="hips"))
    assert error(p) == (f"{p}: rep.angle: 'hips' is not one of the angles defined in 'angles' (hip, knee); "
                        "did you mean 'hip'?")


def test_form_rule_angle_not_defined(tmp_path):
    p = write(tmp_path, broken(form_rules__1__angle="ankle"))
    assert error(p) == (f"{p}: form_rules[1].angle: 'ankle' is not one of the angles defined in 'angles' "
                        "(hip, knee)")


def test_peak_equals_rest(tmp_path):
    p = write(tmp_path, broken(rep__peak=140))
    assert error(p) == (f"{p}: rep: 'peak' (140.0) and 'rest' (140.0) must differ by more than twice "
                        "'hysteresis' (4.0)")


def test_id_must_match_the_file_name(tmp_path):
    p = write(tmp_path, GOOD, name="glute_bridge")
    assert error(p) == f"{p}: id: expected 'glute_bridge' (the file name), got 'bridge'"


def test_duplicate_fault_id(tmp_path):
    p = write(tmp_path, broken(form_rules__1__id="hips_low"))
    assert error(p) == f"{p}: form_rules[1].id: fault id 'hips_low' is used twice"


def test_several_problems_are_counted(tmp_path):
    p = write(tmp_path, broken(camera_setup=None, summary=None))
    assert error(p) == f"{p}: summary: required field is missing (and 1 more problem(s))"


def test_yaml_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    p = write(tmp_path, text=f"id: !!python/object/apply:os.system ['touch {marker}']\nname: x\n")
    assert error(p) == (f"{p}: invalid YAML: line 1, column 5: could not determine a constructor for the tag "
                        "'tag:yaml.org,2002:python/object/apply:os.system'")
    assert not marker.exists()


def test_python_object_tag_anywhere(tmp_path):
    data = yaml.safe_dump(GOOD, sort_keys=False).replace("name: Bridge", "name: !!python/object:os.PathLike {}")
    p = write(tmp_path, text=data)
    assert "invalid YAML" in error(p) and "python/object:os.PathLike" in error(p)


def test_not_utf8(tmp_path):
    p = tmp_path / "bridge.yaml"
    p.write_bytes(b"id: \xff\xfe bridge\n")
    assert error(p) == f"{p}: not a text file (expected UTF-8 YAML)"


def test_missing_file(tmp_path):
    assert error(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such exercise file"


def test_unknown_exercise_id_suggests_the_closest():
    with pytest.raises(ExerciseError) as info:
        find_exercise("sqaut")
    assert str(info.value) == "unknown exercise 'sqaut': did you mean 'squat'? run `posecoach exercises` to list them"


def test_broken_file_in_the_folder_is_reported_and_skipped(tmp_path, monkeypatch):
    for p in SHIPPED:
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    write(tmp_path, broken(rep__peak="deep"))
    monkeypatch.setenv("POSECOACH_EXERCISES", str(tmp_path))
    assert exercises_dir() == tmp_path
    good, bad = list_exercises()
    assert sorted(x.id for x in good) == sorted(p.stem for p in SHIPPED)
    assert [str(e) for e in bad] == [f"{tmp_path / 'bridge.yaml'}: rep.peak: expected a number, got 'deep'"]
