"""``posecoach.testing.video``: the mirrored and half-frame-rate copies real-clip checks use."""

from __future__ import annotations

import numpy as np
import pytest

from posecoach.testing.video import write_variant


def clip(path, frames: int = 10, size=(64, 48)):
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 20.0, size)
    for i in range(frames):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[:, : size[0] // 4] = 255  # a white band on the left
        img[0, 0] = i
        w.write(img)
    w.release()
    return path


def read(path):
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return frames, fps


def test_mirror_flips_every_frame_and_half_keeps_every_second_at_half_the_rate(tmp_path):
    src = clip(tmp_path / "src.mp4")
    mirror, fps_m = read(write_variant(src, tmp_path / "m.mp4", "mirror"))
    half, fps_h = read(write_variant(src, tmp_path / "h.mp4", "half"))
    assert len(mirror) == 10 and fps_m == pytest.approx(20.0)
    assert mirror[0][:, -4:].mean() > 200 and mirror[0][:, :4].mean() < 50  # the band is on the right
    assert len(half) == 5 and fps_h == pytest.approx(10.0)


def test_an_unknown_variant_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mirror"):
        write_variant(tmp_path / "x.mp4", tmp_path / "y.mp4", "slow")
