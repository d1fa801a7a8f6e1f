"""soft-DTW engines against Blondel's recursion written plainly, and against each other."""

import importlib.metadata

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from sklearn_microts.softdtw import (
    _cdist,
    _engines,
    cdist_dtw,
    cdist_soft_dtw,
    dtw,
    dtw_path,
    soft_dtw,
    soft_dtw_divergence,
    soft_dtw_from_cost,
)
from sklearn_microts.softdtw._engines import get_engine
from sklearn_microts.softdtw._validation import check_pair

from .batches import ragged_batch

ENGINES = ["numba", "torch"]


def reference_soft_dtw(x, y, gamma):
    """Cuturi & Blondel's recursion, one cell at a time, in float64 torch (autograd gives
    the reference gradient). gamma = 0 is DTW."""
    cost = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    n, m = cost.shape
    inf = torch.tensor(float("inf"), dtype=torch.float64)
    table = [[inf] * (m + 1) for _ in range(n + 1)]
    table[0][0] = torch.tensor(0.0, dtype=torch.float64)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            previous = torch.stack([table[i - 1][j - 1], table[i - 1][j], table[i][j - 1]])
            if gamma == 0:
                softmin = previous.min()
            else:
                softmin = -gamma * torch.logsumexp(-previous / gamma, dim=0)
            table[i][j] = cost[i - 1, j - 1] + softmin
    return table[n][m]


