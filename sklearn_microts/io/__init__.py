"""Model files that hold no code: fitted estimators saved and loaded without pickle.

:func:`save_model` writes an estimator, a pipeline or a dict of them by name, with metadata
of your own (classes and parameters as JSON, arrays and network weights in the safetensors
format, a manifest of versions, metadata and checksums); :func:`load_model` checks and reads
it back, building only the package's estimators and the scikit-learn classes they need. A
pickle (``joblib.dump``) runs any code it holds when loaded: share models as these files
instead. The ``microts`` command line writes and reads its models through these two
functions: one format and one version rule. A file in a newer major version of the format
than the package reads is refused; a file that another version of the package saved loads
with an :class:`~sklearn_microts.exceptions.InconsistentVersionWarning`.
"""

from ._api import load_model, save_model
from ._errors import ModelFileError, PickleFileError

__all__ = ["ModelFileError", "PickleFileError", "load_model", "save_model"]
