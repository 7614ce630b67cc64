"""The architecture, enforced: which layer may import which, small functions, a short top level.

``docs/architecture.md`` draws the layers; these tests keep the code honest to that picture.
They read the sources with ``ast`` (nothing is imported), so a function-level import counts too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "posecoach"

# Which of posecoach's own layers each layer may import (besides itself), and which outside
# libraries beyond the standard library.  ``None``: anything.
INTERNAL = {
    "core": {"errors", "paths"},
    "io": {"core", "errors", "paths"},
    "testing": {"core", "io", "errors", "paths"},
    "clinic": {"core", "io", "errors", "paths"},
    "app": {"core", "io", "clinic", "testing", "errors", "paths"},
    "cli": None,
}
EXTERNAL = {
    "core": {"numpy", "pydantic", "yaml"},
}
# Only adapters and shells may touch the camera, the model, the speaker or the screen.
HEAVY = {"cv2", "mediapipe", "pyttsx3", "PySide6", "matplotlib", "distributed", "dask"}
HEAVY_ALLOWED = {"io", "app", "cli", "clinic", "testing"}
MAX_FUNCTION_LINES = 80
MAX_TOP_LEVEL_MODULES = 8


def _sources() -> list[Path]:
    return sorted(PKG.rglob("*.py"))


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every imported module name (absolute), with its line."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pytest.fail(f"{path}:{node.lineno}: relative import; the package uses absolute imports")
            out.append((node.lineno, node.module or ""))
    return out


def _violations(path: Path, layer: str | None = None) -> list[str]:
    layer = layer or _layer(path)
    allowed_internal = INTERNAL.get(layer, set())
    bad = []
    for line, name in _imports(path):
        top, _, rest = name.partition(".")
        where = f"{path.name}:{line}: {layer}/ imports {name}"
        if top == "posecoach":
            target = rest.partition(".")[0]
            if allowed_internal is not None and target and target != layer and target not in allowed_internal:
                bad.append(where)
        elif top in HEAVY and layer not in HEAVY_ALLOWED:
            bad.append(where)
        elif layer in EXTERNAL and top not in sys.stdlib_module_names and top not in EXTERNAL[layer] \
                and top != "__future__":
            bad.append(where)
    return bad


def test_every_layer_imports_only_what_it_may():
    bad = [v for p in _sources() for v in _violations(p)]
    assert not bad, "layer rule broken (see docs/architecture.md):\n" + "\n".join(bad)


def test_the_import_rule_catches_a_core_module_importing_an_adapter(tmp_path):
    """The checker itself: a core module that imports OpenCV or the clinic is reported."""
    fake = tmp_path / "probe.py"
    fake.write_text("import cv2\nimport scipy\nimport numpy\nfrom posecoach.clinic import Clinic\n", encoding="utf-8")
    assert [v.split(" imports ")[1] for v in _violations(fake, "core")] == ["cv2", "scipy", "posecoach.clinic"]
    assert _violations(fake, "cli") == []


def test_no_function_is_longer_than_the_limit():
    long = []
    for p in _sources():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{p.relative_to(PKG)}:{node.lineno} {node.name}: {n} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


def test_the_top_level_stays_short():
    modules = sorted(p.name for p in PKG.glob("*.py"))
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules
    layers = sorted(p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert layers == ["app", "cli", "clinic", "core", "io", "testing"]
