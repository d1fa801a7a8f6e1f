"""The scores of one set of case predictions, with the metric the paper reports first."""

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
)
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ..utils._validation import check_label_kinds

# The keys of ``case_scores`` and how tables head them, the paper's metric first.
SCORE_NAMES = {
    "f1_pos": "F1 (positive class)",
    "f1_macro": "macro F1",
    "balanced_accuracy": "balanced accuracy",
    "roc_auc": "ROC AUC",
    "accuracy": "accuracy",
}


def case_scores(y_true, y_pred, y_proba=None, classes=None, pos_label=None):
    """Scores of case predictions: the paper's F1 of the positive class first.

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
        Class probabilities, columns in the order of ``classes``; gives the ROC AUC of two
        classes.
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
        ``y_true`` holds one class only).

    Examples
    --------
    >>> from sklearn_microts.metrics import case_scores
    >>> scores = case_scores(["b", "m", "m", "m"], ["m", "m", "m", "b"], pos_label="m")
    >>> {name: round(value, 3) for name, value in scores.items()}
    {'accuracy': 0.5, 'f1_macro': 0.333, 'f1_pos': 0.667, 'balanced_accuracy': 0.333}
    """
    y_true = check_label_kinds(column_or_1d(y_true), "y_true")
    y_pred = check_label_kinds(column_or_1d(y_pred), "y_pred")
    check_consistent_length(y_true, y_pred)
    if len(y_true) == 0:
        raise ValueError("case_scores needs at least one case.")
    labels = unique_labels(y_true, y_pred)
    scores = {
        "accuracy": accuracy_score(y_true, y_pred),
        "f1_macro": f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=0),
    }
    if pos_label is None:
        return scores
    known = set(labels.tolist()) | set([] if classes is None else list(classes))
    if len(known) > 2:
        raise ValueError(f"pos_label is for two-class data; the labels are {sorted(known)}.")
    if pos_label not in known:
        raise ValueError(f"pos_label={pos_label!r} is not among the labels {sorted(known)}.")
    scores["f1_pos"] = f1_score(y_true, y_pred, pos_label=pos_label, zero_division=0)
    scores["balanced_accuracy"] = balanced_accuracy_score(y_true, y_pred)
    if y_proba is not None:
        if classes is None:
            raise ValueError("y_proba needs classes, the labels of its columns.")
        y_proba = np.asarray(y_proba, dtype=float)
        classes = list(classes)
        if y_proba.shape != (len(y_true), len(classes)):
            raise ValueError(
                f"y_proba must be of shape (n_cases, n_classes) = {(len(y_true), len(classes))}"
                f", got {y_proba.shape}."
            )
        positive = y_proba[:, classes.index(pos_label)]
        truth = np.asarray(y_true) == pos_label
        scores["roc_auc"] = (
            roc_auc_score(truth, positive) if 0 < truth.sum() < len(truth) else float("nan")
        )
    return scores
