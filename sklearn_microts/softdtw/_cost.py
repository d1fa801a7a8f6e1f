"""The squared Euclidean cost between two batches of sequences, and its gradient.

``cost[b, i, j] = ||x[b, i] - y[b, j]||^2 = |x_i|^2 + |y_j|^2 - 2 x_i . y_j``: one batched
matrix product, never the ``(B, N, M, C)`` difference tensor. Its gradient is analytic:
with ``E = dL/dcost``, ``dL/dx_i = 2 (sum_j E_ij) x_i - 2 (E y)_i`` and symmetrically for y.
"""

import torch


def sq_euclidean_cost(x, y):
    """(B, N, M) squared distances between the frames of ``x`` (B, N, C) and ``y`` (B, M, C)."""
    squared_norms = (x * x).sum(-1)[:, :, None] + (y * y).sum(-1)[:, None, :]
    # Rounding can make the expansion slightly negative for identical frames.
    return torch.baddbmm(squared_norms, x, y.transpose(1, 2), alpha=-2.0).clamp_(min=0.0)


def sq_euclidean_cost_backward(grad_cost, x, y):
    """Gradients of ``sum(grad_cost * sq_euclidean_cost(x, y))`` with respect to x and y."""
    grad_x = 2.0 * (grad_cost.sum(2)[:, :, None] * x - torch.bmm(grad_cost, y))
    grad_y = 2.0 * (grad_cost.sum(1)[:, :, None] * y - torch.bmm(grad_cost.transpose(1, 2), x))
    return grad_x, grad_y
