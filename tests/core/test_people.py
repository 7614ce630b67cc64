"""Following the person doing the exercise when several are in view (``core.people``; the
estimator's use of it: tests/io/test_estimator_people.py).

Breaks tried: ``fits_posture`` always True fails the posture tests and the estimator test;
the estimator returning the tracked person when nobody fits fails
``test_the_wrong_person_is_never_returned_for_a_frame``; choosing the largest instead of the
nearest to the last choice fails ``test_the_same_person_is_kept_among_several_in_posture``.
"""

from __future__ import annotations

import pytest

from posecoach.core.people import choose_person, fits_posture, trunk_tilt_deg
from people_helpers import lying, upright

from posecoach.testing import synth as S
from posecoach.testing.scenarios import quadruped as Q


def test_trunk_tilt_reads_lying_flat_and_standing_upright():
    assert trunk_tilt_deg(lying()) < 15
    assert trunk_tilt_deg(upright()) > 75
    hidden = upright()
    hidden.visibility[[11, 12, 23, 24]] = 0.1
    assert trunk_tilt_deg(hidden) is None


@pytest.mark.parametrize("facing", ["left", "right"])
def test_postures_fit_whichever_way_the_person_faces(facing):
    cam = S.Camera(view="side", facing=facing)
    on_fours = Q.render(Q.all_fours(), cam.fit(Q.lab(Q.all_fours())))
    assert fits_posture(on_fours, "all_fours") and not fits_posture(on_fours, "upright")
    assert fits_posture(lying(), "lying") and not fits_posture(upright(), "lying")
    assert fits_posture(upright(), "upright") and fits_posture(upright(), "any")


def test_the_person_in_the_posture_is_chosen_over_a_larger_one():
    kneeling_helper = upright()
    patient = lying()
    assert choose_person([kneeling_helper, patient], "lying") == 1
    assert choose_person([kneeling_helper], "lying") is None
    assert choose_person([kneeling_helper, patient], "any") in (0, 1)


def test_the_same_person_is_kept_among_several_in_posture():
    a, b = lying(0.0), lying(400.0)
    assert choose_person([a, b], "lying", previous=b) == 1
    assert choose_person([b, a], "lying", previous=b) == 0
