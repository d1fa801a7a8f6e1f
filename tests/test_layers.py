"""The package's layers: a module imports only from the layers below its own.

Units of one layer are independent of each other. ``utils.estimator_checks`` sits above the
estimators it checks (as scikit-learn's own ``utils.estimator_checks`` does), the rest of
``utils`` below everything.
"""

import ast
from pathlib import Path

import pytest

import sklearn_microts

ROOT = Path(sklearn_microts.__file__).parent

LAYERS = [
    {"exceptions", "_version"},
    {"utils"},
    {"softdtw", "metrics", "datasets", "preprocessing", "uncertainty"},
    {"nn"},
    {"classifiers"},
    {"baselines"},
    {"inspection"},
    {"io", "plotting", "utils.estimator_checks"},
    {"cli", "__init__"},
]
LAYER = {unit: level for level, units in enumerate(LAYERS) for unit in units}


def _unit(dotted):
    """The layer unit of a dotted module name inside the package (without its prefix)."""
    if dotted.startswith("utils.estimator_checks"):
        return "utils.estimator_checks"
    return dotted.split(".")[0] or "__init__"


def _imports(path):
    """Dotted names (inside the package, without its prefix) that ``path`` imports."""
    package = list(path.relative_to(ROOT).parent.parts)
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:  # relative: from the package
            base = ".".join(["sklearn_microts", *package[: len(package) - node.level + 1]])
            module = f"{base}.{node.module}" if node.module else base
            # "from .. import x" imports the module or subpackage x
            names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        else:
            continue
        for name in names:
            if name.startswith("sklearn_microts."):
                yield name.removeprefix("sklearn_microts.")


MODULES = sorted(ROOT.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down_the_layers(path):
    own = _unit(".".join(path.relative_to(ROOT).with_suffix("").parts))
    assert own in LAYER, f"{own} is in no layer: add it to LAYERS"
    for name in _imports(path):
        unit = _unit(name)
        if unit == own:
            continue
        assert unit in LAYER, f"{path.name} imports {name}, of no layer"
        assert LAYER[unit] < LAYER[own], (
            f"{path.relative_to(ROOT)} ({own}, layer {LAYER[own]}) imports {name} "
            f"({unit}, layer {LAYER[unit]})"
        )
