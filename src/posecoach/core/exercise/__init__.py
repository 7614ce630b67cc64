"""Exercise definitions: schema and loader (pure: YAML and pydantic only)."""

from posecoach.core.exercise.loader import exercise_files, find_exercise, list_exercises, load_exercise
from posecoach.core.exercise.schema import Exercise, Feature, FormRule, Hold, RepCounting

__all__ = [
    "Exercise",
    "Feature",
    "FormRule",
    "Hold",
    "RepCounting",
    "exercise_files",
    "find_exercise",
    "list_exercises",
    "load_exercise",
]
