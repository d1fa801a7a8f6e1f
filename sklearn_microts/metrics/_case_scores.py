"""The scores of one set of case predictions, with the metric the paper reports first."""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    roc_auc_score,
)
from sklearn.utils.multiclass import unique_labels

from ..utils._sklearn_compat import validate_params
from ._calibration import expected_calibration_error
from ._checks import check_case_labels_pair, check_case_proba
from ._risk_coverage import risk_at_coverage, risk_coverage_auc

# The keys of ``case_scores`` and how tables head them, the paper's metric first; the last
# four read the probabilities (lower is better).
SCORE_NAMES = {
    "f1_pos": "F1 (positive class)",
    "f1_macro": "macro F1",
    "balanced_accuracy": "balanced accuracy",
    "roc_auc": "ROC AUC",
    "accuracy": "accuracy",
    "brier": "Brier score",
    "ece": "ECE",
    "aurc": "AURC",
    "risk_at_80": "error at 80% coverage",
}
# The scores of any number of classes: all but those of a positive class.
MULTICLASS_SCORES = ("accuracy", "f1_macro", "brier", "ece", "aurc", "risk_at_80")
# The share of the cases decided in ``risk_at_80``.
REPORTED_COVERAGE = 0.8


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "y_proba": ["array-like", None],
        "classes": ["array-like", None],
        "pos_label": "no_validation",  # any label of y_true, checked against it below
    },
    prefer_skip_nested_validation=True,
)
def case_scores(y_true, y_pred, y_proba=None, classes=None, pos_label=None):
    """Compute the scores of case predictions: the paper's F1 of the positive class first.

    Histopathology papers report F1 with the disease as the positive class (BreakHis:
    ``"malignant"``), patient level; macro F1 and balanced accuracy show whether the other
    class is recognised at all, which the positive-class F1 and accuracy hide when most
    cases are positive.

    Parameters
    ----------
    y_true : array-like of shape (n_cases,)
        True labels, one per case (patient).
    y_pred : array-like of shape (n_cases,)
        Predicted labels.
    y_proba : array-like of shape (n_cases, n_classes), default=None
        Class probabilities, columns in the order of ``classes``, each row summing to 1
        (to within 1e-4: float32 probabilities are rescaled, a copy); gives the ROC AUC of
        two classes.
    classes : array-like of shape (n_classes,), default=None
        Column labels of ``y_proba`` (an estimator's ``classes_``); needed with it.
    pos_label : label, default=None
        The positive class of two-class data (e.g. ``"malignant"``); ``None`` reports only
        the scores that suit any number of classes.

    Returns
    -------
    scores : dict of str to float
        ``accuracy`` and ``f1_macro`` always; with ``pos_label``, also ``f1_pos`` (the F1
        of ``pos_label``), ``balanced_accuracy`` and, with ``y_proba``, ``roc_auc`` (NaN when
        ``y_true`` holds one class only). With ``y_proba``, for any number of classes: the
        Brier score ``brier`` (of ``pos_label`` for two classes, else summed over the
        classes), the expected calibration error ``ece``
        (:func:`expected_calibration_error`), and, each case's confidence being the
        probability of its predicted class, the area under the risk-coverage curve ``aurc``
        (:func:`risk_coverage_auc`) and the error among the 80% most confident cases
        ``risk_at_80`` (:func:`risk_at_coverage`).

    Examples
    --------
    >>> from sklearn_microts.metrics import case_scores
    >>> scores = case_scores(["b", "m", "m", "m"], ["m", "m", "m", "b"], pos_label="m")
    >>> {name: round(value, 3) for name, value in scores.items()}
    {'accuracy': 0.5, 'f1_macro': 0.333, 'f1_pos': 0.667, 'balanced_accuracy': 0.333}
    """
    y_true, y_pred = check_case_labels_pair(y_true, y_pred)
    labels = unique_labels(y_true, y_pred)
    scores = {
        "accuracy": accuracy_score(y_true, y_pred),
        "f1_macro": f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=0),
    }
    if y_proba is not None:
        y_proba, classes = check_case_proba(y_true, y_proba, classes)
    if pos_label is not None:
        known = set(labels.tolist()) | set([] if classes is None else list(classes))
        if len(known) > 2:
            raise ValueError(f"pos_label is for two-class data; the labels are {sorted(known)}.")
        if pos_label not in known:
            raise ValueError(f"pos_label={pos_label!r} is not among the labels {sorted(known)}.")
        scores["f1_pos"] = f1_score(y_true, y_pred, pos_label=pos_label, zero_division=0)
        scores["balanced_accuracy"] = balanced_accuracy_score(y_true, y_pred)
        if y_proba is not None:
            positive = y_proba[:, classes.index(pos_label)]
            truth = np.asarray(y_true) == pos_label
            scores["roc_auc"] = (
                roc_auc_score(truth, positive) if 0 < truth.sum() < len(truth) else float("nan")
            )
    if y_proba is not None:
        scores.update(_probability_scores(y_true, y_pred, y_proba, classes, pos_label))
    return scores


def _probability_scores(y_true, y_pred, y_proba, classes, pos_label):
    """The scores that read the probabilities: calibration and risk against coverage."""
    if len(classes) == 2:  # scikit-learn's two-class Brier score reads one column
        positive = classes[1] if pos_label is None else pos_label
        brier = brier_score_loss(y_true, y_proba[:, classes.index(positive)], pos_label=positive)
    else:
        brier = brier_score_loss(y_true, y_proba, labels=classes)
    confidence = y_proba.max(axis=1)
    return {
        "brier": float(brier),
        "ece": expected_calibration_error(y_true, y_proba, classes=classes),
        "aurc": risk_coverage_auc(y_true, y_pred, confidence),
        "risk_at_80": risk_at_coverage(y_true, y_pred, confidence, coverage=REPORTED_COVERAGE),
    }
