"""``posecoach programme set --add-hold/--max-hold``: a hold exercise's progression at the command line."""

from __future__ import annotations

from posecoach.cli.main import main
from posecoach.clinic import Clinic


def test_programme_set_takes_the_hold_progression(capsys):
    with Clinic() as c:
        c.add_patient("Ann")
    rc = main(["programme", "set", "-p", "Ann", "-i", "plank:3x1:20", "-i", "squat:2x10", "--add-hold", "10",
               "--max-hold", "45"])
    out = capsys.readouterr().out
    assert rc == 0 and "(hold exercises: +10 s hold, up to 45 s)" in out
    with Clinic() as c:
        rule = c.programme(c.patient("Ann").id).rule
    assert (rule.add_hold_s, rule.max_hold_s) == (10.0, 45.0)
    rc = main(["programme", "set", "-p", "Ann", "-i", "plank:3x1:20", "--max-hold", "0"])
    assert rc == 2 and "--max-hold '0': give a number above 0 and at most 600 s" in capsys.readouterr().err
