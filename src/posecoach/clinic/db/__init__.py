"""The clinic's SQL, one module per table group; each function takes the shared ``Store``.

``patients`` (and deleting everything of one), ``references``, ``targets``, ``programmes``,
``progress`` (a patient's sessions and the per-session progress rows).  The facade that callers
use is ``posecoach.clinic.Clinic``.
"""

from __future__ import annotations

__all__: list[str] = []
