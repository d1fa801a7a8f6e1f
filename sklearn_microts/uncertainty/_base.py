"""What the uncertainty wrappers share: the wrapped model's probabilities, and the cases it
did not train on, the ground of every uncertainty estimate (a frozen, already fitted model
is read as it is; any other is refit)."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._persistence import VersionedPickleMixin
from ..utils._validation import check_sequences


def check_cases_and_targets(X, y):
    """The cases as a list of 2-D arrays (the package's checks: any accepted format, clear
    errors) and ``y`` as a 1-D array of classification targets, one a case."""
    cases = check_sequences(X)
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if len(y) != len(cases):
        raise ValueError(f"y needs one label a case: {len(y)} labels for {len(cases)} cases.")
    return cases, y


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


class BaseWrappedClassifier(
    VersionedPickleMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator
):
    """A classifier around ``estimator_``: its probabilities, its input tags."""

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags = clone(self.estimator).__sklearn_tags__().input_tags
        return tags
