"""Hostile exercise files: each is refused quickly with the one-line ``ExerciseError`` naming the file and
the field (never a traceback, a hang or a message the size of the file), and every shipped file loads
exactly as plain ``yaml.safe_load`` + the schema would load it.

The property-based test (hypothesis) feeds random and malformed files through the loader: mappings
built from the schema's field names with values of every wrong type, huge and non-finite numbers,
random text, binary junk, aliases and deep nesting.
"""

from __future__ import annotations

import copy
import math
import string
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posecoach.cli.main import main
from posecoach.core.exercise import Exercise, exercise_files, load_exercise
from posecoach.core.exercise import schema
from posecoach.errors import ExerciseError, PosecoachError

from test_exercise_files import GOOD, write

SHIPPED = exercise_files()
MESSAGE_LIMIT = 600  # a path (tmp_path) plus at most a few short values


def refused(p: Path, *, within_s: float = 3.0) -> str:
    """The one-line error ``load_exercise(p)`` raises, checked to be short and quick."""
    t0 = time.perf_counter()
    with pytest.raises(ExerciseError) as info:
        load_exercise(p)
    assert time.perf_counter() - t0 < within_s
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < MESSAGE_LIMIT, msg[:300]
    assert msg.startswith(f"{p}: ")
    return msg


def laughs(levels: int, width: int = 9) -> str:
    """A "billion laughs" file: ``width ** levels`` strings from a few hundred bytes, used as the name."""
    lines = ["lol: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    body = yaml.safe_dump({k: v for k, v in GOOD.items() if k != "name"}, sort_keys=False)
    return "\n".join(lines) + f"\nname: *l{levels - 1}\n" + body


# --------------------------------------------------------------------------- the YAML budget


def test_alias_bomb_is_refused_at_once(tmp_path):
    # main: validate never finished (the error message repr'd 9**9 strings)
    msg = refused(write(tmp_path, text=laughs(9)), within_s=2.0)
    assert msg.endswith("l1[0]: alias *l0: aliases are not allowed in exercise files; write the value out in full "
                        "(line 2)")


def test_a_small_alias_bomb_never_makes_a_huge_message(tmp_path):
    # main: a 9**5-string name gave a message of megabytes
    refused(write(tmp_path, text=laughs(5)))


def test_an_anchor_without_alias_is_harmless(tmp_path):
    text = yaml.safe_dump(GOOD, sort_keys=False).replace("name: Bridge", "name: &n Bridge")
    assert load_exercise(write(tmp_path, text=text)).name == "Bridge"


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    text = yaml.safe_dump(GOOD, sort_keys=False) + "source: " + "x" * 2_000_000 + "\n"
    msg = refused(write(tmp_path, text=text), within_s=2.0)
    assert msg.endswith("larger than 1 MB: an exercise file is a page of settings; check it is the right file")


@pytest.mark.parametrize("field, line", [("rest", "  rest: 140\n"), ("hysteresis", "  hysteresis: 4\n")])
def test_a_number_with_thousands_of_digits(tmp_path, field, line):
    # main: ValueError (Python's int string limit) as a traceback
    text = yaml.safe_dump(GOOD, sort_keys=False)
    assert line in text
    p = write(tmp_path, text=text.replace(line, f"  {field}: {'9' * 5000}\n"))
    assert refused(p).endswith(f"rep.{field}: a number written with 5000 characters (at most 100): write a plain "
                               f"value (line {text[:text.index(line)].count(chr(10)) + 1})")


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting(tmp_path, opening, closing):
    # main: RecursionError as a traceback
    text = yaml.safe_dump(GOOD, sort_keys=False) + "source: " + opening * 10000 + closing * 10000 + "\n"
    msg = refused(write(tmp_path, text=text))
    assert msg.split(": ", 1)[1].startswith("source") and "nested more than 32 levels deep" in msg


def test_nesting_within_the_limit_reaches_the_schema(tmp_path):
    text = yaml.safe_dump(GOOD, sort_keys=False) + "source: " + "[" * 20 + "]" * 20 + "\n"
    assert refused(write(tmp_path, text=text)).endswith("source: input should be a valid string, got list [[[...]]]")


def test_a_duplicate_key_names_the_field_and_both_lines(tmp_path):
    # main: accepted silently (the second value won)
    text = yaml.safe_dump(GOOD, sort_keys=False).replace("  peak: 160\n", "  peak: 160\n  peak: 175\n")
    line = text.index("  peak: 175")
    n = text[:line].count("\n") + 1
    assert refused(write(tmp_path, text=text)).endswith(
        f"rep.peak: given twice (first on line {n - 1}): give each field once (line {n})")


def test_a_duplicate_key_in_a_flow_mapping_and_at_the_top(tmp_path):
    data = copy.deepcopy(GOOD)
    data["form_rules"] = []
    text = yaml.safe_dump(data, sort_keys=False).replace(
        "form_rules: []", "form_rules: [{id: low, angle: hip, below: 166, cue: Higher, cue: Up}]")
    assert refused(write(tmp_path, text=text)).split(": ", 1)[1].startswith(
        "form_rules[0].cue: given twice (first on line")
    text = yaml.safe_dump(GOOD, sort_keys=False) + "id: bridge\n"
    assert refused(write(tmp_path, text=text)).split(": ", 1)[1].startswith("id: given twice (first on line 2)")


def test_a_value_yaml_cannot_build_is_one_line(tmp_path):
    # main: ValueError from datetime as a traceback
    text = yaml.safe_dump(GOOD, sort_keys=False).replace("name: Bridge", "name: 2026-13-45")
    assert refused(write(tmp_path, text=text)).endswith("name: cannot read this timestamp value (month must be "
                                                        "in 1..12) (line 3)")


# --------------------------------------------------------------------------- finite, bounded numbers

FLOAT_FIELDS = [("rep", "rest"), ("rep", "peak"), ("rep", "hysteresis"), ("rep", "min_duration_s"),
                ("rep", "max_duration_s"), ("rep", "baseline_s"), ("rep", "min_excursion"),
                ("rep", "peak_limit"), ("hold", "seconds"), ("form_rules", 0, "below"),
                ("form_rules", 0, "above"), ("form_rules", 0, "persist_s"), ("dosage", "hold_s"),
                ("dosage", "rest_s")]


def with_value(loc: tuple, value: object) -> dict:
    data = copy.deepcopy(GOOD)
    data.setdefault("dosage", {})
    node = data
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value
    if loc[-1] == "peak_limit":
        data["rep"]["relative"] = True
    return data


def field_name(loc: tuple) -> str:
    return ".".join(str(p) for p in loc).replace(".0.", "[0].")


@pytest.mark.parametrize("loc", FLOAT_FIELDS, ids=field_name)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -1e308])
def test_no_float_field_takes_a_non_finite_or_huge_value(tmp_path, loc, value):
    # main: .nan, .inf and 1e308 rest/peak/below/above/peak_limit/min_excursion validated (and then counted 0 reps)
    msg = refused(write(tmp_path, with_value(loc, value)))
    assert msg.split(": ", 1)[1].startswith(f"{field_name(loc)}: ")
    if not math.isfinite(value):
        assert "input should be a finite number, got" in msg


