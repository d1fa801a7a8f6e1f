"""Checks of the inputs of the public functions, and their float64, padding-free form."""

import inspect
import numbers

import numpy as np
import torch

from ..utils._sklearn_compat import StrOptions, validate_params
from ..utils._validation import NumberInterval
from ._engines import ENGINES

# The docstring pieces of the public functions' parameters
# (:class:`~sklearn_microts.utils._docstring.Substitution`): batches of pairs, and sets.
SOFTDTW_DOCS = {
    "x": """\
x : torch.Tensor of shape (B, N, C)
    First sequences, padded to ``N`` frames. Padding may hold anything, NaN included.""",
    "y": """\
y : torch.Tensor of shape (B, M, C) or (M, C)
    Second sequences; a 2-D ``y`` is compared with every ``x``.""",
    "lengths": """\
x_lengths, y_lengths : array-like of int of shape (B,), default=None
    Real length of each sequence (1 to ``N``, 1 to ``M``); ``None`` for no padding.
    ``N < M`` is allowed.""",
    "set_x": """\
x : torch.Tensor of shape (n_x, N, C)
    First set of sequences, padded to ``N`` frames. Padding may hold anything.""",
    "set_y": """\
y : torch.Tensor of shape (n_y, M, C), default=None
    Second set, on the device of ``x``; ``None`` compares ``x`` with itself (and computes
    each symmetric pair once).""",
    "set_lengths": """\
x_lengths, y_lengths : array-like of int of shape (n_x,) and (n_y,), default=None
    Real length of each sequence; ``None`` for no padding. ``y_lengths`` must be ``None``
    when ``y`` is.""",
    "gamma": """\
gamma : float, default=1.0
    Smoothing, > 0. Small values approach DTW.""",
    "engine": """\
engine : {"auto", "numba", "torch", "triton"}, default="auto"
    ``"numba"``: compiled CPU kernels; ``"triton"``: GPU kernels (needs the ``triton``
    package); ``"torch"``: the portable anti-diagonal engine, on the tensors' device.
    ``"auto"`` picks ``"numba"`` for CPU tensors, ``"triton"`` for CUDA tensors when
    Triton 3.6 or newer is installed, else ``"torch"``.""",
}


class Pair:
    """Validated, float64, padding-free-of-NaN inputs of a batch of pairs."""

    def __init__(self, x, y, x_lengths, y_lengths, dtype):
        self.x, self.y = x, y
        self.x_lengths, self.y_lengths = x_lengths, y_lengths
        self.dtype = dtype


def check_pair(x, y, x_lengths, y_lengths):
    """Check the sequences of a batch of pairs and their lengths; a 2-D ``y`` is broadcast.

    Returns
    -------
    pair : Pair
        Both sides in float64 with the padding frames set to 0, lengths as int64 tensors on
        the device of ``x``, and the dtype of ``x`` to return the values in.
    """
    x = check_float_tensor(x, "x", ("B", "N", "C"))
    y = check_float_tensor(y, "y", ("M", "C"), ("B", "M", "C"))
    check_compatible(x, y)
    if y.ndim == 2:
        y = y.unsqueeze(0).expand(x.shape[0], -1, -1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"x and y must hold the same number of sequences, got {x.shape[0]} and {y.shape[0]}."
        )
    batch = x.shape[0]
    x_lengths = check_lengths(x_lengths, "x_lengths", batch, x.shape[1], x.device)
    y_lengths = check_lengths(y_lengths, "y_lengths", batch, y.shape[1], x.device)
    return Pair(
        zero_padding(x.to(torch.float64), x_lengths),
        zero_padding(y.to(torch.float64), y_lengths),
        x_lengths,
        y_lengths,
        x.dtype,
    )


def check_compatible(x, y):
    """Sequences of ``x`` and ``y`` can be compared: the same device, the same channels."""
    if y.device != x.device:
        raise ValueError(f"x and y must be on the same device, got {x.device} and {y.device}.")
    if y.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"x and y must have the same number of channels, got {x.shape[-1]} and {y.shape[-1]}."
        )


def zero_padding(sequences, lengths):
    """Padding frames set to 0 (through ``where``, so NaN there reaches no gradient)."""
    if bool((lengths == sequences.shape[1]).all()):
        return sequences
    real = torch.arange(sequences.shape[1], device=sequences.device) < lengths[:, None]
    return torch.where(real[..., None], sequences, 0.0)


def valid_cells(x_lengths, y_lengths, n, m):
    """(B, n, m) mask of the cells within each pair's lengths."""
    device = x_lengths.device
    return (torch.arange(n, device=device) < x_lengths[:, None])[:, :, None] & (
        torch.arange(m, device=device) < y_lengths[:, None]
    )[:, None, :]


def check_float_tensor(value, name, *shapes):
    """A non-empty floating-point tensor of one of ``shapes``.

    Each shape is the tuple of the names of its axes, as the caller documents them (``("B",
    "N", "C")``): its length is the number of axes, and a tensor of another number is
    refused in those names.
    """
    if not torch.is_tensor(value):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}.")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}.")
    if value.ndim not in {len(shape) for shape in shapes}:
        expected = " or ".join(f"({', '.join(shape)})" for shape in shapes)
        raise ValueError(f"{name} must have shape {expected}, got {tuple(value.shape)}.")
    if 0 in value.shape:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}.")
    return value


def check_lengths(lengths, name, batch, maximum, device):
    """Lengths as an int64 tensor of shape (batch,) within [1, maximum]; ``None``: all full."""
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


# The scalar parameters of the public functions; the tensors and their lengths are checked
# by the functions above, which relate their shapes.
SCALAR_CONSTRAINTS = {
    "gamma": [NumberInterval(numbers.Real, 0, np.finfo(np.float64).max, closed="right")],
    "engine": [StrOptions(set(ENGINES))],
}


def validate_scalars(function):
    """``validate_params`` over the scalar parameters that ``function`` takes."""
    names = inspect.signature(function).parameters
    constraints = {name: SCALAR_CONSTRAINTS[name] for name in names if name in SCALAR_CONSTRAINTS}
    return validate_params(constraints, prefer_skip_nested_validation=True)(function)
