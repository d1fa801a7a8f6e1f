"""The checks that every case metric runs on its inputs: labels, predictions, probabilities."""

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ..utils._validation import check_label_kinds


def check_case_labels_pair(y_true, y_pred):
    """``y_true`` and ``y_pred`` as 1-D arrays of one kind of label and the same length."""
    y_true = check_label_kinds(column_or_1d(y_true), "y_true")
    y_pred = check_label_kinds(column_or_1d(y_pred), "y_pred")
    check_consistent_length(y_true, y_pred)
    if len(y_true) == 0:
        raise ValueError("A case metric needs at least one case.")
    return y_true, y_pred


# How far from 1 a row of probabilities may sum: float32 probabilities of many classes.
PROBA_SUM_TOLERANCE = 1e-4


def check_case_proba(y_true, y_proba, classes):
    """``y_proba`` as a new float64 array of shape (n_cases, n_classes) of probabilities
    (finite, in [0, 1], rows summing to 1) whose columns ``classes`` name; ``classes`` as a
    list."""
    if classes is None:
        raise ValueError("y_proba needs classes, the labels of its columns.")
    classes = list(classes)
    y_proba = check_array(y_proba, dtype=np.float64, input_name="y_proba")
    if y_proba.shape != (len(y_true), len(classes)):
        raise ValueError(
            f"y_proba must be of shape (n_cases, n_classes) = {(len(y_true), len(classes))}, "
            f"got {y_proba.shape}."
        )
    if np.any((y_proba < 0) | (y_proba > 1)):
        raise ValueError("y_proba must hold probabilities, in [0, 1].")
    sums = y_proba.sum(axis=1)
    far = np.flatnonzero(~np.isclose(sums, 1.0, rtol=0, atol=PROBA_SUM_TOLERANCE))
    if far.size:
        raise ValueError(f"y_proba's rows must sum to 1; row {far[0]} sums to {sums[far[0]]:.6g}.")
    # Rows of float32 probabilities sum to 1 only to float32 precision, which
    # scikit-learn's float64 checks warn about: rescale them exactly (a new array).
    y_proba = y_proba / sums[:, None]
    unknown = set(np.unique(y_true).tolist()) - set(classes)
    if unknown:
        raise ValueError(f"y_true holds labels that classes does not: {sorted(unknown)}.")
    return y_proba, classes


def check_confidence(confidence, n_cases):
    """``confidence`` as a finite 1-D float array of one value a case."""
    confidence = column_or_1d(check_array(confidence, ensure_2d=False, input_name="confidence"))
    if len(confidence) != n_cases:
        raise ValueError(f"confidence needs one value a case: {len(confidence)} for {n_cases}.")
    return confidence.astype(np.float64)
