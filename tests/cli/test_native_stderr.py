"""``native_stderr_off`` (the console command's first step): what native code writes to file
descriptor 2 goes nowhere, while Python's ``sys.stderr`` (our ERROR lines, the exit message) still
reaches the terminal.  No model needed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import posecoach

SRC = Path(posecoach.__file__).resolve().parents[1]

_CHILD = textwrap.dedent("""
    import os, sys
    from posecoach.cli.main import native_stderr_off
    from posecoach.cli.output import error
    native_stderr_off()
    os.write(2, b"INFO: [accelerator_registry.cc:43] DestroyAccelerator: ptr=0x1\\n")  # as C++ does
    error("a real problem; do this")
    raise SystemExit(sys.argv[1])
""")


def _run(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "POSECOACH_NATIVE_LOGS"}
    env.update(PYTHONPATH=str(SRC), **extra_env)
    return subprocess.run([sys.executable, "-c", _CHILD, "bye"], capture_output=True, text=True, env=env, timeout=30)


def test_native_writes_are_dropped_python_lines_kept():
    r = _run({})
    assert "INFO:" not in r.stderr
    assert r.stderr.splitlines() == ["ERROR a real problem; do this", "bye"]


def test_native_logs_kept_on_request():
    r = _run({"POSECOACH_NATIVE_LOGS": "1"})
    assert "DestroyAccelerator" in r.stderr and "ERROR a real problem; do this" in r.stderr
