"""``report.html`` of ``posecoach analyze``: the rows, plots and rep tables of known results, the
bounded trace it is drawn from, and the page as a browser shows it (headless Chromium).

The results come from a real ``Session`` over a generated squat sequence with known reps, a
form fault, a stretch with nobody in view and a camera cut; the CLI test runs ``analyze`` on
tiny generated clips with an estimator that replays that sequence instead of MediaPipe.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from posecoach.cli import batch
from posecoach.cli.batch_report import render_batch_report
from posecoach.cli.main import main
from posecoach.core.exercise import find_exercise
from posecoach.core.session import Session
from posecoach.core.timeline import StatusSpans, downsample
from posecoach.core.types import Status
from posecoach.testing import synth as S

from test_cli import no_model_needed  # noqa: F401

NO_POSE = (3.6, 4.4)  # nobody in view (between reps 1 and 2)
FAULT_REP = 2  # 0-based: the third rep leans too far forward


def squat_sequence(fps: float = 30.0) -> tuple[list, float]:
    """Five squats, the third with the trunk too far forward, a no-pose stretch and a camera cut
    between reps 4 and 5; returns the poses and the time of the cut."""
    sc = S.squat(n_reps=5, fault="trunk_forward", fault_reps=[FAULT_REP], fps=fps)
    seq = S.drop_frames(sc.poses, ranges=[NO_POSE])
    t_cut = next(t for t, _ in seq if t >= 14.3)
    return S.cut(seq, t_cut, shift_px=(60.0, 30.0), scale=0.5), t_cut


@pytest.fixture(scope="module")
def squat_result() -> dict:
    seq, t_cut = squat_sequence()
    s = Session(find_exercise("squat"))
    for t, p in seq:
        s.process(t, p)
    res = {"source": "/videos/clip <&> \"one\".mp4", **s.summary(), "trace": s.timeline(), "fps": 30.0}
    res["t_cut"] = t_cut  # for the tests; the report ignores keys it does not know
    return res


def failed() -> dict:
    return {"source": "/videos/bad<b>.mp4", "exercise": "squat",
            "error": "/videos/bad<b>.mp4: cannot open as a video (corrupt, or an unsupported format)"}


# -- the trace ----------------------------------------------------------------------------------
def test_the_sequence_has_what_the_report_must_show(squat_result):
    r = squat_result
    assert r["reps"] == 5 and r["faults"] == {"trunk_forward": 1} and r["cuts"] == 1
    assert r["rep_details"][FAULT_REP]["faults"] == ["trunk_forward"]
    spans = r["trace"]["unjudged"]
    assert any(s[2] == "no_person" and s[0] <= NO_POSE[0] + 0.05 and s[1] >= NO_POSE[1] - 0.05 for s in spans)
    (cut,) = r["trace"]["cut_times_s"]
    assert r["t_cut"] <= cut <= r["t_cut"] + 0.1


def test_trace_has_null_where_no_pose_and_is_strict_json(squat_result):
    tr = squat_result["trace"]
    assert tr["feature"] == "knee" and tr["unit"] == "deg" and len(tr["t"]) == len(tr["angle"])
    inside = [v for t, v in zip(tr["t"], tr["angle"]) if NO_POSE[0] + 0.1 < t < NO_POSE[1] - 0.1]
    assert inside and all(v is None for v in inside)
    assert all(v is not None for t, v in zip(tr["t"], tr["angle"]) if 6.0 < t < 14.0)
    json.dumps(tr, allow_nan=False)
    assert len(tr["t"]) <= 10 * squat_result["duration_s"] + 1


def test_trace_is_bounded_for_a_long_session_and_keeps_the_peaks():
    fps, minutes = 30.0, 90
    t = np.arange(int(minutes * 60 * fps)) / fps
    v = 170.0 - 80.0 * (np.sin(2 * np.pi * t / 3.0) > 0.99)  # brief dips to 90 every 3 s
    v[1000:1300] = np.nan
    ts, vs = downsample(t, v)
    assert len(ts) == len(vs) <= 3000 and ts == sorted(ts)
    assert min(x for x in vs if x is not None) == 90.0  # the dips survive
    assert None in vs and len(json.dumps({"t": ts, "angle": vs})) < 50_000
    short_t, _ = downsample(t[:300], v[:300])  # 10 s: at most 10 points a second
    assert len(short_t) <= 101


def test_session_trace_of_a_long_session_stays_bounded():
    """A real Session over a long sequence: the stored trace has at most the limit of points."""
    sc = S.squat(n_reps=40, fps=30.0, rep_s=2.0)  # about two minutes
    s = Session(find_exercise("squat"))
    for t, p in sc.poses:
        s.process(t, p)
    tl = s.timeline(max_points=400)
    assert len(s.trace_t) > 3000 and len(tl["t"]) <= 400
    assert min(v for v in tl["angle"] if v is not None) < 100 < max(v for v in tl["angle"] if v is not None)


def test_status_spans_merge_frames_and_end_at_the_next_frame():
    spans = StatusSpans()
    for i, st in enumerate([Status.OK, Status.NO_PERSON, Status.NO_PERSON, Status.NOT_VISIBLE, Status.OK,
                            Status.OK, Status.WRONG_VIEW_SIDE]):
        spans.add(i * 0.5, st)
    assert spans.rounded() == [[0.5, 1.5, "no_person"], [1.5, 2.0, "not_visible"], [3.0, 3.0, "wrong_view_side"]]
    spans.forget(2.5)
    assert spans.rounded() == [[3.0, 3.0, "wrong_view_side"]]


def test_result_json_keeps_the_trace_compact_and_equal(tmp_path, squat_result):
    res = batch.final_result({k: v for k, v in squat_result.items() if k != "t_cut"}, "squat")
    batch.write_result(res, tmp_path, "clip")
    text = (tmp_path / "clip.json").read_text()
    assert json.loads(text) == json.loads(json.dumps(res))
    assert len(text.splitlines()) < 400  # not one line per point
    assert '"angle": [' in text and (tmp_path / "clip_reps.csv").read_text().count("\n") == 6


# -- faults explained: values, limits, attempts that did not count --------------------------------
def explained_sequence() -> list:
    """From the front: a good squat, a shallow one (an attempt: short of the peak) with the knees
    a little in, a deep one with the knees well in, a good one."""
    peaks = [S.squat_posture(100, 45), S.squat_posture(50, 22, valgus_deg=6.0),
             S.squat_posture(100, 45, valgus_deg=8.0), S.squat_posture(100, 45)]
    kf, _ = S.reps(S.standing(), peaks, len(peaks), 2.5, 0.0, 1.0, 1.0)
    cam = S.Camera(view="front", facing="left").fit(np.concatenate([S.landmarks_lab(p) for _, p in kf]))
    return S.keyframe_sequence(kf, 30.0, cam)


@pytest.fixture(scope="module", params=["textbook", "reference"])
def explained(request) -> dict:
    """Judged with the textbook limits, or with this patient's reference (knees 1.0 of the
    ankle gap apart in their good squats: caving in under 1.0 - 0.12 = 0.88)."""
    from posecoach.core.engine.records import Targets

    refs = {"knees_cave": 1.0} if request.param == "reference" else {}
    s = Session(find_exercise("squat"), targets=Targets(rule_refs=refs))
    for t, p in explained_sequence():
        s.process(t, p)
    return {"source": "/v/front.mp4", **s.summary(), "trace": s.timeline(), "fps": 30.0, "limits": request.param}


def test_rep_csv_has_fault_values_and_limits_and_the_attempts(tmp_path, explained):
    import csv

    r = explained
    batch.write_result(batch.final_result(r, "squat"), tmp_path, "front")
    with open(tmp_path / "front_reps.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == batch.REP_CSV_FIELDS + batch.REP_CSV_EXPLAINED  # old columns first, in their order
    body = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert [(b["index"], b["counted"], b["why_not_counted"]) for b in body] == [
        ("1", "yes", ""), ("", "no", "short of the peak"), ("2", "yes", ""), ("3", "yes", "")]
    assert [float(b["start_s"]) for b in body] == sorted(float(b["start_s"]) for b in body)
    deep = r["rep_details"][1]["fault_details"][0]["value"]
    short = r["partial_reps"][0]["fault_details"][0]
    short_code = f"short_of_peak {short['value']:.1f} > {short['limit']:.1f} (textbook)"  # (how far the attempt went)
    if r["limits"] == "textbook":
        assert body[2]["fault_details"] == f"knees_cave {deep:.2f} < 0.80 (textbook)"
        # knees a little in on the shallow attempt: inside the textbook's 0.8
        assert body[1]["fault_details"] == short_code
    else:
        assert body[2]["fault_details"] == f"knees_cave {deep:.2f} < 0.88 (reference)"
        shallow = r["partial_reps"][0]["fault_details"][1]["value"]
        assert 0.8 < shallow < 0.88
        assert body[1]["fault_details"] == f"{short_code}; knees_cave {shallow:.2f} < 0.88 (reference)"
        assert body[1]["faults"] == "short_of_peak;knees_cave"
    assert body[0]["fault_details"] == body[3]["fault_details"] == ""


def test_report_says_which_limits_and_the_value_against_the_limit(explained):
    r = explained
    page = render_batch_report([r], ["front.mp4"], "squat")
    sec = re.search(r'<section class="video".*?</section>', page, re.S).group(0)
    limits = re.search(r'<div class="limits".*?</div>', sec, re.S).group(0)
    deep = r["rep_details"][1]["fault_details"][0]["value"]
    if r["limits"] == "reference":
        assert "This patient&#x27;s reference recording</strong>: knees caving in" in limits
        assert f"knees caving in (knee width): {deep:.2f}, under the limit of 0.88 (this patient&#x27;s reference recording)" in sec
    else:
        assert "The exercise&#x27;s standard limit</strong>: knees caving in, leaning to one side, too fast" in limits
        assert "This patient" not in limits
        assert f"knees caving in (knee width): {deep:.2f}, under the limit of 0.80 (the exercise&#x27;s standard limit)" in sec
    assert "The patient&#x27;s own earlier reps of the session</strong>: depth" in limits
    assert "From the front I cannot check the trunk leaning forward: turn side-on to the camera" in sec
    attempts = re.search(r"<h3>1 attempt that did not count</h3>\s*<table class=\"attempts\">.*?</table>", sec,
                         re.S).group(0)
    assert "short of the peak" in attempts
    assert ("knees caving in (knee width): 0.8" in attempts) == (r["limits"] == "reference")
    assert "knees_cave" not in sec  # no raw ids on the page


def test_a_result_written_before_limits_were_recorded_still_renders(squat_result):
    old = {k: v for k, v in squat_result.items() if k not in ("fault_limits", "view_notes", "partial_reps")}
    old["rep_details"] = [{k: v for k, v in d.items() if k not in ("fault_details", "measured")}
                          for d in squat_result["rep_details"]]
    page = render_batch_report([old], ["clip.mp4"], "squat")
    reps = re.search(r'<table class="reps">.*?</table>', page, re.S).group(0)
    assert 'class="limits"' not in page and reps.count("the trunk leaning forward<") == 1  # no value to give


# -- the page -----------------------------------------------------------------------------------
def _images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_report_rows_plots_and_rep_table(squat_result):
    r = squat_result
    page = render_batch_report([r, failed()], ["clip <&> \"one\".mp4", "bad<b>.mp4"], "squat")
    assert "<b>" not in page.replace("<body>", "")  # every name and error escaped
    assert "clip &lt;&amp;&gt; &quot;one&quot;.mp4" in page and "bad&lt;b&gt;.mp4" in page
    assert "cannot open as a video (corrupt, or an unsupported format)" in page
    row = re.search(r'<table class="videos">.*?</table>', page, re.S).group(0)
    judged = f"{100 * r['frames_usable'] / r['frames']:.0f}%"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[1:4] == ["Squat", f"{r['duration_s']:.1f}", "5"], cells
    assert cells[4] == "the trunk leaning forward ×1" and cells[5] == judged
    assert "1 camera cut: counting restarted there" in cells[6]
    imgs = _images(page)
    assert len(imgs) == 1 and imgs[0][:8] == b"\x89PNG\r\n\x1a\n"
    reps = re.search(r'<section class="video".*?</section>', page, re.S).group(0)
    body = re.findall(r'<tr><td>(\d+)</td><td class="l">[^<]*</td><td>([\d.]+)</td><td>([\d.]+)</td>', reps)
    assert [int(b[0]) for b in body] == [1, 2, 3, 4, 5]
    assert [b[1] for b in body] == [f"{d['start_s']:.1f}" for d in r["rep_details"]]
    # the flagged rep says what was measured and the limit it crossed, and where that limit came from
    assert reps.count("the trunk leaning forward (trunk past shins): ") == 1
    trunk = r["rep_details"][FAULT_REP]["fault_details"][0]
    assert f"the trunk leaning forward (trunk past shins): {trunk['value']:.1f}°, over the limit of 25.0° (the exercise&#x27;s " \
        "standard limit)" in reps
    limits = re.search(r'<div class="limits".*?</div>', reps, re.S).group(0)
    assert "The exercise&#x27;s standard limit</strong>: the trunk leaning forward, too fast" in limits
    assert "knees caving in" not in limits  # not judged from the side: the view note says so instead
    assert "From the side I cannot check knees caving in or leaning to one side" in reps
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing to fetch: it opens offline


def test_plot_draws_reps_faults_cuts_and_unjudged(squat_result):
    """The plot's pixels: the rep shading, the fault marker, the cut line and the grey stretch."""
    from PIL import Image
    import io as _io

    from posecoach.io.plots import angle_timeline_png

    def pixels(res) -> np.ndarray:
        img = Image.open(_io.BytesIO(base64.b64decode(angle_timeline_png(res)))).convert("RGB")
        return np.asarray(img).astype(int)

    def near(img, rgb, tol=15) -> int:
        return int((np.abs(img - np.array(rgb)).max(axis=2) <= tol).sum())

    full = pixels(squat_result)
    bare = pixels({**squat_result, "rep_details": [], "trace": {**squat_result["trace"], "unjudged": [],
                                                                 "cut_times_s": []}})
    for rgb, what in [((214, 39, 40), "fault marker"), ((123, 50, 148), "cut line"),
                      ((226, 242, 226), "rep shading"), ((215, 215, 215), "unjudged grey")]:
        assert near(full, rgb, 4) > max(30, 10 * near(bare, rgb, 4)), what  # (text edges have a few)
    assert near(full, (31, 78, 121)) > 200 and near(bare, (31, 78, 121)) > 200  # the angle line in both


