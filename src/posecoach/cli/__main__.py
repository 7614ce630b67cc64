"""``python -m posecoach.cli ...``: the same as the ``posecoach`` command."""

import sys

from posecoach.cli.main import main

sys.exit(main())
