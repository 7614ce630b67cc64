"""No native log line reaches the terminal: ``posecoach analyze`` run as the console command (in a
child process, with the real model) prints on stderr only the progress bar and our own one-line
``ERROR``/``warning`` lines, never MediaPipe's, TensorFlow Lite's or glog's
(``INFO: [accelerator_registry.cc:43] DestroyAccelerator ...``, ``INFO: Created TensorFlow Lite
XNNPACK delegate for CPU.``, ``W0000 ...``), which broke the progress bar's line.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import posecoach

from test_cli import tiny_video

pytestmark = [pytest.mark.model, pytest.mark.slow]

SRC = Path(posecoach.__file__).resolve().parents[1]  # the code under test (PYTHONPATH=src)
NATIVE = re.compile(r"INFO:|accelerator_registry|XNNPACK|^[IWEF]\d{4} |TfLite|absl", re.MULTILINE)




def _posecoach(args: list[str], model_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    code = "import sys; from posecoach.cli import entry_point; sys.exit(entry_point())"
    env = {k: v for k, v in os.environ.items() if k not in ("GLOG_minloglevel", "TF_CPP_MIN_LOG_LEVEL",
                                                             "POSECOACH_NATIVE_LOGS")}
    env.update(PYTHONPATH=str(SRC), POSECOACH_MODEL_DIR=str(model_dir), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.mark.parametrize("extra", [[], ["-j", "2"], ["--dask", "local"]], ids=["one-process", "workers", "dask"])
def test_analyze_prints_no_native_log_line(tmp_path, model_dir, extra):
    """With ``--dask local`` also none of distributed's own lines (a busy dashboard port, "Worker
    process still alive after 4.0 seconds, killing" after the results)."""
    if "--dask" in extra:
        pytest.importorskip("distributed")
    clip = tiny_video(tmp_path / "clip.mp4")
    missing = tmp_path / "missing.mp4"
    args = ["analyze", str(clip), str(missing), "-e", "squat", "-o", str(tmp_path / "out"), *extra]
    with contextlib.ExitStack() as stack:
        if "--dask" in extra:  # the dashboard's usual port taken, as by another cluster
            busy = stack.enter_context(socket.socket())
            with contextlib.suppress(OSError):  # taken already
                busy.bind(("127.0.0.1", 8787))
                busy.listen()
        r = _posecoach(args, model_dir, timeout=240 if "--dask" in extra else 60)
    assert r.returncode == 1, r.stderr
    assert not NATIVE.search(r.stderr), r.stderr
    # our own lines still reach the terminal, and the progress bar ends its line itself
    assert "ERROR" in r.stderr and "missing.mp4" in r.stderr
    assert "warning clip.mp4" in r.stderr
    assert "12/12" in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert all(ln.startswith(("ERROR ", "warning ")) or "frame" in ln or "checking videos" in ln
               for ln in lines), r.stderr
    # a message printed while the bar runs is on its own line, not glued to the bar's
    assert not [ln for ln in lines if "frame" in ln and ("warning" in ln or "ERROR" in ln)], r.stderr


def test_native_logs_on_request(tmp_path, model_dir):
    """POSECOACH_NATIVE_LOGS=1 (debugging) lets them through: the test above can fail."""
    clip = tiny_video(tmp_path / "clip.mp4")
    os.environ["POSECOACH_NATIVE_LOGS"] = "1"
    try:
        code = "import sys; from posecoach.cli import entry_point; sys.exit(entry_point())"
        env = dict(os.environ, PYTHONPATH=str(SRC), POSECOACH_MODEL_DIR=str(model_dir))
        r = subprocess.run([sys.executable, "-c", code, "analyze", str(clip), "-e", "squat", "-q",
                            "-o", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=60)
    finally:
        del os.environ["POSECOACH_NATIVE_LOGS"]
    assert NATIVE.search(r.stderr), r.stderr
