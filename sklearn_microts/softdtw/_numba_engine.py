"""CPU engine: torch tensors in and out, the compiled kernels in between.

The kernels want float64 arrays with the pairs last and sorted by decreasing ``x`` length
(see :mod:`._numba_kernels`); this module does those layout changes, once per call, and
undoes them on the way out. Every function mirrors a method of
:class:`._device_engine.DeviceEngine`, the engine of the other devices.
"""

import numpy as np
import torch

from . import _numba_kernels as kernels


class _Layout:
    """How a batch is laid out for the kernels: sorted by decreasing ``x`` length, padded
    to whole SIMD vectors, and how many pairs each row must compute.

    The pair count of a row is rounded up to a multiple of the vector width: a scalar
    remainder iteration costs as much as a whole vector of pairs (measured: ragged batches
    ran at 40 ns per real cell with remainders, against ~20 without). The extra pairs
    compute finite values nobody reads.
    """

    width = 8  # float64 lanes of an AVX-512 register; a multiple of narrower ones

    def __init__(self, x_lengths, y_lengths, n_rows):
        x_lengths = x_lengths.cpu().numpy()
        self.batch = len(x_lengths)
        padded_batch = -(-self.batch // self.width) * self.width
        self.order = np.argsort(-x_lengths, kind="stable")
        # Padding pairs have length 1: last in the order, and a valid terminal cell.
        self.x_lengths = np.ones(padded_batch, dtype=np.int64)
        self.x_lengths[: self.batch] = x_lengths[self.order]
        self.y_lengths = np.ones(padded_batch, dtype=np.int64)
        self.y_lengths[: self.batch] = y_lengths.cpu().numpy()[self.order]
        # active[i]: pairs with a row i (1-based), rounded up to whole vectors
        reach = (self.x_lengths[None, :] >= np.arange(n_rows + 2)[:, None]).sum(1)
        self.active = np.minimum(-(-reach // self.width) * self.width, padded_batch)

    def pairs_last(self, tensor):
        """(B, ...) tensor -> float64 array (..., padded B) in sorted pair order."""
        array = tensor.detach().cpu().numpy()
        out = np.zeros((*array.shape[1:], len(self.x_lengths)))
        out[..., : self.batch] = np.moveaxis(array[self.order], 0, -1)
        return out

    def tiles(self, tensor, width):
        """(B, ...) tensor -> float64 array (n_tiles, ..., width): sorted pairs in tiles."""
        array = tensor.detach().cpu().numpy()
        n_tiles = -(-self.batch // width)
        out = np.zeros((n_tiles * width, *array.shape[1:]))
        out[: self.batch] = array[self.order]
        return np.ascontiguousarray(np.moveaxis(out.reshape(n_tiles, width, -1), 1, -1)).reshape(
            n_tiles, *array.shape[1:], width
        )

    def pairs_first(self, array, device):
        """Inverse of :meth:`pairs_last`, as a tensor on ``device``."""
        out = np.empty((self.batch, *array.shape[:-1]))
        out[self.order] = np.moveaxis(array[..., : self.batch], -1, 0)
        return torch.from_numpy(out).to(device)


def soft_dtw(x, y, x_lengths, y_lengths, gamma):
    layout = _Layout(x_lengths, y_lengths, x.shape[1])
    xs, ys = layout.pairs_last(x), layout.pairs_last(y)
    values, table = kernels.forward_sequences(
        xs, ys, layout.x_lengths, layout.y_lengths, layout.active, gamma
    )
    return _values(values, layout, x.device), (layout, xs, ys, table)


def soft_dtw_backward(state, gamma, grad_values):
    layout, xs, ys, table = state
    grad_x, grad_y = kernels.backward_sequences(
        table,
        xs,
        ys,
        layout.x_lengths,
        layout.y_lengths,
        layout.active,
        gamma,
        _scale(layout, grad_values),
    )
    device = grad_values.device
    return layout.pairs_first(grad_x, device), layout.pairs_first(grad_y, device)


def soft_dtw_from_cost(cost, x_lengths, y_lengths, gamma):
    layout = _Layout(x_lengths, y_lengths, cost.shape[1])
    values, table = kernels.forward(
        layout.pairs_last(cost), layout.x_lengths, layout.y_lengths, layout.active, gamma
    )
    return _values(values, layout, cost.device), (layout, table)


def soft_dtw_from_cost_backward(state, gamma, grad_values):
    layout, table = state
    grad_cost = kernels.backward(
        table,
        layout.x_lengths,
        layout.y_lengths,
        layout.active,
        gamma,
        _scale(layout, grad_values),
    )
    return layout.pairs_first(grad_cost, grad_values.device)


def dtw(x, y, x_lengths, y_lengths):
    """DTW values only: no table is kept, the cost is computed inside the recursion."""
    layout = _Layout(x_lengths, y_lengths, x.shape[1])
    values = kernels.dtw_values(
        layout.tiles(x, kernels.TILE),
        layout.tiles(y, kernels.TILE),
        layout.x_lengths,
        layout.y_lengths,
        layout.active,
    )
    return _values(values, layout, x.device)


def dtw_table(x, y, x_lengths, y_lengths):
    """DTW values, and each pair's DP table, (B, N + 2, M + 2) in the input order."""
    layout = _Layout(x_lengths, y_lengths, x.shape[1])
    values, table = kernels.forward_hard(
        layout.pairs_last(x),
        layout.pairs_last(y),
        layout.x_lengths,
        layout.y_lengths,
        layout.active,
    )
    return _values(values, layout, x.device), layout.pairs_first(table, x.device)


def _values(values, layout, device):
    out = np.empty(layout.batch)
    out[layout.order] = values[: layout.batch]
    return torch.from_numpy(out).to(device)


def _scale(layout, grad_values):
    """The incoming gradient of each value, in the kernels' pair order (0 for padding)."""
    scale = np.zeros(len(layout.x_lengths))
    scale[: layout.batch] = grad_values.detach().cpu().numpy()[layout.order]
    return scale
