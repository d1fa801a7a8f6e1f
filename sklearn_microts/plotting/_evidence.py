"""What a fitted model says about each case: shared by the displays and the command line.

A model is a bare classifier or a :class:`~sklearn.pipeline.Pipeline` ending in one; its
preprocessing steps may drop frames (:class:`~sklearn_microts.DedupTransformer`), so every
frame the classifier sees is mapped back to its position in the original case.
"""

import copy
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..classifiers import STRATEGIES
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


def split_model(estimator):
    """The fitted preprocessing steps and the final classifier of ``estimator``."""
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps[:-1] if step not in (None, "passthrough")]
        classifier = estimator.steps[-1][1]
    else:
        steps, classifier = [], estimator
    if not hasattr(classifier, "predict_proba"):
        raise TypeError(
            f"The model must end in a classifier with predict_proba, got "
            f"{type(classifier).__name__}."
        )
    check_is_fitted(classifier)
    return steps, classifier


def transform_cases(steps, X):
    """The cases as the classifier sees them, and where each of their frames came from.

    Returns
    -------
    X_seen : list of ndarray
        ``X`` through ``steps``.
    positions : list of ndarray of int
        For each case, the position in the original case of every frame of ``X_seen``.
    """
    X = check_sequences(X)
    positions = [np.arange(len(case)) for case in X]
    for step in steps:
        if hasattr(step, "kept_indices"):
            kept = step.kept_indices(X)
            positions = [where[k] for where, k in zip(positions, kept, strict=True)]
        X = step.transform(X)
        for i, (case, where) in enumerate(zip(X, positions, strict=True)):
            if len(case) != len(where):
                raise ValueError(
                    f"{type(step).__name__} changes the number of frames of case {i} without "
                    "telling which it kept (kept_indices): its frames cannot be mapped back."
                )
    return X, positions


def strategy_names(classifier):
    """The inference strategies a fitted classifier offers: one name per way it predicts.

    A classifier without a ``strategy`` parameter predicts one way, named ``"model"``; the
    ablations of :class:`~sklearn_microts.MicroTSClassifier` that remove a branch leave one.
    """
    params = classifier.get_params()
    if "strategy" not in params:
        return ("model",)
    if not params.get("attention", True):
        return ("ap",)
    if not params.get("pooling", True):
        return ("dtw",)
    return STRATEGIES


def strategy_probas(classifier, X, strategies=None):
    """``{strategy: class probabilities (n_cases, n_classes)}`` of the cases ``X``.

    Each strategy predicts from a shallow copy of the classifier, so the caller's
    ``strategy`` parameter is left as it was.
    """
    strategies = strategy_names(classifier) if strategies is None else strategies
    available = strategy_names(classifier)
    unknown = [name for name in strategies if name not in available]
    if unknown:
        raise ValueError(f"Unknown strategies {unknown}: this classifier offers {available}.")
    probas = {}
    for name in strategies:
        model = classifier
        if name != "model":
            model = copy.copy(classifier).set_params(strategy=name)
        probas[name] = model.predict_proba(X)
    return probas


def frame_outputs(classifier, X):
    """Per-frame class probabilities and pooling weights, each ``None`` where the network
    has no such output (a baseline, or an ablation that removed the branch)."""
    params = classifier.get_params()
    frame_proba = weights = None
    if hasattr(classifier, "predict_frame_proba") and params.get("attention", True):
        frame_proba = classifier.predict_frame_proba(X)
    if hasattr(classifier, "pooling_weights") and params.get("pooling", True):
        weights = classifier.pooling_weights(X)
    return frame_proba, weights


@dataclass
class Evidence:
    """What a fitted model says about each case (lists and arrays indexed by case)."""

    classes: np.ndarray
    proba: np.ndarray  # the model's own decision (its configured strategy)
    strategy_probas: dict
    positions: list  # frames the classifier saw, as positions in the original case
    frame_proba: list | None
    weights: list | None


def model_evidence(estimator, X, strategies=None):
    """The :class:`Evidence` of a fitted model (classifier or pipeline) on the cases ``X``:
    each strategy's class probabilities (``strategies``, ``None``: every one it offers) and
    the per-frame outputs."""
    steps, classifier = split_model(estimator)
    seen, positions = transform_cases(steps, X)
    frame_proba, weights = frame_outputs(classifier, seen)
    return Evidence(
        classes=classifier.classes_,
        proba=classifier.predict_proba(seen),
        strategy_probas=strategy_probas(classifier, seen, strategies),
        positions=positions,
        frame_proba=frame_proba,
        weights=weights,
    )
