"""What loading a model file can refuse or warn about."""

from ..exceptions import InconsistentVersionWarning


class ModelFileError(ValueError):
    """A model file that :func:`~sklearn_microts.io.load_model` refuses.

    Raised, before anything in the file is used, for a file that is not a model file (a
    pickle among them), a member that does not match its checksum, a newer format, or
    content a model file may not hold (an unknown class, an unknown kind of value).
    """


class PickleFileError(ModelFileError):
    """A file that :func:`~sklearn_microts.io.load_model` refuses, unread, as a pickle.

    A pickle (what :func:`pickle.dump` and :func:`joblib.dump` write) runs any code it holds
    the moment it is loaded. Load one with ``joblib.load`` only if you trust where it
    comes from, and save the estimator again with :func:`~sklearn_microts.io.save_model`.
    """


class SavedVersionWarning(InconsistentVersionWarning):
    """A model file was saved by another version of sklearn-microts than loads it."""

    def __str__(self):
        return (
            f"{self.estimator_name} was saved by sklearn-microts {self.original_version} and "
            f"is loaded by sklearn-microts {self.current_version}: its predictions may differ "
            "or fail. Refit it with this version, or load it with the version that saved it."
        )