def test_hold_exercise_shows_holds_and_a_result_without_trace_still_draws():
    res = {"source": "plank.mp4", "exercise": "plank", "counting": "hold", "reps": 2, "duration_s": 40.0,
           "frames": 1200, "frames_usable": 900, "faults": {}, "warnings": [], "cuts": 0,
           "rep_details": [{"index": 1, "start_s": 2.0, "end_s": 14.5, "hold_s": 12.5, "peak_angle": 178.0,
                            "peak_s": 5.0, "faults": [], "side": ""},
                           {"index": 2, "start_s": 20.0, "end_s": 27.0, "hold_s": 7.0, "peak_angle": 176.0,
                            "peak_s": 22.0, "faults": [], "side": ""}],
           "holds": [{"start_s": 2.0, "end_s": 14.5, "hold_s": 12.5, "side": ""},
                     {"start_s": 20.0, "end_s": 27.0, "hold_s": 7.0, "side": ""}]}
    page = render_batch_report([res], ["plank.mp4"], "plank")
    cells = re.findall(r"<td[^>]*>(.*?)</td>", re.search(r'<table class="videos">.*?</table>', page, re.S).group(0))
    assert cells[3:8] == ["2", "12.5", "19.5", "none", "75%"]
    assert len(_images(page)) == 1


