"""SequencePooler: per-case statistics in one vectorised pass."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_microts import SequencePooler

from ..strategies import sessions

REDUCERS = {
    "mean": lambda x: np.mean(x, axis=0),
    "std": lambda x: np.std(x, axis=0),
    "max": lambda x: np.max(x, axis=0),
    "min": lambda x: np.min(x, axis=0),
    "q25": lambda x: np.quantile(x, 0.25, axis=0),
    "median": lambda x: np.median(x, axis=0),
    "q75": lambda x: np.quantile(x, 0.75, axis=0),
    "length": lambda x: [len(x)],
}


@given(
    X=sessions(max_length=50, max_features=8),
    statistics=st.permutations(list(REDUCERS)).flatmap(
        lambda names: st.integers(1, len(names)).map(lambda k: tuple(names[:k]))
    ),
)
def test_matches_per_case_numpy(X, statistics):
    pooled = SequencePooler(statistics=statistics).fit(X).transform(X)
    expected = np.stack([np.concatenate([REDUCERS[s](x) for s in statistics]) for x in X])
    np.testing.assert_allclose(pooled, expected, rtol=1e-9, atol=1e-9)


def test_feature_names():
    names = SequencePooler().fit([np.ones((2, 2))]).get_feature_names_out().tolist()
    assert names == ["mean_x0", "mean_x1", "max_x0", "max_x1"]
    names = SequencePooler(statistics=("length", "std")).fit([np.ones((2, 2))])
    assert names.get_feature_names_out().tolist() == ["length", "std_x0", "std_x1"]


@pytest.mark.parametrize("statistics", [(), ("mode",), ("max", "max"), "mean"])
def test_bad_statistics(statistics):
    with pytest.raises(ValueError, match=r"statistics must be|'statistics' parameter .* must be"):
        SequencePooler(statistics=statistics).fit([np.ones((2, 2))])


def test_statistics_of_float32_frames_near_their_largest_value_are_finite():
    """Found by the fuzz test: a float32 sum of two 3.4e38 frames overflows."""
    case = np.array([[3.4e38], [3.4e38], [-3.4e38]], dtype=np.float32)
    pooled = SequencePooler(statistics=("mean", "std", "max")).fit_transform([case])
    assert pooled.dtype == np.float32
    assert np.isfinite(pooled).all()
    np.testing.assert_allclose(pooled[0, 0], 3.4e38 / 3, rtol=1e-6)
