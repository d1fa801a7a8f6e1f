"""Compiled soft-DTW kernels (numba) with the batch on the innermost axis.

Every array is laid out with the pairs last, ``(N, M, B)``: the recursion runs over
``(i, j)`` in plain row-major order and the innermost loop over the independent pairs, which
the compiler turns into SIMD code. Pairs come sorted by decreasing ``x`` length, and row
``i`` loops only over the ``active[i]`` pairs that reach it: ragged batches cost their real
rows only. For that the loop body must be branch-free and free of library calls, hence the
polynomial ``exp`` and ``log`` below (accurate to ~1e-13 relative, far below the 1e-9 the
tests demand). Kernels are single-threaded on purpose: numba's threading layer beside
torch's OpenMP pool makes both spin on 2 cores.

Hard DTW (gamma = 0) has two kernels: :func:`forward_hard` keeps the table, for the optimal
path; :func:`dtw_values` keeps two rows and computes the cost as it goes, in tiles of pairs
small enough for the core's cache: the many pairs of a pairwise distance matrix.

The forward pass keeps only the DP table; the backward pass recomputes each cell's three
soft-argmin weights from it (three ``exp``, no ``log``). Storing the weights instead would
save those ``exp`` but costs three more output streams in the forward loop, which stops
LLVM from vectorising it (too many possibly-aliasing pointers): measured 22 ns per cell
against ~3 ns without them.

Layout: ``x`` is (N, C, B), ``y`` (M, C, B), ``cost`` (N + 1, M + 1, B) and ``table``
(N + 2, M + 2, B): one zero row and column past the end, so that the backward sweep reads
its successors without bounds tests. Cells past a pair's lengths hold finite values that
never reach its terminal cell.
"""

import numpy as np
from numba import njit

# Fast-math without "no NaNs / no infinities": the DP table's borders are +inf.
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_JIT = {
    "cache": True,
    "nogil": True,
    "error_model": "numpy",
    "boundscheck": False,
    "fastmath": _FASTMATH,
}
_EXP_FLOOR = -700.0  # exp(-700) ~ 1e-304: nothing below it can matter beside a term of 1
_LN2 = 0.6931471805599453
# 1/23, 1/21, ..., 1/1: the atanh series in Horner form, highest power first.
_ATANH_COEFFICIENTS = tuple(1.0 / k for k in range(23, 0, -2))


@njit(inline="always", **_JIT)
def _exp_nonpositive(x):
    """exp(x) for x in [-700, 0]: Taylor polynomial of degree 10 on x / 4096, squared 12x."""
    y = x * (1.0 / 4096.0)
    p = 1.0
    for k in range(10, 0, -1):  # nested Horner form of the Taylor series
        p = 1.0 + y * p * (1.0 / k)
    for _ in range(12):
        p = p * p
    return p


@njit(inline="always", **_JIT)
def _log_1_to_3(s):
    """log(s) for s in [1, 3]: halve into [0.75, 1.5], then the atanh series to z^23."""
    big = s > 1.5
    t = s * 0.5 if big else s
    z = (t - 1.0) / (t + 1.0)
    z2 = z * z
    series = 0.0
    for coefficient in _ATANH_COEFFICIENTS:
        series = series * z2 + coefficient
    return 2.0 * z * series + (_LN2 if big else 0.0)


@njit(inline="always", **_JIT)
def _new_table(n, m, batch):
    """DP table with R[0, 0] = 0, +inf on the first row and column, 0 past the end.

    Inlined: LLVM must see the allocation in the kernel to know that the table aliases no
    input, or it will not vectorise the recursion (measured: 21 ns/cell instead of 2.7).
    """
    table = np.zeros((n + 2, m + 2, batch))
    table[0, :, :] = np.inf
    table[:, 0, :] = np.inf
    table[0, 0, :] = 0.0
    return table


@njit(**_JIT)
def _terminal_values(table, x_lengths, y_lengths):
    values = np.empty(len(x_lengths))
    for b in range(len(x_lengths)):
        values[b] = table[x_lengths[b], y_lengths[b], b]
    return values


