"""Fixtures of the app tests (the window's builder is ``app_helpers.coaching_window``)."""

from __future__ import annotations

import pytest

from posecoach.clinic.patients import Clinic


@pytest.fixture
def clinic():
    """The clinic records the window uses (POSECOACH_HOME is a temporary folder: tests/conftest.py)."""
    c = Clinic()
    yield c
    c.close()
