#!/usr/bin/env bash
# posecoach: one command sets everything up, then runs what you ask.
#
#   ./run.sh            set up, then open the coaching window (with a screen), or coach in the terminal on
#                       the default camera, or run the no-camera demo where there is neither
#   ./run.sh test       set up, check src/ with ruff and mypy, then run the test suite
#                       (./run.sh test -m "not slow": the quick subset)
#   ./run.sh lint       set up, then only check src/ with ruff and mypy (configured in pyproject.toml)
#   ./run.sh ARGS...    set up, then `posecoach ARGS...` (e.g. ./run.sh analyze clip.mp4 -e squat)
#
# Set-up is idempotent and quick once done: system packages (apt-get, as root),
# a virtual environment in .venv/, the Python dependencies, and the pose model
# built offline into models/ (see `posecoach setup-model`).
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '%s\n' "run.sh: $*" >&2; }
die() { printf '%s\n' "run.sh: ERROR $*" >&2; exit 2; }

# --- system packages -------------------------------------------------------------------------
# espeak-ng: the speech engine pyttsx3 drives; libportaudio2: needed by mediapipe's sounddevice;
# xvfb and the xcb libraries: a real Qt window on a virtual screen (screenshots); libgl1/libegl1:
# OpenCV and Qt; strace: the test that proves analyze opens no socket and resolves no name.
APT_PKGS="espeak-ng strace chromium libportaudio2 libgl1 libegl1 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libfontconfig1 xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0"
missing=""
for p in $APT_PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || say "apt-get update failed; trying the install anyway"
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null \
      || say "could not install some system packages ($missing): speech or screenshots may not work"
  else
    say "missing system packages:$missing (run as root, or: sudo apt-get install$missing); continuing"
  fi
fi

# --- Python environment ------------------------------------------------------------------------
PY=""
for c in python3.13 python3.12 python3.11 python3; do
  if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    PY="$c"; break
  fi
done
[ -n "$PY" ] || die "Python 3.11 or newer is needed; install it (e.g. apt-get install python3) and run again"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PY"
  "$PY" -m venv .venv || die "could not create .venv (on Debian: apt-get install python3-venv)"
fi
stamp=.venv/.posecoach-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e ".[test,dev]" || die "pip install failed (see above); check the network to PyPI and run again"
  echo "$want" > "$stamp"
fi

# --- pose model --------------------------------------------------------------------------------
.venv/bin/posecoach setup-model >/dev/null || die "the pose model could not be set up (see above)"

# --- the job -----------------------------------------------------------------------------------
export GLOG_minloglevel=2 TF_CPP_MIN_LOG_LEVEL=2
if [ "${1:-}" = "test" ]; then
  shift
  .venv/bin/ruff check src              # lint first (configured in pyproject.toml): a finding fails the run
  .venv/bin/mypy
  export QT_QPA_PLATFORM=offscreen
  exec .venv/bin/python -m pytest -q "$@"
fi
if [ "${1:-}" = "lint" ]; then
  .venv/bin/ruff check src
  exec .venv/bin/mypy
fi
if [ $# -eq 0 ]; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec .venv/bin/posecoach            # the window: camera, or a video file, or its demo
  fi
  exec .venv/bin/posecoach start        # no screen: terminal coaching on a camera, else the demo
fi
exec .venv/bin/posecoach "$@"
