"""Scoring a patient's reps against their reference, and judging a whole session for them.

Every rep is compared with the reference's most typical rep (``reference_template``: the DTW
medoid) by ``posecoach.core.similarity`` (DTW on normalised trajectories, 0-100, and the phase that
differs most).  ``PatientJudge`` is what ``analyze --patient`` needs: the patient, their targets,
the template, and storing the judged session for them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from posecoach.clinic.records import Patient, Reference
from posecoach.clinic.targets import counted_reps, targets_for, trace_arrays
from posecoach.core.engine import Targets
from posecoach.core.exercise import Exercise
from posecoach.core.session import Session
from posecoach.core.similarity import medoid, rep_similarity, rep_trajectory
from posecoach.errors import NotFound

__all__ = [
    "PAD_S",
    "PatientJudge",
    "reference_reps",
    "reference_template",
    "rep_similarity",
    "score_reps",
    "session_rep_trajectories",
]

PAD_S = 0.75  # seconds of rest kept on each side of a rep's trajectory


def _sorted_windows(reps: list[dict]) -> list[tuple[dict, float, float]]:
    """Each rep with the end of the previous rep and the start of the next (padding limits)."""
    rs = sorted(counted_reps(reps), key=lambda r: r["start_s"])
    out = []
    for i, r in enumerate(rs):
        lo = rs[i - 1]["end_s"] if i > 0 else -math.inf
        hi = rs[i + 1]["start_s"] if i + 1 < len(rs) else math.inf
        out.append((r, lo, hi))
    return out


def session_rep_trajectories(trace_t: Sequence[float] | np.ndarray, trace_v: Sequence[float] | np.ndarray,
                             reps: list[dict]) -> list[tuple[dict, np.ndarray]]:
    """(rep dict, ``(n, 2)`` trajectory) for each counted rep, in time order."""
    return [
        (r, rep_trajectory(trace_t, trace_v, r["start_s"], r["end_s"], lo_s=lo, hi_s=hi, pad_s=PAD_S))
        for r, lo, hi in _sorted_windows(reps)
    ]


def _trace_and_reps(reference: Reference | Mapping[str, Any]) -> tuple[Sequence, list[dict]]:
    """A stored ``Reference``, or a fresh recording's ``{"trace", "reps"}`` (bench, tests)."""
    if isinstance(reference, Reference):
        return reference.trace, reference.reps
    return reference.get("trace") or [], reference.get("reps") or []


def reference_reps(reference: Reference | Mapping[str, Any]) -> list[np.ndarray]:
    """The main-angle trajectory of each reference rep, from the trace: ``(n, 2)`` arrays of
    ``(t from the rep's start, angle)``, widened by ``PAD_S`` of rest on each side."""
    trace, reps = _trace_and_reps(reference)
    t, v = trace_arrays(trace)
    return [traj for _, traj in session_rep_trajectories(t, v, reps)]


def reference_template(reference: Reference | Mapping[str, Any]) -> np.ndarray | None:
    """The most typical reference rep (the DTW medoid), or None if the reference has no usable rep."""
    reps = [r for r in reference_reps(reference) if len(r) >= 3]
    if not reps:
        return None
    return reps[medoid(reps)]


def score_reps(details: list[dict], trace_t: Sequence[float] | np.ndarray, trace_v: Sequence[float] | np.ndarray,
               template: np.ndarray | None) -> None:
    """Add "similarity" (0-100, None if it cannot be computed) and "differs_most" to each rep dict
    of ``details`` (in place), comparing its trajectory in the trace with ``template``."""
    trajs = {id(r): traj for r, traj in session_rep_trajectories(trace_t, trace_v, details)}
    for d in details:
        traj = trajs.get(id(d))
        d["similarity"], d["differs_most"] = None, None
        if template is None or traj is None:
            continue
        try:
            d["similarity"], d["differs_most"] = rep_similarity(template, traj)
        except ValueError:
            pass


# -------------------------------------------------------------- judging a patient's session


def _reference_for(clinic: Any, patient: Patient, exercise: Exercise, stored: dict | None) -> Reference | None:
    """The targets' reference if it still exists, else the patient's newest one for the exercise."""
    rid = (stored or {}).get("reference_id")
    if rid is not None:
        try:
            return clinic.reference(int(rid))
        except NotFound:
            pass
    refs = clinic.references(patient.id, exercise.id)
    return refs[0] if refs else None


@dataclass(frozen=True)
class PatientJudge:
    """What ``analyze --patient`` needs: the patient, their targets for the exercise (or None) and
    the reference rep to score against (or None), with warnings to show."""

    patient: Patient
    exercise: Exercise
    targets: dict | None
    engine_targets: Targets | None
    reference_id: int | None
    template: np.ndarray | None
    warnings: list[str]

    @classmethod
    def load(cls, clinic: Any, patient: str | int, exercise: Exercise) -> PatientJudge:
        """The patient's targets and reference from ``clinic``; ``PatientNotFound``, or
        ``InvalidValue`` when the stored targets cannot be used."""
        p = clinic.patient(patient)
        warnings: list[str] = []
        stored = clinic.targets(p.id, exercise.id)
        engine_targets = targets_for(exercise, stored)
        if stored is None:
            warnings.append(
                f"no targets for {p.name} on {exercise.id}: judged with the exercise's own thresholds "
                f"(record a reference with `posecoach reference record`)"
            )
        ref = _reference_for(clinic, p, exercise, stored)
        template = reference_template(ref) if ref is not None else None
        if ref is None:
            warnings.append(f"no reference for {p.name} on {exercise.id}: reps are not scored for similarity")
        elif template is None:
            warnings.append(f"reference {ref.id} has no usable rep: reps are not scored for similarity")
        return cls(p, exercise, stored, engine_targets, None if ref is None else ref.id, template, warnings)

    def judge(self, result: dict, session: Session) -> None:
        """Score ``result["rep_details"]`` (in place) and note the patient, targets and reference."""
        score_reps(result.get("rep_details", []), session.trace_t, session.trace_main, self.template)
        sims = [d["similarity"] for d in result.get("rep_details", []) if d.get("similarity") is not None]
        result["patient"] = self.patient.name
        result["targets"] = None if self.targets is None else {
            k: self.targets.get(k) for k in ("rest", "peak", "hold_s", "tempo_s", "rom_share", "reference_id")
        }
        result["reference_id"] = self.reference_id
        result["similarity_median"] = round(statistics.median(sims), 1) if sims else None
        result["warnings"] = list(result.get("warnings", [])) + self.warnings

    def store(self, clinic: Any, result: dict) -> int:
        """Store the judged session for the patient: the session, its reps (with similarity), finished,
        in one transaction (a kill leaves the whole session or none of it)."""
        events = [(float(c.get("t", 0.0)), "cue", str(c.get("text", ""))) for c in result.get("cues", [])]
        # The trace is the report's drawing of the video, not part of the patient's record.
        summary = {k: v for k, v in result.items() if k not in ("rep_details", "cues", "trace")}
        return int(clinic.save_session(self.patient.id, self.exercise.id, source=str(result.get("source", "")),
                                       reps=result.get("rep_details", []), events=events, summary=summary))
