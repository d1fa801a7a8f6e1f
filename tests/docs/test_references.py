"""What the README and the docs quote exists in the code: every file path, every parameter
``name=value``, every default they claim, and every command-line option."""

import argparse
import ast
import importlib
import importlib.util
import inspect
import math
import pkgutil
import re
from pathlib import Path

import pytest

import sklearn_microts
from sklearn_microts.cli._main import _build_parser

ROOT = Path(__file__).parents[2]
TEXTS = [*sorted(ROOT.glob("docs/*.rst")), ROOT / "README.md"]

# Parameters and options of other projects that the docs name where they use them.
FOREIGN_PARAMETERS = {
    "n_jobs": "scikit-learn's GridSearchCV",
    "voting": "scikit-learn's VotingClassifier",
    "monitor": "skorch's EarlyStopping",
}
FOREIGN_OPTIONS = {
    "--index-url": "pip",
    "--no-deps": "pip",
    "--help": "every command",
    "--nthreads": "dask worker",
    "--multi": "accelerate launch --multi_gpu",
    "--num": "accelerate launch --num_processes",
}
# Folders that the package's scripts write, absent from a fresh checkout.
OUTPUTS = ("docs/_build", "benchmarks/results")

PATH = re.compile(
    r"(?<![\w/.])((?:benchmarks|examples|sklearn_microts|docs|tests|\.ci)/[\w./-]*\w)"
)
ASSIGNMENT = re.compile(r"(?<!`)(``|`)([a-z_]+)=(?!=)([^\s`,()]+)\1(?!`)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
# Inline literals (reStructuredText's double backticks, Markdown's single ones) and code
# lines (indented in reStructuredText, fenced in Markdown).
RST_LITERAL = re.compile(r"``([^`]+)``|^ {3,}\S.*$", re.M)
MARKDOWN_LITERAL = re.compile(r"(?<!`)`([^`\n]+)`(?!`)|^```[^\n]*\n(.*?)^```", re.M | re.S)


def _quotes(path):
    """The inline literals and code lines of a text file."""
    pattern = MARKDOWN_LITERAL if path.suffix == ".md" else RST_LITERAL
    return [
        next((group for group in match.groups() if group), match.group(0))
        for match in pattern.finditer(path.read_text())
    ]


def _public_signatures():
    """``{parameter name: set of its defaults}`` over the package's public API."""
    defaults = {}
    packages = ["sklearn_microts"] + [
        f"sklearn_microts.{module.name}"
        for module in pkgutil.iter_modules(sklearn_microts.__path__)
        if not module.name.startswith("_")
    ]
    for package in packages:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            members = [obj]
            if inspect.isclass(obj):
                members += [
                    method
                    for method_name, method in inspect.getmembers(obj, inspect.isfunction)
                    if not method_name.startswith("_")
                ]
            for member in members:
                try:
                    parameters = inspect.signature(member).parameters.values()
                except (TypeError, ValueError):
                    continue
                for parameter in parameters:
                    defaults.setdefault(parameter.name, set()).add(parameter.default)
    return defaults


def _options():
    """Every option of the ``microts`` command and of the benchmark and example scripts."""
    found = set()
    parsers = [_build_parser()]
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            found.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                parsers += action.choices.values()
    for script in [*ROOT.glob("benchmarks/*.py"), *ROOT.glob("examples/*.py")]:
        found.update(re.findall(r"[\"'](--[a-z][a-z0-9-]*)[\"']", script.read_text()))
    return found


def _value(text):
    if text in ("np.nan", "numpy.nan", "nan"):
        return math.nan
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _same(default, value):
    if isinstance(default, float) and isinstance(value, float) and math.isnan(value):
        return math.isnan(default)
    return type(default) is type(value) and default == value


@pytest.mark.parametrize("text", TEXTS, ids=lambda path: path.name)
def test_quoted_paths_exist(text):
    missing = [
        path
        for quote in _quotes(text)
        for path in PATH.findall(quote)
        # a build output, or the start of file names ("examples/plot_*.py")
        if not (ROOT / path).exists()
        and not path.startswith(OUTPUTS)
        and not any((ROOT / path).parent.glob(Path(path).name + "*"))
    ]
    assert not missing, f"{text.name} quotes paths that do not exist: {missing}"


@pytest.mark.parametrize("text", TEXTS, ids=lambda path: path.name)
def test_quoted_parameters_and_defaults_exist(text):
    signatures = _public_signatures()
    content = text.read_text()
    problems = []
    for match in ASSIGNMENT.finditer(content):
        _, name, value = match.groups()
        if name in FOREIGN_PARAMETERS:
            continue
        if name not in signatures:
            problems.append(f"{name}={value}: no public function or estimator takes {name}")
            continue
        before = " ".join(content[max(0, match.start() - 40) : match.start()].split())
        after = content[match.end() : match.end() + 20]
        claims_default = re.search(r"default,?$", before) or re.match(
            r"\s*\(the default|,\s*the default", after
        )
        if claims_default and not any(_same(d, _value(value)) for d in signatures[name]):
            defaults = sorted(
                repr(d) for d in signatures[name] if d is not inspect.Parameter.empty
            )
            problems.append(f"{name}={value} is called the default; the code's: {defaults}")
    assert not problems, f"{text.name}: " + "; ".join(problems)


@pytest.mark.parametrize("text", TEXTS, ids=lambda path: path.name)
def test_quoted_command_line_options_exist(text):
    known = _options() | set(FOREIGN_OPTIONS)
    unknown = {option for quote in _quotes(text) for option in OPTION.findall(quote)} - known
    assert not unknown, f"{text.name} quotes options that no command has: {sorted(unknown)}"


def _inventory_module():
    spec = importlib.util.spec_from_file_location(
        "make_inventories", ROOT / "docs" / "_inventories" / "make_inventories.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_intersphinx_inventories_are_local_and_name_installed_objects():
    """The docs link to other projects through inventories kept in the repository (the build
    reads no network), and each inventory lists the objects its script names, every one of
    which exists in the installed package (a renamed or removed object is caught here, not
    as a dead link)."""
    inventory = pytest.importorskip("sphinx.util.inventory")
    inventories = _inventory_module()
    problems = []
    for name, (_, _, base, objects) in inventories.PROJECTS.items():
        path = ROOT / "docs" / "_inventories" / f"{name}.inv"
        with path.open("rb") as stream:
            listed = inventory.InventoryFile.load(stream, base, lambda *parts: "".join(parts))
        found = {obj: role for role, entries in listed.items() for obj in entries}
        expected = {obj: role for obj, (role, _) in objects.items()}
        if found != expected:
            problems.append(f"{path.name} lists {found}, its script {expected}: rerun it")
        for obj in objects:
            try:
                inventories.locate(obj)
            except AttributeError:
                problems.append(f"{name}: {obj} does not exist in the installed package")
    assert not problems, "; ".join(problems)


@pytest.mark.slow  # over 10 s; run by `pytest -m slow` (CI runs both)
def test_docs_build_without_warnings_or_unresolved_references(tmp_path):
    """The docs build as CI builds them, ``-W -n``: every warning an error, every reference
    resolved, offline. Built from a copy, so the checkout's docs/ gets no build output."""
    pytest.importorskip("sphinx")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("numpydoc")
    import os
    import shutil
    import subprocess
    import sys

    generated = ("_build", "auto_examples", "gen_modules", "sg_execution_times.rst")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns(*generated))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-W",
            "-n",
            "--keep-going",
            "-q",
            "-D",
            "plot_gallery=0",
            str(tmp_path / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        # The package of this checkout, whatever copy is installed.
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        },
    )
    assert result.returncode == 0, result.stderr[-5000:]


def test_api_reference_lists_every_public_object():
    """Every class and function in the ``__all__`` of the package's public subpackages has its
    entry in docs/api.rst (an autosummary line), so no public object goes undocumented."""
    api = (ROOT / "docs" / "api.rst").read_text()
    listed = set(re.findall(r"^   (\w+)$", api, re.M))
    missing = []
    for module in pkgutil.iter_modules(sklearn_microts.__path__):
        if module.name.startswith("_"):
            continue
        package = importlib.import_module(f"sklearn_microts.{module.name}")
        missing += [
            f"sklearn_microts.{module.name}.{name}"
            for name in getattr(package, "__all__", ())
            if name not in listed
            and (
                inspect.isclass(getattr(package, name))
                or inspect.isfunction(getattr(package, name))
            )
        ]
    assert not missing, f"docs/api.rst does not list: {missing}"
