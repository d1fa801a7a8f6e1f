"""``microts fit --calibrate``: calibrated probabilities, referral and prediction sets.

Patients are few, so the three share one held-out part of the training cases: the pipeline
is fitted on the rest, then, with it frozen, a sigmoid (Platt scaling) calibrates its
probabilities on the held-out cases, and the referral threshold and the conformal quantile
are read from the calibrated probabilities of the same cases. No case that trained the
pipeline chooses any of them, and no case to predict ever does.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split

from ..uncertainty import ConformalClassifier, ReferralClassifier
from ._errors import UsageError


@dataclass
class Trust:
    """What ``--calibrate`` adds to a model: both wrap the same calibrated, frozen model."""

    referral: ReferralClassifier
    conformal: ConformalClassifier
    n_held_out: int

    @property
    def calibrated(self):
        """The frozen pipeline with its sigmoid calibration."""
        return self.referral.estimator_

    def calls(self, X):
        """Per case: the calibrated call, its probability, whether to refer it, its set."""
        proba = self.calibrated.predict_proba(X)
        classes = self.calibrated.classes_
        sets = self.conformal.predict_set(X)
        return {
            "prediction": classes[proba.argmax(1)],
            "probability": proba.max(1),
            "refer": proba.max(1) < self.referral.threshold_,
            "set": ["|".join(map(str, classes[row])) for row in sets],
        }


def fit_trusted(model, X, y, *, calibration_size, coverage, alpha, random_state=0):
    """Fit ``model`` on part of the cases and calibrate it, with referral and sets, on the
    rest (``calibration_size``, stratified by class).

    Returns
    -------
    model : Pipeline
        ``model`` fitted on the cases not held out.
    trust : Trust
        Its calibration, referral threshold and conformal quantile.
    """
    try:
        train, held_out = train_test_split(
            np.arange(len(y)), test_size=calibration_size, stratify=y, random_state=random_state
        )
    except ValueError as exc:  # e.g. fewer held-out cases than classes
        raise UsageError(f"--calibration-size {calibration_size}: {exc}") from exc
    model = clone(model).fit([X[i] for i in train], y[train])
    X_held, y_held = [X[i] for i in held_out], y[held_out]
    calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid")
    calibrated.fit(X_held, y_held)
    frozen = FrozenEstimator(calibrated)
    trust = Trust(
        referral=ReferralClassifier(frozen, coverage=coverage).fit(X_held, y_held),
        conformal=ConformalClassifier(frozen, alpha=alpha).fit(X_held, y_held),
        n_held_out=len(held_out),
    )
    trust.calls(X_held[:1])  # too few held-out cases for alpha fails now, not at predict
    return model, trust


def referral_reason(row, trust):
    """Why a referred case of the predictions table is referred, in a pathologist's words."""
    referral, conformal = trust.referral, trust.conformal
    return (
        f"The model is {row['confidence']:.0%} sure of {row['prediction']}; it decides a "
        f"case only from {referral.threshold_:.0%}, the level at which it decided "
        f"{referral.coverage:.0%} of {trust.n_held_out} held-out training cases. Classes it "
        f"cannot rule out at {1 - conformal.alpha:.0%}: {row['prediction_set'] or 'none'}."
    )