def _reference_values_and_grads(x, y, x_lengths, y_lengths, gamma):
    values, grads_x, grads_y = [], torch.zeros_like(x), torch.zeros_like(y)
    for b, (n, m) in enumerate(zip(x_lengths.tolist(), y_lengths.tolist(), strict=True)):
        xb = x[b, :n].detach().clone().requires_grad_(True)
        yb = y[b, :m].detach().clone().requires_grad_(True)
        value = reference_soft_dtw(xb, yb, gamma)
        value.backward()
        values.append(value.item())
        grads_x[b, :n], grads_y[b, :m] = xb.grad, yb.grad
    return torch.tensor(values, dtype=torch.float64), grads_x, grads_y


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("gamma", [1e-3, 0.1, 1.0, 10.0])
@pytest.mark.parametrize("padding", [np.nan, 1e6])
def test_values_and_gradients_match_the_plain_recursion(engine, gamma, padding):
    x, y, x_lengths, y_lengths = ragged_batch(seed=int(gamma * 1000), padding=padding)
    values = soft_dtw(x, y, gamma=gamma, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)
    grad_x, grad_y = torch.autograd.grad(values.sum(), (x, y))
    expected, expected_x, expected_y = _reference_values_and_grads(
        x, y, x_lengths, y_lengths, gamma
    )
    torch.testing.assert_close(values, expected, rtol=1e-9, atol=1e-12)
    # Padding got exactly zero gradient, real frames the reference's.
    torch.testing.assert_close(grad_x, expected_x, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(grad_y, expected_y, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_gradcheck(engine):
    x, y, x_lengths, y_lengths = ragged_batch(seed=1, padding=0.0)

    def function(x, y):
        return soft_dtw(x, y, gamma=0.3, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)

    assert torch.autograd.gradcheck(function, (x, y))


@pytest.mark.parametrize("engine", ENGINES)
def test_gradcheck_of_a_given_cost(engine):
    cost = torch.rand(3, 6, 4, dtype=torch.float64, requires_grad=True)
    lengths = (torch.tensor([6, 2, 1]), torch.tensor([4, 4, 3]))

    def function(cost):
        return soft_dtw_from_cost(
            cost, gamma=0.5, x_lengths=lengths[0], y_lengths=lengths[1], engine=engine
        )

    assert torch.autograd.gradcheck(function, (cost,))


def _differentiate_twice(function, leaf):
    """A second backward through the gradient of ``function(leaf)`` plus a term whose second
    derivative is not zero, as a gradient penalty would do."""
    loss = function(leaf).sum() + (leaf**2).sum()
    (grad,) = torch.autograd.grad(loss, leaf, create_graph=True)
    grad.sum().backward()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_second_derivative_is_refused_not_silently_wrong(engine):
    # The engines' gradients are not differentiable: a second backward must raise, not
    # return the second derivative of the other term alone.
    x, y, x_lengths, y_lengths = ragged_batch(seed=5, padding=0.0)
    refused = pytest.raises(RuntimeError, match="no second derivative")
    with refused:
        _differentiate_twice(
            lambda x: soft_dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine), x
        )
    cost = torch.rand(3, 6, 4, dtype=torch.float64, requires_grad=True)
    with refused:
        _differentiate_twice(lambda cost: soft_dtw_from_cost(cost, engine=engine), cost)


def test_an_input_changed_in_place_before_backward_is_caught():
    # The torch engine keeps the (unpadded float64) inputs themselves for the backward pass;
    # changed in place, they would give the gradient of other values. The numba engine
    # copies them to NumPy in the forward pass instead.
    x, y, _, _ = ragged_batch(seed=6, padding=0.0)
    values = soft_dtw(x, y, engine="torch")
    with torch.no_grad():
        x.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_given_cost_equals_the_built_in_squared_euclidean_one(engine):
    x, y, x_lengths, y_lengths = ragged_batch(seed=2, padding=0.0)
    cost = ((x[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1)
    outside = (torch.arange(cost.shape[1])[None, :, None] >= x_lengths[:, None, None]) | (
        torch.arange(cost.shape[2])[None, None, :] >= y_lengths[:, None, None]
    )
    cost = cost.masked_fill(outside, float("nan"))  # ignored past the lengths
    from_cost = soft_dtw_from_cost(
        cost, gamma=0.2, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine
    )
    built_in = soft_dtw(x, y, gamma=0.2, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)
    torch.testing.assert_close(from_cost, built_in, rtol=1e-10, atol=1e-10)


@given(
    batch=st.integers(1, 11),
    n=st.integers(1, 14),
    m=st.integers(1, 14),
    gamma=st.floats(1e-2, 10.0),
    seed=st.integers(0, 2**16),
)
def test_a_given_cost_agrees_with_the_sequences_for_any_shape(batch, n, m, gamma, seed):
    # The compiled engine has a kernel of each kind; both take the rows two at a time, and
    # an odd last row alone.
    x, y, x_lengths, y_lengths = ragged_batch(seed, batch, n, m, channels=2, padding=0.0)
    cost = ((x[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1)
    lengths = {"x_lengths": x_lengths, "y_lengths": y_lengths}
    from_cost = soft_dtw_from_cost(cost, gamma=gamma, engine="numba", **lengths)
    built_in = soft_dtw(x, y, gamma=gamma, engine="numba", **lengths)
    torch.testing.assert_close(from_cost, built_in, rtol=1e-10, atol=1e-10)
    through_cost = torch.autograd.grad(from_cost.sum(), (x, y))
    direct = torch.autograd.grad(built_in.sum(), (x, y))
    for a, b in zip(through_cost, direct, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@given(
    batch=st.integers(1, 11),
    n=st.integers(1, 14),
    m=st.integers(1, 14),
    channels=st.integers(1, 4),
    gamma=st.floats(1e-2, 10.0),
    seed=st.integers(0, 2**16),
)
def test_engines_agree(batch, n, m, channels, gamma, seed):
    x, y, x_lengths, y_lengths = ragged_batch(seed, batch, n, m, channels)
    results = []
    for engine in ENGINES:
        values = soft_dtw(
            x, y, gamma=gamma, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine
        )
        results.append((values, *torch.autograd.grad(values.sum(), (x, y))))
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_tends_to_dtw_as_gamma_goes_to_zero(engine):
    x, y, x_lengths, y_lengths = ragged_batch(seed=3, padding=0.0)
    hard = dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)
    expected = torch.stack(
        [
            reference_soft_dtw(x[b, :n], y[b, :m], 0)
            for b, (n, m) in enumerate(zip(x_lengths.tolist(), y_lengths.tolist(), strict=True))
        ]
    )
    torch.testing.assert_close(hard, expected.detach(), rtol=1e-12, atol=1e-12)
    # softmin lies within gamma * log(3) below min at each of at most n + m - 1 steps
    for gamma in (1e-1, 1e-2, 1e-3):
        soft = soft_dtw(x, y, gamma=gamma, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)
        bound = gamma * np.log(3) * (x_lengths + y_lengths - 1)
        assert ((hard - soft.detach()) <= bound + 1e-12).all()
        assert ((hard - soft.detach()) >= -1e-12).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence(engine):
    x, y, x_lengths, y_lengths = ragged_batch(seed=4, padding=np.nan)
    same = soft_dtw_divergence(
        x, x, gamma=0.5, x_lengths=x_lengths, y_lengths=x_lengths, engine=engine
    )
    torch.testing.assert_close(same, torch.zeros_like(same), rtol=0, atol=1e-10)
    different = soft_dtw_divergence(
        x, y, gamma=0.5, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine
    )
    assert (different > 0).all()


def test_broadcast_y_equals_repeated_y():
    x, _, x_lengths, _ = ragged_batch(seed=5, padding=0.0)
    target = torch.randn(4, 3, dtype=torch.float64)
    torch.testing.assert_close(
        soft_dtw(x, target, gamma=0.1, x_lengths=x_lengths),
        soft_dtw(x, target.expand(len(x), -1, -1), gamma=0.1, x_lengths=x_lengths),
    )


def test_longer_y_than_x_and_single_frames():
    x = torch.randn(2, 1, 2, dtype=torch.float64)
    y = torch.randn(2, 7, 2, dtype=torch.float64)
    values = soft_dtw(x, y, gamma=1.0)
    expected = [reference_soft_dtw(x[b], y[b], 1.0).item() for b in range(2)]
    torch.testing.assert_close(values, torch.tensor(expected, dtype=torch.float64))


@pytest.mark.parametrize("engine", ENGINES)
def test_float32_in_float32_out(engine):
    x, y, x_lengths, y_lengths = ragged_batch(seed=6, padding=0.0)
    x32 = x.detach().float().requires_grad_(True)
    values = soft_dtw(
        x32, y.float(), gamma=0.1, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine
    )
    assert values.dtype == torch.float32
    values.sum().backward()
    assert x32.grad.dtype == torch.float32
    expected = soft_dtw(x, y, gamma=0.1, x_lengths=x_lengths, y_lengths=y_lengths)
    torch.testing.assert_close(values.double(), expected, rtol=1e-5, atol=1e-5)


def test_dtw_path_is_an_optimal_alignment():
    x, y, x_lengths, y_lengths = ragged_batch(seed=7, padding=0.0)
    values = dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths)
    paths = dtw_path(x, y, x_lengths=x_lengths, y_lengths=y_lengths)
    for b, path in enumerate(paths):
        assert path[0].tolist() == [0, 0]
        assert path[-1].tolist() == [x_lengths[b] - 1, y_lengths[b] - 1]
        steps = np.diff(path, axis=0)
        assert ((steps >= 0) & (steps <= 1)).all()
        assert (steps.sum(1) >= 1).all()
        cost = ((x[b, path[:, 0]] - y[b, path[:, 1]]) ** 2).sum()
        torch.testing.assert_close(cost.detach(), values[b])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(2, 4, 3)), ValueError, "channels"),
        (lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(3, 4, 2)), ValueError, "number of"),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), x_lengths=[3, 4]),
            ValueError,
            r"within \[1, 3\]",
        ),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), y_lengths=[0, 4]),
            ValueError,
            r"within \[1, 4\]",
        ),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), x_lengths=[3]),
            ValueError,
            r"shape \(2,\)",
        ),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), x_lengths=[3.0, 2.0]),
            TypeError,
            "integers",
        ),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), gamma=0.0),
            ValueError,
            "'gamma' parameter",
        ),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), gamma=-1),
            ValueError,
            "'gamma' parameter",
        ),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), gamma=float("nan")),
            ValueError,
            "'gamma' parameter of soft_dtw",
        ),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2, dtype=torch.int64), torch.zeros(4, 2)),
            TypeError,
            "floating-point",
        ),
        (lambda: soft_dtw(np.zeros((2, 3, 2)), torch.zeros(4, 2)), TypeError, "torch.Tensor"),
        (lambda: soft_dtw(torch.zeros(3, 2), torch.zeros(4, 2)), ValueError, r"\(B, N, C\), got"),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4)),
            ValueError,
            r"y must have shape \(M, C\) or \(B, M, C\), got \(4,\)",
        ),
        (lambda: soft_dtw(torch.zeros(2, 0, 2), torch.zeros(4, 2)), ValueError, "empty"),
        (
            lambda: soft_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 2), engine="cuda"),
            ValueError,
            "'engine' parameter of soft_dtw",
        ),
        (lambda: soft_dtw_from_cost(torch.zeros(2, 3)), ValueError, r"\(B, N, M\), got"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.gpu
def test_cuda_matches_cpu():
    x, y, x_lengths, y_lengths = ragged_batch(seed=8, padding=np.nan)
    cpu = soft_dtw(x, y, gamma=0.1, x_lengths=x_lengths, y_lengths=y_lengths)
    x_cuda = x.detach().cuda().requires_grad_(True)
    gpu = soft_dtw(x_cuda, y.detach().cuda(), gamma=0.1, x_lengths=x_lengths, y_lengths=y_lengths)
    torch.testing.assert_close(gpu.cpu(), cpu.detach(), rtol=1e-9, atol=1e-9)
    gpu.sum().backward()
    (expected,) = torch.autograd.grad(cpu.sum(), (x,))
    torch.testing.assert_close(x_cuda.grad.cpu(), expected, rtol=1e-9, atol=1e-9)


@given(
    batch=st.integers(1, 150),
    n=st.integers(1, 12),
    m=st.integers(1, 12),
    channels=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_values_only_dtw_equals_the_table_path(batch, n, m, channels, seed):
    # Batches past 64 pairs span several tiles of the compiled values-only kernel.
    x, y, x_lengths, y_lengths = ragged_batch(seed, batch, n, m, channels)
    x, y = x.detach(), y.detach()
    pair = check_pair(x, y, x_lengths, y_lengths)
    expected, _ = get_engine("numba").dtw_table(pair.x, pair.y, x_lengths, y_lengths)
    for engine in ENGINES:
        values = dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)
        torch.testing.assert_close(values, expected, rtol=1e-12, atol=1e-12)


def _loop_over_pairs(function, x, y, x_lengths, y_lengths, **kwargs):
    """The distance matrix by one call of ``function`` per pair, on the real frames only."""
    rows = [
        [function(x[a : a + 1, :n], y[b, :m], **kwargs).item() for b, m in enumerate(y_lengths)]
        for a, n in enumerate(x_lengths)
    ]
    return torch.tensor(rows, dtype=torch.float64)


def _ragged_set(seed, size, longest, channels=2):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, longest + 1, size=size)
    lengths[0] = longest
    x = rng.normal(size=(size, longest, channels))
    x[np.arange(longest) >= lengths[:, None]] = np.nan  # padding is ignored
    return torch.tensor(x), torch.tensor(lengths)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("chunk_cells", [1, 300, 2**24])
