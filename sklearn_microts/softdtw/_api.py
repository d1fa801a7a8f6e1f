"""Public soft-DTW functions: validation, the squared Euclidean cost, engines and autograd."""

import importlib.metadata
import numbers
import os
import re

import numpy as np
import torch

from . import _torch_recursion
from ._device_engine import DeviceEngine

ENGINES = ("auto", "numba", "torch", "triton")


def soft_dtw(x, y, *, gamma=1.0, x_lengths=None, y_lengths=None, engine="auto"):
    """Soft-DTW between batches of sequences, with the squared Euclidean cost.

    ``SDTW_gamma(x, y) = softmin_gamma over alignments of the summed costs ||x_i - y_j||^2``
    (Cuturi & Blondel, 2017), for every pair of a batch, differentiable in ``x`` and ``y``.

    Parameters
    ----------
    x : torch.Tensor of shape (B, N, C)
        First sequences, padded to ``N`` frames. Padding may hold anything, NaN included.
    y : torch.Tensor of shape (B, M, C) or (M, C)
        Second sequences; a 2-D ``y`` is compared with every ``x``.
    gamma : float, default=1.0
        Smoothing, > 0. Small values approach DTW.
    x_lengths, y_lengths : array-like of int of shape (B,), default=None
        Real length of each sequence (1 to ``N``, 1 to ``M``); ``None`` for no padding.
        ``N < M`` is allowed.
    engine : {"auto", "numba", "torch", "triton"}, default="auto"
        ``"numba"``: compiled CPU kernels; ``"triton"``: GPU kernels (needs the ``triton``
        package); ``"torch"``: the portable anti-diagonal engine, on the tensors' device.
        ``"auto"`` picks ``"numba"`` for CPU tensors, ``"triton"`` for CUDA tensors when
        Triton 3.6 or newer is installed, else ``"torch"``.

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
    pair = _check_pair(x, y, x_lengths, y_lengths)
    gamma = _check_gamma(gamma)
    engine = _check_engine(engine, pair.x.device)
    return _SoftDTW.apply(
        pair.x, pair.y, pair.x_lengths, pair.y_lengths, gamma, _engine(engine)
    ).to(pair.dtype)


def soft_dtw_from_cost(cost, *, gamma=1.0, x_lengths=None, y_lengths=None, engine="auto"):
    """Soft-DTW from a given cost matrix per pair, differentiable in the cost.

    Parameters
    ----------
    cost : torch.Tensor of shape (B, N, M)
        ``cost[b, i, j]``: cost of aligning frame ``i`` of the first sequence of pair ``b``
        with frame ``j`` of the second. Entries beyond the lengths are ignored (NaN allowed).
    gamma, x_lengths, y_lengths, engine
        As in :func:`soft_dtw`.

    Returns
    -------
    values : torch.Tensor of shape (B,)
        Soft-DTW of each pair.
    """
    cost = _check_float_tensor(cost, "cost", ndim=3)
    x_lengths = _check_lengths(x_lengths, "x_lengths", cost.shape[0], cost.shape[1], cost.device)
    y_lengths = _check_lengths(y_lengths, "y_lengths", cost.shape[0], cost.shape[2], cost.device)
    gamma = _check_gamma(gamma)
    engine = _check_engine(engine, cost.device)
    valid = _valid_cells(x_lengths, y_lengths, cost.shape[1], cost.shape[2])
    cost64 = torch.where(valid, cost.to(torch.float64), 0.0)  # NaN past the lengths: no harm
    return _SoftDTWFromCost.apply(cost64, x_lengths, y_lengths, gamma, _engine(engine)).to(
        cost.dtype
    )


def soft_dtw_divergence(x, y, *, gamma=1.0, x_lengths=None, y_lengths=None, engine="auto"):
    """Soft-DTW divergence (Blondel et al., 2021): ``SDTW(x, y) - (SDTW(x, x) + SDTW(y, y)) / 2``.

    Non-negative, and 0 when ``x`` and ``y`` are the same sequence. Same parameters and
    returns as :func:`soft_dtw`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import soft_dtw_divergence
    >>> x = torch.randn(2, 5, 3, dtype=torch.float64)
    >>> soft_dtw_divergence(x, x, gamma=0.1).abs().max() < 1e-10
    tensor(True)
    """
    pair = _check_pair(x, y, x_lengths, y_lengths)
    gamma = _check_gamma(gamma)
    engine = _check_engine(engine, pair.x.device)

    def value(a, b, a_lengths, b_lengths):
        return _SoftDTW.apply(a, b, a_lengths, b_lengths, gamma, _engine(engine))

    divergence = value(pair.x, pair.y, pair.x_lengths, pair.y_lengths) - 0.5 * (
        value(pair.x, pair.x, pair.x_lengths, pair.x_lengths)
        + value(pair.y, pair.y, pair.y_lengths, pair.y_lengths)
    )
    return divergence.to(pair.dtype)


def dtw(x, y, *, x_lengths=None, y_lengths=None, engine="auto"):
    """Dynamic time warping (gamma = 0) between batches of sequences, squared Euclidean cost.

    Not differentiable: for gradients use :func:`soft_dtw` with a small ``gamma``. Values
    only, computed without keeping the dynamic programme's table (:func:`dtw_path` keeps
    it). Parameters as in :func:`soft_dtw`.

    Returns
    -------
    values : torch.Tensor of shape (B,)
        DTW of each pair.

    Examples
    --------
    >>> import torch
    >>> from sklearn_microts.softdtw import dtw
    >>> x = torch.tensor([[[0.0], [1.0], [2.0]]])
    >>> dtw(x, torch.tensor([[0.0], [2.0]]))
    tensor([1.])
    """
    pair = _check_pair(x, y, x_lengths, y_lengths)
    engine = _check_engine(engine, pair.x.device)
    with torch.no_grad():
        values = _engine(engine).dtw(pair.x, pair.y, pair.x_lengths, pair.y_lengths)
    return values.to(pair.dtype)


def dtw_path(x, y, *, x_lengths=None, y_lengths=None):
    """The optimal DTW alignment of every pair, for plotting.

    Parameters as in :func:`dtw`.

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
    pair = _check_pair(x, y, x_lengths, y_lengths)
    engine = _check_engine("auto", pair.x.device)
    with torch.no_grad():
        _, tables = _engine(engine).dtw_table(pair.x, pair.y, pair.x_lengths, pair.y_lengths)
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


