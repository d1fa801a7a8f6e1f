"""Wavelet split of each case into stable and rapid parts (:ref:`method_wavelet` in the docs)."""

from typing import ClassVar

import numpy as np
import pywt
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._persistence import VersionedPickleMixin
from ..utils._ragged import split_frames
from ..utils._sklearn_compat import StrOptions, _fit_context
from ..utils._validation import POSITIVE_INT, ResolvedAtFitMixin, validate_sequence_data
from ..utils._wavelet import as_wavelet, check_split_representable, stable_part
from ._base import SequenceTransformerMixin

_OUTPUTS = ("stable", "rapid")


@Substitution(**SEQUENCE_DOCS)
class WaveletTransformer(
    ResolvedAtFitMixin,
    VersionedPickleMixin,
    SequenceTransformerMixin,
    OneToOneFeatureMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Split every case along time into a stable (low-frequency) and a rapid part.

    Each feature of a case is decomposed along the time axis by a wavelet multiresolution
    analysis (:func:`pywt.mra`): the stable part ``X_stb`` is the approximation component,
    the rapid part ``X_rpd = X - X_stb`` the sum of the detail components. Both keep the
    case's length, and ``X_stb + X_rpd == X`` to float precision. Stable patterns are the
    regions a pathologist lingers on; rapid changes are the jumps to new regions.

    A parameter set after :meth:`fit` takes effect at the next fit: :meth:`transform` and
    :meth:`get_feature_names_out` read what ``fit`` fixed (``wavelet_``, ``level_``,
    ``output_``, ``method_``), so that the features a later step of a pipeline was fitted
    on stay the same.

    Read more in the method page, :ref:`method_wavelet`.

    Parameters
    ----------
    wavelet : str or pywt.Wavelet, default="haar"
        A discrete wavelet, see :func:`pywt.wavelist` with ``kind="discrete"``.
    level : int, default=1
        Decomposition level (>= 1), capped per case by what its length allows
        (:func:`pywt.dwt_max_level`). A case too short for any level, such as a single frame,
        is all stable: ``X_stb = X`` and ``X_rpd = 0``.
    output : {"both", "stable", "rapid"}, default="both"
        What :meth:`transform` returns; ``"both"`` concatenates ``[X_stb, X_rpd]`` along the
        features, giving ``2 * n_features`` columns.
    method : {"dwt", "swt"}, default="dwt"
        Decimated (``"dwt"``) or stationary, shift-invariant (``"swt"``) analysis. With
        ``"swt"`` each case is extended symmetrically to a multiple of ``2 ** level`` frames
        and cut back, so the parts still sum to ``X``.

    Attributes
    ----------
    wavelet_ : str or pywt.Wavelet
        The ``wavelet`` of :meth:`transform`.
    level_ : int
        The ``level`` of :meth:`transform`.
    output_ : {"both", "stable", "rapid"}
        What :meth:`transform` returns.
    method_ : {"dwt", "swt"}
        The analysis of :meth:`transform`.
    {features_in}

    See Also
    --------
    DedupTransformer : Drop near-duplicate frames first.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_microts import WaveletTransformer
    >>> X = [np.array([[1.0], [3.0], [10.0], [10.0]])]
    >>> wt = WaveletTransformer(output="both").fit(X)
    >>> wt.transform(X)[0].round(6).tolist()
    [[2.0, -1.0], [2.0, 1.0], [10.0, -0.0], [10.0, -0.0]]
    >>> wt.get_feature_names_out().tolist()
    ['stable_x0', 'rapid_x0']
    """

    _parameter_constraints: ClassVar[dict] = {
        "wavelet": [str, pywt.Wavelet],  # a name is checked against pywt by as_wavelet
        "level": [POSITIVE_INT],
        "output": [StrOptions({"both", *_OUTPUTS})],
        "method": [StrOptions({"dwt", "swt"})],
    }
    _resolved_at_fit = ("wavelet", "level", "output", "method")

    def __init__(self, *, wavelet="haar", level=1, output="both", method="dwt"):
        self.wavelet = wavelet
        self.level = level
        self.output = output
        self.method = method

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
        self : WaveletTransformer
            The fitted transformer.
        """
        as_wavelet(self.wavelet)
        self._resolve_params()
        validate_sequence_data(self, X, reset=True)
        return self

    @Substitution(**SEQUENCE_DOCS)
    def transform(self, X):
        """Split each case into its stable and/or rapid parts.

        Parameters
        ----------
        {X}

        Returns
        -------
        X_new : list of ndarray of shape (n_frames_i, n_features_out)
            ``n_features_out`` is ``2 * n_features`` for ``output="both"``, else
            ``n_features``.
        """
        check_is_fitted(self)
        wavelet = as_wavelet(self.wavelet_)
        frames, lengths = validate_sequence_data(self, X, reset=False)
        n_features = frames.shape[1]
        n_parts = 2 if self.output_ == "both" else 1
        out = np.empty((len(frames), n_parts * n_features), dtype=frames.dtype)
        stable = out[:, :n_features]
        stable_part(frames, lengths, wavelet, self.level_, self.method_, out=stable)
        if self.output_ != "stable":
            with np.errstate(over="ignore"):  # checked on the next line
                np.subtract(frames, stable, out=out[:, -n_features:])
        check_split_representable(out, lengths, out.dtype)
        return split_frames(out, lengths)

    @Substitution(**SEQUENCE_DOCS)
    def get_feature_names_out(self, input_features=None):
        """Output feature names: ``stable_<name>`` and/or ``rapid_<name>``.

        Parameters
        ----------
        {input_features}

        Returns
        -------
        {feature_names_out}
        """
        names = super().get_feature_names_out(input_features)
        parts = _OUTPUTS if self.output_ == "both" else (self.output_,)
        return np.asarray([f"{part}_{name}" for part in parts for name in names], dtype=object)
