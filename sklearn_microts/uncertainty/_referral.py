"""ReferralClassifier: decide the cases a model is sure of, refer the others, each class's
calls in proportion to its errors."""

import math
from numbers import Real
from typing import ClassVar

import numpy as np

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._sklearn_compat import HasMethods, Interval, _fit_context
from ._base import BaseWrappedClassifier, check_cases_and_targets, cross_fit, true_class_index


class ReferralClassifier(BaseWrappedClassifier):
    """Decide the cases a classifier is sure of; refer the others to a pathologist.

    A case is decided when the probability of its predicted class is at least the
    threshold of that class, ``thresholds_``, chosen in ``fit`` on cases the model did not
    train on: out-of-fold probabilities of the training cases (``cv``), or, for a
    :class:`~sklearn.frozen.FrozenEstimator`, the probabilities of the cases given to
    ``fit`` (held-out cases, then). Of these held-out cases, a share ``1 - coverage`` is
    referred. No test case chooses the thresholds.

    Referral by doubt, not by class (``by_class=True``): the held-out referrals are shared
    among the classes of the calls in proportion to the held-out errors of each, and
    within a class the least sure calls are referred. A class whose calls were wrong twice
    as often has about twice the share of its calls referred, and a model whose
    probabilities say little within a class (most benign calls at 0.8, most malignant ones
    at 0.9) still refers its least sure calls of each class, not every call of the class
    it is less sure of, which one threshold for all (``by_class=False``, Chow's rule)
    would. One threshold is the better rule only where the probabilities are calibrated
    within each class; with a few dozen cases, that cannot be checked. Where no held-out
    call was wrong, the referrals are shared in proportion to the calls.

    The error among the decided cases falls as fewer are decided where the confidence
    ranks the errors last: :func:`~sklearn_microts.metrics.risk_coverage_curve` measures
    it, and :class:`~sklearn_microts.plotting.RiskCoverageDisplay` draws it.

    Parameters
    ----------
    estimator : classifier
        Has ``predict_proba``: a :class:`~sklearn_microts.MicroTSClassifier`, a pipeline
        ending in one, a :class:`TemperatureScaledClassifier` around one, or any of these
        frozen.
    coverage : float, default=0.8
        Share of the held-out cases to decide, in (0, 1]; 1 decides every case.
    by_class : bool, default=True
        Whether the referrals are shared among the classes of the calls in proportion to
        their held-out errors (a threshold a class), or read from one threshold.
    cv : int, cross-validation generator or iterable, default=5
        How the out-of-fold probabilities of the training cases are drawn (stratified
        folds for an int, which needs at least that many cases of each class), as in
        :func:`~sklearn.model_selection.cross_val_predict`; costs ``cv`` more fits of
        ``estimator``. Ignored for a frozen ``estimator``.
    refer_label : str, default="refer"
        What :meth:`predict` returns for a referred case; must not be a class.

    Attributes
    ----------
    estimator_ : classifier
        ``estimator`` fitted on all the training cases (itself, if frozen).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    thresholds_ : ndarray of shape (n_classes,)
        Per class, the lowest probability of a call of that class that is decided: 0 where
        no held-out call of the class is referred, infinite where every one is.
    held_out_confidence_ : ndarray of shape (n_cases,)
        Probability of the predicted class of each case given to ``fit``, out of fold:
        what ``thresholds_`` were chosen on.
    held_out_calls_ : ndarray of shape (n_cases,)
        The predicted class of each of those cases.
    held_out_correct_ : ndarray of shape (n_cases,) of bool
        Whether that call was right.

    See Also
    --------
    ConformalClassifier : Sets of classes that hold the true one with a guarantee.
    TemperatureScaledClassifier : Calibrated probabilities that keep every call.

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
        "by_class": ["boolean"],
        "cv": ["cv_object"],
        "refer_label": [str],
    }

    def __init__(self, estimator, *, coverage=0.8, by_class=True, cv=5, refer_label="refer"):
        self.estimator = estimator
        self.coverage = coverage
        self.by_class = by_class
        self.cv = cv
        self.refer_label = refer_label

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator checks its own
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y):
        """Fit the estimator and choose the thresholds on held-out probabilities.

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
        return self._fit_held_out(*cross_fit(self.estimator, X, y, self.cv), y)

    def _fit_held_out(self, estimator, proba, y):
        """Choose the thresholds of the fitted ``estimator`` on held-out probabilities."""
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        if self.refer_label in set(np.asarray(self.classes_).tolist()):
            raise ValueError(f"refer_label={self.refer_label!r} is one of the classes.")
        truth = true_class_index(self.classes_, y, "the estimator")
        calls = proba.argmax(axis=1)
        self.held_out_confidence_ = proba.max(axis=1)
        self.held_out_calls_ = np.asarray(self.classes_)[calls]
        self.held_out_correct_ = calls == truth
        n_referred = len(y) - math.ceil(round(self.coverage * len(y), 9))  # 0.8 x 5 is 4
        if not self.by_class:
            self.thresholds_ = np.full(
                len(self.classes_), _threshold(self.held_out_confidence_, n_referred)
            )
            return self
        n_classes = len(self.classes_)
        sizes = np.bincount(calls, minlength=n_classes)
        errors = np.bincount(calls[~self.held_out_correct_], minlength=n_classes)
        shares = share_referrals(n_referred, errors, sizes)
        self.thresholds_ = np.array(
            [
                _threshold(self.held_out_confidence_[calls == c], shares[c])
                for c in range(n_classes)
            ]
        )
        return self

    @Substitution(**SEQUENCE_DOCS)
    def refer(self, X):
        """Whether each case is referred (its confidence below its call's threshold).

        Parameters
        ----------
        {X}

        Returns
        -------
        referred : ndarray of shape (n_cases,) of bool
            True for a case a pathologist should decide.
        """
        return self._referred(self.predict_proba(X))

    def _referred(self, proba):
        """Whether cases of probabilities ``proba`` are referred."""
        return proba.max(axis=1) < self.thresholds_[proba.argmax(axis=1)]

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
        calls[self._referred(proba)] = self.refer_label
        return calls