class _Pair:
    """Validated, float64, padding-free-of-NaN inputs of a batch of pairs."""

    def __init__(self, x, y, x_lengths, y_lengths, dtype):
        self.x, self.y = x, y
        self.x_lengths, self.y_lengths = x_lengths, y_lengths
        self.dtype = dtype


def _check_pair(x, y, x_lengths, y_lengths):
    x = _check_float_tensor(x, "x", ndim=3)
    y = _check_float_tensor(y, "y", ndim=(2, 3))
    if y.device != x.device:
        raise ValueError(f"x and y must be on the same device, got {x.device} and {y.device}.")
    if y.ndim == 2:
        y = y.unsqueeze(0).expand(x.shape[0], -1, -1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"x and y must hold the same number of sequences, got {x.shape[0]} and {y.shape[0]}."
        )
    if y.shape[2] != x.shape[2]:
        raise ValueError(
            f"x and y must have the same number of channels, got {x.shape[2]} and {y.shape[2]}."
        )
    batch = x.shape[0]
    x_lengths = _check_lengths(x_lengths, "x_lengths", batch, x.shape[1], x.device)
    y_lengths = _check_lengths(y_lengths, "y_lengths", batch, y.shape[1], x.device)
    return _Pair(
        _zero_padding(x.to(torch.float64), x_lengths),
        _zero_padding(y.to(torch.float64), y_lengths),
        x_lengths,
        y_lengths,
        x.dtype,
    )


def _zero_padding(sequences, lengths):
    """Padding frames set to 0 (through ``where``, so NaN there reaches no gradient)."""
    if bool((lengths == sequences.shape[1]).all()):
        return sequences
    real = torch.arange(sequences.shape[1], device=sequences.device) < lengths[:, None]
    return torch.where(real[..., None], sequences, 0.0)