@njit(**_JIT)
def sq_euclidean_cost(x, y, active):
    """``cost[i, j, b] = ||x[i, :, b] - y[j, :, b]||^2``, zero-padded to (N + 1, M + 1, B)."""
    n, channels, _ = x.shape
    m = y.shape[0]
    cost = np.zeros((n + 1, m + 1, x.shape[2]))
    for i in range(n):
        pairs = active[i + 1]
        for j in range(m):
            for c in range(channels):
                for b in range(pairs):
                    difference = x[i, c, b] - y[j, c, b]
                    cost[i, j, b] += difference * difference
    return cost


@njit(**_JIT)
def sq_euclidean_cost_backward(grad_cost, x, y, active):
    """Gradients with respect to x (N, C, B) and y (M, C, B) of ``sum(grad_cost * cost)``."""
    n, channels, batch = x.shape
    m = y.shape[0]
    grad_x = np.zeros((n, channels, batch))
    grad_y = np.zeros((m, channels, batch))
    for i in range(n):
        pairs = active[i + 1]
        for j in range(m):
            for c in range(channels):
                for b in range(pairs):
                    step = 2.0 * grad_cost[i, j, b] * (x[i, c, b] - y[j, c, b])
                    grad_x[i, c, b] += step
                    grad_y[j, c, b] -= step
    return grad_x, grad_y


@njit(**_JIT)
def forward(cost, x_lengths, y_lengths, active, gamma):
    """Soft-DTW value of every pair, and the DP table for :func:`backward`."""
    n, m, batch = cost.shape[0] - 1, cost.shape[1] - 1, cost.shape[2]
    table = _new_table(n, m, batch)
    inv_gamma = 1.0 / gamma
    # Plain indexing, not row views: LLVM sees one base pointer and can prove that the
    # cells read and the cell written differ, which it needs to vectorise over b.
    for i in range(1, n + 1):
        pairs = active[i]  # a local: a bound re-read from memory stops vectorisation
        for j in range(1, m + 1):
            for b in range(pairs):
                r0, r1, r2 = table[i - 1, j - 1, b], table[i - 1, j, b], table[i, j - 1, b]
                low = min(r0, min(r1, r2))
                total = (
                    _exp_nonpositive(max((low - r0) * inv_gamma, _EXP_FLOOR))
                    + _exp_nonpositive(max((low - r1) * inv_gamma, _EXP_FLOOR))
                    + _exp_nonpositive(max((low - r2) * inv_gamma, _EXP_FLOOR))
                )
                table[i, j, b] = cost[i - 1, j - 1, b] + low - gamma * _log_1_to_3(total)
    return _terminal_values(table, x_lengths, y_lengths), table


@njit(**_JIT)
def backward(cost, table, x_lengths, y_lengths, active, gamma, grad_values):
    """Gradient of ``sum(grad_values * values)`` with respect to the cost, (N, M, B)."""
    n, m, batch = cost.shape[0] - 1, cost.shape[1] - 1, cost.shape[2]
    grad = _terminal_gradients(n, m, batch, x_lengths, y_lengths, grad_values)
    inv_gamma = 1.0 / gamma
    for i in range(n - 1, -1, -1):
        _sweep_row(grad, table, cost, i, m, active[i + 1], inv_gamma)
    return grad[:n, :m]


@njit(inline="always", **_JIT)
def _terminal_gradients(n, m, batch, x_lengths, y_lengths, grad_values):
    """Zeros, one row and column past the end, and each pair's gradient at its terminal."""
    grad = np.zeros((n + 1, m + 1, batch))
    for b in range(batch):
        grad[x_lengths[b] - 1, y_lengths[b] - 1, b] = grad_values[b]
    return grad


@njit(inline="always", **_JIT)
def _sweep_row(grad, table, cost, i, m, pairs, inv_gamma):
    """Gradient of row ``i`` of the cost from the rows below it (Blondel et al., 2021).

    ``E[i, j]`` sums the gradients of the three cells that read cell (i, j), each times the
    soft-argmin weight it gave it, ``exp((R[succ] - cost[succ] - R[i, j]) / gamma)``. Cells
    beyond a pair's terminal never reach it and stay 0 without masks.
    """
    for j in range(m - 1, -1, -1):
        for b in range(pairs):
            r = table[i + 1, j + 1, b]
            # softmin of each successor: its table value minus its own cost
            grad[i, j, b] += (
                grad[i + 1, j + 1, b]
                * _weight(table[i + 2, j + 2, b] - cost[i + 1, j + 1, b] - r, inv_gamma)
                + grad[i + 1, j, b]
                * _weight(table[i + 2, j + 1, b] - cost[i + 1, j, b] - r, inv_gamma)
                + grad[i, j + 1, b]
                * _weight(table[i + 1, j + 2, b] - cost[i, j + 1, b] - r, inv_gamma)
            )


