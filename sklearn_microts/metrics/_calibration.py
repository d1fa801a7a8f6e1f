"""Expected calibration error: how far a model's stated confidence is from its accuracy."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import column_or_1d

from ..utils._sklearn_compat import Interval, validate_params
from ..utils._validation import check_label_kinds
from ._checks import check_case_proba


@validate_params(
    {
        "y_true": ["array-like"],
        "y_proba": ["array-like"],
        "classes": ["array-like"],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def expected_calibration_error(y_true, y_proba, *, classes, n_bins=10):
    """Expected calibration error of the predicted class (top-label ECE).

    Each case is put in one of ``n_bins`` equal-width bins of ``[0, 1]`` by the probability
    of its predicted class (its confidence); the ECE is the mean, weighted by the cases in
    each bin, of ``|accuracy - mean confidence|`` within the bin (Guo et al., 2017). 0 for a
    model that is right 70% of the time when it says 0.7, at every level.

    Parameters
    ----------
    y_true : array-like of shape (n_cases,)
        True labels.
    y_proba : array-like of shape (n_cases, n_classes)
        Class probabilities, columns in the order of ``classes``.
    classes : array-like of shape (n_classes,)
        Column labels of ``y_proba`` (an estimator's ``classes_``).
    n_bins : int, default=10
        Number of confidence bins. Few cases (a few dozen patients) give a noisy ECE at
        any ``n_bins``; fewer bins, less noise and less resolution.

    Returns
    -------
    ece : float
        In [0, 1]; lower is better.

    Examples
    --------
    >>> from sklearn_microts.metrics import expected_calibration_error
    >>> ece = expected_calibration_error(["b", "m", "m", "b"], [[0.9, 0.1], [0.2, 0.8],
    ...     [0.7, 0.3], [0.6, 0.4]], classes=["b", "m"])
    >>> round(ece, 3)  # (0.1 + 0.2 + 0.7 + 0.4) / 4: one case a bin
    0.35
    """
    y_true = check_label_kinds(column_or_1d(y_true), "y_true")
    if len(y_true) == 0:
        raise ValueError("expected_calibration_error needs at least one case.")
    y_proba, classes = check_case_proba(y_true, y_proba, classes)
    confidence = y_proba.max(axis=1)
    right = np.asarray(classes, dtype=object)[y_proba.argmax(axis=1)] == y_true
    # Bin i holds confidences in (i / n_bins, (i + 1) / n_bins], bin 0 also 0: the bins of
    # scikit-learn's calibration_curve, so that this ECE reads off its reliability diagram.
    bins = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], confidence)
    gaps = [
        abs(right[bins == i].mean() - confidence[bins == i].mean()) * np.sum(bins == i)
        for i in np.unique(bins)
    ]
    return float(np.sum(gaps) / len(y_true))
