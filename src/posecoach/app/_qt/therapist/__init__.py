"""The therapist's page, one file per part (see ``page``); its database and plotting work runs off
the GUI thread (``jobs``)."""

from __future__ import annotations

from posecoach.app._qt.therapist.jobs import Job, RecordWorker, off_gui
from posecoach.app._qt.therapist.page import TherapistPage

__all__ = ["Job", "RecordWorker", "TherapistPage", "off_gui"]