@njit(inline="always", **_JIT)
def _weight(log_weight_times_gamma, inv_gamma):
    # Clamped on both sides: past-the-end cells hold arbitrary finite values (their
    # gradient is 0, and 0 times a finite weight stays 0).
    return _exp_nonpositive(min(max(log_weight_times_gamma * inv_gamma, _EXP_FLOOR), 0.0))


@njit(**_JIT)
def forward_hard(cost, x_lengths, y_lengths, active):
    """DTW (gamma = 0) value of every pair, and the DP table."""
    n, m, batch = cost.shape[0] - 1, cost.shape[1] - 1, cost.shape[2]
    table = _new_table(n, m, batch)
    for i in range(1, n + 1):
        pairs = active[i]  # a local: a bound re-read from memory stops vectorisation
        for j in range(1, m + 1):
            for b in range(pairs):
                here = min(table[i - 1, j - 1, b], min(table[i - 1, j, b], table[i, j - 1, b]))
                table[i, j, b] = cost[i - 1, j - 1, b] + here
    return _terminal_values(table, x_lengths, y_lengths), table


TILE = 64  # pairs per tile of dtw_values: two rows, the cost row and y stay in a 1 MB L2


@njit(**_JIT)
def dtw_values(x, y, x_lengths, y_lengths, active):
    """DTW (gamma = 0) of every pair without the table: x (T, N, C, TILE), y (T, M, C, TILE).

    Tile ``t`` holds pairs ``t * TILE`` to ``(t + 1) * TILE`` (of the sorted order) on its
    last axis. Each tile is a contiguous block: indexing it with an offset into one
    (N, C, B) array instead stops LLVM from vectorising (measured 2.1 ns per cell, against
    0.7 with tiles).
    """
    values = np.empty(len(x_lengths))
    for tile in range(x.shape[0]):
        _dtw_values_tile(x[tile], y[tile], x_lengths, y_lengths, active, tile * TILE, values)
    return values


@njit(inline="always", **_JIT)
def _dtw_values_tile(x, y, x_lengths, y_lengths, active, start, values):
    """One tile, row by row up to its longest ``x`` (pairs are sorted by decreasing length).

    The row buffers are allocated here, in the kernel: LLVM then knows that they alias
    nothing and vectorises over the pairs.
    """
    m, width = y.shape[0], y.shape[2]
    even = np.full((m + 1, width), np.inf)
    even[0, :] = 0.0  # row 0 of the table: R[0, 0] = 0, +inf beyond
    odd = np.empty((m + 1, width))
    cost = np.empty((m, width))
    for i in range(1, x_lengths[start] + 1):
        pairs = min(active[i] - start, width)
        previous, current = (even, odd) if i % 2 else (odd, even)
        _cost_row(x, y, i - 1, pairs, cost)
        for b in range(pairs):
            current[0, b] = np.inf
        for j in range(1, m + 1):
            for b in range(pairs):
                here = min(previous[j - 1, b], min(previous[j, b], current[j - 1, b]))
                current[j, b] = cost[j - 1, b] + here
        for b in range(pairs):
            if x_lengths[start + b] == i:
                values[start + b] = current[y_lengths[start + b], b]


@njit(inline="always", **_JIT)
def _cost_row(x, y, i, pairs, cost):
    """``cost[j, b] = ||x[i, :, b] - y[j, :, b]||^2``, one channel at a time."""
    for j in range(y.shape[0]):
        for b in range(pairs):
            difference = x[i, 0, b] - y[j, 0, b]
            cost[j, b] = difference * difference
    for c in range(1, x.shape[1]):
        for j in range(y.shape[0]):
            for b in range(pairs):
                difference = x[i, c, b] - y[j, c, b]
                cost[j, b] += difference * difference
