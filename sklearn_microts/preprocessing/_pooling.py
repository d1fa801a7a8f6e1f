"""Pooling of each case to one feature vector: the floor every sequence model must beat."""

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._persistence import VersionedPickleMixin
from ..utils._ragged import case_starts, split_frames
from ..utils._sklearn_compat import _fit_context
from ..utils._validation import ResolvedAtFitMixin, validate_sequence_data
from ._base import SequenceTransformerMixin


def _mean(frames, starts, lengths):
    # reduceat over the ragged layout pools every case in one vectorised call. Summed in
    # float64: float32 frames near their largest value overflow a float32 sum, while
    # their mean (no larger than their largest) is a float32 again.
    sums = np.add.reduceat(frames, starts, dtype=np.float64)
    return (sums / lengths[:, None]).astype(frames.dtype)


def _std(frames, starts, lengths):
    # Centred first: the mean of squares minus the squared mean loses the digits of a
    # feature whose spread is small against its level. In float64 for the same reason as
    # the mean: the squares of float32 deviations overflow float32.
    wide = frames.astype(np.float64)
    centred = wide - np.repeat(_mean(wide, starts, lengths), lengths, axis=0)
    return np.sqrt(_mean(centred * centred, starts, lengths)).astype(frames.dtype)


def _quantile(q):
    def reducer(frames, starts, lengths):
        cases = split_frames(frames, lengths)
        return np.stack([np.quantile(case, q, axis=0) for case in cases]).astype(frames.dtype)

    return reducer


_REDUCERS = {
    "mean": _mean,
    "std": _std,
    "max": lambda frames, starts, lengths: np.maximum.reduceat(frames, starts),
    "min": lambda frames, starts, lengths: np.minimum.reduceat(frames, starts),
    "q25": _quantile(0.25),
    "median": _quantile(0.5),
    "q75": _quantile(0.75),
    # One column, not one per feature: the number of frames of each case.
    "length": lambda frames, starts, lengths: lengths[:, None].astype(frames.dtype),
}


@Substitution(**SEQUENCE_DOCS)
class SequencePooler(
    ResolvedAtFitMixin,
    VersionedPickleMixin,
    SequenceTransformerMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Pool the frames of each case into one vector of summary statistics.

    Turns a dataset of cases into a plain 2-D array, so that any scikit-learn estimator can
    follow in a pipeline: with a logistic regression it is the "mean + max pooling" floor of
    the benchmarks, an order-free bag-of-frames model.

    A ``statistics`` set after :meth:`fit` takes effect at the next fit: :meth:`transform`
    and :meth:`get_feature_names_out` read ``statistics_``, so that the columns a later
    step of a pipeline was fitted on stay the same.

    Parameters
    ----------
    statistics : tuple of {"mean", "std", "max", "min", "q25", "median", "q75", \
"length"}, default=("mean", "max")
        Statistics computed per feature over the frames of a case (``"std"``: the
        population standard deviation; ``"q25"``, ``"median"``, ``"q75"``: the quartiles,
        interpolated linearly), concatenated in order; ``"length"`` adds one column, the
        number of frames of the case.

    Attributes
    ----------
    statistics_ : tuple or list of str
        The ``statistics`` of :meth:`transform`, in order.
    {features_in}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts.preprocessing import SequencePooler
    >>> X = [np.array([[1.0], [3.0]]), np.array([[5.0]])]
    >>> SequencePooler().fit_transform(X)
    array([[2., 3.],
           [5., 5.]])
    """

    # The names inside the sequence are checked by _check_statistics.
    _parameter_constraints: ClassVar[dict] = {"statistics": [tuple, list]}
    _resolved_at_fit = ("statistics",)

    def __init__(self, *, statistics=("mean", "max")):
        self.statistics = statistics

    @_fit_context(prefer_skip_nested_validation=True)
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y=None):
        """Check the parameters and record the number of features of ``X``.

        Parameters
        ----------
        {X_train}
        {y_ignored}

        Returns
        -------
        self : SequencePooler
            The fitted transformer.
        """
        self._check_statistics()
        self._resolve_params()
        validate_sequence_data(self, X, reset=True)
        return self

    @Substitution(**SEQUENCE_DOCS)
    def transform(self, X):
        """Pool each case.

        Parameters
        ----------
        {X}

        Returns
        -------
        X_pooled : ndarray of shape (n_cases, n_statistics * n_features)
            One row per case; ``n_statistics`` is the number of ``statistics_``.
        """
        check_is_fitted(self)
        frames, lengths = validate_sequence_data(self, X, reset=False)
        starts = case_starts(lengths)
        return np.hstack([_REDUCERS[name](frames, starts, lengths) for name in self.statistics_])

    @Substitution(**SEQUENCE_DOCS)
    def get_feature_names_out(self, input_features=None):
        """Output feature names: ``<statistic>_<name>``.

        Parameters
        ----------
        {input_features}

        Returns
        -------
        {feature_names_out}
        """
        names = super().get_feature_names_out(input_features)
        return np.asarray(
            [
                name
                for statistic in self.statistics_
                for name in (
                    ["length"]
                    if statistic == "length"
                    else [f"{statistic}_{name}" for name in names]
                )
            ],
            dtype=object,
        )

    def _check_statistics(self):
        statistics = self.statistics
        if (
            len(statistics) == 0
            or any(s not in _REDUCERS for s in statistics)
            or len(set(statistics)) != len(statistics)
        ):
            raise ValueError(
                f"statistics must be a non-empty sequence of distinct names among "
                f"{sorted(_REDUCERS)}, got {statistics!r}."
            )
