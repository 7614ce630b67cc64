"""One coaching run, without Qt: what the window coaches, records and shows.

``CoachingRun`` owns everything about a session that is not drawing:

- the ``Session`` and its ``CuePolicy`` (the one decision of what is said: the engine's
  cues, set-up guidance, counts, set milestones, praise);
- the set plan and ``SetTracker`` (which set a rep belongs to, when a set is done);
- the patient's targets and reference rep (``posecoach.clinic.references.PatientJudge``),
  with the hold of today's programme when the therapist set one;
- the history: the session is started, every rep and event is added as it happens, and
  the session is finished with its summary and the pain after -- all on the run's own
  writer thread (``HistoryWriter``), so SQLite's fsync never holds up a frame or the window.

``on_result`` is called on the pipeline worker's thread after each frame and returns a
``CoachView``: a frozen snapshot of what the coaching screen shows.  The window only
displays the snapshots it receives with each ``LiveFrame``; it never reads the run's
live state (the session's traces grow on the worker thread).
"""

from __future__ import annotations

import bisect
import statistics
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from posecoach.app.coaching import LOW_RATE_ADVICE, MIN_COACH_FPS
from posecoach.core.cues import Cue, CueKind, CuePolicy
from posecoach.core.engine import RepRecord, Targets
from posecoach.core.exercise.schema import Exercise
from posecoach.core.session import FrameResult, Session
from posecoach.core.sets import SetMilestone, SetPlan, SetTracker
from posecoach.errors import OutputError

__all__ = ["CoachView", "CoachingRun", "HistoryWriter", "cue_shown", "has_hold", "hold_text", "patient_targets"]

#: A live session keeps this much of its angle trace (s) for scoring the rep that just ended, and
#: this many of the cues said: per-frame data must not grow with the length of the session.
TRACE_KEEP_S = 300.0
CUES_KEPT = 200
#: the trace a rep's similarity is scored on starts this long before the rep (rest around it)
SCORE_LEAD_S = 5.0
#: a session shorter than this (s) with no rep, or with no frame that could count, is not kept: a
#: stop before the first picture, a start by mistake or nobody in view would fill the therapist's
#: lists, counts and charts with empty sessions
MIN_KEPT_S = 5.0


def low_rate_note(session: Session) -> str:
    """A summary note when the session was analysed below ``MIN_COACH_FPS`` on average ("" if not)."""
    if session.duration_s < 3.0 or session.frames < 2:
        return ""
    rate = (session.frames - 1) / session.duration_s
    if rate >= MIN_COACH_FPS:
        return ""
    return (f"only {rate:.1f} pictures a second could be analysed (reps are counted reliably from "
            f"{MIN_COACH_FPS:g}): the count may be too low. {LOW_RATE_ADVICE}")


def not_kept_reason(summary: dict) -> str:
    """Why a finished session is not worth storing ("" when it is): no rep, and no frame that could
    count or shorter than ``MIN_KEPT_S``."""
    if int(summary.get("reps") or 0) > 0:
        return ""
    if not summary.get("frames_usable"):
        return "nothing could be counted (no frame showed the exercise clearly)"
    if float(summary.get("duration_s") or 0.0) < MIN_KEPT_S:
        return f"it was shorter than {MIN_KEPT_S:g} seconds"
    return ""

@dataclass(frozen=True)
class CoachView:
    """What the coaching screen shows after one frame (made on the worker thread)."""

    reps: int
    set_line: str
    rep_line: str
    progress_line: str
    rest_until: float | None = None  # on the run's clock (time.monotonic()); None: not resting
    hold_text: str = ""  # "" when the exercise has no hold timer
    show: tuple[str, ...] = ()  # texts for the cue box, in order (cues said now, milestones)
    all_done: bool = False  # the plan was completed on this frame
    cue: Cue | None = None  # what the cue policy decided to say now (the speaker plays it)
    problem: str = ""  # the history could not be written ("" while all is well)

    def rest_line(self, now: float) -> str:
        """"Set done: rest 42 s" while resting (``now`` on the run's clock), else ""."""
        if self.rest_until is None or self.rest_until - now <= 0:
            return ""
        return f"Set done: rest {self.rest_until - now:.0f} s"


