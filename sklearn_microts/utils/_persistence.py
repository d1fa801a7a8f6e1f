"""Pickles that know which version of the package wrote them."""

import inspect
import warnings

from sklearn.exceptions import NotFittedError

from .. import _version
from ..exceptions import InconsistentVersionWarning

# Key of the version in a pickled estimator's state, kept in the loaded estimator's
# ``__dict__``: it says that (and by which version) the estimator was loaded from a pickle.
VERSION_KEY = "_sklearn_microts_version"


def _package_version():
    # Read when needed, so that a test can set another version.
    return _version.__version__


class VersionedPickleMixin:
    """Mixin that stores the sklearn-microts version in every pickle of an estimator.

    Loading a pickle written by another version (or by one that recorded none) warns with
    :class:`~sklearn_microts.exceptions.InconsistentVersionWarning`. A fitted estimator so
    loaded that lacks a fitted attribute this version reads raises
    :class:`~sklearn.exceptions.NotFittedError` naming the attribute and both versions,
    instead of a bare ``AttributeError`` deep inside ``predict``. Put it first among the
    bases, before :class:`~sklearn.base.BaseEstimator`, whose pickling it extends.
    """

    def __getstate__(self):
        return {**super().__getstate__(), VERSION_KEY: _package_version()}

    def __setstate__(self, state):
        mismatch = self._version_mismatch(state.get(VERSION_KEY))
        if mismatch.original_version != mismatch.current_version:
            warnings.warn(mismatch, stacklevel=2)
        super().__setstate__({**state, VERSION_KEY: mismatch.original_version})

    def __getattr__(self, name):
        # Reached only when normal lookup fails. A fitted attribute missing from a loaded,
        # fitted estimator means the pickle predates it: say so (NotFittedError is an
        # AttributeError too, so hasattr and getattr with a default work as before).
        state = self.__dict__
        if (
            VERSION_KEY in state
            and name.endswith("_")
            and not name.startswith("__")
            and any(key.endswith("_") and not key.startswith("__") for key in state)
        ):
            raise NotFittedError(
                f"{type(self).__name__} lacks the fitted attribute {name!r}. "
                f"{self._version_mismatch(state[VERSION_KEY])}"
            )
        descriptor = inspect.getattr_static(self, name, None)  # the class's, never the type's
        if hasattr(descriptor, "__get__"):
            # A descriptor of the class refused (``available_if``): Python then calls this
            # method and would hide its message; asking it again raises that message.
            return descriptor.__get__(self, type(self))
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _version_mismatch(self, original):
        return InconsistentVersionWarning(
            estimator_name=type(self).__name__,
            current_version=_package_version(),
            original_version=original,
        )