def share_referrals(n_referred, errors, sizes):
    """How many held-out calls of each class to refer: ``n_referred`` in all, in
    proportion to each class's ``errors``, none beyond its ``sizes``.

    A class whose share exceeds its calls has them all referred, and the rest goes to the
    other classes in proportion to their errors (to the calls still decided, where those
    classes made none). Whole numbers by the largest remainders.

    Parameters
    ----------
    n_referred : int
        At most ``sizes.sum()``.
    errors : ndarray of shape (n_classes,)
        Wrong held-out calls of each class.
    sizes : ndarray of shape (n_classes,)
        Held-out calls of each class.

    Returns
    -------
    shares : ndarray of shape (n_classes,) of int
        Summing to ``n_referred``.
    """
    sizes = np.asarray(sizes, dtype=float)
    ideal = np.zeros_like(sizes)
    left, open_ = float(n_referred), sizes > 0
    while left > 0 and open_.any():
        weights = np.where(open_, errors, 0.0)
        if not weights.any():  # no error left to follow: the calls still decided
            weights = np.where(open_, sizes - ideal, 0.0)
        share = left * weights / weights.sum()
        full = open_ & (share >= sizes - ideal)
        if not full.any():
            ideal += share
            break
        left -= (sizes - ideal)[full].sum()
        ideal[full] = sizes[full]
        open_ &= ~full
    shares = np.floor(ideal + 1e-9).astype(int)
    remainders = np.where(shares < sizes, ideal - shares, -1.0)
    shares[np.argsort(-remainders, kind="stable")[: n_referred - shares.sum()]] += 1
    return shares


def _threshold(confidence, n_referred):
    """The lowest confidence decided when the ``n_referred`` least sure are referred: 0
    when none is, infinite when all are."""
    if n_referred == 0:
        return 0.0
    if n_referred >= len(confidence):
        return np.inf
    return float(np.sort(confidence)[::-1][len(confidence) - n_referred - 1])
