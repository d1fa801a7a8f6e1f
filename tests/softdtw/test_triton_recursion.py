"""The Triton engine against the compiled CPU engine.

On a machine with CUDA the kernels run on the GPU; elsewhere Triton's interpreter runs the
same kernels on the CPU (``TRITON_INTERPRET=1``, set by ``conftest.py`` before any kernel is
built).
"""

import numpy as np
import pytest
import torch

if torch.cuda.is_available():
    pytest.importorskip("triton", minversion="3.6")  # the oldest the GPU tests passed with
else:
    pytest.importorskip("triton", minversion="3.9")  # older interpreters fail under numpy 2

from sklearn_microts.softdtw import cdist_dtw, dtw, soft_dtw, soft_dtw_from_cost

from .batches import ragged_batch

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
# Masked-out lanes compute inf - inf; the interpreter reports it, the GPU does not care.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def _on_device(*tensors):
    return [t.detach().to(DEVICE).requires_grad_(t.is_floating_point()) for t in tensors]


@pytest.mark.parametrize("gamma", [0.01, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_values_and_gradients_match_the_cpu_engine(gamma, seed):
    x, y, x_lengths, y_lengths = ragged_batch(seed, batch=6, n=9, m=7, padding=np.nan)
    expected = soft_dtw(x, y, gamma=gamma, x_lengths=x_lengths, y_lengths=y_lengths)
    expected_grads = torch.autograd.grad(expected.sum(), (x, y))
    xd, yd = _on_device(x, y)
    values = soft_dtw(
        xd, yd, gamma=gamma, x_lengths=x_lengths, y_lengths=y_lengths, engine="triton"
    )
    grads = torch.autograd.grad(values.sum(), (xd, yd))
    torch.testing.assert_close(values.cpu(), expected.detach(), rtol=1e-9, atol=1e-9)
    for got, want in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(got.cpu(), want, rtol=1e-9, atol=1e-9)


def test_a_given_cost_and_hard_dtw():
    x, y, x_lengths, y_lengths = ragged_batch(3, batch=4, n=6, m=8, padding=0.0)
    cost = torch.rand(4, 6, 8, dtype=torch.float64)
    (cost_d,) = _on_device(cost)
    values = soft_dtw_from_cost(
        cost_d, gamma=0.5, x_lengths=x_lengths, y_lengths=y_lengths, engine="triton"
    )
    (grad,) = torch.autograd.grad(values.sum(), (cost_d,))
    cost.requires_grad_(True)
    expected = soft_dtw_from_cost(cost, gamma=0.5, x_lengths=x_lengths, y_lengths=y_lengths)
    torch.testing.assert_close(values.cpu(), expected.detach(), rtol=1e-9, atol=1e-9)
    (expected_grad,) = torch.autograd.grad(expected.sum(), (cost,))
    torch.testing.assert_close(grad.cpu(), expected_grad, rtol=1e-9, atol=1e-9)
    xd, yd = _on_device(x, y)
    torch.testing.assert_close(
        dtw(xd, yd, x_lengths=x_lengths, y_lengths=y_lengths, engine="triton").cpu(),
        dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths),
    )


@pytest.mark.gpu
def test_sequences_longer_than_1024_frames():
    # Maghoumi's CUDA kernel falls back to the CPU past 1024 threads per pair; ours does not.
    x = torch.randn(2, 1500, 2, dtype=torch.float64)
    y = torch.randn(2, 1200, 2, dtype=torch.float64)
    expected = soft_dtw(x, y, gamma=0.1)
    got = soft_dtw(x.cuda(), y.cuda(), gamma=0.1, engine="triton")
    torch.testing.assert_close(got.cpu(), expected, rtol=1e-9, atol=1e-6)


def test_values_only_dtw_and_cdist():
    # Pairs of several lengths, and more than one chunk of the distance matrix.
    x, y, x_lengths, y_lengths = ragged_batch(4, batch=5, n=11, m=6, padding=np.nan)
    x, y = x.detach(), y.detach()
    xd, yd = _on_device(x, y)
    torch.testing.assert_close(
        dtw(xd, yd, x_lengths=x_lengths, y_lengths=y_lengths, engine="triton").cpu(),
        dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths),
        rtol=1e-12,
        atol=1e-12,
    )
    expected = cdist_dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths)
    got = cdist_dtw(xd, yd, x_lengths=x_lengths, y_lengths=y_lengths, engine="triton")
    torch.testing.assert_close(got.cpu(), expected, rtol=1e-12, atol=1e-12)
