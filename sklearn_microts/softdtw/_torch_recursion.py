"""Portable recursion: the soft-DTW dynamic programme along anti-diagonals in plain torch.

All cells of an anti-diagonal ``i + j = k`` depend only on the two previous anti-diagonals,
so each step updates a whole anti-diagonal of every pair at once: ``N + M - 1`` vectorised
steps on any device torch supports. It is the fallback where no compiled kernel applies and
an independent cross-check of the compiled ones. Conventions in :mod:`._device_engine`.
"""

import torch

from ._device_engine import new_table, terminal_values


def _diagonals(n, m, device):
    """For each anti-diagonal of the (1-based) cells, the row and column indices."""
    for _, i, j in _numbered_diagonals(n, m, device):
        yield i, j


def _numbered_diagonals(n, m, device):
    """``(k, i, j)`` for each anti-diagonal ``i + j = k`` of the (1-based) cells."""
    rows = torch.arange(1, n + 1, device=device)
    for k in range(2, n + m + 1):
        i = rows[max(0, k - m - 1) : min(n, k - 1)]
        yield k, i, k - i


def forward(cost, x_lengths, y_lengths, gamma):
    """Soft-DTW value of every pair, and the DP table for :func:`backward`."""
    n, m = cost.shape[1] - 1, cost.shape[2] - 1
    table = new_table(cost)
    for i, j in _diagonals(n, m, cost.device):
        predecessors = torch.stack(
            (table[:, i - 1, j - 1], table[:, i - 1, j], table[:, i, j - 1])
        )
        softmin = -gamma * torch.logsumexp(predecessors / -gamma, dim=0)
        table[:, i, j] = cost[:, i - 1, j - 1] + softmin
    return terminal_values(table, x_lengths, y_lengths), table


def backward(cost, table, x_lengths, y_lengths, gamma):
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


def forward_hard(cost, x_lengths, y_lengths):
    """DTW (gamma = 0) value of every pair, and the DP table."""
    n, m = cost.shape[1] - 1, cost.shape[2] - 1
    table = new_table(cost)
    for i, j in _diagonals(n, m, cost.device):
        low = torch.minimum(
            table[:, i - 1, j - 1], torch.minimum(table[:, i - 1, j], table[:, i, j - 1])
        )
        table[:, i, j] = cost[:, i - 1, j - 1] + low
    return terminal_values(table, x_lengths, y_lengths), table


def hard_values(x, y, x_lengths, y_lengths):
    """DTW values from the sequences, keeping only the last three anti-diagonals.

    ``diagonals[k % 3][:, i]`` holds cell ``(i, k - i)`` of the table; entries never written
    are the table's +inf border, and the cost of each diagonal is computed from the frames.
    """
    batch, n, m = x.shape[0], x.shape[1], y.shape[1]
    diagonals = x.new_full((3, batch, n + 1), torch.inf)
    diagonals[0, :, 0] = 0.0  # R[0, 0], read by diagonal 2 only
    ends = x_lengths + y_lengths
    values = x.new_empty(batch)
    for k, i, j in _numbered_diagonals(n, m, x.device):
        before, last = diagonals[(k - 2) % 3], diagonals[(k - 1) % 3]
        low = torch.minimum(before[:, i - 1], torch.minimum(last[:, i - 1], last[:, i]))
        cost = ((x[:, i - 1] - y[:, j - 1]) ** 2).sum(-1)
        current = diagonals[k % 3]
        current[:, i] = cost + low
        if k == 2:
            before[:, 0] = torch.inf  # slot 0 serves diagonal 3 next: no R[0, 0] there
        values = torch.where(ends == k, current.gather(1, x_lengths[:, None])[:, 0], values)
    return values