# -- through the CLI ----------------------------------------------------------------------------
def clip(path: Path, frames: int) -> Path:
    """A small 10 fps video of ``frames`` frames (the estimator replaces what it shows)."""
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    for i in range(frames):
        w.write(np.full((120, 160, 3), i % 200, np.uint8))
    w.release()
    return path


class Replay:
    """An estimator that gives the generated squat's pose nearest each frame's time."""

    def __init__(self, seq):
        self.seq = seq
        self.ts = np.array([t for t, _ in seq])

    def detect(self, image_bgr, t_s):
        return self.seq[int(np.argmin(np.abs(self.ts - t_s)))][1]

    def close(self):
        pass


def test_analyze_writes_report_html_and_says_so(tmp_path, capsys, monkeypatch, no_model_needed):  # noqa: F811
    seq, _ = squat_sequence(fps=10.0)
    monkeypatch.setattr(batch, "_pose_estimator", lambda opts, posture="any", **_: Replay(seq))
    folder = tmp_path / "in"
    folder.mkdir()
    clip(folder / "squats & co.mp4", frames=int(seq[-1][0] * 10) + 1)
    (folder / "broken.mp4").write_bytes(b"not a video")
    out = tmp_path / "out"
    rc = main(["analyze", str(folder), "-e", "squat", "-o", str(out), "-q"])
    said = capsys.readouterr().out
    assert rc == 1 and "report.html" in said
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "squats &amp; co.mp4" in page and "broken.mp4" in page and len(_images(page)) == 1
    stored = json.loads((out / "squats & co.json").read_text())
    assert stored["reps"] == 5 and any(s[2] == "no_person" for s in stored["trace"]["unjudged"])

    # A re-run keeps the result and still draws it; --no-report writes no page.
    (out / "report.html").unlink()
    main(["analyze", str(folder / "squats & co.mp4"), "-e", "squat", "-o", str(out), "-q"])
    assert "skipped 1 video" in capsys.readouterr().out
    assert len(_images((out / "report.html").read_text(encoding="utf-8"))) == 1
    (out / "report.html").unlink()
    main(["analyze", str(folder / "squats & co.mp4"), "-e", "squat", "-o", str(out), "-q", "--no-report"])
    assert "report.html" not in capsys.readouterr().out and not (out / "report.html").exists()


