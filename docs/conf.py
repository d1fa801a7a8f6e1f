"""Sphinx configuration of the sklearn-microts documentation.

Build it from the repository root with::

    pip install -e ".[docs]"
    python -m sphinx -b html docs docs/_build/html

Add ``-D plot_gallery=0`` to render the examples gallery without running the examples.
"""

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
copyright = f"2025, {author}"
release = sklearn_microts.__version__
_short = re.match(r"\d+\.\d+", release)
version = _short.group(0) if _short else release

# -- General configuration -------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
# No intersphinx: the documentation must build without network access.

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
