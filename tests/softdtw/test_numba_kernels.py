"""The scalar functions the soft-DTW kernels are built on, checked directly over dense
sweeps of their domains: a change that keeps the kernels' results within the softDTW
tests' tolerances could still lose digits here."""

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from sklearn_microts.softdtw import _numba_kernels as kernels  # noqa: E402


def _sweep(kernel, points):
    return np.array([kernel(float(x)) for x in points])


def test_exp_of_nonpositive_arguments_to_within_5e_14():
    # Dense near 0, where exp is steep relative to its value, and down to -700.
    points = np.concatenate([-np.geomspace(1e-12, 700, 200_000), [0.0, -0.5 * np.log(2)]])
    relative = np.abs(_sweep(kernels._exp_nonpositive, points) / np.exp(points) - 1)
    assert relative.max() < 5e-14


def test_log_on_1_to_3_to_within_5e_15():
    points = np.concatenate([np.linspace(1.0, 3.0, 200_001), np.nextafter([1.5, 1.5], [0, 3])])
    absolute = np.abs(_sweep(kernels._log_1_to_3, points) - np.log(points))
    assert absolute.max() < 5e-15