@pytest.mark.parametrize("loc, value, why", [
    (("rep", "peak"), 400, "input should be less than or equal to 360, got 400"),
    (("rep", "rest"), -361, "input should be greater than or equal to -360, got -361"),
    (("form_rules", 0, "below"), 500, "'below' (500) must be within -360..360 (an angle)"),
])
def test_out_of_range_values_name_the_range(tmp_path, loc, value, why):
    msg = refused(write(tmp_path, with_value(loc, value)))
    assert msg.endswith(why), msg


def test_a_duration_rule_takes_seconds_within_an_hour(tmp_path):
    rule = {"id": "slow", "metric": "duration_s", "above": 600, "cue": "Faster"}
    data = copy.deepcopy(GOOD)
    data["form_rules"] = [rule]
    assert load_exercise(write(tmp_path, data)).form_rules[0].above == 600
    data["form_rules"] = [{**rule, "above": 4000}]
    assert refused(write(tmp_path, data)).endswith("form_rules[0].above: input should be less than or equal to "
                                                   "3600, got 4000")
    data["form_rules"] = [{**rule, "above": -1}]
    assert refused(write(tmp_path, data)).endswith("form_rules[0]: 'above' (-1) must be within 0..3600 (seconds)")


@pytest.mark.parametrize("loc", [("dosage", "sets"), ("dosage", "reps"), ("form_rules", 0, "priority"),
                                 ("rep", "adapt_reps")], ids=field_name)
def test_whole_numbers_are_bounded(tmp_path, loc):
    assert field_name(loc) in refused(write(tmp_path, with_value(loc, 10 ** 30)))


# --------------------------------------------------------------------------- short messages


@pytest.mark.parametrize("loc", [("view",), ("id",), ("rep", "angle"), ("angles", "hip", "points", 0),
                                 ("form_rules", 0, "id"), ("rep", "peak")], ids=field_name)
