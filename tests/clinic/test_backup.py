"""Backups and restores that never overwrite anything, damaged databases, empty files, a read-only folder."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from posecoach.clinic import Clinic
from posecoach.clinic import store as store_module
from posecoach.clinic.store import Store
from posecoach.errors import OutputError, PosecoachError
from posecoach.paths import home_dir


class _Frozen(datetime):
    """A clock stuck in one second: backups and restores "within the same second"."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return datetime(2026, 3, 1, 10, 0, 0, tzinfo=tz)


@pytest.fixture
def same_second(monkeypatch):
    import importlib

    for name in ("posecoach.clinic.store", "posecoach.clinic.backup"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        monkeypatch.setattr(mod, "datetime", _Frozen, raising=False)


def names(db: Path) -> list[str]:
    with Clinic(db) as c:
        return [p.name for p in c.patients()]


def corrupt(db: Path) -> None:
    """Damage one page of the patients' table (quick_check finds it; opening and writing still work)."""
    raw = bytearray(db.read_bytes())
    page = sqlite3.connect(db).execute("PRAGMA page_size").fetchone()[0]
    last = (len(raw) // page - 1) * page
    raw[last + 8: last + 12] = b"\x00\x00\x30\x00"
    db.write_bytes(bytes(raw))
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError:
        pass
    finally:
        con.close()


def full_db(db: Path, n: int = 40) -> None:
    with Clinic(db) as c:
        for i in range(n):
            c.add_patient(f"P{i:02d} " + "x" * 300, notes="n" * 500)


def one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert isinstance(e.value, PosecoachError) and "\n" not in msg
    return msg


# ------------------------------------------------------------- never overwrite


def test_two_restores_within_one_second_keep_both_replaced_databases(tmp_path, same_second):
    db = tmp_path / "c.db"
    with Clinic(db) as c:
        c.add_patient("Ann")
        good = c.backup(tmp_path / "good.db")
        c.add_patient("Bob")
        keep1 = c.restore(good)
        c.add_patient("Cid")
        keep2 = c.restore(good)
    assert keep1 != keep2
    assert names(keep1) == ["Ann", "Bob"]
    assert names(keep2) == ["Ann", "Cid"]
    assert names(db) == ["Ann"]


def test_backups_into_one_folder_within_one_second_are_all_kept(tmp_path, same_second):
    folder = tmp_path / "backups"
    folder.mkdir()
    outs = []
    with Clinic(tmp_path / "c.db") as c:
        for name in ("Ann", "Bob", "Cid"):
            c.add_patient(name)
            outs.append(c.backup(folder))
    assert len(set(outs)) == 3 and all(o.parent == folder for o in outs)
    assert [len(names(o)) for o in outs] == [1, 2, 3]
    assert sorted(p.name for p in folder.iterdir()) == sorted(o.name for o in outs)  # no temporary left


def test_backup_never_overwrites_an_existing_file(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("the only copy of my notes")
    with Clinic(tmp_path / "c.db") as c:
        c.add_patient("Ann")
        with pytest.raises(OutputError) as e:
            c.backup(precious)
        assert "not a posecoach backup" in one_line(e) and "left alone" in str(e.value)
        assert precious.read_text() == "the only copy of my notes"
        old = c.backup(tmp_path / "old.db")
        c.add_patient("Bob")
        with pytest.raises(OutputError) as e:
            c.backup(old)  # an earlier backup is kept too
        assert "already exists" in one_line(e)
    assert names(old) == ["Ann"]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("c.db")) == ["old.db", "precious.txt"]


def test_cli_backup_onto_an_existing_file_is_one_error(tmp_path, capsys):
    from posecoach.cli.main import main

    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    assert main(["patient", "add", "Ann"]) == 0
    rc = main(["db", "backup", str(precious)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("ERROR ") and err.count("\n") == 1
    assert precious.read_text() == "keep me"


def _read_only_run(folder: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """``posecoach ARGV`` with ``folder`` read-only: by permissions for a user, by a read-only
    bind mount for root (who ignores permissions)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    cmd = [sys.executable, "-m", "posecoach.cli", *argv]
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        finally:
            folder.chmod(0o700)
    if not shutil.which("unshare"):
        pytest.skip("root without unshare: no read-only folder to be had")
    script = (f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" || exit 77\n'
              'exec "$@"')
    p = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *cmd], capture_output=True, text=True,
                       env=env, timeout=60)
    if p.returncode == 77 or "unshare failed" in p.stderr:
        pytest.skip("no read-only bind mount here")
    return p


@pytest.mark.slow
@pytest.mark.parametrize("into_folder", [False, True])
def test_backup_into_a_read_only_folder_is_one_error(tmp_path, into_folder):
    with Clinic() as c:
        c.add_patient("Ann")
    ro = tmp_path / "ro"
    ro.mkdir()
    p = _read_only_run(ro, ["db", "backup", str(ro if into_folder else ro / "x.db")])
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("ERROR backup") and p.stderr.count("\n") == 1, p.stderr
    assert "Traceback" not in p.stderr and list(ro.iterdir()) == []


# -------------------------------------------------------------- damaged files


def test_a_damaged_database_is_not_backed_up_and_takes_no_writes(tmp_path):
    db = tmp_path / "c.db"
    full_db(db)
    corrupt(db)
    with Clinic(db) as c:
        with pytest.raises(OutputError) as e:
            c.backup(tmp_path / "b.db")
        assert "damaged" in one_line(e) and "posecoach db restore" in str(e.value)
        assert not (tmp_path / "b.db").exists()
        with pytest.raises(OutputError) as e:
            c.add_patient("New")
        assert "damaged" in one_line(e) and "posecoach db restore" in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("c.db")) == []


def test_restore_over_a_damaged_database_keeps_it_as_it_was(tmp_path):
    db = tmp_path / "c.db"
    with Clinic(db) as c:
        c.add_patient("Ann")
        good = c.backup(tmp_path / "good.db")
    full_db(db)
    corrupt(db)
    damaged = db.read_bytes()
    with Clinic(db) as c:
        keep = c.restore(good)
        assert [p.name for p in c.patients()] == ["Ann"]
        c.add_patient("Bob")  # writable again
    assert keep.read_bytes() == damaged
    assert names(db) == ["Ann", "Bob"]


@pytest.mark.parametrize("junk", [b"", b"garbage" * 300, None])
def test_cli_restores_over_a_database_that_cannot_be_opened(tmp_path, capsys, junk):
    from posecoach.cli.main import main

    with Clinic() as c:
        c.add_patient("Ann")
        good = c.backup(tmp_path / "good.db")
    db = home_dir() / "posecoach.db"
    if junk is None:  # a damaged header: SQLite calls it "not a database"
        raw = bytearray(db.read_bytes())
        raw[16:24] = b"\xff" * 8
        junk = bytes(raw)
    for ext in ("-wal", "-shm"):
        Path(f"{db}{ext}").unlink(missing_ok=True)
    db.write_bytes(junk)
    rc = main(["db", "restore", str(good)])
    out, err = capsys.readouterr()
    assert rc == 0, err
    kept = list(home_dir().glob("posecoach.db.before-restore-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == junk and str(kept[0]) in out
    assert names(db) == ["Ann"]


def test_restore_refuses_a_damaged_backup_with_a_message_about_the_backup(tmp_path):
    db = tmp_path / "c.db"
    with Clinic(db) as c:
        c.add_patient("Ann")
    full_db(tmp_path / "b.db")
    corrupt(tmp_path / "b.db")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    foreign = tmp_path / "foreign.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE invoices (x)")
    con.commit()
    con.close()
    newer = tmp_path / "newer.db"
    with Clinic(db) as c:
        c.backup(newer)
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with Clinic(db) as c:
        for bad in (tmp_path / "b.db", junk, foreign, newer):
            with pytest.raises(OutputError) as e:
                c.restore(bad)
            msg = one_line(e)
            assert "backup" in msg and str(bad) in msg
            assert "new one is then created" not in msg and "session history" not in msg
            assert "choose another backup" in msg or "choose a posecoach backup" in msg or "update posecoach" in msg
        assert [p.name for p in c.patients()] == ["Ann"]
    assert list(tmp_path.glob("c.db.before-restore-*")) == []


def test_restore_from_a_file_name_with_uri_characters(tmp_path):
    with Clinic(tmp_path / "c.db") as c:
        c.add_patient("Ann")
        good = c.backup(tmp_path / "back?up #1%.db")
        c.add_patient("Bob")
        c.restore(good)
        assert [p.name for p in c.patients()] == ["Ann"]


# ----------------------------------------------------------------- empty file


def test_an_empty_database_file_is_refused_and_left_as_it_is(tmp_path):
    db = tmp_path / "c.db"
    db.write_bytes(b"")
    with pytest.raises(OutputError) as e:
        Store(db)
    msg = one_line(e)
    assert "empty" in msg and "posecoach db restore" in msg
    assert db.read_bytes() == b"" and sorted(p.name for p in tmp_path.iterdir()) == ["c.db"]


def test_a_new_database_appears_whole_and_leaves_nothing_else(tmp_path):
    db = tmp_path / "new" / "c.db"
    with Store(db) as s:
        assert s.schema_version == store_module.SCHEMA_VERSION
    assert sorted(p.name for p in db.parent.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["c.db"]
