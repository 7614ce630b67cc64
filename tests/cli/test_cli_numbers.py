"""Numbers on the command line and in the clinic: every numeric option takes only a finite number in
its range, refused with one ``ERROR`` line naming the option and the range (exit 2, nothing stored);
the clinic refuses the same values from any caller, so nothing out of range reaches the database (where
2**63 no longer fits and the app fell back to an unsaved session)."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from posecoach.cli.main import build_parser, main
from posecoach.clinic import Clinic
from posecoach.clinic.records import ProgrammeItem, ProgressionRule
from posecoach.clinic.targets import targets_for
from posecoach.core.exercise import find_exercise
from posecoach.errors import InvalidValue, PosecoachError

HOSTILE = ["nan", "inf", "-inf", "1e308", "-1e308", "9" * 40, "1" + "0" * 5000, "", "abc"]


def numeric_options() -> list[tuple[str, argparse.Action]]:
    """(command, action) for every option of every command that is parsed into a number."""
    found = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}".strip())
            elif action.type is not None and action.type not in (str,) and getattr(action.type, "__name__", "") in (
                    "int", "float"):
                found.append((path, action))

    walk(build_parser(), "")
    return found


OPTIONS = numeric_options()


def test_the_numeric_options_are_found():
    names = {f"{cmd} {a.option_strings[0]}" for cmd, a in OPTIONS}
    assert names >= {"targets set --peak", "targets set --rest", "targets set --hold", "targets set --tempo",
                     "reference record --rom-share", "reference record --seconds", "programme set --days",
                     "programme set --add-reps", "programme set --every", "programme set --max-reps",
                     "analyze --workers", "demo --speed", "app --speed"}


@pytest.mark.parametrize("cmd, action", OPTIONS, ids=[f"{c} {a.option_strings[0]}" for c, a in OPTIONS])
def test_every_numeric_option_is_bounded(cmd, action):
    # main: type=float/int took nan, inf and 1e308 (and a 5000-digit int raised a ValueError of its own)
    for text in HOSTILE:
        with pytest.raises(PosecoachError) as info:
            action.type(text)
        msg = str(info.value)
        assert "\n" not in msg and len(msg) < 200 and action.option_strings[0] in msg
        assert " to " in msg or " at most " in msg  # the allowed range
    if action.default is not None:  # the default is within the range
        assert action.type(str(action.default)) == action.default


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def ann():
    with Clinic() as c:
        return c.add_patient("Ann")


@pytest.mark.parametrize("argv, says", [
    (["targets", "set", "-p", "Ann", "-e", "squat", "--peak", "100", "--rest", "1e308"],
     "ERROR --rest '1e308': give a number from -360 to 360"),
    (["targets", "set", "-p", "Ann", "-e", "squat", "--hold", "nan"], "ERROR --hold 'nan': give a number from 0 to 600 s"),
    (["targets", "set", "-p", "Ann", "-e", "squat", "--tempo", "inf"], "ERROR --tempo 'inf': give a number from 0 to 600 s"),
    (["programme", "set", "-p", "Ann", "-i", "glute_bridge:2x99999999999999999999999"],
     "ERROR programme item 'glute_bridge:2x99999999999999999999999': reps '99999999999999999999999': give a whole "
     "number from 1 to 100"),
    (["programme", "set", "-p", "Ann", "-i", "glute_bridge:21x10"],
     "ERROR programme item 'glute_bridge:21x10': sets '21': give a whole number from 1 to 20"),
    (["programme", "set", "-p", "Ann", "-i", "glute_bridge:2x10:1e308"],
     "ERROR programme item 'glute_bridge:2x10:1e308': hold '1e308': give a number from 0 to 600 s"),
    (["programme", "set", "-p", "Ann", "-i", "glute_bridge:2x10", "--every", "1e3"],
     "ERROR --every '1e3': give a whole number from 1 to 100"),
    (["programme", "set", "-p", "Ann", "-i", "glute_bridge:2x10", "--add-reps", "99999999999999999999"],
     "ERROR --add-reps '99999999999999999999': give a whole number from 0 to 20"),
    (["reference", "record", "-p", "Ann", "-e", "squat", "-s", "0", "--rom-share", "nan"],
     "ERROR --rom-share 'nan': give a number above 0 and at most 1.5"),
])
def test_the_command_refuses_with_one_line_and_stores_nothing(capsys, ann, argv, says):
    # main: accepted and stored (or a traceback); the session later overflowed the database
    rc, out, err = cli(capsys, *argv)
    assert (rc, out, err) == (2, "", says + "\n")
    with Clinic() as c:
        assert c.targets(ann, "squat") is None and c.programme(ann) is None and c.references(ann) == []


def test_values_in_range_are_taken(capsys, ann):
    rc, out, _ = cli(capsys, "programme", "set", "-p", "Ann", "-i", "glute_bridge:20x100:600", "--days", "7",
                     "--add-reps", "0", "--every", "100", "--max-reps", "100")
    assert rc == 0 and "glute_bridge: 20 x 100, hold 600 s" in out
    rc, out, _ = cli(capsys, "targets", "set", "-p", "Ann", "-e", "squat", "--rest", "150", "--peak", "100",
                     "--hold", "0", "--tempo", "600")
    assert rc == 0 and "rest 150, peak 100" in out


# --------------------------------------------------------------------------- the clinic, from any caller


@pytest.mark.parametrize("targets, says", [
    ({"peak": 1e308}, "target peak must be from -360 to 360, got 1e+308"),
    ({"rest": -1e308}, "target rest must be from -360 to 360, got -1e+308"),
    ({"hold_s": 601}, "target hold_s must be from 0 to 600, got 601"),
    ({"tempo_s": 1e300}, "target tempo_s must be from 0 to 600, got 1e+300"),
    ({"rom_share": 0}, "target rom_share must be above 0 and at most 1.5, got 0"),
    ({"reference_id": 10 ** 30}, "target reference_id must be a reference id"),
])
def test_set_targets_refuses_out_of_range(ann, targets, says):
    with Clinic() as c, pytest.raises(InvalidValue) as info:
        c.set_targets(ann, "squat", targets)
    assert str(info.value).startswith(says)


def test_targets_for_refuses_stored_values_out_of_range():
    # main: rest 1e308 (the peak below it, as for a squat) passed the check and reached the engine
    with pytest.raises(InvalidValue, match="target rest must be from -360 to 360"):
        targets_for(find_exercise("squat"), {"rest": 1e308, "peak": 100})
    with pytest.raises(InvalidValue, match="target hold_s must be a finite number"):
        targets_for(find_exercise("squat"), {"hold_s": math.inf})


@pytest.mark.parametrize("item, says", [
    ({"exercise_id": "squat", "reps": 10 ** 22}, "squat: reps must be a whole number from 1 to 100, got "),
    ({"exercise_id": "squat", "sets": 21}, "squat: sets must be a whole number from 1 to 20, got 21"),
    ({"exercise_id": "squat", "sets": math.inf}, "squat: sets must be a whole number from 1 to 20, got inf"),
    ({"exercise_id": "squat", "hold_s": 1e308}, "target squat: hold_s must be from 0 to 600, got 1e+308"),
])
def test_programme_items_are_bounded(item, says):
    with pytest.raises(InvalidValue) as info:
        ProgrammeItem.of(item)
    assert str(info.value).startswith(says)


@pytest.mark.parametrize("rule, says", [
    ({"add_reps": 10 ** 20}, "rule add_reps must be a whole number from 0 to 20"),
    ({"every_n_sessions": 101}, "rule every_n_sessions must be a whole number from 1 to 100"),
    ({"max_reps": 10 ** 5000}, "rule max_reps must be a whole number from 1 to 100, got <a int>"),
])
def test_progression_rules_are_bounded(rule, says):
    with pytest.raises(InvalidValue) as info:
        ProgressionRule.of(rule)
    assert str(info.value).startswith(says)


def test_a_stored_programme_out_of_range_says_to_set_it_again(capsys, ann):
    with Clinic() as c:
        c.set_programme(ann, [{"exercise_id": "squat", "sets": 2, "reps": 10}])
        items = json.dumps([{"exercise_id": "squat", "sets": 2, "reps": 10 ** 22, "hold_s": None}])
        c.store.write(lambda con: con.execute("UPDATE clinic_programmes SET items = ?", (items,)))
    rc, out, err = cli(capsys, "programme", "show", "-p", "Ann")
    assert rc == 2 and out == "" and err.count("\n") == 1
    assert "squat: reps must be a whole number from 1 to 100" in err and "set the programme again" in err


# --------------------------------------------------------------------------- numbers that name things


def test_camera_index():
    from posecoach.errors import SourceError
    from posecoach.io.sources import camera_index

    assert camera_index(0) == 0 and camera_index(" 1 ") == 1 and camera_index("999") == 999
    assert camera_index("clip.mp4") is None and camera_index("²") is None and camera_index(True) is None
    for bad in ("1000", "9" * 5000, -1):
        with pytest.raises(SourceError, match="camera numbers go from 0 to 999"):
            camera_index(bad)


@pytest.mark.parametrize("argv", [["start", "--source", "99999999999999999999999", "-e", "squat"],
                                  ["reference", "record", "-p", "Ann", "-e", "squat", "-s", "9" * 5000]])
def test_a_camera_number_no_camera_has_is_one_line(capsys, ann, argv):
    # main: OpenCV's overflow error (or int()'s digit limit) as a traceback
    rc, _, err = cli(capsys, *argv)
    assert rc == 2 and err.count("\n") == 1
    assert err.startswith("ERROR camera 99999999999999999...: camera numbers go from 0 to 999")


@pytest.mark.parametrize("who", ["99999999999999999999999", "²", "9" * 5000])
def test_a_patient_id_nobody_has_is_one_line(capsys, ann, who):
    # main: OverflowError from SQLite, or ValueError from int('²'), as a traceback
    rc, _, err = cli(capsys, "programme", "show", "-p", who)
    assert rc == 2 and err.count("\n") == 1 and err.startswith("ERROR unknown patient ")
    with Clinic() as c:
        with pytest.raises(PosecoachError, match="unknown patient"):
            c.patient(10 ** 30)
        assert c.patient(str(ann)).id == ann  # an id written as digits still finds the patient


def test_programme_today_says_done_only_when_the_prescribed_reps_are(capsys, ann):
    """Issue 12 item 2 at the command line: a session stopped at 0 reps, or 6 of 16, is not "done"."""
    with Clinic() as c:
        c.set_programme(ann, [{"exercise_id": "glute_bridge", "sets": 2, "reps": 8}])
        for n in (0, 6):
            sid = c.start_session(ann, "glute_bridge", source="cam", planned_sets=2, planned_reps=8)
            for i in range(n):
                c.history.add_rep(sid, {"index": i + 1, "peak_angle": 170.0, "faults": []}, set_index=1)
            c.history.finish_session(sid, summary={}, pain_after=None, stopped="user")
    rc, out, _ = cli(capsys, "programme", "today", "-p", "Ann")
    assert rc == 0 and "(6 of 16 reps today)" in out and "done" not in out, out
    with Clinic() as c:
        sid = c.start_session(ann, "glute_bridge", source="cam", planned_sets=2, planned_reps=8)
        for i in range(10):
            c.history.add_rep(sid, {"index": i + 1, "peak_angle": 170.0, "faults": []}, set_index=1)
        c.history.finish_session(sid, summary={}, pain_after=None, stopped="completed")
    rc, out, _ = cli(capsys, "programme", "today", "-p", "Ann")
    assert rc == 0 and "(done today)" in out, out