def test_a_huge_value_is_cut_in_the_message(tmp_path, loc):
    # main: the whole value went into the message
    msg = refused(write(tmp_path, with_value(loc, "x\n" * 3000)))
    assert "x\\nx\\n" in msg and "..." in msg


def test_a_huge_unknown_field_name_is_cut(tmp_path):
    data = {**GOOD, "y" * 5000: 1}
    assert "yyyyyy..." in refused(write(tmp_path, data))


def test_short_repr():
    from posecoach.core.exercise.schema import short_repr

    assert short_repr("deep") == "'deep'"
    assert len(short_repr(list(range(10 ** 6)))) <= 80
    assert len(short_repr("a" * 10 ** 6)) <= 80
    assert short_repr(10 ** 5000) == "<a int>"  # Python cannot print it


def test_validate_command_prints_one_error_line(tmp_path, capsys):
    assert main(["exercises", "validate", str(write(tmp_path, text=laughs(9)))]) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1 and out.err.startswith("ERROR ")


# --------------------------------------------------------------------------- shipped files unchanged


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_files_load_as_plain_yaml_would(path):
    from posecoach.core.exercise.safe_yaml import load_yaml

    text = path.read_text(encoding="utf-8")
    plain = yaml.safe_load(text)
    assert load_yaml(text) == plain
    assert load_exercise(path) == Exercise.model_validate(plain)


# --------------------------------------------------------------------------- fuzz

_FIELDS = sorted({*Exercise.model_fields, *schema.RepCounting.model_fields, *schema.Feature.model_fields,
                  *schema.FormRule.model_fields, *schema.Hold.model_fields, *schema.Dosage.model_fields})
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10 ** 60), max_value=10 ** 60),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -1e308, 5e-324]),
    st.text(max_size=30), st.sampled_from(_FIELDS), st.sampled_from(schema.landmark_base_names()[:8]),
    st.sampled_from(["side", "front", "any", "joint", "ratio", "peak", "max", "reps", "hold", "both"]),
)
_VALUES = st.recursive(_SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(_FIELDS), kids, max_size=5)), max_leaves=25)


def _document(data: dict, mutate: dict) -> dict:
    out = copy.deepcopy(data)
    for key, value in mutate.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _yaml_text(data: object) -> str:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return repr(data)


_NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-400, 400), st.integers(-10, 400))
_TEXTS = st.one_of(
    # the good file with its numbers changed: many still valid, others out of range or non-finite
    st.fixed_dictionaries({
        "rep": st.dictionaries(st.sampled_from(["rest", "peak", "hysteresis", "min_duration_s", "max_duration_s"]),
                               _NUMBERS, max_size=3),
        "hold": st.dictionaries(st.just("seconds"), _NUMBERS),
    }).map(lambda m: _yaml_text(_document(GOOD, m))),
    # the good file with fields replaced or added (right names, wrong types, huge/non-finite numbers)
    st.dictionaries(st.sampled_from(_FIELDS), _VALUES, max_size=4).map(lambda m: _yaml_text(_document(GOOD, m))),
    st.builds(lambda v: _yaml_text(v), _VALUES),
    st.text(max_size=200),  # random text
    st.text(alphabet=":-[]{}&*!|>'\"#%@`,?\n 0123456789.e" + string.ascii_lowercase, max_size=200),
    st.builds(lambda n, w: laughs(n, w), st.integers(1, 6), st.integers(1, 9)),  # aliases
    st.builds(lambda n, o: yaml.safe_dump(GOOD) + "source: " + o * n + {"[": "]", "{a: ": "}"}[o] * n,
              st.integers(0, 3000), st.sampled_from(["[", "{a: "])),  # deep nesting
    st.builds(lambda t, k: t + f"\n{k}: 1\n{k}: 2\n", st.just(yaml.safe_dump(GOOD)), st.sampled_from(_FIELDS)),
)


@pytest.mark.slow  # about 3 s
@settings(max_examples=100, deadline=3000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(text=_TEXTS, junk=st.one_of(st.none(), st.none(), st.none(), st.binary(max_size=64)))
def test_any_file_loads_or_gives_one_line(tmp_path, text, junk):
    p = tmp_path / "bridge.yaml"
    p.write_bytes(text.encode("utf-8", "surrogatepass") if junk is None else junk + text.encode("utf-8", "replace"))
    try:
        ex = load_exercise(p)
    except PosecoachError as e:
        msg = str(e)
        assert isinstance(e, ExerciseError)
        assert "\n" not in msg and len(msg) < MESSAGE_LIMIT and msg.startswith(f"{p}: ")
    else:
        assert isinstance(ex, Exercise) and ex.id == "bridge"
