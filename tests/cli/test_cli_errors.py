"""The CLI's one error path: every PosecoachError subclass, raised anywhere in a command, ends as
exactly one ``ERROR <message>`` line on stderr and exit code 2; real clinic errors take that path."""

from __future__ import annotations

import pytest

import posecoach.errors as errors
from posecoach.cli import report as report_cmd
from posecoach.cli.main import main

SUBCLASSES = [getattr(errors, name) for name in errors.__all__ if name != "PosecoachError"]


def test_every_error_class_is_listed_and_a_posecoach_error():
    assert {c.__name__ for c in SUBCLASSES} >= {"UsageError", "InvalidValue", "PatientNotFound",
                                                 "SessionNotFound", "ReferenceNotFound", "OutputError"}
    assert all(issubclass(c, errors.PosecoachError) for c in SUBCLASSES)


@pytest.mark.parametrize("cls", SUBCLASSES, ids=lambda c: c.__name__)
def test_each_subclass_becomes_one_error_line_and_exit_2(cls, monkeypatch, capsys):
    def handler(args):
        raise cls("the thing is wrong: do this instead")

    monkeypatch.setattr(report_cmd, "run", handler)
    assert main(["report", "Ann", "--out", "x"]) == 2
    out = capsys.readouterr()
    assert out.err == "ERROR the thing is wrong: do this instead\n"
    assert out.out == ""


def test_a_programming_error_is_not_disguised_as_a_user_error(monkeypatch):
    def handler(args):
        raise KeyError("bug")

    monkeypatch.setattr(report_cmd, "run", handler)
    with pytest.raises(KeyError):
        main(["report", "Ann", "--out", "x"])


def test_interrupt_is_exit_130(monkeypatch, capsys):
    def handler(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(report_cmd, "run", handler)
    assert main(["report", "Ann", "--out", "x"]) == 130
    assert capsys.readouterr().err == "stopped\n"


@pytest.mark.parametrize("argv, cls, text", [
    (["report", "Nobody", "--out", "x"], "PatientNotFound", "ERROR unknown patient Nobody: see `posecoach patient list`"),
    (["patient", "add", "12"], "InvalidValue", "ERROR patient name '12' is only digits"),
    (["exercises", "validate"], "UsageError", "ERROR give the exercise file(s) to validate"),
    (["programme", "today", "-p", "Ann", "--date", "soon"], "UsageError", "ERROR --date 'soon': write YYYY-MM-DD"),
    (["targets", "set", "-p", "Ann", "-e", "squat", "--peak", "175"], "InvalidValue",
     "ERROR squat: the peak target (175) must be below the rest target"),
    (["db", "restore", "missing.db"], "OutputError", "ERROR missing.db does not exist"),
])
def test_real_clinic_errors_reach_the_cli_as_one_line(argv, cls, text, capsys):
    from posecoach.clinic import Clinic

    with Clinic() as c:
        c.add_patient("Ann")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(text) and err.count("\n") == 1, (cls, err)
