"""What the benchmark scripts share: the repo's folders, the commit a run measured, and
writing a run's results (JSON + Markdown) to bench/results.

The scripts run as ``.venv/bin/python bench/X.py`` from the repo root, so this folder is
on ``sys.path`` and they ``import _common``; importing it also puts ``src/`` on the path
so ``posecoach`` is the working tree's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
FOOTAGE = ROOT.parent / "shared" / "footage"
RESULTS = ROOT / "bench" / "results"

sys.path.insert(0, str(ROOT / "src"))


def git_commit() -> str:
    """HEAD's short hash, noting uncommitted changes in src/ or exercises/ ("unknown" without git)."""
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src", "exercises"],
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + (" (+ uncommitted changes in src/ or exercises/)" if dirty else "")
    except OSError:
        return "unknown"


def save_results(out: Path, name: str, report: dict, write_md: Callable[[dict, Path], str], *,
                 json_text: str | None = None, blank_line: bool = True) -> None:
    """Write ``out/<name>.json`` (``json_text``, or the report as indented JSON) and
    ``out/<name>.md`` (``write_md(report, path)``, which returns the text) and print the
    Markdown, after a blank line when ``blank_line``."""
    out.mkdir(parents=True, exist_ok=True)
    if json_text is None:
        json_text = json.dumps(report, indent=2) + "\n"
    (out / f"{name}.json").write_text(json_text, encoding="utf-8")
    if blank_line:
        print()
    print(write_md(report, out / f"{name}.md"))
