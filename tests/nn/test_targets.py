"""The loss's ideal sequences, built for a whole batch at once, are each case's profile."""

import numpy as np
import pytest
import torch

from sklearn_microts.nn._targets import class_profiles, ideal_sequences, relative_times


@pytest.mark.parametrize("kind", ["implicit", "explicit"])
@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_a_batch_is_each_case_profile_padded_with_zeros(kind, n_classes):
    rng = np.random.default_rng(n_classes)
    labels = rng.integers(0, n_classes, size=16)
    lengths = rng.integers(1, 40, size=16)
    lengths[:2] = [1, 2]  # a single step sits at the end of the profile
    got = ideal_sequences(torch.from_numpy(labels), torch.from_numpy(lengths), n_classes, kind, 45)
    assert got.dtype == torch.float64
    assert got.shape == (16, 45, n_classes)
    for case, (label, length) in enumerate(zip(labels, lengths, strict=True)):
        expected = class_profiles(relative_times(length), n_classes, kind)[label]
        np.testing.assert_array_equal(got[case, :length].numpy(), expected)
        assert (got[case, length:] == 0).all()