def has_hold(exercise: Exercise) -> bool:
    """Whether the coaching screen shows a hold timer for this exercise."""
    return exercise.counting == "hold" or exercise.hold is not None or exercise.dosage.hold_s > 0


def hold_text(exercise: Exercise, result: FrameResult | None, target_s: float | None = None) -> str:
    """The hold timer as the coaching screen shows it ("Hold: 2.1 / 5 s", "(paused)" while the
    hold is not held, "resting" during the rest between sets, when nothing is timed), "" for an
    exercise without one; annotated videos show the same.  ``target_s``: the engine's hold target
    (the patient's or today's plan's), else the exercise file's."""
    if not has_hold(exercise) or result is None:
        return ""
    target = target_s if target_s is not None else (exercise.hold.seconds if exercise.hold else exercise.dosage.hold_s)
    if result.resting:
        return f"Hold: resting (target {target:g} s)" if target else "Hold: resting"
    good = result.phase.value == "peak" and result.status == "ok"
    tgt = f" / {target:g} s" if target else " s"
    hold = result.hold_s
    return f"Hold: {hold:.1f}{tgt}" + ("" if good or hold == 0 else "  (paused)")


def cue_shown(cue: Cue | None) -> str:
    """The text of a cue for the cue box, "" for one shown elsewhere: counts on the counter,
    set-up guidance on the picture, set milestones by their own line."""
    if cue is None or cue.kind in (CueKind.COUNT, CueKind.SETUP, CueKind.SET):
        return ""
    return cue.text


def patient_targets(exercise: Exercise, judge: Any, plan_hold_s: float | None) -> tuple[Targets | None, dict | None]:
    """(engine targets, targets as stored with the session) for a patient's ``PatientJudge``:
    their own targets, with the hold of today's plan when the therapist set one and the
    targets do not already hold."""
    tg: Targets | None = judge.engine_targets
    stored = dict(judge.targets) if judge.targets else None
    holds = exercise.hold is not None or exercise.counting == "hold"
    if plan_hold_s and holds and (tg is None or tg.hold_s is None):
        tg = replace(tg, hold_s=float(plan_hold_s)) if tg else Targets(hold_s=float(plan_hold_s))
        stored = {**(stored or {}), "hold_s": float(plan_hold_s)}
    return tg, stored


