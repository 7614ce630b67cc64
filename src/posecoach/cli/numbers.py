"""Bounded numbers on the command line: every numeric option is parsed by ``number``.

A value that is not a number, not finite (``nan``, ``inf``) or outside the option's range is refused
with a ``UsageError`` that names the option and the allowed range (``main`` prints it as one ``ERROR``
line, exit 2), before the command does anything.  The ranges are the clinic's (``clinic.records``)
where the value is stored, so what the command line takes is what the clinic accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from posecoach.errors import UsageError

__all__ = ["MAX_DIGITS", "number", "parse_number"]

MAX_DIGITS = 30  # longer text is never a sane number (and int() refuses past 4300 digits)


def parse_number(text: str, what: str, lo: float, hi: float, *, whole: bool = False,
                 above_lo: bool = False, unit: str = "") -> float:
    """``text`` as a finite number from ``lo`` to ``hi`` (above ``lo`` with ``above_lo``; a whole
    number with ``whole``); ``UsageError`` naming ``what`` and the allowed range otherwise."""
    kind = "a whole number" if whole else "a number"
    span = f"above {lo:g} and at most {hi:g}" if above_lo else f"from {lo:g} to {hi:g}"
    shown = text if len(text) <= 40 else text[:37] + "..."
    problem = UsageError(f"{what} {shown!r}: give {kind} {span}{unit}")
    s = text.strip()
    if not s or len(s) > MAX_DIGITS:
        raise problem
    try:
        value = float(int(s)) if whole else float(s)
    except ValueError:
        raise problem from None
    if not math.isfinite(value) or value < lo or value > hi or (above_lo and value == lo):
        raise problem
    return value


def number(option: str, lo: float, hi: float, *, whole: bool = False, above_lo: bool = False,
           unit: str = "") -> Callable[[str], float | int]:
    """An argparse ``type`` for ``option``: ``parse_number`` (an int with ``whole``).

    Its ``UsageError`` is not a ``ValueError``, so argparse lets it through to ``main``, which prints
    the one line (argparse would print its usage text and a generic message instead)."""

    def parse(text: str) -> float | int:
        value = parse_number(text, option, lo, hi, whole=whole, above_lo=above_lo, unit=unit)
        return int(value) if whole else value

    parse.__name__ = "int" if whole else "float"
    return parse
