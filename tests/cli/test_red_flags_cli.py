"""``posecoach patient red-flags``: a patient's answers to the safety questions on the command line,
an open flag marked in ``patient list``, and clearing it after review (who is recorded)."""

from __future__ import annotations

from posecoach.cli.main import main
from posecoach.clinic import Clinic
from posecoach.clinic.red_flags import QUESTIONS

NO = {q.id: False for q in QUESTIONS}


def test_red_flags_are_listed_marked_and_cleared(capsys):
    with Clinic() as c:
        ann = c.add_patient("Ann")
        c.add_patient("Bob")
        c.red_flags.record(ann, {**NO, "fever_weight": True})
    assert main(["patient", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "RED FLAG" in next(line for line in out if "Ann" in line)
    assert "RED FLAG" not in next(line for line in out if "Bob" in line)
    assert main(["patient", "red-flags", "Ann"]) == 0
    out = capsys.readouterr().out
    assert "fever or unexplained weight loss" in out and "OPEN RED FLAG" in out and "--clear --by NAME" in out
    assert main(["patient", "red-flags", "Bob"]) == 0
    assert "not answered the safety questions yet" in capsys.readouterr().out
    assert main(["patient", "red-flags", "Ann", "--clear"]) == 2  # who reviewed it is recorded
    assert "--by NAME" in capsys.readouterr().err
    assert main(["patient", "red-flags", "Ann", "--clear", "--by", "Dr Lee", "--note", "bloods normal"]) == 0
    assert "may exercise again" in capsys.readouterr().out
    with Clinic() as c:
        last = c.red_flags.last(ann)
        assert last is not None and not last.open and last.cleared_by == "Dr Lee" and last.clear_note == "bloods normal"
    assert main(["patient", "list"]) == 0
    assert "RED FLAG" not in capsys.readouterr().out
