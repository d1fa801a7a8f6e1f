"""Soft-DTW for PyTorch: batched, ragged, exact gradients, compiled on CPU, portable on GPU.

:func:`soft_dtw` (Cuturi & Blondel, 2017), :func:`soft_dtw_divergence` (Blondel et al.,
2021), :func:`soft_dtw_from_cost` for a cost of your own, and :func:`dtw` / :func:`dtw_path`
(gamma = 0) for inference and plots.
"""

from ._api import dtw, dtw_path, soft_dtw, soft_dtw_divergence, soft_dtw_from_cost

__all__ = ["dtw", "dtw_path", "soft_dtw", "soft_dtw_divergence", "soft_dtw_from_cost"]