def test_cdist_dtw_equals_a_loop_over_pairs(engine, chunk_cells, monkeypatch):
    # One chunk per pair, chunks of a few pairs of similar lengths, or a chunk per group.
    monkeypatch.setattr(_cdist, "MAX_CHUNK_CELLS", chunk_cells)
    x, x_lengths = _ragged_set(0, 7, 30)
    y, y_lengths = _ragged_set(1, 5, 12)
    got = cdist_dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)
    expected = _loop_over_pairs(dtw, x, y, x_lengths, y_lengths)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    symmetric = cdist_dtw(x, x_lengths=x_lengths, engine=engine)
    expected = _loop_over_pairs(dtw, x, x, x_lengths, x_lengths)
    torch.testing.assert_close(symmetric, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_cdist_soft_dtw_equals_a_loop_over_pairs(engine, monkeypatch):
    monkeypatch.setattr(_cdist, "MAX_CHUNK_CELLS", 300)
    x, x_lengths = _ragged_set(2, 6, 20)
    y, y_lengths = _ragged_set(3, 4, 9)
    got = cdist_soft_dtw(x, y, gamma=0.3, x_lengths=x_lengths, y_lengths=y_lengths, engine=engine)
    expected = _loop_over_pairs(soft_dtw, x, y, x_lengths, y_lengths, gamma=0.3)
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)
    symmetric = cdist_soft_dtw(x, gamma=0.3, x_lengths=x_lengths, engine=engine)
    expected = _loop_over_pairs(soft_dtw, x, x, x_lengths, x_lengths, gamma=0.3)
    torch.testing.assert_close(symmetric, expected, rtol=1e-10, atol=1e-10)


