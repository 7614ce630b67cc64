"""YAML for exercise files, read on a budget.

An exercise file is a page of hand-written settings, so anything far beyond that is refused before it
can cost memory or time:

- the file size (``MAX_BYTES``, checked by the loader before parsing);
- aliases (``*name``): none.  An alias repeats a value without writing it out, which is how a
  "billion laughs" file of a few hundred bytes grows into billions of values; an exercise file has
  no use for them (anchors alone are harmless and allowed);
- nesting depth (``MAX_DEPTH``; the parser would otherwise overflow the stack on ``[[[[...]]]]``) and
  the number of values (``MAX_NODES``);
- numbers written with more than ``MAX_NUMBER_CHARS`` characters (a 5000-digit integer cannot even
  be printed by Python);
- a key given twice in one mapping (YAML would silently keep the last one).

Each refusal is a ``RefusedYAML`` naming the field path (``rep.rest``) and the line; any other
failure while building a value (a timestamp with month 13, ...) is one too, so callers see
``yaml.YAMLError`` and nothing else.
Only the standard YAML types are built (``yaml.SafeLoader``): nothing in a file is executed.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_NUMBER_CHARS", "RefusedYAML", "load_yaml"]

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_NUMBER_CHARS = 100

_MERGE = "tag:yaml.org,2002:merge"

Loc = tuple[int | str, ...]


class RefusedYAML(yaml.MarkedYAMLError):
    """A value over the budget: ``problem`` says why, ``problem_mark`` where, ``loc`` its field path
    (as in a pydantic error: ``("rep", "rest")``, ``("form_rules", 0, "cue")``)."""

    def __init__(self, problem: str, mark: yaml.Mark | None, loc: Loc) -> None:
        super().__init__(None, None, problem, mark)
        self.loc = loc


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _BudgetLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with the limits of the module docstring."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nodes = 0
        self._path: list[int | str | None] = []  # the field path being composed (None: a key)
        self._loc: dict[Node, Loc] = {}

    def _here(self) -> Loc:
        return tuple(p for p in self._path if p is not None)

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if isinstance(parent, MappingNode):
            self._path.append(None if index is None else index.value if isinstance(index, ScalarNode) else "?")
        elif isinstance(parent, SequenceNode):
            self._path.append(int(index))
        else:
            self._path.append(None)
        try:
            mark = self.peek_event().start_mark
            if self.check_event(yaml.AliasEvent):
                raise RefusedYAML(f"alias *{_clip(str(self.peek_event().anchor))}: aliases are not allowed in "
                                  "exercise files; write the value out in full", mark, self._here())
            self._nodes += 1
            if self._nodes > MAX_NODES:
                raise RefusedYAML(f"more than {MAX_NODES} values: an exercise file is far smaller", mark,
                                  self._here())
            if len(self._path) > MAX_DEPTH:
                raise RefusedYAML(f"nested more than {MAX_DEPTH} levels deep", mark, self._here())
            node = super().compose_node(parent, index)
            self._loc[node] = self._here()
            return node
        finally:
            self._path.pop()

    def _refuse(self, problem: str, node: Node, key_node: Node | None = None, key: Any = None) -> RefusedYAML:
        """``problem`` at ``node`` (or at its key ``key_node``, whose value is ``key``)."""
        loc = self._loc.get(node, ())
        if key_node is None:
            return RefusedYAML(problem, node.start_mark, loc)
        return RefusedYAML(problem, key_node.start_mark, (*loc, key))

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, OverflowError, ArithmeticError, RecursionError) as e:
            detail = _clip(str(e).splitlines()[0] if str(e) else type(e).__name__, 80)
            raise self._refuse(f"cannot read this {node.tag.rsplit(':', 1)[-1]} value ({detail})", node) from None

    def construct_mapping(self, node: Node, deep: bool = False) -> dict:
        if isinstance(node, MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE:
                    continue  # a list or mapping as a key: the base class refuses it
                key = self.construct_object(key_node)
                try:
                    seen = key in first
                except TypeError:  # unhashable: the base class refuses it
                    continue
                if seen:
                    raise self._refuse(f"given twice (first on line {first[key]}): give each field once",
                                       node, key_node, key)
                first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        self._check_length(node)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        self._check_length(node)
        return super().construct_yaml_float(node)

    def _check_length(self, node: ScalarNode) -> None:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise self._refuse(f"a number written with {len(node.value)} characters (at most "
                               f"{MAX_NUMBER_CHARS}): write a plain value", node)


_BudgetLoader.add_constructor("tag:yaml.org,2002:int", _BudgetLoader.construct_yaml_int)
_BudgetLoader.add_constructor("tag:yaml.org,2002:float", _BudgetLoader.construct_yaml_float)


def load_yaml(text: str) -> Any:
    """The single YAML document in ``text``, within the limits above: ``RefusedYAML`` (a
    ``yaml.YAMLError``) for what the budget refuses, ``yaml.YAMLError`` for invalid YAML."""
    if len(text) > MAX_BYTES:
        raise RefusedYAML(f"{len(text)} characters: an exercise file is at most {MAX_BYTES}", None, ())
    loader = _BudgetLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