class HistoryWriter:
    """Every history write of one run, in order, on one thread of its own.

    A write that fails because the data folder cannot be written (full, read-only, gone: an
    ``OutputError`` or ``OSError``) never stops the coaching: it waits in memory with every write
    after it, ``problem`` says so (the window shows it), and they are tried again, in order, every
    ``retry_s`` (``poke``, called each frame) and at ``finish``; once they go through, ``problem``
    is "" again.  If the session still cannot be saved at ``finish``, ``problem`` says it was not
    kept.  Any other failure drops that one write, with a ``problem``.  ``close`` waits for the
    writes still queued."""

    def __init__(self, history: Any, clinic: Any = None, *, retry_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.history = history
        self.clinic = clinic
        self.problem = ""
        self.retry_s = retry_s
        self._clock = clock
        self._sid: Any = None
        self._pending: deque[tuple[str, Callable[[], None]]] = deque()  # writes not done yet, in order
        self._next_try = 0.0
        self._refused = ""  # why the data folder refused the last write
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posecoach-history")

    @property
    def session_id(self) -> Any:
        """The history's id of this session (once its start is written; None until then)."""
        self.drain()
        return self._sid

    @property
    def waiting(self) -> int:
        """How many writes wait for the data folder to be writable again."""
        return len(self._pending)

    def start(self, exercise_id: str, patient_id: int | None, **kw: Any) -> None:
        self._submit("saved", lambda: self._start(exercise_id, patient_id, kw))

    def add_rep(self, rep: dict, set_index: int, *, score: Callable[[dict], None] | None = None) -> None:
        """Store a rep; ``score(rep)`` first adds its similarity here, off the frame loop (once)."""
        scored: list[bool] = []

        def write() -> None:
            if score is not None and not scored:
                scored.append(True)
                score(rep)
            self.history.add_rep(self._sid, rep, set_index=set_index)

        self._submit("saved", write)

    def add_event(self, t: float, kind: str, text: str) -> None:
        self._submit("saved", lambda: self.history.add_event(self._sid, t, kind, text))

    def poke(self) -> None:
        """Try the waiting writes again if it is time (cheap; any thread)."""
        if self._pending and self._clock() >= self._next_try:
            self._next_try = self._clock() + self.retry_s
            self._pool.submit(self._flush)

    def drain(self) -> None:
        """Return once every write handed so far has been tried (at once after ``close``)."""
        try:
            self._pool.submit(lambda: None).result()
        except RuntimeError:  # closed: nothing is left to write
            pass

    def finish(self, summary: dict, *, pain_after: int | None, stopped: str) -> None:
        """Finish (or update) the session row, with every write still waiting; returns once tried."""
        self._submit("saved", lambda: self.history.finish_session(
            self._sid, summary=summary, pain_after=pain_after, stopped=stopped)).result()
        self._pool.submit(self._last_try).result()

    def discard(self) -> None:
        """Drop the session: the writes still waiting, and its row (with its reps and events) if
        it was written; returns once done.  Nothing is written for it afterwards."""
        def job() -> None:
            self._pending.clear()
            if self._sid is not None:
                try:
                    self.history.delete_session(self._sid)
                except Exception as exc:
                    self.problem = f"The session could not be removed from the history ({exc})."
                self._sid = None

        self._pool.submit(job).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _start(self, exercise_id: str, patient_id: int | None, kw: dict) -> None:
        if patient_id is not None:
            self._sid = self.clinic.start_session(patient_id, exercise_id, **kw)
        else:
            self._sid = self.history.start_session(exercise_id, **kw)

    def _submit(self, what: str, fn: Callable[[], None]) -> Future[None]:
        def job() -> None:
            self._pending.append((what, fn))
            if len(self._pending) == 1 or self._clock() >= self._next_try:
                self._flush()

        return self._pool.submit(job)

    def _flush(self) -> None:
        """The waiting writes, in order (writer thread); stops at one the data folder refuses."""
        while self._pending:
            what, fn = self._pending[0]
            try:
                fn()
            except (OutputError, OSError) as exc:
                self._next_try = self._clock() + self.retry_s
                self._refused = str(exc)
                self.problem = (f"The session history cannot be saved ({exc}) right now: coaching goes on, and "
                                "the session is saved as soon as the data folder can be written again.")
                return
            except Exception as exc:
                self.problem = f"The session history could not be {what} ({exc})."
            self._pending.popleft()
        if self.problem.startswith("The session history cannot be saved"):
            self.problem = ""  # written after all

    def _last_try(self) -> None:
        """At the end: one more try; if the folder still refuses, say the session is not kept."""
        if self._pending:
            self._flush()
        why = getattr(self.history, "why", "")  # a NullHistory: the database could not be opened at all
        if why:
            self.problem = f"This session was not saved: {why} The summary below is not kept."
            return
        if self._pending:
            where = getattr(self.history, "path", None)
            folder = f" ({Path(where).parent})" if where else ""
            self.problem = (f"This session could not be saved: the data folder{folder} cannot be written "
                            f"({self._refused}). Free some space or make it writable; the summary below is not kept.")


class CoachingRun:
    """One session of one exercise for one person (or nobody in particular); see the module
    docstring.  Raises ``ValueError``/``KeyError``/``PosecoachError`` when the patient's
    targets cannot be used."""

    def __init__(self, exercise: Exercise, plan: SetPlan, *, history: Any, clinic: Any = None,
                 patient_id: int | None = None, plan_hold_s: float | None = None, count_aloud: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.exercise = exercise
        self.plan = plan
        self.patient_id = patient_id if clinic is not None else None
        self.judge: Any = None
        self.targets: dict | None = None  # the patient's targets, as stored with the summary
        engine_targets = None
        if self.patient_id is not None:
            from posecoach.clinic.references import PatientJudge

            self.judge = PatientJudge.load(clinic, self.patient_id, exercise)
            engine_targets, self.targets = patient_targets(exercise, self.judge, plan_hold_s)
        self.policy = CuePolicy(praise=tuple(exercise.praise), count_aloud=count_aloud, said_keep=CUES_KEPT)
        self.session = Session(exercise, targets=engine_targets, cue_policy=self.policy, trace_keep_s=TRACE_KEEP_S)
        self.tracker = SetTracker(plan)
        self.similarities: list[float] = []
        self.has_hold = has_hold(exercise)
        self.writer = HistoryWriter(history, clinic)
        self._clock = clock
        self._start_kw: dict[str, Any] | None = None
        self._started = False
        self._skip_rest = False  # asked for on the window's thread, done on the worker's
        self.not_kept = ""  # why the finished session was not stored ("" when it was)
        self.view = self._view(None, SetMilestone.NONE, None, clock())

    @property
    def session_id(self) -> Any:
        return self.writer.session_id

    def start(self, *, source: str, pain_before: int | None) -> None:
        """What the history row will hold.  It is written (on the writer thread) with the first
        frame, or at ``finish``: a source that never gave a frame (no camera, not a video, a
        missing file) leaves no session behind when the run is closed without ``finish``."""
        self._start_kw = {"source": source, "pain_before": pain_before,
                          "planned_sets": self.plan.sets, "planned_reps": self.plan.reps}

    @property
    def started(self) -> bool:
        """Whether a frame (or ``finish``) has written the session's row."""
        return self._started

    def _write_start(self) -> None:
        if not self._started and self._start_kw is not None:
            self._started = True
            self.writer.start(self.exercise.id, self.patient_id, **self._start_kw)

    # -- per frame (the worker thread) ---------------------------------------------------
    def on_result(self, result: FrameResult, guidance: str) -> CoachView:
        """Track sets, record reps and events, let the policy add set-up and set cues; the view."""
        now = self._clock()
        self._write_start()
        self.writer.poke()
        self._record(result)
        milestone = self.tracker.update(result.reps if result.reps_met is None else result.reps_met, now)
        rested = self._follow_rest(result.t, milestone, now)
        follow = self.policy.offer_frame(result.t, guidance=guidance, milestone=milestone,
                                         rest_s=self.plan.rest_s)
        cue = result.cue or follow
        if cue is not None:
            self.writer.add_event(cue.t, "cue", f"{cue.kind}: {cue.text}")
        self.view = self._view(result, milestone, cue, now, rested=rested)
        return self.view

    def _follow_rest(self, t: float, milestone: SetMilestone, now: float) -> bool:
        """Rest the session while the set plan rests (nothing is counted or timed: a plank held
        during the countdown is not a hold of the next set); True on the frame the rest ended."""
        if milestone == SetMilestone.SET_DONE and self.plan.rest_s > 0:
            for ev in self.session.rest(t):
                if ev.kind == "rep" and ev.rep is not None:  # a hold in progress closed as it stood
                    self._store_rep(ev.rep, self.session.count)
            return False
        if self.session.resting and (self._skip_rest or self.tracker.rest_left(now) is None):
            self._skip_rest = False
            self.tracker.rest_until = None
            self.session.resume()
            return True
        self._skip_rest = False
        return False

    def skip_rest(self) -> None:
        """The patient is ready before the countdown ends: the next set starts with the next frame
        (any thread; a no-op when not resting)."""
        self._skip_rest = True

    def _record(self, result: FrameResult) -> None:
        for ev in result.events:
            if ev.kind == "rep" and ev.rep is not None:
                self._store_rep(ev.rep, result.reps)
            elif ev.kind == "fault" and ev.rule is not None:
                self.writer.add_event(ev.t, "fault", f"{ev.rule.id}: {ev.rule.cue}")
            elif ev.kind == "partial":
                self.writer.add_event(ev.t, "partial", ev.detail or "partial rep")

    def _store_rep(self, rep: RepRecord, number: int) -> None:
        """Store one rep with the set it belongs to.  A rep short of its hold target is stored as
        not counted (the plan's "done" and the therapist's reps count only the prescribed work),
        in the set being worked on; a done rep in the set its place in the plan gives it."""
        d = rep.to_dict()
        d["number"] = number
        if rep.short:
            d["counted"] = False
            set_index = self.tracker.current_set
        else:
            set_index = self.tracker.set_of_rep(self.tracker.reps + 1)
        self.writer.add_rep(d, set_index, score=self._scorer(d))

    def _scorer(self, rep: dict) -> Callable[[dict], None] | None:
        """Scores a rep that just ended against the patient's reference (similarity 0-100, in
        place), on a copy of the trace since just before the rep; None without a reference.
        Called on the writer thread: the dynamic time warping never holds up the frame loop."""
        template = getattr(self.judge, "template", None)
        if template is None:
            return None
        tt, tv = self.session.trace_t, self.session.trace_main
        start = rep.get("start_s")
        i = bisect.bisect_left(tt, float(start) - SCORE_LEAD_S) if start is not None else 0
        trace_t, trace_v = tt[i:], tv[i:]

        def score(d: dict) -> None:
            try:
                from posecoach.clinic.references import score_reps

                score_reps([d], trace_t, trace_v, template)
                if d.get("similarity") is not None:
                    self.similarities.append(float(d["similarity"]))
            except Exception:
                pass

        return score

    def _view(self, result: FrameResult | None, milestone: SetMilestone, cue: Cue | None, now: float, *,
              rested: bool = False) -> CoachView:
        t = self.tracker
        t.rest_left(now)  # a rest that is over ends here
        show: list[str] = []
        if cue_shown(cue):
            show.append(cue_shown(cue))
        if milestone == SetMilestone.SET_DONE:
            # No number here: the countdown is the rest line's, which the cue box would contradict
            # a second later ("rest 60 s" under "rest 36 s").
            show.append(f"Set {t.current_set - 1} done: rest until the countdown above ends")
        elif rested:
            show.append(f"Rest over: start set {t.current_set} when you are ready")
        elif milestone == SetMilestone.ALL_DONE:
            show.append("All sets done. Well done!")
        return CoachView(
            reps=t.reps, set_line=t.set_line(), rep_line=t.rep_line(),
            progress_line=t.progress_line("hold" if self.exercise.counting == "hold" else "rep"),
            rest_until=t.rest_until, hold_text=self._hold_text(result), show=tuple(show),
            all_done=milestone == SetMilestone.ALL_DONE, cue=cue, problem=self.writer.problem,
        )

    def _hold_text(self, result: FrameResult | None) -> str:
        target = self.session.engine.hold_target
        return hold_text(self.exercise, result, target if target > 0 else None)

    # -- the end (after the worker has stopped) --------------------------------------------
    def finish(self, stopped: str, pain_after: int | None = None) -> dict:
        """The session's summary (with the patient, targets and similarity), stored; returns it
        once the history has it."""
        self.writer.drain()  # the last reps' similarities are in
        summary = self.session.summary()
        low = low_rate_note(self.session)
        if low:
            summary["warnings"] = [*summary.get("warnings", []), low]
        # A session stopped because it hurt is always kept: the next session's pain check reads it.
        keep = stopped == "pain" or not not_kept_reason(summary)
        if keep:
            self._write_start()  # (a run that never had a frame has no row yet)
        if self.patient_id is not None:
            summary["patient_id"] = self.patient_id
            if self.targets:
                summary["targets"] = dict(self.targets)
            if self.similarities:  # the median the progress view and the report take (middle two averaged)
                summary["similarity_median"] = round(statistics.median(self.similarities), 1)
        self.summary = summary
        self.stopped = stopped
        self.not_kept = "" if keep else not_kept_reason(summary)
        if self.not_kept:
            self.writer.discard()
            return summary
        self.writer.finish(summary, pain_after=pain_after, stopped=stopped)
        return summary

    def save_pain_after(self, pain_after: int) -> None:
        """The pain after the session, entered on the summary: the same row is updated (nothing for
        a session that was not kept)."""
        if self.not_kept and pain_after >= 8:
            # Pain that high is kept however short the session: a new session today asks for a
            # confirmation because of it (``main_window.caution_reason``).
            self.not_kept, self._started = "", False
            self._write_start()
        if not self.not_kept:
            self.writer.finish(self.summary, pain_after=pain_after, stopped=self.stopped)

    def close(self) -> None:
        """Wait for the last writes and end the writer thread."""
        self.writer.close()
