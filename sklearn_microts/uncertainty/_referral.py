"""ReferralClassifier: decide the cases a model is sure of, refer the others."""

import math
from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.model_selection import check_cv, cross_val_predict
from sklearn.utils._param_validation import HasMethods, Interval

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ._base import BaseWrappedClassifier, check_cases_and_targets, is_frozen


class ReferralClassifier(BaseWrappedClassifier):
    """Decide the cases a classifier is sure of; refer the others to a pathologist.

    A case is decided when the probability of its predicted class is at least
    ``threshold_``, chosen in ``fit`` so that a share ``coverage`` of cases the model did
    not train on would be decided: out-of-fold probabilities of the training cases
    (``cv``), or, for a :class:`~sklearn.frozen.FrozenEstimator`, the probabilities of the
    cases given to ``fit`` (held-out cases, then). No test case chooses it. The error among
    the decided cases falls as fewer are decided where the confidence ranks the errors last:
    :func:`~sklearn_microts.metrics.risk_coverage_curve` measures it, and
    :class:`~sklearn_microts.plotting.RiskCoverageDisplay` draws it.

    Parameters
    ----------
    estimator : classifier
        Has ``predict_proba``: a :class:`~sklearn_microts.MicroTSClassifier`, a pipeline
        ending in one, a :class:`~sklearn.calibration.CalibratedClassifierCV` around one, or
        any of these frozen.
    coverage : float, default=0.8
        Share of the cases to decide, in (0, 1]; 1 decides every case.
    cv : int, cross-validation generator or iterable, default=5
        How the out-of-fold probabilities of the training cases are drawn (stratified
        folds for an int), as in :func:`~sklearn.model_selection.cross_val_predict`; costs
        ``cv`` more fits of ``estimator``. Ignored for a frozen ``estimator``.
    refer_label : str, default="refer"
        What :meth:`predict` returns for a referred case; must not be a class.

    Attributes
    ----------
    estimator_ : classifier
        ``estimator`` fitted on all the training cases (itself, if frozen).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    threshold_ : float
        The lowest probability of a predicted class that is decided.
    held_out_confidence_ : ndarray of shape (n_cases,)
        Probability of the predicted class of each case given to ``fit``, out of fold:
        what ``threshold_`` was chosen on.

    See Also
    --------
    ConformalClassifier : Sets of classes that hold the true one with a guarantee.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_microts import SequencePooler
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> from sklearn_microts.uncertainty import ReferralClassifier
    >>> X, y = make_microscopy_sequences(n_cases=200, n_features=8, random_state=0)
    >>> model = make_pipeline(SequencePooler(), LogisticRegression())
    >>> referral = ReferralClassifier(model, coverage=0.8).fit(X[:150], y[:150])
    >>> calls = referral.predict(X[150:])
    >>> sorted(set(calls.tolist()), key=str)
    [0, 1, 'refer']
    """

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "coverage": [Interval(Real, 0, 1, closed="right")],
        "cv": ["cv_object"],
        "refer_label": [str],
    }

    def __init__(self, estimator, *, coverage=0.8, cv=5, refer_label="refer"):
        self.estimator = estimator
        self.coverage = coverage
        self.cv = cv
        self.refer_label = refer_label

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator checks its own
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y):
        """Fit the estimator and choose the confidence threshold on held-out probabilities.

        Parameters
        ----------
        {X_train}
        {y_train}

        Returns
        -------
        self : ReferralClassifier
            Fitted.
        """
        X, y = check_cases_and_targets(X, y)
        if is_frozen(self.estimator):
            self.estimator_ = self.estimator
            proba = self.estimator_.predict_proba(X)
        else:
            cv = check_cv(self.cv, y, classifier=True)
            proba = cross_val_predict(clone(self.estimator), X, y, cv=cv, method="predict_proba")
            self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        if self.refer_label in set(np.asarray(self.classes_).tolist()):
            raise ValueError(f"refer_label={self.refer_label!r} is one of the classes.")
        self.held_out_confidence_ = proba.max(axis=1)
        decided = math.ceil(round(self.coverage * len(y), 9))  # 0.8 x 5 is 4, not 4.0000001
        self.threshold_ = float(np.sort(self.held_out_confidence_)[::-1][decided - 1])
        return self

    @Substitution(**SEQUENCE_DOCS)
    def refer(self, X):
        """Whether each case is referred (its confidence below ``threshold_``).

        Parameters
        ----------
        {X}

        Returns
        -------
        referred : ndarray of shape (n_cases,) of bool
            True for a case a pathologist should decide.
        """
        return self.predict_proba(X).max(axis=1) < self.threshold_

    @Substitution(**SEQUENCE_DOCS)
    def predict(self, X):
        """The predicted class of each decided case, ``refer_label`` for the others.

        Parameters
        ----------
        {X}

        Returns
        -------
        calls : ndarray of shape (n_cases,) of object
            A class label or ``refer_label``.
        """
        proba = self.predict_proba(X)
        calls = np.asarray(self.classes_, dtype=object)[proba.argmax(axis=1)]
        calls[proba.max(axis=1) < self.threshold_] = self.refer_label
        return calls
