"""The posture check (``posecoach.core.posture``) on generated laptop sessions
(``posecoach.testing.scenarios.posture``): good posture stays quiet, a head held forward for long
enough gives exactly one reminder, a mirrored or side-placed camera reads the same, short slumps do
not nag, reminders keep their minimum gap, and the settings file's errors say file, field and what
was expected."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from posecoach.core.posture import PostureCoach, PostureState, load_posture_settings, measure
from posecoach.errors import ExerciseError
from posecoach.paths import posture_file
from posecoach.testing.scenarios.posture import laptop_session, seated


@pytest.fixture(scope="module")
def settings():
    return load_posture_settings(posture_file())


def run(settings, poses):
    coach = PostureCoach(settings)
    return coach, [coach.update(t, p) for t, p in poses]


def test_the_shipped_settings_are_valid_and_ordered(settings):
    assert settings.kind == "posture"
    assert settings.head_forward.warn < settings.head_forward.poor
    assert settings.poor_s <= settings.window_s and settings.reminder.strip()


def test_good_posture_stays_quiet(settings):
    sc = laptop_session([(300.0, seated(head_deg=3.0))], fps=5.0, noise_px=1.5, seed=1)
    coach, rs = run(settings, sc.poses)
    assert rs[0].state == PostureState.CALIBRATING
    after = [r for r in rs if r.t > settings.calibration_s + 0.5]
    assert {r.state for r in after} == {PostureState.GOOD}, {r.state for r in after}
    assert coach.reminders == [] and all(r.reminder is None for r in rs)


def test_head_forward_long_enough_gives_exactly_one_reminder(settings):
    upright = 20.0
    sc = laptop_session([(upright, seated()), (240.0, seated(head_deg=25.0))], fps=5.0, noise_px=1.5, seed=2)
    _, rs = run(settings, sc.poses)
    reminded = [r for r in rs if r.reminder]
    assert len(reminded) == 1, [r.t for r in reminded]
    r = reminded[0]
    assert r.reminder == settings.reminder and r.state == PostureState.POOR
    # not before the posture had been poor for poor_s seconds (it gets poor while easing in)
    assert upright + settings.poor_s <= r.t <= upright + settings.poor_s + 3.0, r.t
    assert "head forward" in r.why
    late = rs[-1]
    assert late.head >= settings.head_forward.poor and late.poor_s >= settings.poor_s


def test_a_mirrored_or_side_placed_camera_reads_the_same(settings):
    segs = [(20.0, seated()), (90.0, seated(head_deg=25.0, tilt_deg=8.0)), (20.0, seated())]
    base = run(settings, laptop_session(segs, fps=5.0, seed=3).poses)[1]
    for kw in ({"mirror": True}, {"yaw_deg": 35.0}):
        other = run(settings, laptop_session(segs, fps=5.0, seed=3, **kw).poses)[1]
        assert [r.state for r in other] == [r.state for r in base], kw
        assert [r.t for r in other if r.reminder] == [r.t for r in base if r.reminder] != []
        assert all(abs(a.head - b.head) < 1e-6 or (math.isnan(a.head) and math.isnan(b.head))
                   for a, b in zip(base, other))


def test_short_slumps_do_not_nag(settings):
    # poor for 30 s in every 80 s: never poor_s (60 s) within a 120 s window
    segs = [(20.0, seated())] + [(30.0, seated(head_deg=25.0)), (50.0, seated())] * 5
    coach, rs = run(settings, laptop_session(segs, fps=4.0, seed=4).poses)
    assert max(r.poor_s for r in rs) < settings.poor_s
    assert coach.reminders == []
    assert PostureState.POOR in {r.state for r in rs}  # it was seen, only not nagged about


def test_reminders_keep_their_minimum_gap(settings):
    # poor for 20 minutes on end: one reminder after poor_s, the next only reminder_gap_min later
    sc = laptop_session([(10.0, seated()), (1200.0, seated(head_deg=25.0))], fps=1.0)
    coach, _ = run(settings, sc.poses)
    assert len(coach.reminders) == 2, coach.reminders
    gap = coach.reminders[1] - coach.reminders[0]
    assert settings.reminder_gap_min * 60 <= gap <= settings.reminder_gap_min * 60 + 2


def test_leaning_is_judged_where_the_hips_are_seen(settings):
    sc = laptop_session([(10.0, seated()), (10.0, seated(slump_deg=-20.0))], fps=5.0, hips=True)
    _, rs = run(settings, sc.poses)
    assert rs[-1].state == PostureState.POOR and "leaning" in rs[-1].why
    assert abs(rs[-1].lean - 20.0) < 1.0
    hidden = run(settings, laptop_session([(10.0, seated()), (10.0, seated(slump_deg=-20.0))], fps=5.0).poses)[1]
    assert math.isnan(hidden[-1].lean)  # at the desk, hips out of the picture: not judged


def test_nobody_in_front_of_the_camera_is_away_and_not_poor(settings):
    sc = laptop_session([(10.0, seated()), (200.0, seated(head_deg=25.0))], fps=2.0)
    poses = [(t, p if t < 20.0 else None) for t, p in sc.poses]
    coach, rs = run(settings, poses)
    assert rs[-1].state == PostureState.AWAY and coach.reminders == []


def test_recalibrate_takes_the_new_posture_as_upright(settings):
    sc = laptop_session([(10.0, seated()), (30.0, seated(head_deg=25.0))], fps=5.0)
    coach = PostureCoach(settings)
    rs = []
    for t, p in sc.poses:
        if abs(t - 20.0) < 1e-6:
            coach.recalibrate()
        rs.append(coach.update(t, p))
    assert rs[-1].state == PostureState.GOOD


def test_without_world_landmarks_the_head_drop_still_shows(settings):
    sc = laptop_session([(10.0, seated()), (10.0, seated(head_deg=35.0))], fps=5.0)
    flat = [(t, None if p is None else replace(p, world=None)) for t, p in sc.poses]
    _, rs = run(settings, flat)
    assert rs[-1].state in (PostureState.FAIR, PostureState.POOR)
    assert measure(flat[0][1]) is not None


def write(tmp_path, text: str):
    p = tmp_path / "posture_check.yaml"
    p.write_text(text)
    return p


GOOD = posture_file().read_text()


@pytest.mark.parametrize("edit, expected", [
    (("  poor: 0.15", "  poor: 0.05"), "head_forward: 'poor' (0.05) must be greater than 'warn' (0.1)"),
    (("poor_s: 60", "poor_s: sixty"), "poor_s: expected a number, got 'sixty'"),
    (("kind: posture", "kind: exercise"), "kind: input should be 'posture'"),
    (("window_s: 120", "window_s: 120\nwindow_sec: 3"), "window_sec: unknown field"),
    (("poor_s: 60", "poor_s: 600"), "'poor_s' (600) must not exceed 'window_s' (120)"),
])
def test_a_bad_settings_file_names_file_field_and_what_is_expected(tmp_path, edit, expected):
    assert edit[0] in GOOD
    p = write(tmp_path, GOOD.replace(edit[0], edit[1], 1))
    with pytest.raises(ExerciseError) as e:
        load_posture_settings(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: ") and expected in msg and "\n" not in msg, msg


def test_a_missing_settings_file_is_one_line(tmp_path):
    with pytest.raises(ExerciseError, match="no such exercise file"):
        load_posture_settings(tmp_path / "nope.yaml")
