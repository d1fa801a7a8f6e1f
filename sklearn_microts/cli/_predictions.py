"""Predictions of a fitted model on cases: every strategy's call and the evidence behind it."""

from ..inspection import case_evidence
from ._errors import UsageError


def checked_evidence(model, X, *, n_features):
    """The :class:`~sklearn_microts.inspection.CaseEvidence` of ``model`` on ``X``, once
    the cases are known to have the ``n_features`` the model was fitted on."""
    if X[0].shape[1] != n_features:
        raise UsageError(
            f"The cases have {X[0].shape[1]} features per frame but the model was fitted on "
            f"{n_features}."
        )
    return case_evidence(model, X)


def predictions_table(cases, evidence, trust=None):
    """One row per case: its label if known, the model's call and confidence, and each
    strategy's label and probability.

    With a :class:`~._trust.Trust` (``fit --calibrate``), the call is the calibrated one,
    its confidence a calibrated probability, and two columns follow: ``refer`` (the model
    should not decide the case) and ``prediction_set`` (the classes it cannot rule out,
    joined by ``|``).
    """
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
    if trust is None:
        columns["prediction"] = classes[evidence.proba.argmax(1)]
        columns["confidence"] = evidence.proba.max(1)
    else:
        calls = trust.calls(cases.X)
        columns["prediction"] = calls["prediction"]
        columns["confidence"] = calls["probability"]
        columns["refer"] = calls["refer"]
        columns["prediction_set"] = calls["set"]
    for name, proba in evidence.strategy_proba.items():
        columns[name] = classes[proba.argmax(1)]
        columns[f"{name}_proba"] = proba.max(1)
    return pandas.DataFrame(columns)
