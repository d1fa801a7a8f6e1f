"""Warnings and errors of sklearn-microts."""

__all__ = ["InconsistentVersionWarning"]


class InconsistentVersionWarning(UserWarning):
    """An estimator was unpickled by another version of sklearn-microts than saved it.

    The counterpart of :class:`sklearn.exceptions.InconsistentVersionWarning` for this
    package: its estimators may change their fitted attributes between versions.

    Parameters
    ----------
    estimator_name : str
        Class name of the estimator.
    current_version : str
        Version of sklearn-microts loading the pickle.
    original_version : str or None
        Version that saved it; ``None`` for a pickle that records none.
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        original = (
            "a version that records none"
            if self.original_version is None
            else f"sklearn-microts {self.original_version}"
        )
        return (
            f"{self.estimator_name} was pickled by {original} and is loaded by "
            f"sklearn-microts {self.current_version}: its predictions may differ or fail. "
            "Refit it with this version, or load it with the version that saved it."
        )
