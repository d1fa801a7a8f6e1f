"""Sphinx configuration of the sklearn-microts documentation.

Build it from the repository root with::

    pip install -e ".[docs]"
    python -m sphinx -b html docs docs/_build/html

Add ``-D plot_gallery=0`` to render the examples gallery without running the examples, and
``-W -n`` to fail on any warning and on any reference that does not resolve (as CI builds it).
"""

import importlib.util
import os
import re
import sys
from pathlib import Path

# Document the package of this checkout even when another copy is installed.
DOCS_DIR = Path(__file__).resolve().parent
REPO_ROOT = DOCS_DIR.parent
sys.path.insert(0, str(REPO_ROOT))

import sklearn_microts

# -- Project information ---------------------------------------------------------------------

project = "sklearn-microts"
author = "The sklearn-microts developers"
copyright = f"2026, {author}"  # as LICENSE has it
release = sklearn_microts.__version__
_short = re.match(r"\d+\.\d+", release)
version = _short.group(0) if _short else release

# -- General configuration -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# Every cross-reference must resolve (``-n``): a reference to nothing is a warning.
nitpicky = True
nitpick_ignore = [
    # threadpoolctl publishes no Sphinx documentation, so there is no page to link to.
    ("py:func", "threadpoolctl.threadpool_limits"),
]

# Links to other projects' documentation, from inventories kept in the repository
# (docs/_inventories/, written by its make_inventories.py): the build reads no network.
_spec = importlib.util.spec_from_file_location(
    "make_inventories", DOCS_DIR / "_inventories" / "make_inventories.py"
)
_inventories = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_inventories)
intersphinx_mapping = {
    name: (base, str(DOCS_DIR / "_inventories" / f"{name}.inv"))
    for name, (_, _, base, _) in _inventories.PROJECTS.items()
}

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"

# autodoc / autosummary: one page per public object, generated into gen_modules/.
autosummary_generate = True
autodoc_typehints = "none"

# numpydoc renders the docstrings; the class template lists the members itself.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# sphinx.ext.doctest: `python -m sphinx -b doctest docs /tmp/doctest` runs the >>> examples.
doctest_global_setup = "import numpy as np"

# -- Examples gallery ------------------------------------------------------------------------
# Scripts in examples/ are rendered; only those named plot_*.py are executed.

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": re.escape(os.sep) + "plot_",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_microts",),
    "reference_url": {"sklearn_microts": None},
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
}

# -- HTML output -----------------------------------------------------------------------------

try:
    import pydata_sphinx_theme  # noqa: F401
except ImportError:
    html_theme = "alabaster"
    html_theme_options = {}
else:
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_prev_next": False,
        "header_links_before_dropdown": 8,
    }
html_title = f"{project} {release}"
html_static_path = []
html_show_sourcelink = False


# -- References to the package's re-exports --------------------------------------------------
# The API reference documents each object once, under its subpackage
# (sklearn_microts.classifiers.MicroTSClassifier); the top-level package re-exports the main
# ones, and docstrings and examples name them there (sklearn_microts.MicroTSClassifier).
# Such a reference resolves to the object's documented name.


def _documented_names(env):
    """``{id(object): documented dotted name}`` of the package's documented objects."""
    names = getattr(env, "_microts_documented", None)
    if names is None:
        names = {}
        for name in env.get_domain("py").objects:
            if name.startswith("sklearn_microts."):
                obj = _inventories.locate(name)
                if obj is not None:
                    names.setdefault(id(obj), name)
        env._microts_documented = names
    return names


def _resolve_reexport(app, env, node, contnode):
    if node.get("refdomain") != "py" or not node["reftarget"].startswith("sklearn_microts."):
        return None
    try:
        obj = _inventories.locate(node["reftarget"])
    except AttributeError:
        return None
    documented = _documented_names(env).get(id(obj))
    if obj is None or documented is None or documented == node["reftarget"]:
        return None
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], documented, node, contnode
    )


def setup(app):
    app.connect("missing-reference", _resolve_reexport)
