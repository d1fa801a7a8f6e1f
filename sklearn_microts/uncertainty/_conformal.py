"""ConformalClassifier: sets of classes that hold the true one with a stated probability,
within each class."""

import math
import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    validate_parameter_constraints,
)
from ._base import (
    BaseWrappedClassifier,
    check_cases_and_targets,
    cross_fit,
    fit_on,
    is_frozen,
    true_class_index,
)


def cases_needed(alpha):
    """The fewest calibration cases whose scores can certify a set at ``alpha``.

    With ``n`` scores, the set leaves a class out only beyond the
    ``ceil((n + 1)(1 - alpha))``-th smallest of them, which exists when
    ``n >= 1 / alpha - 1``: 9 cases at ``alpha=0.1``, 19 at 0.05, 99 at 0.01.
    """
    return math.ceil(round(1 / alpha, 9)) - 1


class ConformalClassifier(BaseWrappedClassifier):
    """Prediction sets that hold the true class at least ``1 - alpha`` of the time, by class.

    Conformal prediction (Vovk et al., 2005): each calibration case, one the model did not
    train on, gets the score ``1 - p(true class)``; a new case's set holds every class
    whose score would be at most the ``ceil((n + 1)(1 - alpha))``-th smallest of ``n``
    calibration scores. With ``conditional="class"`` (Mondrian, or class-conditional,
    conformal prediction; Vovk et al., 2005; Sadinle et al., 2019), the scores of a class
    are compared only with the calibration scores of cases of that class, its own ``n``:
    on cases exchangeable with the calibration cases of their class, the set holds the
    true class with probability at least ``1 - alpha`` *for every class*, the rare one
    included (over the calibration and the new case), and at most ``1 / (n + 1)`` more.
    With ``conditional="marginal"`` all the scores share one quantile, and the guarantee
    holds over all cases only: a class of 10% of the cases may be covered much less often,
    its misses hidden by the common class. A good model gives small sets, a poor one large
    sets, not a broken guarantee. A set of two classes is a case to refer.

    A class with fewer than ``1 / alpha - 1`` calibration cases (9 at ``alpha=0.1``, 19 at
    0.05) has no score that certifies leaving it out: every set holds it, as in
    crepes, and :meth:`predict_set` warns, naming it. That is an answer, not an error:
    those cases cannot rule the class out.

    Parameters
    ----------
    estimator : classifier
        Has ``predict_proba``. A :class:`~sklearn.frozen.FrozenEstimator` (an already
        fitted model) is used as it is, and every case given to ``fit`` calibrates.
    alpha : float, default=0.1
        Allowed miscoverage, in (0, 1). Read at prediction time: ``set_params(alpha=...)``
        after ``fit`` changes the sets without refitting.
    conditional : {"class", "marginal"}, default="class"
        Whether the guarantee holds within each class (a quantile a class), or over all
        cases (one quantile).
    calibration_size : float or int, default=0.25
        Share (a float in (0, 1)) or number (an int) of the training cases held out to
        calibrate, stratified by class (split conformal prediction). More calibration
        cases, a tighter guarantee; fewer cases to fit on. Ignored for a frozen
        ``estimator`` or with ``cv``.
    cv : int, cross-validation generator, iterable or None, default=None
        ``None``: split conformal prediction, on ``calibration_size``. Otherwise every
        training case calibrates, with its out-of-fold probabilities (stratified folds for
        an int), and the estimator is refit on all of them (``cv + 1`` fits): the sets of
        few patients, where a held-out share leaves too few of a class. The guarantee is
        then approximate: the model that predicts is not the one each score came from, so
        coverage holds only as far as a model fitted on all the cases behaves like those
        fitted on the folds (the CV+ bound of Barber et al., 2021, ``1 - 2 alpha``, is for
        sets read from the fold models themselves). Ignored for a frozen ``estimator``.
    random_state : int, RandomState instance or None, default=None
        Seeds the calibration split.

    Attributes
    ----------
    estimator_ : classifier
        ``estimator`` fitted on the cases not held out, or on all of them with ``cv``
        (itself, if frozen).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    calibration_scores_ : ndarray of shape (n_calibration_cases,)
        ``1 - p(true class)`` of each calibration case.
    calibration_labels_ : ndarray of shape (n_calibration_cases,)
        The true class of each calibration case.

    See Also
    --------
    ReferralClassifier : Decide the cases a model is sure of, refer the others.
    TemperatureScaledClassifier : Calibrated probabilities that keep every call.

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
        "conditional": [StrOptions({"class", "marginal"})],
        "calibration_size": [
            Interval(Real, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "cv": ["cv_object", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        alpha=0.1,
        conditional="class",
        calibration_size=0.25,
        cv=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.alpha = alpha
        self.conditional = conditional
        self.calibration_size = calibration_size
        self.cv = cv
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator checks its own
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y):
        """Fit the estimator and calibrate it on cases it did not train on.

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
        if is_frozen(self.estimator) or self.cv is not None:
            return self._fit_held_out(*cross_fit(self.estimator, X, y, self.cv), y)
        train, calibration = train_test_split(
            np.arange(len(y)),
            test_size=self.calibration_size,
            stratify=y,
            random_state=self.random_state,
        )
        estimator = fit_on(self.estimator, X, y, train)
        proba = estimator.predict_proba([X[i] for i in calibration])
        return self._fit_held_out(estimator, proba, y[calibration])

    def _fit_held_out(self, estimator, proba, y):
        """Calibrate the fitted ``estimator`` on held-out probabilities of cases of ``y``."""
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        truth = true_class_index(self.classes_, y, "the estimator")
        self.calibration_scores_ = 1.0 - proba[np.arange(len(truth)), truth]
        self.calibration_labels_ = np.asarray(self.classes_)[truth]
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
            a set may be empty (no class is likely enough) or hold every class. A class
            with too few calibration cases for ``alpha`` is in every set (a warning names
            it).
        """
        proba = self.predict_proba(X)
        always = self.classes_always_in_set()
        if always:
            listed = ", ".join(f"{label} has {n}" for label, n in always.items())
            warnings.warn(
                f"alpha={self.alpha} needs at least {cases_needed(self.alpha)} calibration "
                f"cases {'of a class ' if self.conditional == 'class' else ''}to leave it "
                f"out of a set; {listed}: every set holds "
                f"{'it' if len(always) == 1 else 'them'}. Calibrate on more cases or allow "
                "a larger alpha.",
                UserWarning,
                stacklevel=2,
            )
        return self._sets(proba)

    def _sets(self, proba):
        """The sets of cases of probabilities ``proba``."""
        return 1.0 - proba <= self._score_quantiles()

    def classes_always_in_set(self):
        """The classes every set holds at the current ``alpha``, for want of cases.

        A class of fewer than ``1 / alpha - 1`` calibration cases has no score that
        certifies leaving it out.

        Returns
        -------
        counts : dict
            ``{class label: its number of calibration cases}`` (with
            ``conditional="marginal"``, the number of all calibration cases, for every
            class); empty when every class can be left out of a set.
        """
        counts = self._calibration_counts()
        needed = cases_needed(self._checked_alpha())
        labels = np.asarray(self.classes_).tolist()  # Python's own, to print and compare
        return {label: int(n) for label, n in zip(labels, counts, strict=True) if n < needed}

    def _calibration_counts(self):
        """The number of calibration scores each class's quantile is read from."""
        check_is_fitted(self)
        if self.conditional == "class":
            return (self.calibration_labels_[:, None] == np.asarray(self.classes_)).sum(0)
        return np.full(len(self.classes_), len(self.calibration_scores_))

    def _score_quantiles(self):
        """Per class, the ``ceil((n + 1)(1 - alpha))``-th smallest of the ``n`` calibration
        scores it is read from; infinite where ``n`` is too small (every set holds it)."""
        alpha = self._checked_alpha()
        quantiles = []
        for label in self.classes_:
            scores = self.calibration_scores_
            if self.conditional == "class":
                scores = scores[self.calibration_labels_ == label]
            rank = math.ceil(round((len(scores) + 1) * (1 - alpha), 9))
            quantiles.append(np.sort(scores)[rank - 1] if rank <= len(scores) else np.inf)
        return np.asarray(quantiles)

    def _checked_alpha(self):
        """``alpha``, validated: it may have been set after ``fit``."""
        validate_parameter_constraints(
            {"alpha": self._parameter_constraints["alpha"]},
            {"alpha": self.alpha},
            caller_name=type(self).__name__,
        )
        return self.alpha
