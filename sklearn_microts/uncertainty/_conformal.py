"""ConformalClassifier: sets of classes that hold the true one with a stated probability."""

import math
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    validate_parameter_constraints,
)

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ._base import (
    BaseWrappedClassifier,
    check_cases_and_targets,
    fit_on,
    is_frozen,
    true_class_index,
)


class ConformalClassifier(BaseWrappedClassifier):
    """Prediction sets that hold the true class with probability at least ``1 - alpha``.

    Split conformal prediction (Vovk et al., 2005; Sadinle et al., 2019): the model is
    fitted on part of the training cases; on the others, the calibration cases, each gets
    the score ``1 - p(true class)``; a new case's set holds every class whose score would be
    at most the ``ceil((n + 1)(1 - alpha)) / n`` quantile of the ``n`` calibration scores.
    Whatever the model, on cases exchangeable with the calibration cases, the set holds
    the true class with probability at least ``1 - alpha`` (over the calibration and the
    new case). The guarantee is marginal, over all cases; a good model gives small sets,
    a poor one large sets, not a broken guarantee. A set of two classes is a case to refer.

    Parameters
    ----------
    estimator : classifier
        Has ``predict_proba``. A :class:`~sklearn.frozen.FrozenEstimator` (an already
        fitted model) is used as it is, and every case given to ``fit`` calibrates.
    alpha : float, default=0.1
        Allowed miscoverage, in (0, 1). Read at prediction time: ``set_params(alpha=...)``
        after ``fit`` changes the sets without refitting.
    calibration_size : float or int, default=0.25
        Share (a float in (0, 1)) or number (an int) of the training cases held out to
        calibrate, stratified by class. More calibration cases, a tighter guarantee (the
        coverage exceeds ``1 - alpha`` by at most ``1 / (n + 1)``); fewer cases to fit on.
        Ignored for a frozen ``estimator``.
    random_state : int, RandomState instance or None, default=None
        Seeds the calibration split.

    Attributes
    ----------
    estimator_ : classifier
        ``estimator`` fitted on the cases not held out (itself, if frozen).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    calibration_scores_ : ndarray of shape (n_calibration_cases,)
        ``1 - p(true class)`` of each calibration case, sorted.

    See Also
    --------
    ReferralClassifier : Decide the cases a model is sure of, refer the others.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_microts import SequencePooler
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> from sklearn_microts.uncertainty import ConformalClassifier
    >>> X, y = make_microscopy_sequences(n_cases=300, n_features=8, random_state=0)
    >>> model = make_pipeline(SequencePooler(), LogisticRegression())
    >>> conformal = ConformalClassifier(model, alpha=0.1, random_state=0)
    >>> sets = conformal.fit(X[:200], y[:200]).predict_set(X[200:])
    >>> sets.shape
    (100, 2)
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "calibration_size": [
            Interval(Real, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, alpha=0.1, calibration_size=0.25, random_state=None):
        self.estimator = estimator
        self.alpha = alpha
        self.calibration_size = calibration_size
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator checks its own
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y):
        """Fit the estimator on part of the cases and calibrate on the others.

        Parameters
        ----------
        {X_train}
        {y_train}

        Returns
        -------
        self : ConformalClassifier
            Fitted.
        """
        X, y = check_cases_and_targets(X, y)
        if is_frozen(self.estimator):
            self.estimator_ = self.estimator
            calibration = np.arange(len(y))
        else:
            train, calibration = train_test_split(
                np.arange(len(y)),
                test_size=self.calibration_size,
                stratify=y,
                random_state=self.random_state,
            )
            self.estimator_ = fit_on(self.estimator, X, y, train)
        self.classes_ = self.estimator_.classes_
        proba = self.estimator_.predict_proba([X[i] for i in calibration])
        truth = true_class_index(self.classes_, y[calibration], "the estimator")
        self.calibration_scores_ = np.sort(1.0 - proba[np.arange(len(truth)), truth])
        return self

    @Substitution(**SEQUENCE_DOCS)
    def predict_set(self, X):
        """The classes each case may be, with the stated guarantee.

        Parameters
        ----------
        {X}

        Returns
        -------
        sets : ndarray of shape (n_cases, n_classes) of bool
            True for each class in the case's set (columns in the order of ``classes_``);
            a set may be empty (no class is likely enough) or hold every class. Too few
            calibration cases for ``alpha`` (fewer than ``1 / alpha - 1``) is an error.
        """
        proba = self.predict_proba(X)
        validate_parameter_constraints(
            {"alpha": self._parameter_constraints["alpha"]},
            {"alpha": self.alpha},
            caller_name=type(self).__name__,
        )
        return 1.0 - proba <= self._score_quantile()

    def _score_quantile(self):
        """The ``ceil((n + 1)(1 - alpha))``-th smallest of the ``n`` calibration scores."""
        n = len(self.calibration_scores_)
        rank = math.ceil(round((n + 1) * (1 - self.alpha), 9))
        if rank > n:  # no finite set has the guarantee: every set would be every class
            needed = math.ceil(round(1 / self.alpha, 9)) - 1
            raise ValueError(
                f"alpha={self.alpha} needs at least {needed} calibration cases; there are "
                f"{n}. Calibrate on more cases or allow a larger alpha."
            )
        return self.calibration_scores_[rank - 1]

    @Substitution(**SEQUENCE_DOCS)
    def predict(self, X):
        """The estimator's predicted class of each case.

        Parameters
        ----------
        {X}

        Returns
        -------
        y_pred : ndarray of shape (n_cases,)
            Class labels.
        """
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]
