"""Mirrored real clips count the same as the clips (issue 9), when ../shared/footage is here.

The team's shared footage is not part of the project (its licences are not ours) and is not
needed by the suite: without it, or without the pose model, these tests skip.  Where both are
present, a few short counted clips are analysed as they are, flipped left-right (the same
person facing the other way; ``posecoach.testing.video``, as ``score_footage.py`` makes it)
and at half their frame rate: every variant must count inside the hand count, and the mirror
must count what the original counts.  The full table over every clip is
``bench/footage_replay.py`` (``bench/results/footage.md``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from posecoach.cli.batch import AnalyzeOptions, analyze_video
from posecoach.errors import ModelError
from posecoach.io import pose_model as model_mod
from posecoach.testing.video import write_variant

pytestmark = [pytest.mark.slow, pytest.mark.model]

FOOTAGE = Path(__file__).resolve().parents[2].parent / "shared" / "footage"
# The two shortest counted clips (5 and 11 s; a standing squat, a lying leg raise held at the end),
# to keep the suite quick; every clip is in the bench.
CLIPS = ["squat__yuyoujiang.mp4", "straight_leg_raise__amithcabraal.mp4"]


def manifest() -> dict[str, dict]:
    with open(FOOTAGE / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
        return {r["file"]: r for r in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="module")
def footage() -> dict[str, dict]:
    if not (FOOTAGE / "MANIFEST.tsv").exists():
        pytest.skip(f"no shared footage at {FOOTAGE}")
    try:
        model_mod.find_model()
    except ModelError as e:
        pytest.skip(f"no pose model: {e}")
    return manifest()


@pytest.mark.parametrize("clip", CLIPS)
def test_a_real_clip_its_mirror_and_half_its_frame_rate_count_the_same(footage, tmp_path, clip):
    row = footage[clip]
    lo, hi = int(row["reps_min"]), int(row["reps_max"])
    src = FOOTAGE / clip
    opts = AnalyzeOptions(exercise=row["exercise_id"])
    got = {"orig": analyze_video(src, opts)}
    for kind in ("mirror", "half"):
        got[kind] = analyze_video(write_variant(src, tmp_path / f"{kind}.mp4", kind), opts)
    counts = {k: v["reps"] for k, v in got.items()}
    assert all(lo <= n <= hi for n in counts.values()), (clip, counts, (lo, hi))
    assert counts["mirror"] == counts["orig"], counts
    if "reps_by_side" in got["orig"]:  # the same person facing the other way: sides exchanged
        a, b = got["orig"]["reps_by_side"], got["mirror"]["reps_by_side"]
        assert (a.get("left"), a.get("right")) == (b.get("right"), b.get("left")), (a, b)
