"""(Soft-)DTW between every sequence of one set and every sequence of another.

The pairs are grouped by length and cut into chunks of a bounded number of padded DP cells:
a chunk is padded to its own longest sequences, never to the longest of the sets, so that
one long case neither blows up the memory nor slows down every other pair.
"""

import numpy as np
import torch

from ..utils._docstring import Substitution
from ._engines import get_engine, resolve_engine
from ._validation import (
    SOFTDTW_DOCS,
    check_compatible,
    check_float_tensor,
    check_lengths,
    validate_scalars,
    zero_padding,
)

# Padded DP cells of one engine call: 128 MB per float64 array where an engine keeps a
# table (the soft-DTW forward pass), ample work per call for every engine.
MAX_CHUNK_CELLS = 2**24


@validate_scalars
@Substitution(**SOFTDTW_DOCS)
def cdist_dtw(x, y=None, *, x_lengths=None, y_lengths=None, engine="auto"):
    """DTW between every sequence of ``x`` and every sequence of ``y``, squared Euclidean cost.

    The pairwise counterpart of :func:`dtw`, named after ``tslearn.metrics.cdist_dtw``
    (which returns the square root of these values). Values only: no DP table is kept,
    and memory stays bounded whatever the lengths.

    Parameters
    ----------
    {set_x}
    {set_y}
    {set_lengths}
    {engine}

    Returns
    -------
    distances : torch.Tensor of shape (n_x, n_y)
        ``distances[a, b]`` is ``dtw(x[a], y[b])``, in the dtype of ``x`` (computed in
        float64), on the device of ``x``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import cdist_dtw
    >>> x = torch.tensor([[[0.0], [1.0], [2.0]], [[2.0], [2.0], [0.0]]])
    >>> cdist_dtw(x, x[:, :2], y_lengths=[2, 1])
    tensor([[1., 5.],
            [6., 4.]])
    """
    sets = _check_sets(x, y, x_lengths, y_lengths)
    return _cdist(sets, get_engine(resolve_engine(engine, sets.x.device)).dtw)


@validate_scalars
@Substitution(**SOFTDTW_DOCS)
def cdist_soft_dtw(x, y=None, *, gamma=1.0, x_lengths=None, y_lengths=None, engine="auto"):
    """Soft-DTW between every sequence of ``x`` and every sequence of ``y``.

    The pairwise counterpart of :func:`soft_dtw` (as ``tslearn.metrics.cdist_soft_dtw``),
    for values: it records no gradient.

    Parameters
    ----------
    {set_x}
    {set_y}
    {gamma}
    {set_lengths}
    {engine}

    Returns
    -------
    distances : torch.Tensor of shape (n_x, n_y)
        ``distances[a, b]`` is ``soft_dtw(x[a], y[b])``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import cdist_soft_dtw
    >>> x = torch.tensor([[[0.0], [1.0], [2.0]]], dtype=torch.float64)
    >>> cdist_soft_dtw(x, torch.tensor([[[0.0], [2.0]]], dtype=torch.float64), gamma=0.01)
    tensor([[0.9931]], dtype=torch.float64)
    """
    sets = _check_sets(x, y, x_lengths, y_lengths)
    gamma = float(gamma)  # numba and Triton compile one kernel per argument type
    engine = get_engine(resolve_engine(engine, sets.x.device))

    def soft_dtw_values(*pairs):
        return engine.soft_dtw(*pairs, gamma)[0]

    return _cdist(sets, soft_dtw_values)


class _Sets:
    """Validated float64 sets with padding zeroed, lengths on the host and on the device."""

    def __init__(self, x, y, x_lengths, y_lengths, dtype):
        self.x, self.y = x, y
        self.x_lengths, self.y_lengths = x_lengths, y_lengths
        self.dtype = dtype
        self.symmetric = y is None


def _check_sets(x, y, x_lengths, y_lengths):
    x = check_float_tensor(x, "x", ("n_x", "N", "C"))
    x_lengths = check_lengths(x_lengths, "x_lengths", x.shape[0], x.shape[1], x.device)
    x64 = zero_padding(x.to(torch.float64), x_lengths)
    if y is None:
        if y_lengths is not None:
            raise ValueError("y_lengths must be None when y is None (x is compared with x).")
        return _Sets(x64, None, x_lengths, x_lengths, x.dtype)
    y = check_float_tensor(y, "y", ("n_y", "M", "C"))
    check_compatible(x, y)
    y_lengths = check_lengths(y_lengths, "y_lengths", y.shape[0], y.shape[1], x.device)
    return _Sets(x64, zero_padding(y.to(torch.float64), y_lengths), x_lengths, y_lengths, x.dtype)


def _cdist(sets, pair_values):
    """Fill the distance matrix chunk by chunk with ``pair_values(x, y, x_len, y_len)``."""
    x, x_lengths = sets.x, sets.x_lengths
    y, y_lengths = (x, x_lengths) if sets.symmetric else (sets.y, sets.y_lengths)
    if sets.symmetric:  # each unordered pair once
        rows, cols = np.triu_indices(len(x))
    else:
        rows, cols = np.divmod(np.arange(len(x) * len(y)), len(y))
    x_host, y_host = x_lengths.cpu().numpy(), y_lengths.cpu().numpy()
    out = np.empty((len(x), len(y)))
    with torch.no_grad():
        for chunk in _chunks(x_host[rows], y_host[cols], MAX_CHUNK_CELLS):
            r, c = rows[chunk], cols[chunk]
            n, m = int(x_host[r].max()), int(y_host[c].max())
            values = pair_values(
                _take(x, r, n), _take(y, c, m), _take(x_lengths, r), _take(y_lengths, c)
            )
            out[r, c] = values.cpu().numpy()
    if sets.symmetric:
        out.T[rows, cols] = out[rows, cols]
    return torch.from_numpy(out).to(x.device, sets.dtype)


def _take(tensor, index, length=None):
    """``tensor[index]``, cut to ``length`` frames; through NumPy on the CPU, where torch's
    indexing wakes its thread pool for a few kilobytes (measured 12 ms against 10 us on two
    busy cores).
    """
    frames = (slice(None, length),) if length is not None else ()
    if tensor.device.type == "cpu":
        return torch.from_numpy(tensor.numpy()[(index, *frames)])
    return tensor[(torch.from_numpy(index).to(tensor.device), *frames)]


def _chunks(x_lengths, y_lengths, max_cells):
    """Index arrays of the pairs, in chunks of similar lengths of at most ``max_cells``.

    Pairs are grouped by length bins, coarse for ``x`` (ratio 2) and fine for ``y`` (ratio
    2 ** (1/4)): the engines skip the rows past each pair's ``x`` length but compute every
    column up to the chunk's longest ``y``. A chunk of pairs of the same bins is cut so that
    its padded grid, pairs x longest x x longest y, holds at most ``max_cells`` cells (a
    pair larger than that alone forms its chunk).
    """
    x_bins = np.floor(np.log2(x_lengths)).astype(np.int64)
    y_bins = np.floor(4 * np.log2(y_lengths)).astype(np.int64)
    order = np.lexsort((x_lengths, y_lengths, x_bins, y_bins))
    groups = np.flatnonzero(np.diff(y_bins[order]) | np.diff(x_bins[order])) + 1
    for group in np.split(order, groups):
        padded_pair = int(x_lengths[group].max()) * int(y_lengths[group].max())
        size = max(1, max_cells // padded_pair)
        for start in range(0, len(group), size):
            yield group[start : start + size]
