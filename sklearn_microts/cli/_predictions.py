"""Predictions of a fitted model on cases: every strategy's call and the evidence behind it."""

from dataclasses import dataclass

import numpy as np

from ..plotting._evidence import frame_outputs, split_model, strategy_probas, transform_cases
from ._errors import UsageError


@dataclass
class Evidence:
    """What the model says about each case (lists and arrays indexed by case)."""

    classes: np.ndarray
    proba: np.ndarray  # the model's own decision (its configured strategy)
    strategy_probas: dict
    positions: list  # frames the classifier saw, as positions in the original case
    frame_proba: list | None
    weights: list | None


def model_evidence(model, X, *, n_features):
    """Every strategy's class probabilities and the per-frame outputs of ``model`` on ``X``."""
    if X[0].shape[1] != n_features:
        raise UsageError(
            f"The cases have {X[0].shape[1]} features per frame but the model was fitted on "
            f"{n_features}."
        )
    steps, classifier = split_model(model)
    seen, positions = transform_cases(steps, X)
    frame_proba, weights = frame_outputs(classifier, seen)
    return Evidence(
        classes=classifier.classes_,
        proba=classifier.predict_proba(seen),
        strategy_probas=strategy_probas(classifier, seen),
        positions=positions,
        frame_proba=frame_proba,
        weights=weights,
    )


def predictions_table(cases, evidence):
    """One row per case: its label if known, the model's call and confidence, and each
    strategy's label and probability."""
    import pandas

    classes = evidence.classes
    columns = {
        "case": cases.names,
        "patient": cases.patients,
        "n_frames": [len(x) for x in cases.X],
        "n_kept": [len(p) for p in evidence.positions],
    }
    if cases.y is not None:
        columns["label"] = cases.y
    columns["prediction"] = classes[evidence.proba.argmax(1)]
    columns["confidence"] = evidence.proba.max(1)
    for name, proba in evidence.strategy_probas.items():
        columns[name] = classes[proba.argmax(1)]
        columns[f"{name}_proba"] = proba.max(1)
    return pandas.DataFrame(columns)
