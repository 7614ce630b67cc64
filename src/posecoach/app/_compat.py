"""Work around PySide6 6.12.0 on CPython 3.11: it drops references to ``None`` and ``True``.

Measured here: every call of a void Qt method (``QLabel.setText``, ``QPainter.drawLine``...)
decrements ``None``'s reference count, and every ``Signal.emit`` decrements ``True``'s,
without ever taking the reference.  CPython 3.12+ made these singletons immortal
(PEP 683), so the wheels work there; on 3.11 the interpreter aborts with
"Fatal Python error: none_dealloc" after a few thousand calls, i.e. within seconds of
coaching.  Giving the singletons a reference count that cannot run down in any
session (2**40) makes them effectively immortal, as on 3.12.  It is a no-op on 3.12+
and harmless elsewhere (the objects are never freed anyway).

pyproject.toml pins PySide6-Essentials below 6.12 (6.11.3 was checked: no leak), so
this only acts when someone installs 6.12 by hand.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["immortalize_singletons"]

_DONE = False
_BUMP = 1 << 40


def immortalize_singletons() -> bool:
    """Raise the reference counts of None, True, False, Ellipsis and NotImplemented (once).

    Returns True if it did something (CPython < 3.12), False otherwise.
    """
    global _DONE
    if _DONE or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    import PySide6

    if not PySide6.__version__.startswith("6.12."):
        return False  # 6.11 and earlier keep their references (checked with 10,000 calls)
    for obj in (None, True, False, Ellipsis, NotImplemented):
        ctypes.c_ssize_t.from_address(id(obj)).value += _BUMP
    _DONE = True
    return True
