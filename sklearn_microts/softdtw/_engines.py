"""Engine choice: which engine runs a call, checked against the tensors' device.

An engine computes values, DP tables and gradients for float64 tensors: the compiled CPU
kernels of :mod:`._numba_engine` (module-level functions), or a
:class:`._device_engine.DeviceEngine` around the recursion of :mod:`._torch_recursion` or
:mod:`._triton_recursion`.
"""

import importlib.metadata
import os
import re

from . import _torch_recursion
from ._device_engine import DeviceEngine

ENGINES = ("auto", "numba", "torch", "triton")

# The oldest Triton the GPU kernels are tested with (the one PyTorch 2.11's CUDA wheels pin).
MIN_TRITON = (3, 6)


def resolve_engine(engine, device):
    """The name of the engine that runs on ``device``: ``engine`` checked, ``"auto"`` chosen.

    ``"auto"`` picks ``"numba"`` on the CPU, ``"triton"`` on CUDA when a supported Triton
    is installed, and ``"torch"`` otherwise.
    """
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
        return "triton" if device.type == "cuda" and triton_available() else "torch"
    return engine


def triton_available():
    """Whether a Triton the kernels support is installed ("auto" falls back to torch if not)."""
    try:
        version = importlib.metadata.version("triton")
    except importlib.metadata.PackageNotFoundError:
        return False
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2]) >= MIN_TRITON


def get_engine(name):
    """The engine object of a resolved ``name``.

    The numba and Triton modules are imported on first use: compiling or decorating their
    kernels is paid only by the calls that need them.
    """
    if name == "numba":
        from . import _numba_engine

        return _numba_engine
    if name == "triton":
        from . import _triton_recursion

        return DeviceEngine(_triton_recursion)
    return DeviceEngine(_torch_recursion)
