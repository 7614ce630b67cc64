"""The estimator follows the person doing the exercise among several (``core.people``), with
fake landmarkers: no model needed.  See tests/core/test_people.py for the breaks tried."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from posecoach.core.people import fits_posture
from posecoach.core.types import Pose

from people_helpers import lying, upright


def _result(*poses: Pose) -> SimpleNamespace:
    """What MediaPipe's landmarker returns for these poses (normalised coordinates)."""
    lms = []
    for p in poses:
        w, h = p.size_wh
        lms.append([SimpleNamespace(x=x / w, y=y / h, visibility=v) for (x, y), v in zip(p.xy, p.visibility)])
    return SimpleNamespace(pose_landmarks=lms, pose_world_landmarks=[])


class _Landmarker:
    def __init__(self, results):
        self.results = list(results)

    def __call__(self, image, ms=None):
        return self.results.pop(0)

    def detect(self, image):
        return self.results.pop(0)


def _estimator(tracked, counted, posture="lying"):
    from posecoach.io.estimator import PoseEstimator

    est = PoseEstimator.__new__(PoseEstimator)  # no model: the landmarkers are fakes
    est.mode, est.posture, est.model_path = "video", posture, "fake"
    est._last_ms, est._people, est._next_check_ms, est.people_every_s = -1, 1, 10**9, 1.0
    est._chosen, est._fit_ms = None, -10**9
    est._visibility = None  # every frame: MediaPipe's visibility as it is
    est._run, est._counter = _Landmarker(tracked), _Landmarker(counted)
    return est


def test_the_estimator_follows_the_patient_not_the_helper_it_tracks():
    helper, patient = upright(), lying()
    helper = Pose(xy=helper.xy, visibility=helper.visibility, size_wh=patient.size_wh)
    est = _estimator([_result(helper)] * 3, [_result(helper, patient)] * 3)
    rgb = np.zeros((patient.size_wh[1], patient.size_wh[0], 3), np.uint8)
    for i in range(3):
        got = est._detect(None, rgb, i / 30)
        assert got is not None and fits_posture(got, "lying") and got.n_people == 2
        assert np.allclose(got.xy, patient.xy, atol=1e-6)


def test_the_wrong_person_is_never_returned_for_a_frame():
    """The detector misses the patient for a frame: no person, not the helper; alone and never
    seen in the posture, the person followed is returned as before."""
    helper, patient = upright(), lying()
    helper = Pose(xy=helper.xy, visibility=helper.visibility, size_wh=patient.size_wh)
    rgb = np.zeros((patient.size_wh[1], patient.size_wh[0], 3), np.uint8)
    est = _estimator([_result(helper)] * 2, [_result(helper, patient), _result(helper)])
    assert est._detect(None, rgb, 0.0) is not None
    assert est._detect(None, rgb, 1 / 30) is None
    alone = _estimator([_result(helper)], [_result(helper)])
    got = alone._detect(None, rgb, 0.0)
    assert got is not None and np.allclose(got.xy, helper.xy, atol=1e-6)


def test_an_exercise_in_any_posture_keeps_the_tracked_person():
    helper, patient = upright(), lying()
    helper = Pose(xy=helper.xy, visibility=helper.visibility, size_wh=patient.size_wh)
    est = _estimator([_result(helper)], [], posture="any")  # the counter is never asked
    rgb = np.zeros((patient.size_wh[1], patient.size_wh[0], 3), np.uint8)
    got = est._detect(None, rgb, 0.0)
    assert got is not None and np.allclose(got.xy, helper.xy, atol=1e-6)
