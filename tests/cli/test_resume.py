"""Resumable ``posecoach analyze``: a re-run into the same ``--out`` skips videos whose stored result
is up to date (same video content, exercise definition, version and options: the result's
``"provenance"``), says so, and lists them in summary.csv and report.md from their stored results;
``--force``, a changed exercise or a changed video redo them; a run killed half-way leaves whole
files only, and the next run finishes the rest.

The videos are tiny generated clips and a fake estimator stands in for MediaPipe.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import posecoach
from posecoach.cli import batch, resume
from posecoach.cli.main import main

from test_batch_robust import NoPerson, fake_model, summary_rows  # noqa: F401
from test_cli import no_model_needed, tiny_video  # noqa: F401

SRC = Path(posecoach.__file__).resolve().parents[1]
SQUAT = Path(__file__).resolve().parents[2] / "exercises" / "squat.yaml"


@pytest.fixture
def counting(monkeypatch, no_model_needed):  # noqa: F811
    """A fake estimator that counts the videos it is made for."""
    made: list[int] = []

    def estimator(opts, posture="any", **_):
        made.append(1)
        return NoPerson()

    monkeypatch.setattr(batch, "_pose_estimator", estimator)
    return made


def clips(folder: Path, n: int = 3) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [tiny_video(folder / f"v{i}.mp4", frames=4 + i) for i in range(n)]


def analyze(capsys, *args) -> tuple[int, str]:
    rc = main(["analyze", *map(str, args), "-q"])
    return rc, capsys.readouterr().out


def test_rerun_skips_up_to_date_results(tmp_path, capsys, counting):
    videos, out = clips(tmp_path / "in"), tmp_path / "out"
    rc, said = analyze(capsys, *videos, "-e", "squat", "-o", out)
    assert rc == 0 and len(counting) == 3 and "skipped" not in said
    first = {p.name: p.read_text() for p in out.glob("*.json")}
    prov = json.loads(first["v0.json"])["provenance"]
    assert prov["posecoach_version"] == posecoach.__version__ and len(prov["video_sha256"]) == 64
    assert set(prov["options"]) >= {"model_sha256", "max_side", "num_poses", "config", "patient"}

    rc, said = analyze(capsys, *videos, "-e", "squat", "-o", out)
    assert rc == 0 and len(counting) == 3, "the estimator ran again for up-to-date results"
    assert "skipped 3 videos with up-to-date results; --force redoes them" in said
    assert {p.name: p.read_text() for p in out.glob("*.json")} == first  # untouched
    assert [r["source"] for r in summary_rows(out)] == [str(v) for v in videos]
    report = (out / "report.md").read_text()
    assert "3 video(s)." in report and all(f"| {v.name} |" in report for v in videos)

    rc, said = analyze(capsys, *videos, "-e", "squat", "-o", out, "--force")
    assert rc == 0 and len(counting) == 6 and "skipped" not in said


def test_rerun_does_not_read_unchanged_videos_again(tmp_path, capsys, counting, monkeypatch):
    videos, out = clips(tmp_path / "in", 2), tmp_path / "out"
    analyze(capsys, *videos, "-e", "squat", "-o", out)

    def no_reading(path, progress=None):
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(resume, "file_sha256", no_reading)
    rc, said = analyze(capsys, *videos, "-e", "squat", "-o", out)
    assert rc == 0 and "skipped 2 videos" in said and len(counting) == 2


def test_changed_video_or_exercise_is_redone(tmp_path, capsys, counting):
    videos, out = clips(tmp_path / "in"), tmp_path / "out"
    ex = tmp_path / "squat.yaml"
    ex.write_text(SQUAT.read_text(encoding="utf-8"), encoding="utf-8")
    analyze(capsys, *videos, "-e", ex, "-o", out)
    assert len(counting) == 3
    # the same definition in a rewritten file (a comment, a new time): still up to date
    ex.write_text(ex.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    os.utime(ex, (1e9, 1e9))
    _, said = analyze(capsys, *videos, "-e", ex, "-o", out)
    assert "skipped 3 videos" in said and len(counting) == 3
    # one video replaced by another clip (same name): only that one is redone
    tiny_video(videos[1], frames=9)
    _, said = analyze(capsys, *videos, "-e", ex, "-o", out)
    assert "skipped 2 videos" in said and len(counting) == 4
    assert json.loads((out / "v1.json").read_text())["frames"] == 9
    # a changed definition: all are redone
    ex.write_text(ex.read_text(encoding="utf-8").replace("name: Squat", "name: Deep squat", 1), encoding="utf-8")
    _, said = analyze(capsys, *videos, "-e", ex, "-o", out)
    assert "skipped" not in said and len(counting) == 7


def test_failed_video_is_tried_again(tmp_path, capsys, counting, monkeypatch):
    videos, out = clips(tmp_path / "in", 2), tmp_path / "out"

    class Explodes(NoPerson):
        def detect(self, image_bgr, t_s):
            raise RuntimeError("boom")

    monkeypatch.setattr(batch, "_pose_estimator", lambda opts, posture="any": (counting.append(1), Explodes())[1])
    assert analyze(capsys, *videos, "-e", "squat", "-o", out)[0] == 1
    monkeypatch.setattr(batch, "_pose_estimator", lambda opts, posture="any": (counting.append(1), NoPerson())[1])
    rc, said = analyze(capsys, *videos, "-e", "squat", "-o", out)
    assert rc == 0 and "skipped" not in said and len(counting) == 4


_CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from posecoach.cli import batch
    from posecoach.cli.main import main
    from posecoach.io import pose_model

    class NoPerson:
        def detect(self, image_bgr, t_s):
            return None
        def close(self):
            pass

    pose_model.find_model = lambda path=None: Path("pose_landmarker.task")
    batch._pose_estimator = lambda opts, posture="any": NoPerson()
    write = batch.write_result

    def write_then_die(result, out_dir, stem):
        paths = write(result, out_dir, stem)
        os.kill(os.getpid(), signal.SIGKILL)  # killed right after the first video's result
        return paths

    batch.write_result = write_then_die
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.slow  # a child process
def test_killed_run_is_finished_by_the_next(tmp_path, capsys, counting):
    videos, out = clips(tmp_path / "in"), tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(SRC))
    r = subprocess.run([sys.executable, "-c", _CHILD, "analyze", *map(str, videos), "-e", "squat", "-o", str(out),
                        "-q"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".posecoach-hashes")) == \
        ["v0.json", "v0_reps.csv"]
    json.loads((out / "v0.json").read_text())  # whole

    rc, said = analyze(capsys, *videos, "-e", "squat", "-o", out)
    assert rc == 0 and "skipped 1 video with up-to-date results" in said and len(counting) == 2
    names = sorted(p.name for p in out.iterdir())
    assert names == [".posecoach-hashes", "report.html", "report.md", "summary.csv", "timing.csv", "v0.json",
                     "v0_reps.csv", "v1.json",
                     "v1_reps.csv", "v2.json", "v2_reps.csv"]
    assert [r["source"] for r in summary_rows(out)] == [str(v) for v in videos]


_WRITE_THEN_DIE = """def write_then_die(result, out_dir, stem):
    paths = write(result, out_dir, stem)
    os.kill(os.getpid(), signal.SIGKILL)  # killed right after the first video's result
    return paths
