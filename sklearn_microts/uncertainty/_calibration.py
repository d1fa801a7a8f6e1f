"""TemperatureScaledClassifier: calibrated probabilities that keep every call and the ranking."""

import itertools
from typing import ClassVar

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.utils.validation import check_is_fitted

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._sklearn_compat import HasMethods, StrOptions, _fit_context
from ._base import (
    BaseWrappedClassifier,
    check_cases_and_targets,
    check_splits,
    cross_fit,
    fit_on,
    is_frozen,
    true_class_index,
)

# A probability of exactly 0 has no logarithm: it counts as this (float32 probabilities
# round to 0 below about 1e-45, far below any difference that matters).
_PROBABILITY_FLOOR = 1e-12
# The search range of log(1 / temperature), as scikit-learn's temperature scaling has it.
_LOG_INVERSE_BOUND = 10.0


def fit_temperature(proba, truth):
    """The temperature that best fits held-out probabilities to their true classes.

    The log loss of ``softmax(log(proba) / T)`` is minimised against targets smoothed as
    Platt (1999) smooths those of his sigmoid: a case of a class with ``n`` held-out cases
    has target ``(n + 1) / (n + 2)`` on its class, the rest shared by the other classes.
    Without it, held-out calls that are all right would drive ``T`` to 0, probabilities to
    certainty, on a few dozen cases; with it, they stay below the rule-of-succession rate
    ``(n + 1) / (n + 2)``, and hundreds of cases barely feel it. The loss is convex in
    ``1 / T``: one minimum.

    Parameters
    ----------
    proba : ndarray of shape (n_cases, n_classes)
        Held-out probabilities.
    truth : ndarray of shape (n_cases,)
        Column of each case's true class.

    Returns
    -------
    temperature : float
        ``T > 0``; above 1 softens the probabilities, below 1 sharpens them.
    """
    n_classes = proba.shape[1]
    counts = np.bincount(truth, minlength=n_classes)[truth]
    on_class = (counts + 1.0) / (counts + 2.0)
    targets = np.repeat(((1.0 - on_class) / max(n_classes - 1, 1))[:, None], n_classes, 1)
    targets[np.arange(len(truth)), truth] = on_class
    logits = _log(proba)

    def loss(log_inverse):
        return -np.sum(targets * log_softmax(np.exp(log_inverse) * logits, axis=1))

    bound = _LOG_INVERSE_BOUND
    result = minimize_scalar(loss, bounds=(-bound, bound), method="bounded")
    return float(np.exp(-result.x))