def _valid_cells(x_lengths, y_lengths, n, m):
    device = x_lengths.device
    return (torch.arange(n, device=device) < x_lengths[:, None])[:, :, None] & (
        torch.arange(m, device=device) < y_lengths[:, None]
    )[:, None, :]


def _check_float_tensor(value, name, ndim):
    if not torch.is_tensor(value):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}.")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}.")
    allowed = ndim if isinstance(ndim, tuple) else (ndim,)
    if value.ndim not in allowed:
        shapes = {2: "(M, C)", 3: "(B, N, C)" if name == "x" else "(B, M, C)"}
        if name == "cost":
            shapes[3] = "(B, N, M)"
        expected = " or ".join(shapes[d] for d in allowed)
        raise ValueError(f"{name} must have shape {expected}, got {tuple(value.shape)}.")
    if 0 in value.shape:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}.")
    return value


def _check_lengths(lengths, name, batch, maximum, device):
    if lengths is None:
        return torch.full((batch,), maximum, dtype=torch.int64, device=device)
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"{name} must hold integers, got dtype {lengths.dtype}.")
    lengths = lengths.to(torch.int64)
    if lengths.shape != (batch,):
        raise ValueError(f"{name} must have shape ({batch},), got {tuple(lengths.shape)}.")
    if bool(((lengths < 1) | (lengths > maximum)).any()):
        raise ValueError(f"{name} must be within [1, {maximum}], got {lengths.tolist()}.")
    return lengths


def _check_gamma(gamma):
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
        raise TypeError(f"gamma must be a real number, got {type(gamma).__name__}.")
    if not np.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"gamma must be a finite number > 0, got {gamma!r}.")
    return float(gamma)


def _check_engine(engine, device):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, got {engine!r}.")
    if engine == "numba" and device.type != "cpu":
        raise ValueError(f"engine='numba' runs on CPU tensors only, got {device}.")
    if engine == "triton" and device.type != "cuda" and os.environ.get("TRITON_INTERPRET") != "1":
        raise ValueError(
            f"engine='triton' runs on CUDA tensors (or on the CPU with TRITON_INTERPRET=1), "
            f"got {device}."
        )
    if engine == "auto":
        if device.type == "cpu":
            return "numba"
        return "triton" if device.type == "cuda" and _triton_available() else "torch"
    return engine


# The oldest Triton the GPU kernels are tested with (the one PyTorch 2.11's CUDA wheels pin).
MIN_TRITON = (3, 6)


def _triton_available():
    """Whether a Triton the kernels support is installed ("auto" falls back to torch if not)."""
    try:
        version = importlib.metadata.version("triton")
    except importlib.metadata.PackageNotFoundError:
        return False
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2]) >= MIN_TRITON


def _engine(name):
    """The engine object: module-level functions for numba, a DeviceEngine otherwise."""
    if name == "numba":
        from . import _numba_engine

        return _numba_engine
    if name == "triton":
        from . import _triton_recursion

        return DeviceEngine(_triton_recursion)
    return DeviceEngine(_torch_recursion)


class _SoftDTW(torch.autograd.Function):
    """Soft-DTW of float64 sequences; the engines do the cost and its gradient."""

    @staticmethod
    def forward(ctx, x, y, x_lengths, y_lengths, gamma, engine):
        values, ctx.state = engine.soft_dtw(x, y, x_lengths, y_lengths, gamma)
        ctx.gamma, ctx.engine = gamma, engine
        return values

    @staticmethod
    def backward(ctx, grad_values):
        grad_x, grad_y = ctx.engine.soft_dtw_backward(ctx.state, ctx.gamma, grad_values)
        return grad_x, grad_y, None, None, None, None


class _SoftDTWFromCost(torch.autograd.Function):
    """Soft-DTW of a given float64 cost matrix."""

    @staticmethod
    def forward(ctx, cost, x_lengths, y_lengths, gamma, engine):
        values, ctx.state = engine.soft_dtw_from_cost(cost, x_lengths, y_lengths, gamma)
        ctx.gamma, ctx.engine = gamma, engine
        return values

    @staticmethod
    def backward(ctx, grad_values):
        grad_cost = ctx.engine.soft_dtw_from_cost_backward(ctx.state, ctx.gamma, grad_values)
        return grad_cost, None, None, None, None
