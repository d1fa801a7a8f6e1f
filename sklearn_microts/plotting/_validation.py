"""Input checks of the displays."""

import numpy as np

from ..utils._validation import check_sequences


def check_one_case(X):
    """One case, validated, as a list holding its 2-D array (the input of the models)."""
    try:
        array = np.asarray(X)
    except ValueError:  # ragged: several cases
        array = None
    if array is None or array.ndim != 2:
        raise ValueError(
            "X must be one case: a 2-D array (n_frames, n_features). For several cases, "
            "make one display per case."
        )
    return check_sequences([array])
