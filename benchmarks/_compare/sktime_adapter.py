"""sktime's classifiers on ragged cases: each series padded or truncated to one length."""

from contextlib import contextmanager

import torch
from sklearn.base import clone

from sklearn_microts.utils import pad_sequences


@contextmanager
def torch_threads_kept():
    """Restore torch's thread count on exit: sktime's RocketClassifier sets it to the
    number of cores in ``fit``, and the methods run after it would compute with that many
    threads instead of the benchmark's."""
    threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class SktimePeer:
    """An sktime classifier on series padded (zeros) or truncated to one length.

    sktime's padding transformers pad to the longest training series and then fail on a
    longer test series: the length is fixed here from the training set (its longest case).
    ``concatenate=True`` makes one univariate series of the channels, for univariate-only
    methods such as TimeSeriesForest.
    """

    def __init__(self, estimator, concatenate=False, min_length=9):
        # 9 time points at least: MiniRocket's smallest input.
        self.estimator, self.concatenate, self.min_length = estimator, concatenate, min_length

    def _series(self, X):
        padded, _ = pad_sequences(X, length=self.length_, fill_value=0.0)
        series = padded.transpose(0, 2, 1)  # sktime's numpy3D: time last
        return series.reshape(len(X), 1, -1) if self.concatenate else series

    def fit(self, X, y):
        self.length_ = max(self.min_length, *(len(x) for x in X))
        with torch_threads_kept():
            self.fitted_ = clone(self.estimator).fit(self._series(X), y)
        return self

    def predict(self, X):
        with torch_threads_kept():
            return self.fitted_.predict(self._series(X))

    def predict_proba(self, X):
        with torch_threads_kept():
            return self.fitted_.predict_proba(self._series(X))

    @property
    def classes_(self):
        return self.fitted_.classes_
