"""The one door to scikit-learn's private API.

The package validates parameters as scikit-learn's own estimators do, with the constraint
classes and decorators of ``sklearn.utils._param_validation`` and ``fit``'s context
(``sklearn.base._fit_context``: validation once per nested call), which scikit-learn does
not promise to keep. Every module imports them from here, never from scikit-learn (a lint rule,
``TID251`` in ``pyproject.toml``, refuses the direct import), so that a change in a new
scikit-learn release is met in this one file, and the versions the package allows are the
ones this file has been run with (the whole test suite runs against the oldest and the
newest in CI).
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_fit_context",
    "validate_parameter_constraints",
    "validate_params",
]