# -- in a browser -------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian package `chromium`)")
def test_report_renders_in_headless_chromium(tmp_path, squat_result):
    """The page as a browser draws it, offline: the plot is decoded and shown (its line, rep
    shading and cut colours are on the screenshot), not a broken-image box."""
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(render_batch_report([squat_result, failed()], ["clip.mp4", "bad.mp4"], "squat"),
                    encoding="utf-8")
    shot = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1366,1400",
           page.as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.is_file(), "chromium wrote no screenshot"
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)

    def near(rgb, tol=12):
        return int((np.abs(img - np.array(rgb)).max(axis=2) <= tol).sum())

    assert near((255, 255, 255)) < img.shape[0] * img.shape[1] * 0.97  # not blank
    assert near((31, 78, 121), 20) > 200  # the angle line
    assert near((123, 50, 148), 20) > 50  # the cut line
    assert near((226, 242, 226), 6) > 2000  # the rep shading (green at 18 % on white)


def test_a_live_session_keeps_only_recent_unjudged_stretches_and_cuts():
    """``trace_keep_s`` (the app's live session) bounds the stretches and cuts as it bounds the trace."""
    sc = S.squat(n_reps=12, fps=30.0, rep_s=2.0)
    seq = S.drop_frames(sc.poses, fraction=0.2, seed=4)  # a flickering detection: hundreds of stretches
    whole, live = Session(find_exercise("squat")), Session(find_exercise("squat"), trace_keep_s=5.0)
    for t, p in seq:
        whole.process(t, p)
        live.process(t, p)
    assert len(whole.unjudged.spans) > 100
    assert live.unjudged.spans[-1] == whole.unjudged.spans[-1]
    assert seq[-1][0] - live.unjudged.spans[0][1] <= 2 * 5.0 + 0.1
    assert all(c >= seq[-1][0] - 2 * 5.0 - 0.1 for c in live.cut_times)
