"""GPU recursion: the soft-DTW dynamic programme as Triton kernels, one program per pair.

Each program walks its own pair's anti-diagonals, ``n_b + m_b - 1`` dependent steps, with the
cells of a diagonal on the lanes of a block (``BLOCK`` = the next power of two above the
shorter side: no 1024-thread cap) and a block barrier between steps. The whole recursion is
one kernel launch: no host synchronisation inside the loop, and ragged pairs stop at their
own lengths. The backward kernel sweeps the diagonals in reverse and recomputes each cell's
soft-argmin weights from the table, as the other engines do.

Conventions (tables batch first, one zero row and column past the end) in
:mod:`._device_engine`. With ``TRITON_INTERPRET=1`` the kernels run on the CPU, which is how
the test suite checks them on machines without a GPU.
"""

import torch
import triton
import triton.language as tl

from ._device_engine import new_table, terminal_values


@triton.jit
def _forward_kernel(
    cost_ptr,
    table_ptr,
    x_lengths_ptr,
    y_lengths_ptr,
    gamma,
    n_diagonals,
    cost_stride_b,
    cost_stride_i,
    table_stride_b,
    table_stride_i,
    BLOCK: tl.constexpr,
    HARD: tl.constexpr,
):
    pair = tl.program_id(0)
    n = tl.load(x_lengths_ptr + pair)
    m = tl.load(y_lengths_ptr + pair)
    cost = cost_ptr + pair * cost_stride_b
    table = table_ptr + pair * table_stride_b
    lanes = tl.arange(0, BLOCK)
    # The anti-diagonals i + j = k of the 1-based cells, up to the longest pair's; those past
    # this pair's own (n + m) have no real cell and are masked out.
    for k in range(2, n_diagonals + 2):
        i = tl.maximum(1, k - m) + lanes
        j = k - i
        real = (i <= n) & (j >= 1)
        r0 = tl.load(table + (i - 1) * table_stride_i + (j - 1), mask=real, other=float("inf"))
        r1 = tl.load(table + (i - 1) * table_stride_i + j, mask=real, other=float("inf"))
        r2 = tl.load(table + i * table_stride_i + (j - 1), mask=real, other=float("inf"))
        c = tl.load(cost + (i - 1) * cost_stride_i + (j - 1), mask=real, other=0.0)
        low = tl.minimum(r0, tl.minimum(r1, r2))
        if HARD:
            value = c + low
        else:
            total = (
                tl.exp((low - r0) / gamma)
                + tl.exp((low - r1) / gamma)
                + tl.exp((low - r2) / gamma)
            )
            value = c + low - gamma * tl.log(total)
        tl.store(table + i * table_stride_i + j, value, mask=real)
        tl.debug_barrier()  # the next diagonal reads this one


@triton.jit
def _weight(table, cost, i, j, r, real, gamma, table_stride_i, cost_stride_i):
    """Soft-argmin weight that table cell (i, j) gives to its predecessor of value ``r``."""
    successor = tl.load(table + i * table_stride_i + j, mask=real, other=0.0)
    successor_cost = tl.load(cost + (i - 1) * cost_stride_i + (j - 1), mask=real, other=0.0)
    return tl.exp(tl.minimum((successor - successor_cost - r) / gamma, 0.0))


@triton.jit
def _backward_kernel(
    cost_ptr,
    table_ptr,
    grad_ptr,
    x_lengths_ptr,
    y_lengths_ptr,
    gamma,
    n_diagonals,
    cost_stride_b,
    cost_stride_i,
    table_stride_b,
    table_stride_i,
    grad_stride_b,
    grad_stride_i,
    BLOCK: tl.constexpr,
):
    pair = tl.program_id(0)
    n = tl.load(x_lengths_ptr + pair)
    m = tl.load(y_lengths_ptr + pair)
    cost = cost_ptr + pair * cost_stride_b
    table = table_ptr + pair * table_stride_b
    grad = grad_ptr + pair * grad_stride_b  # (N + 1, M + 1), the unit gradient at (n-1, m-1)
    lanes = tl.arange(0, BLOCK)
    for step in range(0, n_diagonals):
        k = n_diagonals + 1 - step
        i = tl.maximum(1, k - m) + lanes
        j = k - i
        real = (i <= n) & (j >= 1)
        r = tl.load(table + i * table_stride_i + j, mask=real, other=0.0)
        # successors of 0-based cell (i - 1, j - 1): (i, j), (i, j - 1), (i - 1, j)
        e = tl.load(grad + (i - 1) * grad_stride_i + (j - 1), mask=real, other=0.0)
        e += tl.load(grad + i * grad_stride_i + j, mask=real, other=0.0) * _weight(
            table, cost, i + 1, j + 1, r, real, gamma, table_stride_i, cost_stride_i
        )
        e += tl.load(grad + i * grad_stride_i + (j - 1), mask=real, other=0.0) * _weight(
            table, cost, i + 1, j, r, real, gamma, table_stride_i, cost_stride_i
        )
        e += tl.load(grad + (i - 1) * grad_stride_i + j, mask=real, other=0.0) * _weight(
            table, cost, i, j + 1, r, real, gamma, table_stride_i, cost_stride_i
        )
        tl.store(grad + (i - 1) * grad_stride_i + (j - 1), e, mask=real)
        tl.debug_barrier()


