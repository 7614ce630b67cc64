"""Names and notes typed by users reach the terminal as text, never as control sequences; they are
stored exactly as typed."""

from __future__ import annotations

import pytest

from posecoach.cli.main import main
from posecoach.clinic import Clinic

EVIL = "Bob\x1b[2J\x1b]0;pwned\x07\rEve\u202eevil\x9b31m"


def test_printable_escapes_controls_and_bidi_overrides_only():
    from posecoach.cli.output import printable

    assert printable("Ann Smith-Öztürk 中文") == "Ann Smith-Öztürk 中文"
    shown = printable(EVIL)
    assert shown.isprintable() and "\\x1b[2J" in shown and "\\u202e" in shown and "\\x9b" in shown
    assert printable("a\nb\tc\x7f") == "a\\x0ab\\x09c\\x7f"
    assert printable(b"clip-\xff.mp4".decode("utf-8", "surrogateescape")) == "clip-\\xff.mp4"  # printable at all


@pytest.mark.parametrize("argv", [
    ["patient", "list"],
    ["patient", "delete", EVIL],  # without --yes: the error names the patient
    ["patient", "delete", EVIL + "x"],  # unknown patient: the error repeats the name
    ["programme", "show", "--patient", EVIL],
    ["reference", "list", "--patient", EVIL],
    ["targets", "show", "--patient", EVIL, "--exercise", "squat"],
])
def test_no_control_character_reaches_the_terminal(capsys, argv):
    assert main(["patient", "add", EVIL, "--notes", "note\x1b[8mhidden"]) == 0
    capsys.readouterr()
    main(argv)
    out, err = capsys.readouterr()
    text = out + err
    assert text.strip(), "the command printed nothing"
    assert not any(ch in text for ch in "\x1b\x07\r\u202e\x9b"), repr(text)
    assert all(line.isprintable() for line in text.splitlines())
    assert "\\x1b" in text
    with Clinic() as c:  # stored as typed
        [p] = c.patients()
        assert p.name == " ".join(EVIL.split()) and p.notes == "note\x1b[8mhidden"
