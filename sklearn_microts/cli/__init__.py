"""The ``microts`` command line: features, fit, predict and report (see ``microts --help``)."""

from ._main import main

__all__ = ["main"]
