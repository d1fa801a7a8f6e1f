"""The pairwise soft-DTW and DTW functions: inputs checked, an engine chosen, autograd wired.

Input checks live in :mod:`._validation`, the engine choice in :mod:`._engines`, the
autograd Functions in :mod:`._autograd` and the optimal path in :mod:`._path`.
"""

import torch

from ..utils._docstring import Substitution
from ._autograd import SoftDTW, SoftDTWFromCost
from ._engines import get_engine, resolve_engine
from ._validation import (
    SOFTDTW_DOCS,
    check_float_tensor,
    check_lengths,
    check_pair,
    valid_cells,
    validate_scalars,
)


@validate_scalars
@Substitution(**SOFTDTW_DOCS)
def soft_dtw(x, y, *, gamma=1.0, x_lengths=None, y_lengths=None, engine="auto"):
    """Soft-DTW between batches of sequences, with the squared Euclidean cost.

    ``SDTW_gamma(x, y) = softmin_gamma over alignments of the summed costs ||x_i - y_j||^2``
    (Cuturi & Blondel, 2017), for every pair of a batch, differentiable in ``x`` and ``y``.

    Parameters
    ----------
    {x}
    {y}
    {gamma}
    {lengths}
    {engine}

    Returns
    -------
    values : torch.Tensor of shape (B,)
        Soft-DTW of each pair, in the dtype of ``x`` (computed in float64).

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import soft_dtw
    >>> x = torch.tensor([[[0.0], [1.0], [2.0]]], dtype=torch.float64)
    >>> y = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
    >>> soft_dtw(x, y, gamma=0.01)  # DTW is 1, by two alignments: 1 - 0.01 * log(2)
    tensor([0.9931], dtype=torch.float64)
    """
    pair = check_pair(x, y, x_lengths, y_lengths)
    gamma = float(gamma)  # numba and Triton compile one kernel per argument type
    engine = resolve_engine(engine, pair.x.device)
    return SoftDTW.apply(
        pair.x, pair.y, pair.x_lengths, pair.y_lengths, gamma, get_engine(engine)
    ).to(pair.dtype)


@validate_scalars
@Substitution(**SOFTDTW_DOCS)
def soft_dtw_from_cost(cost, *, gamma=1.0, x_lengths=None, y_lengths=None, engine="auto"):
    """Soft-DTW from a given cost matrix per pair, differentiable in the cost.

    Parameters
    ----------
    cost : torch.Tensor of shape (B, N, M)
        ``cost[b, i, j]``: cost of aligning frame ``i`` of the first sequence of pair ``b``
        with frame ``j`` of the second. Entries beyond the lengths are ignored (NaN allowed).
    {gamma}
    {lengths}
    {engine}

    Returns
    -------
    values : torch.Tensor of shape (B,)
        Soft-DTW of each pair.
    """
    cost = check_float_tensor(cost, "cost", ("B", "N", "M"))
    x_lengths = check_lengths(x_lengths, "x_lengths", cost.shape[0], cost.shape[1], cost.device)
    y_lengths = check_lengths(y_lengths, "y_lengths", cost.shape[0], cost.shape[2], cost.device)
    gamma = float(gamma)  # numba and Triton compile one kernel per argument type
    engine = resolve_engine(engine, cost.device)
    valid = valid_cells(x_lengths, y_lengths, cost.shape[1], cost.shape[2])
    cost64 = torch.where(valid, cost.to(torch.float64), 0.0)  # NaN past the lengths: no harm
    return SoftDTWFromCost.apply(cost64, x_lengths, y_lengths, gamma, get_engine(engine)).to(
        cost.dtype
    )


@validate_scalars
@Substitution(**SOFTDTW_DOCS)
def soft_dtw_divergence(x, y, *, gamma=1.0, x_lengths=None, y_lengths=None, engine="auto"):
    """Soft-DTW divergence (Blondel et al., 2021): ``SDTW(x, y) - (SDTW(x, x) + SDTW(y, y)) / 2``.

    Non-negative, and 0 when ``x`` and ``y`` are the same sequence.

    Parameters
    ----------
    {x}
    {y}
    {gamma}
    {lengths}
    {engine}

    Returns
    -------
    values : torch.Tensor of shape (B,)
        Soft-DTW divergence of each pair, in the dtype of ``x`` (computed in float64).

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import soft_dtw_divergence
    >>> x = torch.randn(2, 5, 3, dtype=torch.float64)
    >>> soft_dtw_divergence(x, x, gamma=0.1).abs().max() < 1e-10
    tensor(True)
    """
    pair = check_pair(x, y, x_lengths, y_lengths)
    gamma = float(gamma)  # numba and Triton compile one kernel per argument type
    engine = resolve_engine(engine, pair.x.device)

    def value(a, b, a_lengths, b_lengths):
        return SoftDTW.apply(a, b, a_lengths, b_lengths, gamma, get_engine(engine))

    divergence = value(pair.x, pair.y, pair.x_lengths, pair.y_lengths) - 0.5 * (
        value(pair.x, pair.x, pair.x_lengths, pair.x_lengths)
        + value(pair.y, pair.y, pair.y_lengths, pair.y_lengths)
    )
    return divergence.to(pair.dtype)


@validate_scalars
@Substitution(**SOFTDTW_DOCS)
def dtw(x, y, *, x_lengths=None, y_lengths=None, engine="auto"):
    """Dynamic time warping (gamma = 0) between batches of sequences, squared Euclidean cost.

    Not differentiable: for gradients use :func:`soft_dtw` with a small ``gamma``. Values
    only, computed without keeping the dynamic programme's table (:func:`dtw_path` keeps
    it).

    Parameters
    ----------
    {x}
    {y}
    {lengths}
    {engine}

    Returns
    -------
    values : torch.Tensor of shape (B,)
        DTW of each pair, in the dtype of ``x``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import dtw
    >>> x = torch.tensor([[[0.0], [1.0], [2.0]]])
    >>> dtw(x, torch.tensor([[0.0], [2.0]]))
    tensor([1.])
    """
    pair = check_pair(x, y, x_lengths, y_lengths)
    engine = resolve_engine(engine, pair.x.device)
    with torch.no_grad():
        values = get_engine(engine).dtw(pair.x, pair.y, pair.x_lengths, pair.y_lengths)
    return values.to(pair.dtype)
