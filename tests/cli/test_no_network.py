"""Nothing leaves the machine: ``posecoach analyze`` makes no network traffic and no name look-up.

MediaPipe 1.x's native library posts usage logs to ``https://play.googleapis.com/log`` with
libcurl (see ``posecoach.io.estimator``); ``block_usage_logging`` stops that.  These tests run
``posecoach analyze`` on a small generated clip in a child process:

- under ``strace -f`` (network, close and open calls), and fail on any use of an internet
  socket (connect, bind, send with an AF_INET/AF_INET6 address), any name look-up (reading
  ``/etc/resolv.conf``, ``/etc/hosts``, ``/etc/nsswitch.conf``, ``/etc/gai.conf``, asking
  nscd, or the text ``googleapis`` in any call), and any internet socket that is not closed
  at once unused.  Two such probes are made and closed straight away by code we cannot change:
  abseil's ``net::IPv4SocketsPreferred()`` when ``libmediapipe.so`` loads, and libcurl's IPv6
  check; a probe cannot send anything (it is never bound, connected or written);
- inside a network namespace with no interface (``unshare -n``), where it must still succeed.

The child gets ``no_proxy=*``: a user's ``no_proxy`` must not re-open the way.
Skipped without the model, ``strace`` or (for the second) ``unshare``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import posecoach

from test_cli import tiny_video

pytestmark = [pytest.mark.model, pytest.mark.slow]

SRC = Path(posecoach.__file__).resolve().parents[1]  # the code under test (PYTHONPATH=src)
NAME_LOOKUP_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf")
INET = ("AF_INET", "AF_INET6", "AF_PACKET")
_LINE = re.compile(r"^(\d+)\s+(.*)$")
_SOCKET = re.compile(r"^socket\((AF_\w+),.*\)\s*=\s*(\d+)")
_RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")




def _analyze_cmd(clip: Path, out: Path) -> list[str]:
    code = "import sys; from posecoach.cli import entry_point; sys.exit(entry_point())"
    return [sys.executable, "-c", code, "analyze", str(clip), "--exercise", "squat", "--out", str(out), "-q"]


def _child_env(model_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(SRC), POSECOACH_MODEL_DIR=str(model_dir), no_proxy="*", NO_PROXY="*",
               QT_QPA_PLATFORM="offscreen")
    return env


def _events(trace: str) -> list[tuple[str, str]]:
    """(pid, call text) per system call, with strace's unfinished/resumed halves joined."""
    pending: dict[str, str] = {}
    out = []
    for raw in trace.splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        pid, text = m.groups()
        if text.startswith("+++") or text.startswith("---"):
            continue
        if text.endswith("<unfinished ...>"):
            pending[pid] = text[: -len("<unfinished ...>")].rstrip()
            continue
        r = _RESUMED.match(text)
        if r:
            text = pending.pop(pid, r.group(1) + "(") + r.group(2)
        out.append((pid, text))
    return out


def network_violations(trace: str) -> list[str]:
    """What in an ``strace -f`` log shows traffic or a name look-up (empty when none)."""
    events = _events(trace)
    bad = []
    for i, (pid, text) in enumerate(events):
        if "googleapis" in text:
            bad.append(f"{pid}: {text}")
            continue
        if any(f'"{f}"' in text for f in NAME_LOOKUP_FILES) and text.startswith("open"):
            bad.append(f"{pid} name look-up: {text}")
            continue
        if text.startswith("connect(") and "nscd" in text:
            bad.append(f"{pid} name look-up (nscd): {text}")
            continue
        sock = _SOCKET.match(text)
        if sock:
            family, fd = sock.groups()
            if family in INET:
                after = next((t for p, t in events[i + 1:] if p == pid), "")
                if not after.startswith(f"close({fd})") and not after.startswith(f"close({fd} "):
                    bad.append(f"{pid} internet socket kept open ({family}), then: {after}")
            continue
        if any(f"sa_family={fam}" in text for fam in INET):
            bad.append(f"{pid} internet address used: {text}")
    return bad


# --------------------------------------------------------------------------- the checker itself


def test_the_checker_sees_a_lookup_and_a_connection():
    lookup = (
        '7 socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP) = 8\n7 close(8) = 0\n'
        '7 openat(AT_FDCWD, "/etc/resolv.conf", O_RDONLY|O_CLOEXEC) = 8\n'
        '7 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 8\n'
        '7 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16) = 0\n'
    )
    bad = network_violations(lookup)
    assert len(bad) == 3 and "resolv.conf" in bad[0] and "kept open" in bad[1] and "sa_family=AF_INET" in bad[2]
    split = ('5 sendto(3, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(443), <unfinished ...>\n'
             "6 close(4) = 0\n5 <... sendto resumed>) = 1\n")
    assert len(network_violations(split)) == 1
    probe = ('9 socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 6\n9 close(6) = 0\n'
             '9 connect(5, {sa_family=AF_UNIX, sun_path="/run/user/0/bus"}, 110) = 0\n')
    assert network_violations(probe) == []


# --------------------------------------------------------------------------- analyze, traced


def test_analyze_makes_no_network_traffic_and_no_name_lookup(tmp_path, model_dir):
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    clip = tiny_video(tmp_path / "clip.mp4", frames=6)
    log = tmp_path / "trace.txt"
    cmd = [strace, "-f", "-qq", "-e", "signal=none", "-e", "trace=%network,close,openat,open", "-o", str(log),
           *_analyze_cmd(clip, tmp_path / "out")]
    proc = subprocess.run(cmd, env=_child_env(model_dir), capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 and not log.is_file():
        pytest.skip(f"strace cannot trace here: {proc.stderr.strip()[-200:]}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((tmp_path / "out" / "clip.json").read_text())["frames"] == 6
    trace = log.read_text(errors="replace")
    assert "libmediapipe.so" in trace  # the native library was really loaded and traced
    bad = network_violations(trace)
    assert not bad, "network use during analyze:\n" + "\n".join(bad[:10])


def test_analyze_works_without_any_network(tmp_path, model_dir):
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot make a network namespace here (unshare -n)")
    clip = tiny_video(tmp_path / "clip.mp4", frames=6)
    proc = subprocess.run([unshare, "-n", *_analyze_cmd(clip, tmp_path / "out")], env=_child_env(model_dir),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((tmp_path / "out" / "clip.json").read_text())["frames"] == 6
