"""make_microscopy_sequences: shapes, determinism, and that it behaves like a session."""

import numpy as np
import pytest

from sklearn_microts.datasets import make_microscopy_sequences, make_periodic_sequences
from sklearn_microts.utils._onset import SIGNAL_ONSET


def test_shapes_lengths_and_labels():
    X, y = make_microscopy_sequences(
        n_cases=60, n_features=7, n_classes=3, min_length=4, max_length=9, random_state=0
    )
    assert len(X) == len(y) == 60
    assert all(x.shape[1] == 7 and 4 <= len(x) <= 9 for x in X)
    assert all(x.dtype == np.float64 for x in X)
    np.testing.assert_array_equal(np.bincount(y), [20, 20, 20])


def test_deterministic_under_random_state():
    a = make_microscopy_sequences(n_cases=5, random_state=7)
    b = make_microscopy_sequences(n_cases=5, random_state=7)
    c = make_microscopy_sequences(n_cases=5, random_state=8)
    for xa, xb in zip(a[0], b[0], strict=True):
        np.testing.assert_array_equal(xa, xb)
    assert any(
        len(xa) != len(xc) or not np.array_equal(xa, xc) for xa, xc in zip(a[0], c[0], strict=True)
    )


def test_every_case_carries_signal_late_in_the_session():
    _, _, signal = make_microscopy_sequences(
        n_cases=400,
        min_length=30,
        max_length=60,
        jump_probability=0.3,  # a case of a single region (all signal) has odds < 1e-4
        return_frame_signal=True,
        random_state=0,
    )
    assert all(s.any() for s in signal)
    onsets = np.array([np.argmax(s) / (len(s) - 1) for s in signal])
    # The first region opens at t = 0, where the Beta(3, 20) CDF is 0: never diagnostic.
    assert onsets.min() > 0
    assert np.median(onsets) > SIGNAL_ONSET.mean()


def test_near_duplicates_and_jumps():
    X, _ = make_microscopy_sequences(
        n_cases=50, n_features=16, noise=0.3, duplicate_noise=0.01, random_state=0
    )
    steps = np.concatenate([np.sum(np.diff(x, axis=0) ** 2, axis=1) for x in X])
    duplicate_scale = 2 * 16 * 0.01**2  # squared distance between two near-duplicates
    jump_scale = 2 * 16  # between two independent regions
    assert np.mean(steps < 10 * duplicate_scale) > 0.15
    assert np.mean(steps > jump_scale / 2) > 0.05


def test_class_signal_is_in_the_diagnostic_frames_only():
    X, y, signal = make_microscopy_sequences(
        n_cases=300, n_features=8, class_sep=3.0, return_frame_signal=True, random_state=1
    )
    frames = np.concatenate(X)
    labels = np.repeat(y, [len(x) for x in X])
    is_signal = np.concatenate(signal)
    gap = [
        np.linalg.norm(frames[mask & (labels == 0)].mean(0) - frames[mask & (labels == 1)].mean(0))
        for mask in (is_signal, ~is_signal)
    ]
    assert gap[0] > 2 * gap[1]


def test_weights():
    _, y = make_microscopy_sequences(n_cases=400, weights=[0.9, 0.1], random_state=0)
    assert 0.8 < np.mean(y == 0) < 0.97


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_cases": 0}, "'n_cases' parameter .* range \\[1, inf\\). Got 0"),
        ({"n_classes": 1}, "'n_classes' parameter .* range \\[2, inf\\). Got 1"),
        (
            {"min_length": 5, "max_length": 4},
            r"max_length must be at least min_length \(5\), got 4",
        ),
        ({"jump_probability": 1.5}, "'jump_probability' parameter .* Got 1.5"),
        ({"jump_probability": 0.6, "duplicate_probability": 0.6}, "must not exceed 1"),
        ({"noise": np.nan}, "'noise' parameter .* Got nan"),
        ({"weights": [1.0]}, "weights must be 2 non-negative"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        make_microscopy_sequences(**params)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_classes": 1}, "'n_classes' parameter of make_periodic_sequences"),
        ({"max_period": 5}, r"max_period must be at least min_period \(10\)"),
        ({"min_length": 50, "max_length": 40}, "max_length must be at least min_length"),
        ({"noise": np.inf}, "'noise' parameter of make_periodic_sequences"),
        ({"n_harmonics": True}, "'n_harmonics' parameter of make_periodic_sequences"),
    ],
)
def test_bad_periodic_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        make_periodic_sequences(**params)
