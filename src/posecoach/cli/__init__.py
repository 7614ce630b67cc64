"""The command line: ``posecoach ...``; ``main(argv) -> int`` is callable in-process."""

from posecoach.cli.main import entry_point, main

__all__ = ["entry_point", "main"]
