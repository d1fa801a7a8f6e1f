"""The scalar functions the soft-DTW kernels are built on, checked directly over dense
sweeps of their domains: a change that keeps the kernels' results within the softDTW
tests' tolerances could still lose digits here."""

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from sklearn_microts.softdtw import _numba_kernels as kernels  # noqa: E402


def _one_call_a_point(kernel, points):
    return np.array([kernel(float(x)) for x in points])


def _compiled_loop(kernel, points):
    """``kernel`` as the soft-DTW kernels call it: inlined into a loop that LLVM vectorises,
    under the same fast-math flags, free to round otherwise than a call alone."""

    @numba.njit(**{**kernels._JIT, "cache": False})
    def loop(points, out):
        for i in range(points.shape[0]):
            out[i] = kernel(points[i])

    out = np.empty_like(points)
    loop(points, out)
    return out


SWEEPS = {"one call a point": _one_call_a_point, "compiled loop": _compiled_loop}


@pytest.mark.parametrize("sweep", SWEEPS.values(), ids=SWEEPS.keys())
def test_exp_of_nonpositive_arguments_to_within_5e_14(sweep):
    # Dense near 0, where exp is steep relative to its value, and evenly down to -700, where
    # the error is largest (measured 4.2e-14 there, 1.8e-14 above -10).
    points = np.concatenate(
        [-np.geomspace(1e-12, 700, 200_000), -np.linspace(0, 700, 200_001), [-0.5 * np.log(2)]]
    )
    relative = np.abs(sweep(kernels._exp_nonpositive, points) / np.exp(points) - 1)
    assert relative.max() < 5e-14


@pytest.mark.parametrize("sweep", SWEEPS.values(), ids=SWEEPS.keys())
def test_log_on_1_to_3_to_within_5e_15(sweep):
    # Both ends, and both sides of 1.5, where the argument is halved or not (measured 9e-16).
    points = np.concatenate([np.linspace(1.0, 3.0, 200_001), np.nextafter([1.5, 1.5], [0, 3])])
    absolute = np.abs(sweep(kernels._log_1_to_3, points) - np.log(points))
    assert absolute.max() < 5e-15