@triton.jit
def _hard_values_kernel(
    x_ptr,
    y_ptr,
    diagonals_ptr,
    values_ptr,
    x_lengths_ptr,
    y_lengths_ptr,
    channels,
    x_stride_b,
    x_stride_i,
    y_stride_b,
    y_stride_j,
    diagonals_stride_b,
    diagonals_stride_k,
    BLOCK: tl.constexpr,
):
    """DTW of one pair from its frames, keeping three anti-diagonals instead of the table.

    ``diagonals + (k % 3) * stride`` holds diagonal ``k``, indexed by the row ``i``; it starts
    as +inf, and the entries a diagonal never writes are exactly the table's +inf border
    cells that later diagonals read. Only R[0, 0] = 0 is not there: it is put in by hand.
    """
    pair = tl.program_id(0)
    n = tl.load(x_lengths_ptr + pair)
    m = tl.load(y_lengths_ptr + pair)
    x = x_ptr + pair * x_stride_b
    y = y_ptr + pair * y_stride_b
    diagonals = diagonals_ptr + pair * diagonals_stride_b
    lanes = tl.arange(0, BLOCK)
    for k in range(2, n + m + 1):  # this pair's own diagonals only
        i = tl.maximum(1, k - m) + lanes
        j = k - i
        real = (i <= n) & (j >= 1)
        before = diagonals + ((k - 2) % 3) * diagonals_stride_k
        last = diagonals + ((k - 1) % 3) * diagonals_stride_k
        r0 = tl.load(before + i - 1, mask=real, other=float("inf"))
        r0 = tl.where((i == 1) & (j == 1), 0.0, r0)
        r1 = tl.load(last + i - 1, mask=real, other=float("inf"))
        r2 = tl.load(last + i, mask=real, other=float("inf"))
        cost = tl.zeros([BLOCK], dtype=tl.float64)
        for c in range(channels):
            a = tl.load(x + (i - 1) * x_stride_i + c, mask=real, other=0.0)
            b = tl.load(y + (j - 1) * y_stride_j + c, mask=real, other=0.0)
            cost += (a - b) * (a - b)
        low = tl.minimum(r0, tl.minimum(r1, r2))
        tl.store(diagonals + (k % 3) * diagonals_stride_k + i, cost + low, mask=real)
        tl.debug_barrier()  # the next diagonal reads this one
    terminal = diagonals + ((n + m) % 3) * diagonals_stride_k + n
    tl.store(values_ptr + pair, tl.load(terminal))


def hard_values(x, y, x_lengths, y_lengths):
    """DTW values from the sequences (B, N, C) and (B, M, C), with no table."""
    x, y = x.contiguous(), y.contiguous()
    diagonals = x.new_full((x.shape[0], 3, x.shape[1] + 1), torch.inf)
    values = x.new_empty(x.shape[0])
    block = triton.next_power_of_2(min(x.shape[1], y.shape[1]))
    _hard_values_kernel[(x.shape[0],)](
        x,
        y,
        diagonals,
        values,
        x_lengths,
        y_lengths,
        x.shape[2],
        x.stride(0),
        x.stride(1),
        y.stride(0),
        y.stride(1),
        diagonals.stride(0),
        diagonals.stride(1),
        BLOCK=block,
        num_warps=_num_warps(block),
    )
    return values


def _n_diagonals(cost):
    """Anti-diagonals of the padded (N, M) grid: N + M - 1."""
    return cost.shape[1] + cost.shape[2] - 3


def _block(cost):
    return triton.next_power_of_2(max(1, min(cost.shape[1], cost.shape[2]) - 1))


def _num_warps(block):
    return max(1, min(32, block // 32))


def forward(cost, x_lengths, y_lengths, gamma):
    return _run_forward(cost, x_lengths, y_lengths, gamma, hard=False)


def forward_hard(cost, x_lengths, y_lengths):
    return _run_forward(cost, x_lengths, y_lengths, 1.0, hard=True)


def _run_forward(cost, x_lengths, y_lengths, gamma, hard):
    table = new_table(cost)
    block = _block(cost)
    _forward_kernel[(cost.shape[0],)](
        cost,
        table,
        x_lengths,
        y_lengths,
        gamma,
        _n_diagonals(cost),
        cost.stride(0),
        cost.stride(1),
        table.stride(0),
        table.stride(1),
        BLOCK=block,
        HARD=hard,
        num_warps=_num_warps(block),
    )
    return terminal_values(table, x_lengths, y_lengths), table


def backward(cost, table, x_lengths, y_lengths, gamma):
    """Gradient of each pair's value with respect to its cost matrix, (B, N, M)."""
    n, m = cost.shape[1] - 1, cost.shape[2] - 1
    grad = torch.zeros_like(cost)
    grad[torch.arange(cost.shape[0], device=cost.device), x_lengths - 1, y_lengths - 1] = 1.0
    block = _block(cost)
    _backward_kernel[(cost.shape[0],)](
        cost,
        table,
        grad,
        x_lengths,
        y_lengths,
        gamma,
        _n_diagonals(cost),
        cost.stride(0),
        cost.stride(1),
        table.stride(0),
        table.stride(1),
        grad.stride(0),
        grad.stride(1),
        BLOCK=block,
        num_warps=_num_warps(block),
    )
    return grad[:, :n, :m]
