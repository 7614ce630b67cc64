"""Make ``pose_reference.json``: the legacy MediaPipe pose result on two photos.

The photos are not copied into this repo: they ship inside scikit-image
(``skimage.data.astronaut()``, a NASA photo, and ``skimage.data.camera()``, the
"cameraman"), both usable freely.  The reference comes from MediaPipe's legacy
solution API (``mp.solutions.pose``, model complexity 1 = the same BlazePose
"full" network our built ``.task`` bundles), which handled the landmark model's
input normalisation itself; ``tests/test_model.py`` checks that our bundle
reproduces it.  mediapipe 1.x no longer has that API, so run this in a
throwaway venv (not the project's):

    python3.11 -m venv /tmp/mp014
    /tmp/mp014/bin/pip install mediapipe==0.10.14 'numpy<2' scikit-image
    /tmp/mp014/bin/python tests/data/make_pose_reference.py

Coordinates are pixels (x right, y down) in the image as skimage returns it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import mediapipe as mp
import numpy as np
import skimage
import skimage.data

IMAGES = ("astronaut", "camera")


def main() -> None:
    out = {
        "made_with": f"mediapipe {mp.__version__} mp.solutions.pose.Pose(static_image_mode=True, "
        f"model_complexity=1); scikit-image {skimage.__version__}",
        "images": {},
    }
    for name in IMAGES:
        img = getattr(skimage.data, name)()
        rgb = np.stack([img] * 3, axis=-1) if img.ndim == 2 else img
        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
            res = pose.process(np.ascontiguousarray(rgb))
        h, w = rgb.shape[:2]
        lms = res.pose_landmarks.landmark
        out["images"][name] = {
            "size_wh": [w, h],
            "sha256": hashlib.sha256(np.ascontiguousarray(img).tobytes()).hexdigest(),
            # one row per landmark (index order of posecoach.core.landmarks): x px, y px, visibility
            "landmarks": [[round(p.x * w, 2), round(p.y * h, 2), round(p.visibility, 4)] for p in lms],
        }
    path = Path(__file__).with_name("pose_reference.json")
    text = json.dumps(out, indent=1)
    # keep each landmark row on one line
    text = re.sub(r"\[\s+(-?[\d.]+),\s+(-?[\d.]+),\s+(-?[\d.]+)\s+\]", r"[\1, \2, \3]", text)
    text = re.sub(r"\[\s+(\d+),\s+(\d+)\s+\]", r"[\1, \2]", text)
    path.write_text(text + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
