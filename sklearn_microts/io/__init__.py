"""Model files that hold no code: fitted estimators saved and loaded without pickle.

:func:`save_model` writes an estimator or a pipeline (classes and parameters as JSON, arrays
and network weights in the safetensors format, a manifest of versions and checksums);
:func:`load_model` checks and reads it back, building only the package's estimators and the
scikit-learn classes they need. A pickle (``joblib.dump``) runs any code it holds when
loaded: share models as these files instead.
"""

from ._api import load_model, save_model
from ._errors import ModelFileError

__all__ = ["ModelFileError", "load_model", "save_model"]
