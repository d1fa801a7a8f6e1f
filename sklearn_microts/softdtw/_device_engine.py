"""Engines for tensors on any device: the cost in torch, the recursion pluggable.

The squared Euclidean cost and its gradient are batched torch products (:mod:`._cost`) on
the tensors' own device; the dynamic programme itself comes from a *recursion* module with
``forward``, ``backward`` and ``forward_hard`` functions (and ``hard_values``, which reads
the sequences, computes the cost inside the recursion and keeps no table): the portable
anti-diagonal loop of :mod:`._torch_recursion`, or the GPU kernels of
:mod:`._triton_recursion`. Tables are batch
first: ``cost`` is (B, N + 1, M + 1) and ``table`` (B, N + 2, M + 2), with a zero row and
column past the end. The methods mirror the functions of :mod:`._numba_engine`.
"""

import torch

from ._cost import sq_euclidean_cost, sq_euclidean_cost_backward


class DeviceEngine:
    def __init__(self, recursion):
        self.recursion = recursion

    def soft_dtw(self, x, y, x_lengths, y_lengths, gamma):
        padded = _padded(sq_euclidean_cost(x.detach(), y.detach()))
        values, table = self.recursion.forward(padded, x_lengths, y_lengths, gamma)
        return values, (x, y, x_lengths, y_lengths, padded, table)

    def soft_dtw_backward(self, state, gamma, grad_values):
        x, y, x_lengths, y_lengths, padded, table = state
        grad_cost = self.recursion.backward(padded, table, x_lengths, y_lengths, gamma)
        grad_cost = grad_cost * grad_values[:, None, None]
        return sq_euclidean_cost_backward(grad_cost, x.detach(), y.detach())

    def soft_dtw_from_cost(self, cost, x_lengths, y_lengths, gamma):
        padded = _padded(cost.detach())
        values, table = self.recursion.forward(padded, x_lengths, y_lengths, gamma)
        return values, (x_lengths, y_lengths, padded, table)

    def soft_dtw_from_cost_backward(self, state, gamma, grad_values):
        x_lengths, y_lengths, padded, table = state
        grad_cost = self.recursion.backward(padded, table, x_lengths, y_lengths, gamma)
        return grad_cost * grad_values[:, None, None]

    def dtw(self, x, y, x_lengths, y_lengths):
        """DTW values only: the recursion computes the cost as it goes and keeps no table."""
        return self.recursion.hard_values(x, y, x_lengths, y_lengths)

    def dtw_table(self, x, y, x_lengths, y_lengths):
        """DTW values, and each pair's DP table, (B, N + 2, M + 2)."""
        padded = _padded(sq_euclidean_cost(x, y))
        return self.recursion.forward_hard(padded, x_lengths, y_lengths)


def _padded(cost):
    """The cost with a zero row and column past the end."""
    return torch.nn.functional.pad(cost, (0, 1, 0, 1))


def new_table(cost):
    """DP table for ``cost``: R[0, 0] = 0, +inf on the first row and column, 0 elsewhere."""
    batch, n, m = cost.shape[0], cost.shape[1] - 1, cost.shape[2] - 1
    table = cost.new_zeros(batch, n + 2, m + 2)
    table[:, 0, :] = torch.inf
    table[:, :, 0] = torch.inf
    table[:, 0, 0] = 0.0
    return table


def terminal_values(table, x_lengths, y_lengths):
    return table[torch.arange(table.shape[0], device=table.device), x_lengths, y_lengths]
