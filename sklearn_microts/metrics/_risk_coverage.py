"""Risk against coverage: the error left among the cases a model decides, as it refers more."""

from numbers import Real

import numpy as np

from ..utils._sklearn_compat import Interval, validate_params
from ._checks import check_case_labels_pair, check_confidence

# What every function here reads: one set of case predictions and their confidence.
_PREDICTIONS = {"y_true": ["array-like"], "y_pred": ["array-like"], "confidence": ["array-like"]}


@validate_params(_PREDICTIONS, prefer_skip_nested_validation=True)
def risk_coverage_curve(y_true, y_pred, confidence):
    """Error rate among the decided cases against the share decided.

    The model decides the cases whose ``confidence`` is at least a threshold and refers the
    others (to a pathologist); lowering the threshold decides more cases. Cases of equal
    confidence are decided together, so the curve has one point a distinct value.

    Parameters
    ----------
    y_true : array-like of shape (n_cases,)
        True labels.
    y_pred : array-like of shape (n_cases,)
        Predicted labels.
    confidence : array-like of shape (n_cases,)
        How sure the model is of each case (e.g. the probability of its predicted class);
        higher is decided first.

    Returns
    -------
    coverage : ndarray of shape (n_thresholds,)
        Share of the cases decided at each threshold, increasing to 1.
    risk : ndarray of shape (n_thresholds,)
        Error rate among them.
    thresholds : ndarray of shape (n_thresholds,)
        The confidence thresholds, decreasing.

    Examples
    --------
    >>> from sklearn_microts.metrics import risk_coverage_curve
    >>> coverage, risk, _ = risk_coverage_curve([0, 1, 1, 0], [0, 1, 0, 0], [0.9, 0.8, 0.6, 0.7])
    >>> coverage.tolist(), risk.tolist()
    ([0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 0.25])
    """
    y_true, y_pred = check_case_labels_pair(y_true, y_pred)
    confidence = check_confidence(confidence, len(y_true))
    order = np.argsort(-confidence, kind="stable")
    errors = np.cumsum(y_true[order] != y_pred[order])
    sorted_confidence = confidence[order]
    # The last case of each run of equal confidences closes a point of the curve.
    last = np.flatnonzero(np.r_[sorted_confidence[1:] != sorted_confidence[:-1], True])
    decided = last + 1
    return decided / len(y_true), errors[last] / decided, sorted_confidence[last]


@validate_params(_PREDICTIONS, prefer_skip_nested_validation=True)
def risk_coverage_auc(y_true, y_pred, confidence):
    """Area under the risk-coverage curve (AURC): the error rate averaged over coverages.

    The curve is a step function, each threshold's risk held over the coverage it adds. A
    model whose confidence orders its errors last has an area near 0; one whose confidence
    says nothing, about its error rate.

    Parameters
    ----------
    y_true : array-like of shape (n_cases,)
        True labels.
    y_pred : array-like of shape (n_cases,)
        Predicted labels.
    confidence : array-like of shape (n_cases,)
        How sure the model is of each case; higher is decided first.

    Returns
    -------
    aurc : float
        In [0, 1]; lower is better.

    Examples
    --------
    >>> from sklearn_microts.metrics import risk_coverage_auc
    >>> risk_coverage_auc([0, 1, 1, 0], [0, 1, 0, 0], [0.9, 0.8, 0.6, 0.7])
    0.0625
    """
    coverage, risk, _ = risk_coverage_curve(y_true, y_pred, confidence)
    return float(np.sum(risk * np.diff(coverage, prepend=0.0)))


@validate_params(
    {**_PREDICTIONS, "coverage": [Interval(Real, 0, 1, closed="right")]},
    prefer_skip_nested_validation=True,
)
def risk_at_coverage(y_true, y_pred, confidence, *, coverage=0.8):
    """Error rate among the most confident cases that make up at least ``coverage``.

    Parameters
    ----------
    y_true : array-like of shape (n_cases,)
        True labels.
    y_pred : array-like of shape (n_cases,)
        Predicted labels.
    confidence : array-like of shape (n_cases,)
        How sure the model is of each case; higher is decided first.
    coverage : float, default=0.8
        Share of the cases decided, in (0, 1]; with ties of confidence the first point of
        the curve at or above it.

    Returns
    -------
    risk : float
        Error rate among the decided cases.

    Examples
    --------
    >>> from sklearn_microts.metrics import risk_at_coverage
    >>> risk_at_coverage([0, 1, 1, 0], [0, 1, 0, 0], [0.9, 0.8, 0.6, 0.7], coverage=0.75)
    0.0
    """
    covered, risk, _ = risk_coverage_curve(y_true, y_pred, confidence)
    # Rounded: 0.8 of 5 cases is 4 of them, not 4.000000000000001.
    return float(risk[np.searchsorted(np.round(covered, 12), round(coverage, 12))])