class TemperatureScaledClassifier(BaseWrappedClassifier):
    """Probabilities calibrated by one temperature: every call and the ranking unchanged.

    Temperature scaling (Guo et al., 2017) divides the logarithms of the estimator's
    probabilities by ``temperature_`` and normalises them again: ``softmax(log p / T)``.
    Dividing by a positive number keeps the order of each case's classes, so the class of
    highest probability, the call, never changes; with two classes it keeps the order of
    the cases too (the probability of a class is a rising function of the raw one), so the
    ROC AUC, and any referral by a threshold on it, are those of the raw probabilities.
    One parameter is all a few dozen patients can fit: the sigmoid of Platt scaling has
    two, and its second moves the decision threshold, which can turn many calls to the
    majority class when the models of the folds are less sure than the final one.
    Isotonic regression and Venn-Abers tie or reorder cases and move the threshold too.

    ``T`` is fitted on held-out probabilities of every training case, by cross-fitting:
    the estimator's clones, fitted on the folds of ``cv``, predict the cases left out;
    then the estimator fits on all of them, and its probabilities are the ones scaled
    (what scikit-learn's ``CalibratedClassifierCV(method="temperature",
    ensemble=False)`` does, with the held-out probabilities kept, as
    ``held_out_proba_``, for referral and prediction sets to be read from). The loss is
    the log loss against targets smoothed as Platt (1999) smooths his: a case of a class of
    ``n`` held-out cases has target ``(n + 1) / (n + 2)`` on its class, so that held-out
    calls that are all right do not drive ``T`` to 0, and the probabilities to certainty.

    The models of the folds train on fewer cases than the final one, and on a few dozen
    patients that matters: they err more, more surely, and a temperature learned from
    them can soften the final model's probabilities too much. So, by default
    (``method="auto"``), whether to scale at all is chosen by nested cross-fitting, the
    same step one level down: each fold's model is scaled by a temperature learned from
    models that trained on neither its cases nor the held-out ones, and the Brier score
    of its held-out probabilities, scaled and not, decides (bounded, unlike the log loss,
    so that one sure error among a few dozen cases does not decide alone). A
    temperature that does not lower it is not used: ``temperature_`` is then 1, the raw
    probabilities.

    Parameters
    ----------
    estimator : classifier
        Has ``predict_proba``. A :class:`~sklearn.frozen.FrozenEstimator` (an already
        fitted model) is used as it is, and every case given to ``fit`` is held out (then
        the temperature is always used: it is fitted on the very model it scales).
    cv : int, cross-validation generator or iterable, default=5
        The folds of the cross-fitting (stratified for an int, which needs at least that
        many cases of each class), as in :func:`~sklearn.model_selection.cross_val_predict`;
        costs ``cv`` more fits of ``estimator``. Ignored for a frozen ``estimator``.
    method : {"auto", "temperature"}, default="auto"
        ``"auto"``: scale by the temperature only where nested cross-fitting finds that
        it lowers the Brier score (``cv * (cv - 1) / 2`` more fits, 10 for 5 folds; at
        least 3 folds). ``"temperature"``: always scale.

    Attributes
    ----------
    estimator_ : classifier
        ``estimator`` fitted on all the training cases (itself, if frozen).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    temperature_ : float
        ``T``: above 1 the raw probabilities were too sure, below 1 not sure enough; 1
        where ``method="auto"`` chose the raw probabilities.
    method_ : {"temperature", "none"}
        What was chosen.
    nested_brier_ : dict of str to float
        With ``method="auto"`` and an estimator to fit: the nested Brier score of
        ``"none"`` and ``"temperature"`` that chose ``method_``.
    held_out_proba_ : ndarray of shape (n_cases, n_classes)
        Calibrated probabilities of each case given to ``fit``, each from a model that did
        not train on it (out of fold).

    See Also
    --------
    ReferralClassifier : Decide the cases a model is sure of, refer the others.
    ConformalClassifier : Sets of classes that hold the true one with a guarantee.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_microts import SequencePooler
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> from sklearn_microts.uncertainty import TemperatureScaledClassifier
    >>> X, y = make_microscopy_sequences(n_cases=200, n_features=8, random_state=0)
    >>> model = make_pipeline(SequencePooler(), LogisticRegression())
    >>> calibrated = TemperatureScaledClassifier(model).fit(X[:150], y[:150])
    >>> bool((calibrated.predict(X[150:]) == calibrated.estimator_.predict(X[150:])).all())
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "cv": ["cv_object"],
        "method": [StrOptions({"auto", "temperature"})],
    }

    def __init__(self, estimator, *, cv=5, method="auto"):
        self.estimator = estimator
        self.cv = cv
        self.method = method

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator checks its own
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y):
        """Fit the estimator on every case and its temperature on held-out probabilities.

        Parameters
        ----------
        {X_train}
        {y_train}

        Returns
        -------
        self : TemperatureScaledClassifier
            Fitted.
        """
        X, y = check_cases_and_targets(X, y)
        if is_frozen(self.estimator):
            return self._fit_held_out(*cross_fit(self.estimator, X, y, None), y)
        splits = check_splits(self.cv, X, y)
        estimator, proba = cross_fit(self.estimator, X, y, splits)
        nested = None
        if self.method == "auto":
            truth = true_class_index(estimator.classes_, y, "the estimator")
            nested = nested_brier(self.estimator, X, y, splits, proba, truth)
        return self._fit_held_out(estimator, proba, y, nested=nested)

    def _fit_held_out(self, estimator, proba, y, *, nested=None):
        """Fit the temperature of the fitted ``estimator`` on held-out probabilities, and
        use it unless the ``nested`` Brier scores say otherwise."""
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        truth = true_class_index(self.classes_, y, "the estimator")
        self.method_ = "temperature"
        self.temperature_ = fit_temperature(proba, truth)
        if nested is not None:
            self.nested_brier_ = nested
            if not nested["temperature"] < nested["none"]:
                self.method_, self.temperature_ = "none", 1.0
        self.held_out_proba_ = self._scale(proba)
        return self

    @Substitution(**SEQUENCE_DOCS)
    def predict_proba(self, X):
        """The estimator's probabilities, calibrated.

        Parameters
        ----------
        {X}

        Returns
        -------
        proba : ndarray of shape (n_cases, n_classes)
            ``softmax(log p / temperature_)`` of the estimator's ``p``, columns in the
            order of ``classes_``; the largest in the same column as the estimator's.
        """
        check_is_fitted(self)
        return self._scale(self.estimator_.predict_proba(X))

    def _scale(self, proba):
        return scale(proba, self.temperature_)


def scale(proba, temperature):
    """``softmax(log(proba) / temperature)``, row by row."""
    return softmax(_log(proba) / temperature, axis=1)


def nested_brier(estimator, cases, y, splits, proba, truth):
    """The Brier score of out-of-fold probabilities, as they are and scaled by temperatures
    learned one level down.

    For each part ``j`` of the ``splits``, the models of the pairs ``(i, j)``, each fitted
    on the cases of neither part, predict the cases of every other part ``i``; the
    temperature fitted on these scales the probabilities of part ``j`` (from the model that
    trained on all parts but ``j``). Each pair's model serves both of its parts: ``k (k -
    1) / 2`` fits for ``k`` parts.

    Parameters
    ----------
    estimator : classifier
        Unfitted.
    cases : list of ndarray
        The training cases.
    y : ndarray of shape (n_cases,)
        Their labels.
    splits : list of (ndarray, ndarray)
        At least 3 ``(train, test)`` pairs whose test parts partition the cases.
    proba : ndarray of shape (n_cases, n_classes)
        The cases' out-of-fold probabilities on ``splits``.
    truth : ndarray of shape (n_cases,)
        Column of each case's true class.

    Returns
    -------
    scores : dict of str to float
        ``{"none": ..., "temperature": ...}``: the mean over the cases of the squared
        distance from their probabilities to their true class (summed over the classes).
    """
    parts = [np.asarray(test) for _, test in splits]
    if len(parts) < 3:
        raise ValueError(
            f"method='auto' chooses by nested cross-fitting, which needs at least 3 folds; "
            f"cv gives {len(parts)}. Use more folds, or method='temperature'."
        )
    inner = [{} for _ in parts]  # inner[j][i]: part i, by the model of pair (i, j)
    for i, j in itertools.combinations(range(len(parts)), 2):
        train = np.setdiff1d(np.arange(len(y)), np.concatenate([parts[i], parts[j]]))
        model = fit_on(estimator, cases, y, train)
        if len(model.classes_) != proba.shape[1]:
            raise ValueError(
                f"Folds {i} and {j} leave too few classes to train on for nested "
                "cross-fitting: use stratified folds, or method='temperature'."
            )
        inner[j][i] = model.predict_proba([cases[c] for c in parts[i]])
        inner[i][j] = model.predict_proba([cases[c] for c in parts[j]])
    scaled = np.empty_like(proba, dtype=float)
    for j, held_out in enumerate(parts):
        others = [i for i in range(len(parts)) if i != j]
        temperature = fit_temperature(
            np.vstack([inner[j][i] for i in others]),
            truth[np.concatenate([parts[i] for i in others])],
        )
        scaled[held_out] = scale(proba[held_out], temperature)
    one_hot = np.eye(proba.shape[1])[truth]
    return {
        "none": float(np.mean(np.sum((proba - one_hot) ** 2, axis=1))),
        "temperature": float(np.mean(np.sum((scaled - one_hot) ** 2, axis=1))),
    }


def _log(proba):
    """The logarithms of probabilities, in float64, a probability of 0 at the floor."""
    return np.log(np.clip(np.asarray(proba, dtype=float), _PROBABILITY_FLOOR, 1.0))
