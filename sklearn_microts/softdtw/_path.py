"""The optimal DTW alignment of each pair, backtracked through its DP table."""

import numpy as np
import torch

from ..utils._docstring import Substitution
from ._engines import get_engine, resolve_engine
from ._validation import SOFTDTW_DOCS, check_pair


@Substitution(**SOFTDTW_DOCS)
def dtw_path(x, y, *, x_lengths=None, y_lengths=None):
    """The optimal DTW alignment of every pair, for plotting.

    Parameters
    ----------
    {x}
    {y}
    {lengths}

    Returns
    -------
    paths : list of ndarray of shape (path_length_b, 2)
        For each pair, the aligned ``(i, j)`` frame indices from ``(0, 0)`` to
        ``(n_b - 1, m_b - 1)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import dtw_path
    >>> x = torch.tensor([[[0.0], [1.0], [2.0]]])
    >>> dtw_path(x, torch.tensor([[0.0], [2.0]]))[0].tolist()
    [[0, 0], [1, 0], [2, 1]]
    """
    pair = check_pair(x, y, x_lengths, y_lengths)
    engine = get_engine(resolve_engine("auto", pair.x.device))
    with torch.no_grad():
        _, tables = engine.dtw_table(pair.x, pair.y, pair.x_lengths, pair.y_lengths)
    tables = tables.cpu().numpy()
    lengths = zip(pair.x_lengths.tolist(), pair.y_lengths.tolist(), strict=True)
    return [_backtrack(table, n, m) for table, (n, m) in zip(tables, lengths, strict=True)]


def _backtrack(table, n, m):
    """Walk back from cell (n, m) of one pair's DTW table along the cheapest predecessors."""
    i, j = n, m
    path = [(i - 1, j - 1)]
    while (i, j) != (1, 1):
        candidates = [(i - 1, j - 1), (i - 1, j), (i, j - 1)]
        i, j = min(candidates, key=lambda cell: table[cell])
        path.append((i - 1, j - 1))
    return np.array(path[::-1], dtype=np.intp)
