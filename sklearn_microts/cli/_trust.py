"""``microts fit --calibrate``: calibrated probabilities, referral by doubt and prediction sets.

Patients are few, so all three rest on one cross-fitting of every training case, none held
out of the fit: clones of the pipeline, fitted on stratified folds, give each training case
probabilities from a model that did not train on it; then the pipeline fits on all the
cases, the model ``fit`` without ``--calibrate`` gives, so its calls are the same. A
temperature fitted on the out-of-fold probabilities calibrates the pipeline's, where nested
cross-fitting finds that it helps (it changes no call: dividing the log-probabilities by a
positive number keeps the class of highest probability), and the referral thresholds and
the prediction sets' quantiles are read from the same out-of-fold probabilities,
calibrated. No case to predict chooses any of them.
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold

from ..uncertainty import ConformalClassifier, ReferralClassifier, TemperatureScaledClassifier
from ..uncertainty._base import check_fold_counts
from ..uncertainty._conformal import cases_needed
from ._errors import UsageError


@dataclass
class Trust:
    """What ``--calibrate`` adds to a model: both wrap the same calibrated, frozen model;
    ``n_held_out`` training cases, each predicted out of fold, chose their thresholds."""

    referral: ReferralClassifier
    conformal: ConformalClassifier
    n_held_out: int

    @property
    def calibrated(self):
        """The frozen pipeline with its temperature (a ``TemperatureScaledClassifier``)."""
        return self.referral.estimator_

    def calls(self, X):
        """Per case: the call (the pipeline's own), its calibrated probability, whether to
        refer it, its prediction set."""
        proba = self.calibrated.predict_proba(X)
        classes = self.calibrated.classes_
        return {
            "prediction": classes[proba.argmax(1)],
            "probability": proba.max(1),
            "refer": self.referral._referred(proba),
            # The report says which classes every set holds; no warning on every call.
            "set": ["|".join(map(str, classes[row])) for row in self.conformal._sets(proba)],
        }

    def call_record(self):
        """What the referral rests on, per class of call of the out-of-fold training cases:
        a list of :class:`CallRecord`."""
        referral = self.referral
        records = []
        for label, threshold in zip(referral.classes_, referral.thresholds_, strict=True):
            mine = referral.held_out_calls_ == label
            n_wrong = int((~referral.held_out_correct_[mine]).sum())
            referred = referral.held_out_confidence_[mine] < threshold
            records.append(
                CallRecord(label, int(mine.sum()), n_wrong, int(referred.sum()), threshold)
            )
        return records

    def n_right(self):
        """How many of the ``n_held_out`` out-of-fold calls were right."""
        return int(self.referral.held_out_correct_.sum())


@dataclass
class CallRecord:
    """The out-of-fold calls of one class: how many, how many wrong, how many the
    threshold refers."""

    label: object
    n_calls: int
    n_wrong: int
    n_referred: int
    threshold: float

    def error_interval(self):
        """The 95% interval of the share of such calls that are wrong."""
        return share_interval(self.n_wrong, self.n_calls)


def share_interval(k, n):
    """The 95% Clopper-Pearson interval of a share, ``k`` of ``n`` (``n`` at least 1)."""
    interval = binomtest(k, n).proportion_ci(confidence_level=0.95)
    return interval.low, interval.high


def fit_trusted(model, X, y, *, folds, coverage, alpha, random_state=0):
    """Fit ``model`` on every case and calibrate it, with referral and sets, on the cases'
    out-of-fold probabilities (``folds`` stratified folds, shuffled by ``random_state``).

    Returns
    -------
    model : Pipeline
        ``model`` fitted on all the cases.
    trust : Trust
        Its calibration, referral thresholds and conformal quantiles.
    """
    try:
        check_fold_counts(folds, y)
    except ValueError as exc:
        raise UsageError(f"--calibration-folds {folds}: {exc}") from exc
    labels, counts = np.unique(y, return_counts=True)
    if counts.max() < cases_needed(alpha):  # before the fits: every set would be every class
        listed = ", ".join(f"{label} has {n}" for label, n in zip(labels, counts, strict=True))
        raise UsageError(
            f"--alpha {alpha} needs at least {cases_needed(alpha)} calibration cases of a "
            f"class to ever leave it out of a prediction set; {listed}: every set would "
            "hold every class. Allow a larger --alpha."
        )
    # The folds themselves, not their splitter: the model file records them (arrays), and
    # holds no splitter object.
    splits = StratifiedKFold(folds, shuffle=True, random_state=random_state).split(y, y)
    calibrated = TemperatureScaledClassifier(model, cv=list(splits)).fit(X, y)
    frozen = FrozenEstimator(calibrated)
    proba = calibrated.held_out_proba_
    trust = Trust(
        referral=ReferralClassifier(frozen, coverage=coverage)._fit_held_out(frozen, proba, y),
        conformal=ConformalClassifier(frozen, alpha=alpha)._fit_held_out(frozen, proba, y),
        n_held_out=len(y),
    )
    return calibrated.estimator_, trust


def referral_reason(row, trust):
    """Why a referred case of the predictions table is referred, in a pathologist's words."""
    record = next(r for r in trust.call_record() if str(r.label) == str(row["prediction"]))
    if np.isinf(record.threshold):
        rule = f"it refers every {row['prediction']} call"
    else:
        rule = f"it decides a {row['prediction']} call only from {record.threshold:.1%}"
    return (
        f"The model is {row['confidence']:.1%} sure of {row['prediction']}; {rule}: of the "
        f"{record.n_calls} {row['prediction']} calls it made on training cases it had not "
        f"trained on, {record.n_wrong} were wrong, and the {record.n_referred} least sure "
        f"fall below that level. Classes it cannot rule out at "
        f"{1 - trust.conformal.alpha:.0%}: {row['prediction_set'] or 'none'}."
    )


def describe_trust(trust, *, folds):
    """What ``fit --calibrate`` prints: the temperature, and what the referral and the
    prediction sets rest on."""
    lines = [
        f"calibrated on all {trust.n_held_out} cases, each predicted by a model of "
        f"{folds}-fold cross-fitting that had not trained on it ({trust.n_right()} of them "
        f"right): {calibration_words(trust.calibrated)}"
    ]
    for record in trust.call_record():
        if record.n_referred == 0:
            rule = "none referred"
        elif np.isinf(record.threshold):
            rule = "all referred"
        else:
            rule = f"referred below {record.threshold:.3f}: {record.n_referred}"
        lines.append(f"  {record.label} calls: {record.n_calls}, {record.n_wrong} wrong; {rule}")
    always = trust.conformal.classes_always_in_set()
    needed = cases_needed(trust.conformal.alpha)
    lines.append(
        f"prediction sets at alpha {trust.conformal.alpha}, class by class"
        + "".join(
            f"; every set holds {label} (its {n} cases are too few: {needed} needed)"
            for label, n in always.items()
        )
    )
    return "\n".join(lines)


def calibration_words(calibrated):
    """What the temperature of a ``TemperatureScaledClassifier`` did, and why, in words."""
    brier = calibrated.nested_brier_
    why = (
        f"nested cross-fitting: Brier score {brier['none']:.3f} raw, "
        f"{brier['temperature']:.3f} scaled"
    )
    if calibrated.method_ == "none":
        return f"probabilities kept as they are, since a temperature did not help ({why})"
    return (
        f"probabilities scaled by a temperature of {calibrated.temperature_:.2f}, which "
        f"changes no call ({why})"
    )
