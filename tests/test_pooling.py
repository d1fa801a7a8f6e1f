"""SequencePooler: per-case statistics in one vectorised pass."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_microts import SequencePooler

from .strategies import sessions


@given(
    X=sessions(max_length=50, max_features=8),
    statistics=st.permutations(["mean", "max", "min"]).map(tuple),
)
def test_matches_per_case_numpy(X, statistics):
    pooled = SequencePooler(statistics=statistics).fit(X).transform(X)
    reducers = {"mean": np.mean, "max": np.max, "min": np.min}
    expected = np.stack([np.concatenate([reducers[s](x, axis=0) for s in statistics]) for x in X])
    np.testing.assert_allclose(pooled, expected, rtol=1e-12, atol=1e-12)


def test_feature_names():
    names = SequencePooler().fit([np.ones((2, 2))]).get_feature_names_out().tolist()
    assert names == ["mean_x0", "mean_x1", "max_x0", "max_x1"]


@pytest.mark.parametrize("statistics", [(), ("median",), ("max", "max"), "mean"])
def test_bad_statistics(statistics):
    with pytest.raises(ValueError, match=r"statistics must be|'statistics' parameter .* must be"):
        SequencePooler(statistics=statistics).fit([np.ones((2, 2))])
