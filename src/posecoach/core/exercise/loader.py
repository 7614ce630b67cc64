"""Read exercise files: YAML -> validated, immutable ``Exercise`` records.

Every error names the file, the field path and what was expected, on one line:
``exercises/squat.yaml: rep.peak: expected a number, got 'deep'``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from posecoach.errors import ExerciseError
from posecoach.paths import exercises_dir
from posecoach.core.exercise.safe_yaml import MAX_BYTES, RefusedYAML, load_yaml
from posecoach.core.exercise.schema import Exercise, short_repr

__all__ = ["exercise_files", "find_exercise", "list_exercises", "load_exercise"]

_SUFFIXES = (".yaml", ".yml")


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = str(part)
            if len(name) > 40 or not name.isprintable():
                name = short_repr(part, 40)
            out += ("." if out else "") + name
    if not out:
        return "(top level)"
    return out if len(out) <= 80 else out[:77] + "..."


_BOUNDS = {"finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
           "int_parsing_size", "too_long", "too_short"}


def _describe(err: Mapping[str, Any]) -> str:
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    kind = err.get("type", "")
    got = short_repr(err.get("input"))
    if kind == "extra_forbidden":
        return "unknown field (remove it or check its spelling)"
    if kind == "missing":
        return "required field is missing"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        want = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {want}, got {got}"
    if kind in {"literal_error", "enum"} or kind in _BOUNDS:
        return f"{msg[0].lower()}{msg[1:]}, got {got}"
    if kind in {"list_type", "dict_type", "string_type", "bool_type", "bool_parsing", "model_type"}:
        return f"{msg[0].lower()}{msg[1:]}, got {type(err.get('input')).__name__} {got}"
    return msg


def _unknown_field_hint(err: Mapping[str, Any], model_fields: list[str]) -> str:
    name = str(err["loc"][-1]) if err["loc"] else ""
    if len(name) > 40:  # no field name is that long (and difflib would take its time)
        return ""
    close = difflib.get_close_matches(name, model_fields, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def load_exercise(path: str | Path) -> Exercise:
    """Parse and validate one exercise file; raise ``ExerciseError`` (one line) if invalid.

    The file is read on a budget (``safe_yaml``: size, aliases, depth, number length, duplicate
    keys) and no value in a message is longer than ``short_repr`` makes it."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ExerciseError(
            f"{path}: expected a mapping of fields (id, name, angles, rep, ...), got {type(data).__name__}"
        )
    try:
        ex = Exercise.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        more = f" (and {e.error_count() - 1} more problem(s))" if e.error_count() > 1 else ""
        hint = ""
        if err.get("type") == "extra_forbidden":
            hint = _unknown_field_hint(err, _fields_at(err["loc"][:-1]))
        # Cross-field checks (rep.angle, form_rules[i].id) sit at the top level and name their field.
        where = f"{_loc(err['loc'])}: " if err["loc"] else ""
        raise _error(path, f"{where}{_describe(err)}{hint}{more}") from None
    if ex.id != path.stem:
        raise ExerciseError(f"{path}: id: expected {short_repr(path.stem)} (the file name), got {short_repr(ex.id)}")
    return ex


def _read_yaml(path: Path) -> Any:
    """The file's YAML data (``safe_yaml.load_yaml``); ``ExerciseError`` (one line) if it cannot be read."""
    if not path.is_file():
        raise ExerciseError(f"{path}: no such exercise file")
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)  # never more, whatever the file claims its size is
    except OSError as e:
        raise ExerciseError(f"{path}: cannot be read ({e.strerror or e}): check its permissions") from None
    if len(raw) > MAX_BYTES:
        raise ExerciseError(f"{path}: larger than {MAX_BYTES // 1_000_000} MB: an exercise file is a page of "
                            "settings; check it is the right file")
    try:
        return load_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExerciseError(f"{path}: not a text file (expected UTF-8 YAML)") from None
    except RefusedYAML as e:
        line = f" (line {e.problem_mark.line + 1})" if e.problem_mark else ""
        raise _error(path, f"{_loc(e.loc)}: {e.problem}{line}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or (str(e).splitlines() or [type(e).__name__])[0]
        raise _error(path, f"invalid YAML: {where}{problem}") from None


def _error(path: Path, text: str, limit: int = 400) -> ExerciseError:
    """``path: text`` as one line, ``text`` cut to ``limit`` characters (each value in it is already short)."""
    text = " ".join(text.splitlines())
    return ExerciseError(f"{path}: {text if len(text) <= limit else text[: limit - 3] + '...'}")


def _fields_at(loc: tuple) -> list[str]:
    """Field names of the schema model found at ``loc`` (for 'did you mean')."""
    from posecoach.core.exercise import schema

    model: type = Exercise
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        if field is None:
            # inside a dict of features (angles.<name>)
            if model is Exercise:
                return []
            continue
        ann = field.annotation
        for cand in (schema.Feature, schema.RepCounting, schema.Hold, schema.FormRule, schema.Dosage):
            if cand is ann or cand in getattr(ann, "__args__", ()) or any(
                cand in getattr(a, "__args__", ()) for a in getattr(ann, "__args__", ())
            ):
                model = cand
                break
    return list(getattr(model, "model_fields", {}))


def exercise_files(directory: str | Path | None = None) -> list[Path]:
    d = Path(directory) if directory else exercises_dir()
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.suffix in _SUFFIXES and not p.name.startswith("."))


def list_exercises(directory: str | Path | None = None) -> tuple[list[Exercise], list[ExerciseError]]:
    """All valid exercises, plus the errors of invalid files (so a GUI can show and skip them)."""
    good: list[Exercise] = []
    bad: list[ExerciseError] = []
    for p in exercise_files(directory):
        try:
            good.append(load_exercise(p))
        except ExerciseError as e:
            bad.append(e)
    return good, bad


def find_exercise(name: str, directory: str | Path | None = None) -> Exercise:
    """An exercise by id (``squat``) or by path to a file."""
    p = Path(name)
    if p.suffix in _SUFFIXES or p.exists():
        return load_exercise(p)
    files = {f.stem: f for f in exercise_files(directory)}
    if name in files:
        return load_exercise(files[name])
    close = difflib.get_close_matches(name, list(files), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ExerciseError(
        f"unknown exercise '{name}': {hint}run `posecoach exercises` to list them"
    )