def test_cdist_keeps_the_dtype_and_needs_no_padding():
    x = torch.randn(3, 4, 2)
    got = cdist_dtw(x, x[:2])
    assert got.dtype == torch.float32
    assert got.shape == (3, 2)
    torch.testing.assert_close(got.double(), cdist_dtw(x.double(), x[:2].double()))


@given(
    x_lengths=st.lists(st.integers(1, 400), min_size=1, max_size=40),
    y_lengths=st.lists(st.integers(1, 400), min_size=1, max_size=40),
    max_cells=st.integers(1, 10**6),
)
def test_chunks_cover_every_pair_once_within_the_cell_budget(x_lengths, y_lengths, max_cells):
    rows, cols = np.divmod(np.arange(len(x_lengths) * len(y_lengths)), len(y_lengths))
    n, m = np.array(x_lengths)[rows], np.array(y_lengths)[cols]
    chunks = list(_cdist._chunks(n, m, max_cells))
    np.testing.assert_array_equal(np.sort(np.concatenate(chunks)), np.arange(len(rows)))
    for chunk in chunks:
        padded = len(chunk) * n[chunk].max() * m[chunk].max()
        assert padded <= max_cells or len(chunk) == 1
        # never padded far beyond its own pairs: within the bins' ratios of 2 and 2 ** 0.25
        assert n[chunk].max() < 2 * n[chunk].min()
        assert m[chunk].max() < 2**0.25 * m[chunk].min() + 1e-9


