"""Every public docstring passes numpydoc's validation: the names in each public module's
``__all__``, and the public methods and properties that the package's classes define."""

import importlib
import inspect
import pkgutil
import re
import types

import pytest

import sklearn_microts
from sklearn_microts.utils._docstring import Substitution

validate = pytest.importorskip("numpydoc.validate").validate

# The numpydoc checks the package does not follow, and why.
IGNORED = {
    "SA01": "a See Also section is written where a reader needs a pointer, not everywhere",
    "EX01": "Examples are on the classes and functions, not on every method",
    "ES01": "a one-line summary is enough where the parameters say the rest",
    "RT02": "returned values are named (numpydoc's convention for tuples), also when single",
}
# Module constants are data: their docstring is the one of their type.
IGNORED_FOR_DATA = {
    "GL02": "a constant's docstring is its type's (tuple, dict), not ours",
    "SS01": "a constant's docstring is its type's (tuple, dict), not ours",
}
# The torch modules' forward methods are checked like any other: each says what its tensors
# are (shapes, mask, outputs), which torch.nn.Module.forward's inherited docstring does not.


def _public_modules():
    """The package and its public modules, all the way down: a name that starts with "_" is
    private, and so is every module under it."""
    modules = [sklearn_microts]
    for info in pkgutil.walk_packages(sklearn_microts.__path__, "sklearn_microts."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    return modules


def _defining_class(cls, name):
    """The first class of ``cls``'s method resolution order that defines ``name``."""
    return next(base for base in cls.__mro__ if name in vars(base))


def _public_members(cls):
    """The public methods and properties of ``cls`` that the package's classes define."""
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = _defining_class(cls, name)
        member = vars(owner)[name]
        routine = (types.FunctionType, classmethod, staticmethod, property)
        # A method behind a descriptor (``available_if``) is a function on the class.
        method = isinstance(member, routine) or inspect.isfunction(getattr(cls, name))
        if owner.__module__.startswith("sklearn_microts") and method:
            yield name, member


def _api():
    """``{qualified name: is data}`` of the public API, each object under one name."""
    names, seen = {}, set()
    for module in _public_modules():
        for attribute in getattr(module, "__all__", ()):
            if attribute.startswith("__"):  # __version__
                continue
            obj = getattr(module, attribute)
            qualified = f"{module.__name__}.{attribute}"
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            names[qualified] = not (inspect.isclass(obj) or callable(obj))
            if inspect.isclass(obj):
                for name, member in _public_members(obj):
                    if id(member) not in seen:
                        seen.add(id(member))
                        names[f"{qualified}.{name}"] = False
    return names


API = _api()


def _load(name):
    """The object of a qualified name: its longest importable prefix, then attributes."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(name)


@pytest.mark.parametrize("name", sorted(API))
def test_docstring_passes_numpydoc_validation(name):
    ignored = IGNORED | (IGNORED_FOR_DATA if API[name] else {})
    errors = [
        f"{code}: {message}" for code, message in validate(name)["errors"] if code not in ignored
    ]
    if errors:
        pytest.fail(f"{name}:\n" + "\n".join(errors), pytrace=False)


@pytest.mark.parametrize("name", sorted(API))
def test_no_placeholder_is_left(name):
    """A docstring that names a shared piece is filled in (its object is decorated)."""
    doc = inspect.getdoc(_load(name)) or ""
    text = re.sub(r"``.*?``", "", doc)  # literals may hold braces: ``dsfold{fold}.txt``
    assert not re.findall(r"\{[A-Za-z_]\w*\}", text)


def test_the_api_is_found():
    """The walk finds the public API: its classes, functions, methods and constants."""
    for name in (
        "sklearn_microts.MicroTSClassifier",
        "sklearn_microts.MicroTSClassifier.fit",
        "sklearn_microts.MicroTSClassifier.predict_frame_proba",
        "sklearn_microts.plotting.RiskCoverageDisplay.from_estimator",
        "sklearn_microts.nn.MicroTSModule.forward",
        "sklearn_microts.softdtw.soft_dtw",
        "sklearn_microts.metrics.SCORE_NAMES",
    ):
        assert name in API
    assert API["sklearn_microts.metrics.SCORE_NAMES"]
    assert not API["sklearn_microts.MicroTSClassifier"]


def test_substitution_indents_pieces_as_their_placeholder():
    @Substitution(X="X : list\n    Cases.", y="y : array-like\n    {what}.", what="Labels")
    def fit(X, y):
        """Fit.

        Parameters
        ----------
        {X}
        {y}
        option : {"a", "b"}
            An option set stays as it is, and so does ``{X}`` in a literal.
        """

    assert inspect.getdoc(fit).split("\n")[4:] == [
        "X : list",
        "    Cases.",
        "y : array-like",
        "    Labels.",
        'option : {"a", "b"}',
        "    An option set stays as it is, and so does ``{X}`` in a literal.",
    ]


def test_substitution_refuses_a_placeholder_without_a_piece():
    with pytest.raises(KeyError, match=r"\{X_trian\}"):

        @Substitution(X_train="X : list\n    Training cases.")
        def fit(X):
            """Fit.

            Parameters
            ----------
            {X_trian}
            """