"""
_DIE_MID_WRITE = """from posecoach.io.atomic import atomic_open

def write_then_die(result, out_dir, stem):
    if stem == "v0":
        return write(result, out_dir, stem)
    with atomic_open(out_dir / f"{stem}.json") as f:  # killed half-way through the second result
        f.write('{"source": ')
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
"""
assert _WRITE_THEN_DIE in _CHILD
_CHILD_MID_WRITE = _CHILD.replace(_WRITE_THEN_DIE, _DIE_MID_WRITE)


@pytest.mark.slow  # a child process
def test_killed_mid_write_leaves_nothing_behind_after_the_next_run(tmp_path, capsys, counting):
    videos, out = clips(tmp_path / "in"), tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(SRC))
    r = subprocess.run([sys.executable, "-c", _CHILD_MID_WRITE, "analyze", *map(str, videos), "-e", "squat",
                        "-o", str(out), "-q"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert not (out / "v1.json").exists() and list(out.glob(".v1.json.*.tmp")), sorted(os.listdir(out))

    other = out / ".notes.txt.abcd1234.tmp"  # not one of this run's outputs: left alone
    other.write_text("mine")

    rc, said = analyze(capsys, *videos, "-e", "squat", "-o", out)
    assert rc == 0 and "skipped 1 video" in said and len(counting) == 2
    assert list(out.glob("*.tmp")) == [other]
    assert json.loads((out / "v1.json").read_text())["source"] == str(videos[1])


def test_patient_results_follow_their_targets(tmp_path, capsys, counting):
    """With --patient a skipped video stores no second session; new targets redo the videos."""
    from posecoach.clinic import Clinic

    videos, out = clips(tmp_path / "in", 2), tmp_path / "out"
    with Clinic() as c:
        c.add_patient("Cy")
    assert main(["targets", "set", "-p", "Cy", "-e", "glute_bridge", "--peak", "150", "--hold", "2"]) == 0
    args = [*videos, "-e", "glute_bridge", "-o", out, "-p", "Cy"]
    assert analyze(capsys, *args)[0] == 0 and len(counting) == 2
    rc, said = analyze(capsys, *args)
    assert rc == 0 and "skipped 2 videos" in said and len(counting) == 2
    with Clinic() as c:
        assert len(c.progress(c.patient("Cy").id, "glute_bridge")) == 2  # not stored twice
    assert main(["targets", "set", "-p", "Cy", "-e", "glute_bridge", "--peak", "155", "--hold", "2"]) == 0
    rc, said = analyze(capsys, *args)
    assert rc == 0 and "skipped" not in said and len(counting) == 4