def test_one_long_case_pads_only_its_own_chunks():
    x = torch.zeros(30, 1500, 2, dtype=torch.float64)
    lengths = np.full(30, 10)
    lengths[0] = 1500
    seen = []

    def record(x, y, x_lengths, y_lengths):
        seen.append((x.shape[0], x.shape[1], y.shape[1]))
        return torch.zeros(x.shape[0], dtype=torch.float64)

    sets = _cdist._check_sets(x, None, lengths, None)
    _cdist._cdist(sets, record)
    padded_cells = sum(pairs * n * m for pairs, n, m in seen)
    assert padded_cells == 1500 * 1500 + 29 * 1500 * 10 + 29 * 30 // 2 * 10 * 10


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: cdist_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 3, 3)), ValueError, "channels"),
        (lambda: cdist_dtw(torch.zeros(2, 3, 2), y_lengths=[1, 2]), ValueError, "y is None"),
        (lambda: cdist_dtw(torch.zeros(3, 2)), ValueError, r"\(n_x, N, C\), got"),
        (
            lambda: cdist_dtw(torch.zeros(2, 3, 2), torch.zeros(3, 2)),
            ValueError,
            r"\(n_y, M, C\), got",
        ),
        (lambda: cdist_dtw(np.zeros((2, 3, 2))), TypeError, "torch.Tensor"),
        (
            lambda: cdist_dtw(torch.zeros(2, 3, 2), torch.zeros(4, 3, 2), y_lengths=[1, 2]),
            ValueError,
            r"shape \(4,\)",
        ),
        (lambda: cdist_dtw(torch.zeros(2, 3, 2), x_lengths=[0, 3]), ValueError, r"\[1, 3\]"),
        (lambda: cdist_soft_dtw(torch.zeros(2, 3, 2), gamma=0), ValueError, "'gamma' parameter"),
        (lambda: cdist_dtw(torch.zeros(2, 3, 2), engine="fast"), ValueError, "engine"),
    ],
)
def test_cdist_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_cdist_does_not_modify_its_input():
    x, x_lengths = _ragged_set(4, 5, 8)
    before = x.clone()
    cdist_dtw(x, x_lengths=x_lengths)
    torch.testing.assert_close(x, before, equal_nan=True)


@pytest.mark.gpu
def test_cdist_on_cuda_matches_cpu():
    x, x_lengths = _ragged_set(5, 40, 90)
    y, y_lengths = _ragged_set(6, 30, 60)
    expected = cdist_dtw(x, y, x_lengths=x_lengths, y_lengths=y_lengths)
    got = cdist_dtw(x.cuda(), y.cuda(), x_lengths=x_lengths, y_lengths=y_lengths)
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), expected, rtol=1e-12, atol=1e-12)
    expected = cdist_soft_dtw(x, y, gamma=0.1, x_lengths=x_lengths, y_lengths=y_lengths)
    got = cdist_soft_dtw(x.cuda(), y.cuda(), gamma=0.1, x_lengths=x_lengths, y_lengths=y_lengths)
    torch.testing.assert_close(got.cpu(), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("version", "expected"),
    [("3.6.0", True), ("3.10.1+git1234", True), ("3.5.1", False), ("2.3.0", False), (None, False)],
)
def test_auto_uses_triton_only_from_the_oldest_tested_version(version, expected, monkeypatch):
    def installed(name):
        if version is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return version

    monkeypatch.setattr(importlib.metadata, "version", installed)
    assert _engines.triton_available() is expected
