"""``block_usage_logging``: MediaPipe's native usage logging is pointed at a proxy libcurl refuses.

The end-to-end proof (strace of ``posecoach analyze``) is ``tests/cli/test_no_network.py``.
"""

from __future__ import annotations

import os

import pytest

from posecoach.io import estimator


def test_the_proxy_is_set_and_no_proxy_dropped(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "googleapis.com")
    estimator.block_usage_logging()
    assert os.environ["https_proxy"] == os.environ["http_proxy"] == estimator.NO_NETWORK_PROXY
    assert "no_proxy" not in os.environ and "NO_PROXY" not in os.environ
    estimator.block_usage_logging()  # a second call changes nothing
    assert os.environ["https_proxy"] == estimator.NO_NETWORK_PROXY


def test_every_estimator_blocks_it_before_mediapipe_loads(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(estimator, "block_usage_logging", lambda: calls.append("blocked"))
    monkeypatch.setattr(estimator, "find_model", lambda p=None: tmp_path / "m.task")
    monkeypatch.setattr(estimator, "check_model", lambda p: p)

    class Stop(Exception):
        pass

    def no_mediapipe(name, *a, **k):
        if name == "mediapipe" or name.startswith("mediapipe."):
            calls.append("import mediapipe")
            raise Stop
        return real_import(name, *a, **k)

    import builtins
    real_import = builtins.__import__
    monkeypatch.setattr(builtins, "__import__", no_mediapipe)
    try:
        estimator.PoseEstimator()
    except Stop:
        pass
    assert calls[:2] == ["blocked", "import mediapipe"]


def test_pip_download_of_the_wheel_does_not_get_the_blocking_proxy(monkeypatch, tmp_path):
    from posecoach.errors import ModelError
    from posecoach.io import pose_model

    monkeypatch.setenv("HOME", str(tmp_path))
    estimator.block_usage_logging()
    seen = {}

    def fake_run(cmd, **kw):
        seen.update(kw["env"])
        raise OSError("no pip here")

    monkeypatch.setattr(pose_model.subprocess, "run", fake_run)
    try:
        pose_model._get_wheel(tmp_path / "cache")
    except ModelError:
        pass
    assert seen["HOME"] == str(tmp_path) and estimator.NO_NETWORK_PROXY not in seen.values()


@pytest.fixture(autouse=True)
def _restore_environment(monkeypatch):
    """block_usage_logging writes os.environ: put back what each test changed."""
    for name in ("https_proxy", "http_proxy", "no_proxy", "NO_PROXY"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
