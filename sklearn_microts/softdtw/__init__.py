"""Soft-DTW for PyTorch: batched, ragged, exact gradients, compiled on CPU, portable on GPU.

:func:`soft_dtw` (Cuturi & Blondel, 2017), :func:`soft_dtw_divergence` (Blondel et al.,
2021), :func:`soft_dtw_from_cost` for a cost of your own, and :func:`dtw` / :func:`dtw_path`
(gamma = 0) for inference and plots; :func:`cdist_dtw` and :func:`cdist_soft_dtw` between
every sequence of two sets, in chunks of bounded memory.
"""

from ._api import dtw, soft_dtw, soft_dtw_divergence, soft_dtw_from_cost
from ._cdist import cdist_dtw, cdist_soft_dtw
from ._path import dtw_path

__all__ = [
    "cdist_dtw",
    "cdist_soft_dtw",
    "dtw",
    "dtw_path",
    "soft_dtw",
    "soft_dtw_divergence",
    "soft_dtw_from_cost",
]
