"""What the uncertainty wrappers share: the wrapped model's probabilities, and the cases it
did not train on, the ground of every uncertainty estimate (a frozen, already fitted model
is read as it is; any other is cross-fitted or refit on part of the cases)."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_predict
from sklearn.utils.validation import check_is_fitted

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._persistence import VersionedPickleMixin
from ..utils._validation import check_case_labels, check_sequences


def check_cases_and_targets(X, y):
    """The cases as a list of 2-D arrays and ``y`` as a 1-D array of labels, one a case.

    Through the checks the classifiers use (:func:`check_sequences`,
    :func:`check_case_labels`): a wrapper refuses what its estimator would, in the same
    words, before it fits the estimator.
    """
    cases = check_sequences(X)
    return cases, check_case_labels(y, len(cases))


def true_class_index(classes, y, who):
    """Column of each case's true class among ``classes``; a label the model never saw is
    an error that names it."""
    unseen = sorted(set(np.unique(y).tolist()) - set(np.asarray(classes).tolist()), key=str)
    if unseen:
        raise ValueError(f"y holds labels that {who} was not trained on: {unseen}.")
    return np.searchsorted(classes, y)


def is_frozen(estimator):
    """Whether ``estimator`` is to be used as it is (wrapped in scikit-learn's
    :class:`~sklearn.frozen.FrozenEstimator`): then every case given to ``fit`` is held out."""
    return isinstance(estimator, FrozenEstimator)


def fit_on(estimator, cases, y, indices):
    """A clone of ``estimator`` fitted on the ``cases`` (a list) at ``indices``."""
    return clone(estimator).fit([cases[i] for i in indices], y[indices])


def cross_fit(estimator, cases, y, cv):
    """``estimator`` fitted on every case, and the probabilities each case gets from a
    model that did not train on it.

    A frozen ``estimator`` is used as it is: the cases are held-out ones, read directly.
    Any other is cross-fitted: its clones, fitted on the training part of each split of
    ``cv`` (stratified folds for an int), give the out-of-fold probabilities, then one
    clone fits on all the cases (``n_splits + 1`` fits). Every case counts, which few
    patients need: a hold-out share would leave too few of a class to learn a threshold.

    Returns
    -------
    fitted : classifier
        ``estimator`` fitted on all the cases (itself, if frozen).
    proba : ndarray of shape (n_cases, n_classes)
        Held-out probabilities of the cases, columns in the order of ``fitted.classes_``.
    """
    if is_frozen(estimator):
        return estimator, estimator.predict_proba(cases)
    splits = check_splits(cv, cases, y)
    proba = cross_val_predict(clone(estimator), cases, y, cv=splits, method="predict_proba")
    return clone(estimator).fit(cases, y), proba


def check_splits(cv, cases, y):
    """The ``(train, test)`` index pairs of ``cv`` on the cases (stratified folds for an
    int, each class with at least as many cases as folds)."""
    cv = check_cv(cv, y, classifier=True)
    if isinstance(cv, StratifiedKFold):
        check_fold_counts(cv.n_splits, y)
    return list(cv.split(cases, y))


def check_fold_counts(n_splits, y):
    """Refuse stratified folds that some class has fewer cases than: folds without a case
    of it would follow, its out-of-fold probabilities from fewer models, and scikit-learn
    only warns."""
    labels, counts = np.unique(y, return_counts=True)
    few = [f"{label} has {n}" for label, n in zip(labels, counts, strict=True) if n < n_splits]
    if few:
        raise ValueError(
            f"Cross-fitting in {n_splits} folds needs at least {n_splits} cases of each "
            f"class; {', '.join(few)}. Use fewer folds (at least 2) or more cases."
        )


class BaseWrappedClassifier(
    VersionedPickleMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator
):
    """A classifier around ``estimator_``: its probabilities, its calls, its input tags."""

    @Substitution(**SEQUENCE_DOCS)
    def predict_proba(self, X):
        """The estimator's class probabilities.

        Parameters
        ----------
        {X}

        Returns
        -------
        proba : ndarray of shape (n_cases, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @Substitution(**SEQUENCE_DOCS)
    def predict(self, X):
        """The class of highest probability of each case.

        Parameters
        ----------
        {X}

        Returns
        -------
        y_pred : ndarray of shape (n_cases,)
            Class labels.
        """
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = clone(self.estimator).__sklearn_tags__().input_tags
        return tags
