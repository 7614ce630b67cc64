"""posecoach.clinic.patients: patients, references, targets, programmes, deletion,
migration from an older history, and a kill in the middle of a write."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from posecoach.clinic import history as hist
from posecoach.clinic.patients import Clinic, UnknownPatientError
from posecoach.clinic.history import History
from posecoach.paths import home_dir


def rep(i: int, **kw) -> dict:
    d = {"index": i, "start_s": i * 2.0, "end_s": i * 2.0 + 1.5, "peak_angle": 100.0 + i, "hold_s": None,
         "faults": [], "counted": True}
    d.update(kw)
    return d


def add_session(c: Clinic, pid, ex="squat", *, n=3, before=2, after=2, stopped="completed", when=None, **kw):
    sid = c.start_session(pid, ex, source="cam", pain_before=before, planned_sets=1, planned_reps=n,
                          started_at=when)
    for i in range(1, n + 1):
        c.history.add_rep(sid, rep(i, **kw), set_index=0)
    c.history.add_event(sid, 1.0, "cue", "slower")
    c.history.finish_session(sid, summary={"reps": n}, pain_after=after, stopped=stopped)
    return sid


# ---------------------------------------------------------------- patients


def test_patients_crud_with_one_line_errors(tmp_path):
    with Clinic(tmp_path / "c.db") as c:
        assert c.patients() == []
        a = c.add_patient("  Ann   Smith ", notes="L4-L5")
        b = c.add_patient("Bob")
        assert c.patient("ann smith").to_dict() == {"id": a, "name": "Ann Smith", "notes": "L4-L5",
                                                    "created_at": c.patient(a).created_at}
        assert c.patient(b).name == "Bob" and c.patient(str(b)).name == "Bob"
        assert [p.name for p in c.patients()] == ["Ann Smith", "Bob"]
        for bad, match in (("ANN SMITH", "already exists"), ("", "needs a name"), ("  ", "needs a name"),
                           ("123", "digits")):
            with pytest.raises(ValueError, match=match) as e:
                c.add_patient(bad)
            assert "\n" not in str(e.value)
        with pytest.raises(KeyError) as e:
            c.patient("Carol")
        assert isinstance(e.value, UnknownPatientError)
        msg = str(e.value)
        assert msg.startswith("unknown patient Carol") and "\n" not in msg and "posecoach patient add" in msg
        with pytest.raises(KeyError):
            c.patient(999)
        with pytest.raises(KeyError):
            c.delete_patient("Carol")


def test_default_location_is_posecoach_home():
    with Clinic() as c:
        c.add_patient("Ann")
        assert c.path == home_dir() / "posecoach.db"
    assert (home_dir() / "posecoach.db").is_file()


def test_clinic_on_an_open_history_leaves_it_open(tmp_path):
    h = History(tmp_path / "h.db")
    with Clinic(history=h) as c:
        c.add_patient("Ann")
    assert h.schema_version == hist.SCHEMA_VERSION  # still open
    h.close()


# -------------------------------------------------------- references, targets


def test_references_and_targets(tmp_path):
    with Clinic(tmp_path / "c.db") as c:
        a, b = c.add_patient("Ann"), c.add_patient("Bob")
        t0 = datetime(2026, 1, 5, 10, 0)
        r1 = c.add_reference(a, "squat", source="ref.mp4", notes="good", landmarks_file="references/1/x.jsonl",
                             video_file=None, trace=[(0.0, 170.0), (0.033, 165.5), (0.066, float("nan"))],
                             reps=[{"index": 1, "start_s": 0.0, "end_s": 2.0}], summary={"reps": 1},
                             recorded_at=t0)
        r2 = c.add_reference(a, "glute_bridge", source="0", landmarks_file=None, video_file=None,
                             trace=[], reps=[], summary={}, recorded_at=t0 + timedelta(days=1))
        r3 = c.add_reference(a, "squat", source="ref2.mp4", landmarks_file=None, video_file=None,
                             trace=[(0.0, 160.0)], reps=[], summary={}, recorded_at=t0 + timedelta(days=2))
        ref = c.reference(r1)
        assert ref.patient_id == a and ref.exercise_id == "squat" and ref.notes == "good"
        assert ref.trace == [(0.0, 170.0), (0.033, 165.5), (0.066, None)]
        assert ref.reps[0]["end_s"] == 2.0 and ref.summary == {"reps": 1}
        assert ref.landmarks_file == "references/1/x.jsonl" and ref.recorded_at.startswith("2026-01-05T10:00")
        assert [r.id for r in c.references(a)] == [r3, r2, r1]  # newest first
        assert [r.id for r in c.references(a, "squat")] == [r3, r1]
        assert c.references(b) == []
        with pytest.raises(KeyError, match="no reference 99"):
            c.reference(99)
        with pytest.raises(KeyError, match="unknown patient"):
            c.add_reference(77, "squat", source="x", landmarks_file=None, video_file=None, trace=[], reps=[],
                            summary={})

        assert c.targets(a, "squat") is None
        c.set_targets(a, "squat", {"rest": 160, "peak": 125.5, "hold_s": None, "tempo_s": 3.2, "rom_share": 0.8,
                                   "reference_id": r1, "note": "stiff hips"})
        t = c.targets(a, "squat")
        assert t["peak"] == 125.5 and t["rest"] == 160.0 and t["reference_id"] == r1 and t["note"] == "stiff hips"
        c.set_targets(a, "squat", {"rest": 158, "peak": 120})  # replaces
        assert c.targets(a, "squat")["peak"] == 120.0 and "note" not in c.targets(a, "squat")
        assert c.targets(b, "squat") is None and set(c.all_targets(a)) == {"squat"}
        with pytest.raises(ValueError, match="peak must be a number"):
            c.set_targets(a, "squat", {"peak": "deep"})
        with pytest.raises(ValueError, match="not one of this patient's"):
            c.set_targets(b, "squat", {"peak": 120, "reference_id": r1})
        with pytest.raises(ValueError, match="rom_share"):
            c.set_targets(a, "squat", {"rom_share": 3})
        with pytest.raises(KeyError):
            c.set_targets(99, "squat", {"peak": 1})


# -------------------------------------------------------------- sessions


def test_sessions_link_to_a_patient_and_progress(tmp_path):
    with Clinic(tmp_path / "c.db") as c:
        a, b = c.add_patient("Ann"), c.add_patient("Bob")
        c.set_targets(a, "squat", {"peak": 110})
        d0 = datetime(2026, 3, 2, 9, 0)
        s1 = add_session(c, a, n=3, before=3, after=2, when=d0, similarity=80.0)
        s2 = add_session(c, a, n=5, before=2, after=4, when=d0 + timedelta(days=2), faults=["knees_in"])
        add_session(c, b, n=4, when=d0)
        c.start_session(a, "squat")  # unfinished: left out of progress()
        anon = c.history.start_session("squat", source="x", pain_before=None, planned_sets=0, planned_reps=0)
        assert c.session_patient(anon) is None and c.session_patient(s1) == a
        rows = c.progress(a)
        assert [r["session_id"] for r in rows] == [s1, s2]
        r1, r2 = rows
        assert r1["date"] == "2026-03-02" and r1["reps_done"] == 3 and r1["reps_prescribed"] == 3
        assert r1["peak_median"] == 102.0 and r1["target_peak"] == 110 and r1["similarity_median"] == 80.0
        assert r1["pain_before"] == 3 and r1["pain_after"] == 2 and r1["stopped"] == "completed"
        assert r2["similarity_median"] is None and r2["faults"] == {"knees_in": 5} and r2["sets"] == 1
        assert c.progress(a, "glute_bridge") == []
        assert len(c.sessions(a)) == 3 and {p.name: p.sessions for p in c.patients()} == {"Ann": 3, "Bob": 1}
        with pytest.raises(KeyError):
            c.start_session(42, "squat")
        # the app's History still lists everything
        assert len(c.history.sessions()) == 5


# --------------------------------------------------------------- deletion


def test_delete_removes_everything_of_that_patient_only(tmp_path):
    with Clinic(tmp_path / "c.db") as c:
        a, b = c.add_patient("Ann"), c.add_patient("Bob")
        files = {}
        for pid in (a, b):
            folder = Clinic.reference_dir(pid)
            folder.mkdir(parents=True)
            (folder / "ref_landmarks.jsonl").write_text("{}\n")
            (folder / "ref.mp4").write_bytes(b"video")
            files[pid] = folder
            rid = c.add_reference(pid, "squat", source="ref.mp4", landmarks_file=str(folder / "ref_landmarks.jsonl"),
                                  video_file=str(folder / "ref.mp4"), trace=[(0, 1)], reps=[], summary={})
            c.set_targets(pid, "squat", {"peak": 100, "reference_id": rid})
            c.set_programme(pid, [{"exercise_id": "squat", "sets": 2, "reps": 8}])
            add_session(c, pid, n=4)
            add_session(c, pid, "glute_bridge", n=2)
        outside = tmp_path / "therapist_video.mp4"  # a source outside references/: never touched
        outside.write_bytes(b"keep")
        c.add_reference(a, "squat", source=str(outside), landmarks_file=None, video_file=str(outside),
                        trace=[], reps=[], summary={})
        anon = add_session(c, None, n=1)
        before_b = (c.progress(b), c.references(b), c.targets(b, "squat"), c.programme(b))

        counts = c.delete_patient("ann").to_dict()
        assert counts == {"id": a, "patient": "Ann", "sessions": 2, "reps": 6, "events": 2, "references": 2,
                          "targets": 1, "programmes": 1, "files": 2, "files_left": [],
                          "files_skipped": [str(outside)]}
        assert not files[a].exists() and files[b].exists() and outside.read_bytes() == b"keep"
        assert [p.name for p in c.patients()] == ["Bob"]
        assert (c.progress(b), c.references(b), c.targets(b, "squat"), c.programme(b)) == before_b
        assert c.history.session(anon)["reps"]
        assert c.progress(a) == [] and c.references(a) == [] and c.targets(a, "squat") is None
        # a new patient never gets the deleted one's id
        assert c.add_patient("Ann") != a
    con = sqlite3.connect(tmp_path / "c.db")
    for table in ("sessions", "clinic_references", "clinic_targets", "clinic_programmes"):
        assert con.execute(f"SELECT COUNT(*) FROM {table} WHERE patient_id = ?", (a,)).fetchone()[0] == 0
    assert con.execute("SELECT COUNT(*) FROM reps WHERE session_id NOT IN (SELECT id FROM sessions)").fetchone()[0] == 0
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()
    # secure_delete + checkpoint: the deleted name is not left in the file
    raw = (tmp_path / "c.db").read_bytes() + ((tmp_path / "c.db-wal").read_bytes()
                                               if (tmp_path / "c.db-wal").exists() else b"")
    assert b"therapist_video" not in raw


# -------------------------------------------------------------- migrations


def test_migrates_a_v2_history_made_by_the_current_code(tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    monkeypatch.setattr(hist, "SCHEMA_VERSION", 2)  # what the previous release wrote
    with History(db) as h:
        assert h.schema_version == 2
        sid = h.start_session("squat", source="old.mp4", pain_before=4, planned_sets=1, planned_reps=2)
        h.add_rep(sid, rep(1, faults=["knees_in"]), set_index=0)
        h.add_rep(sid, rep(2), set_index=0)
        h.add_event(sid, 1.5, "cue", "knees out")
        h.finish_session(sid, summary={"reps": 2}, pain_after=3, stopped="completed")
        old = h.session(sid)
    con = sqlite3.connect(db)
    assert "clinic_patients" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.close()
    monkeypatch.undo()

    with Clinic(db) as c:
        assert c.history.schema_version == hist.SCHEMA_VERSION >= 3
        assert c.history.session(sid) == old  # data kept
        assert c.session_patient(sid) is None
        pid = c.add_patient("Ann")
        new = add_session(c, pid, n=2)
        assert [r["session_id"] for r in c.progress(pid)] == [new]
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert "patient_id" in {r[1] for r in con.execute("PRAGMA table_info(sessions)")}
    con.close()


def test_delete_never_removes_a_file_outside_the_patients_reference_folder(tmp_path, capsys):
    """A restored or tampered database may list any path: only the patient's own folder under
    POSECOACH_HOME/references is ever deleted; the rest is skipped with a warning."""
    with Clinic() as c:
        pid = c.add_patient("Ann")
        other = c.add_patient("Bob")
    victims = []
    for i, where in enumerate((tmp_path / "elsewhere" / "references" / str(pid),  # looks like ours
                               Clinic.reference_dir(other))):  # another patient's file
        where.mkdir(parents=True, exist_ok=True)
        victims.append(where / f"precious{i}.txt")
        victims[-1].write_text("keep")
    mine = Clinic.reference_dir(pid)
    mine.mkdir(parents=True)
    (mine / "ref_landmarks.jsonl").write_text("{}\n")
    link = mine / "link.jsonl"  # a symlink leading out of the folder
    link.symlink_to(victims[0])
    relative = Path("references") / str(pid) / ".." / ".." / ".." / victims[0].relative_to(tmp_path)
    with Clinic() as c:
        con = c.store.connection
        for lm, video in ((str(victims[0]), str(victims[1])), (str(link), str(mine / "ref_landmarks.jsonl")),
                          (str(home_dir() / relative), None)):
            con.execute("INSERT INTO clinic_references (patient_id, exercise_id, landmarks_file, video_file, "
                        "recorded_at) VALUES (?, 'squat', ?, ?, 'x')", (pid, lm, video))
    rc, out, err = cli(capsys, "patient", "delete", "Ann", "--yes")
    assert rc == 0 and "deleted Ann" in out
    assert all(v.read_text() == "keep" for v in victims)
    assert not mine.exists()  # the patient's own folder is gone (the symlink with it, not its target)
    warned = [line for line in err.splitlines() if line.startswith("warning")]
    assert any(str(victims[0]) in line for line in warned) and any(str(victims[1]) in line for line in warned)
    assert all("not removed" in line for line in warned)


def test_delete_leaves_a_symlinked_reference_folder_alone(tmp_path):
    with Clinic() as c:
        pid = c.add_patient("Ann")
    target = tmp_path / "somewhere"
    target.mkdir()
    (target / "data.txt").write_text("keep")
    Clinic.reference_dir(pid).parent.mkdir(parents=True, exist_ok=True)
    Clinic.reference_dir(pid).symlink_to(target, target_is_directory=True)
    with Clinic() as c:
        c.store.connection.execute(
            "INSERT INTO clinic_references (patient_id, exercise_id, landmarks_file, recorded_at) "
            "VALUES (?, 'squat', ?, 'x')", (pid, str(Clinic.reference_dir(pid) / "data.txt")))
        d = c.delete_patient(pid)
    assert (target / "data.txt").read_text() == "keep"
    assert str(Clinic.reference_dir(pid)) in d.files_skipped


# ------------------------------------------------------- kill mid-write

KILLER = textwrap.dedent(
    """
    import os, sys
    from posecoach.clinic.patients import Clinic
    c = Clinic(sys.argv[1])
    pid = c.patient("Ann").id

    def half(con):
        con.execute("INSERT INTO clinic_patients (name, created_at) VALUES ('Half', 'x')")
        sid = con.execute(
            "INSERT INTO sessions (exercise_id, started_at, patient_id) VALUES ('squat', 'x', ?)", (pid,)
        ).lastrowid
        blob = '"' + "x" * 4000 + '"'
        for i in range(2000):  # ~8 MB: more than the page cache, so pages spill into the WAL uncommitted
            con.execute("INSERT INTO reps (session_id, set_index, data) VALUES (?, 0, ?)", (sid, blob))
        con.execute("UPDATE clinic_patients SET notes = 'overwritten' WHERE id = ?", (pid,))
        con.execute("DELETE FROM clinic_targets")
        print("inside", flush=True)
        os._exit(9)  # the app dies before COMMIT

    c.store.write(half)
    """
)


def test_survives_a_kill_in_the_middle_of_a_write(tmp_path):
    db = tmp_path / "c.db"
    with Clinic(db) as c:
        pid = c.add_patient("Ann", notes="L4")
        c.set_targets(pid, "squat", {"peak": 120})
        sid = add_session(c, pid, n=3)
        before = (c.patients(), c.progress(pid), c.history.session(sid), c.targets(pid, "squat"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.run([sys.executable, "-c", KILLER, str(db)], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 9 and "inside" in p.stdout, p.stderr
    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 4_000_000  # the partial write did reach the disk
    with Clinic(db) as c:
        assert (c.patients(), c.progress(pid), c.history.session(sid), c.targets(pid, "squat")) == before
        assert [p.name for p in c.patients()] == ["Ann"]
        assert c.patient("Ann").notes == "L4"
        c.add_patient("Bob")  # still writable
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == 3
    con.close()


# ------------------------------------------------------------------- CLI


def cli(capsys, *argv):
    from posecoach.cli.main import main

    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_patients_and_programme(capsys):
    rc, out, _ = cli(capsys, "patient", "add", "Ann Smith", "--notes", "L4-L5")
    assert rc == 0 and "added patient Ann Smith" in out
    rc, _, err = cli(capsys, "patient", "add", "ann smith")
    assert rc == 2 and err.strip().count("\n") == 0 and err.startswith("ERROR ") and "already exists" in err
    rc, out, _ = cli(capsys, "patient", "list")
    assert rc == 0 and "Ann Smith" in out and "L4-L5" in out
    rc, out, _ = cli(capsys, "programme", "set", "--patient", "Ann Smith", "--item", "glute_bridge:3x10:5",
                     "--item", "squat:2x8", "--days", "3", "--every", "2", "--add-reps", "2",
                     "--since", (datetime.now() - timedelta(days=7)).date().isoformat())
    assert rc == 0 and "glute_bridge: 3 x 10, hold 5 s" in out and "squat: 2 x 8" in out
    with Clinic() as c:
        pid = c.patient("Ann Smith").id
        prog = c.programme(pid)
        assert prog.days_per_week == 3 and prog.rule.every_n_sessions == 2
        for k in range(2):
            add_session(c, pid, n=8, when=datetime.now() - timedelta(days=2 - k))
    rc, out, _ = cli(capsys, "programme", "today", "--patient", "Ann Smith")
    assert rc == 0 and "squat: 2 x 10" in out and "glute_bridge: 3 x 10" in out
    rc, out, _ = cli(capsys, "programme", "show", "-p", "Ann Smith")
    assert rc == 0 and "3 days a week" in out
    for bad, match in ((["--item", "squat:2by8"], "EXERCISE:SETSxREPS"),
                       (["--item", "no_such_exercise:2x8"], "unknown exercise"),
                       (["--item", "squat:2x8", "--days", "9"], "from 1 to 7"),
                       (["--item", "squat:2x8", "--since", "last week"], "YYYY-MM-DD")):
        rc, _, err = cli(capsys, "programme", "set", "-p", "Ann Smith", *bad)
        assert rc == 2 and match in err and err.strip().count("\n") == 0
    rc, _, err = cli(capsys, "programme", "show", "-p", "Nobody")
    assert rc == 2 and "unknown patient Nobody" in err and err.strip().count("\n") == 0
    # delete asks for --yes
    rc, _, err = cli(capsys, "patient", "delete", "Ann Smith")
    assert rc == 2 and "--yes" in err
    with Clinic() as c:
        assert c.patient("Ann Smith")
    rc, out, _ = cli(capsys, "patient", "delete", "Ann Smith", "--yes")
    assert rc == 0 and "deleted Ann Smith: 2 sessions" in out
    with Clinic() as c:
        assert c.patients() == [] and c.history.sessions() == []


def test_cli_backup_and_restore(tmp_path, capsys):
    with Clinic() as c:
        pid = c.add_patient("Ann")
        c.set_targets(pid, "squat", {"peak": 120})
        add_session(c, pid, n=3)
    backup = tmp_path / "backups" / "clinic.db"
    rc, out, _ = cli(capsys, "db", "backup", str(backup))
    assert rc == 0 and str(backup) in out and backup.is_file()
    assert History.validate(backup) == hist.SCHEMA_VERSION
    rc, out, _ = cli(capsys, "db", "backup", str(tmp_path))  # into a folder
    assert rc == 0 and list(tmp_path.glob("posecoach-*.db"))

    with Clinic() as c:  # after the backup: a mistake, then more data
        c.delete_patient("Ann")
        c.add_patient("Bob")
    rc, out, _ = cli(capsys, "db", "restore", str(backup))
    assert rc == 0 and "previous database is kept in" in out
    with Clinic() as c:
        assert [p.name for p in c.patients()] == ["Ann"]
        pid = c.patient("Ann").id
        assert c.targets(pid, "squat")["peak"] == 120 and len(c.progress(pid)) == 1
    kept = list(home_dir().glob("posecoach.db.before-restore-*"))
    assert len(kept) == 1
    with Clinic(kept[0]) as c:
        assert [p.name for p in c.patients()] == ["Bob"]

    for bad in (tmp_path / "missing.db", tmp_path / "junk.db"):
        if bad.name == "junk.db":
            bad.write_bytes(b"not a database" * 100)
        rc, _, err = cli(capsys, "db", "restore", str(bad))
        assert rc == 2 and err.startswith("ERROR ") and err.strip().count("\n") == 0
    with Clinic() as c:  # untouched by the failed restores
        assert [p.name for p in c.patients()] == ["Ann"]


def test_cli_restores_an_older_backup_and_migrates_it(tmp_path, capsys, monkeypatch):
    old = tmp_path / "v2.db"
    monkeypatch.setattr(hist, "SCHEMA_VERSION", 2)
    with History(old) as h:
        sid = h.start_session("squat", source="x", pain_before=1, planned_sets=1, planned_reps=1)
        h.finish_session(sid, summary={}, pain_after=1, stopped="completed")
    monkeypatch.undo()
    rc, _, _ = cli(capsys, "patient", "add", "Ann")
    rc, out, _ = cli(capsys, "db", "restore", str(old))
    assert rc == 0
    with Clinic() as c:
        assert c.history.schema_version == hist.SCHEMA_VERSION and c.patients() == []
        assert [s["id"] for s in c.history.sessions()] == [sid]
