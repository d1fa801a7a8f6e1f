"""Portable engine: the soft-DTW recursion along anti-diagonals in plain torch.

All cells of an anti-diagonal ``i + j = k`` depend only on the two previous anti-diagonals,
so each step updates a whole anti-diagonal of every pair at once: ``N + M - 1`` vectorised
steps on any device torch supports. It is the fallback where no compiled kernel applies and
an independent cross-check of the compiled ones.

The tables follow the compiled engine's conventions, batch first: ``cost`` is
(B, N + 1, M + 1) and ``table`` (B, N + 2, M + 2), with a zero row and column past the end.
The first functions are the engine's interface, shared with :mod:`._numba_engine`.
"""

import torch

from ._cost import sq_euclidean_cost, sq_euclidean_cost_backward


def soft_dtw(x, y, x_lengths, y_lengths, gamma):
    padded = _padded(sq_euclidean_cost(x.detach(), y.detach()))
    values, table = _forward(padded, x_lengths, y_lengths, gamma)
    return values, (x, y, x_lengths, y_lengths, padded, table)


def soft_dtw_backward(state, gamma, grad_values):
    x, y, x_lengths, y_lengths, padded, table = state
    grad_cost = _backward(padded, table, x_lengths, y_lengths, gamma) * grad_values[:, None, None]
    return sq_euclidean_cost_backward(grad_cost, x.detach(), y.detach())


def soft_dtw_from_cost(cost, x_lengths, y_lengths, gamma):
    padded = _padded(cost.detach())
    values, table = _forward(padded, x_lengths, y_lengths, gamma)
    return values, (x_lengths, y_lengths, padded, table)


def soft_dtw_from_cost_backward(state, gamma, grad_values):
    x_lengths, y_lengths, padded, table = state
    return _backward(padded, table, x_lengths, y_lengths, gamma) * grad_values[:, None, None]


def dtw(x, y, x_lengths, y_lengths):
    """DTW values, and each pair's DP table, (B, N + 2, M + 2)."""
    padded = _padded(sq_euclidean_cost(x, y))
    n, m = padded.shape[1] - 1, padded.shape[2] - 1
    table = _new_table(padded, n, m)
    for i, j in _diagonals(n, m, padded.device):
        low = torch.minimum(
            table[:, i - 1, j - 1], torch.minimum(table[:, i - 1, j], table[:, i, j - 1])
        )
        table[:, i, j] = padded[:, i - 1, j - 1] + low
    return _terminal_values(table, x_lengths, y_lengths), table


def _padded(cost):
    """The cost with a zero row and column past the end."""
    return torch.nn.functional.pad(cost, (0, 1, 0, 1))


def _diagonals(n, m, device):
    """For each anti-diagonal of the (1-based) cells, the row and column indices."""
    rows = torch.arange(1, n + 1, device=device)
    for k in range(2, n + m + 1):
        i = rows[max(0, k - m - 1) : min(n, k - 1)]
        yield i, k - i


def _new_table(cost, n, m):
    table = cost.new_zeros(cost.shape[0], n + 2, m + 2)
    table[:, 0, :] = torch.inf
    table[:, :, 0] = torch.inf
    table[:, 0, 0] = 0.0
    return table


def _terminal_values(table, x_lengths, y_lengths):
    return table[torch.arange(table.shape[0], device=table.device), x_lengths, y_lengths]


def _forward(cost, x_lengths, y_lengths, gamma):
    """Soft-DTW value of every pair, and the DP table for :func:`backward`."""
    n, m = cost.shape[1] - 1, cost.shape[2] - 1
    table = _new_table(cost, n, m)
    for i, j in _diagonals(n, m, cost.device):
        predecessors = torch.stack(
            (table[:, i - 1, j - 1], table[:, i - 1, j], table[:, i, j - 1])
        )
        softmin = -gamma * torch.logsumexp(predecessors / -gamma, dim=0)
        table[:, i, j] = cost[:, i - 1, j - 1] + softmin
    return _terminal_values(table, x_lengths, y_lengths), table


def _backward(cost, table, x_lengths, y_lengths, gamma):
    """Gradient of each pair's value with respect to its cost matrix, (B, N, M)."""
    n, m = cost.shape[1] - 1, cost.shape[2] - 1
    grad = torch.zeros_like(cost)
    grad[torch.arange(cost.shape[0], device=cost.device), x_lengths - 1, y_lengths - 1] = 1.0
    for i, j in reversed(list(_diagonals(n, m, cost.device))):
        # Cell (i, j) of the table is cost cell (i - 1, j - 1); its three successors:
        r = table[:, i, j]
        grad[:, i - 1, j - 1] += (
            grad[:, i, j] * _weight(table, cost, i + 1, j + 1, r, gamma)
            + grad[:, i, j - 1] * _weight(table, cost, i + 1, j, r, gamma)
            + grad[:, i - 1, j] * _weight(table, cost, i, j + 1, r, gamma)
        )
    return grad[:, :n, :m]


def _weight(table, cost, i, j, predecessor, gamma):
    """Soft-argmin weight that table cell (i, j) gives to ``predecessor``."""
    log_weight = (table[:, i, j] - cost[:, i - 1, j - 1] - predecessor) / gamma
    return torch.exp(log_weight.clamp(max=0.0))
