"""Padding and conversions to and from sktime, tslearn and long tables."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_microts.utils import (
    check_sequences,
    from_long_dataframe,
    from_sktime,
    from_tslearn,
    pad_sequences,
    to_sktime,
    to_tslearn,
)


def _cases(lengths, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n, n_features)) for n in lengths]


def _assert_same_cases(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, e)


@given(
    lengths=st.lists(st.integers(1, 30), min_size=1, max_size=12),
    n_features=st.integers(1, 5),
    length=st.none() | st.integers(1, 40),
)
def test_pad_sequences_places_and_truncates(lengths, n_features, length):
    X = _cases(lengths, n_features)
    padded, kept = pad_sequences(X, length=length, fill_value=-7.0)
    width = max(lengths) if length is None else length
    assert padded.shape == (len(X), width, n_features)
    np.testing.assert_array_equal(kept, np.minimum(lengths, width))
    for i, x in enumerate(X):
        np.testing.assert_array_equal(padded[i, : kept[i]], x[: kept[i]])
        assert (padded[i, kept[i] :] == -7.0).all()


@given(lengths=st.lists(st.integers(1, 30), min_size=1, max_size=12))
def test_nan_padding_round_trips(lengths):
    X = _cases(lengths)
    _assert_same_cases(check_sequences(pad_sequences(X)[0]), X)
    _assert_same_cases(from_tslearn(to_tslearn(X)), X)


@pytest.mark.parametrize("length", [0, -1, 2.5, True])
def test_pad_sequences_rejects_bad_length(length):
    with pytest.raises(ValueError, match="'length' parameter of pad_sequences must be an int"):
        pad_sequences(_cases([2]), length=length)


def test_to_sktime_rejects_an_unknown_mtype():
    # Refused before sktime is imported: the message lists the mtypes we convert to.
    with pytest.raises(ValueError, match="'mtype' parameter of to_sktime must be a str among"):
        to_sktime(_cases([2]), mtype="numpy2D")


def test_from_tslearn_needs_3d():
    with pytest.raises(ValueError, match="3-D"):
        from_tslearn(np.ones((2, 3)))


@pytest.mark.parametrize("mtype", ["df-list", "nested_univ", "pd-multiindex"])
def test_sktime_round_trip_unequal_lengths(mtype):
    X = _cases([5, 2, 9])
    converted = to_sktime(X, mtype=mtype)
    _assert_same_cases(from_sktime(converted), X)


def test_sktime_numpy3d_has_time_last():
    X = _cases([4, 4])
    as_numpy3d = to_sktime(X, mtype="numpy3D")
    assert as_numpy3d.shape == (2, 3, 4)
    np.testing.assert_allclose(as_numpy3d[1].T, X[1])
    _assert_same_cases(from_sktime(as_numpy3d), X)


def test_sktime_numpy3d_needs_equal_lengths():
    with pytest.raises(ValueError, match="equal length"):
        to_sktime(_cases([4, 5]), mtype="numpy3D")


def test_from_sktime_rejects_non_panel():
    with pytest.raises(ValueError, match="not a valid sktime Panel"):
        from_sktime("not a panel")


def test_sktime_loader_data():
    from sktime.datasets import load_japanese_vowels

    X_df, y = load_japanese_vowels(split="train", return_type="df-list")
    X = from_sktime(X_df)
    assert len(X) == len(y) == 270
    assert {x.shape[1] for x in X} == {12}
    assert min(len(x) for x in X) < max(len(x) for x in X)


@pytest.fixture
def long_table():
    return pd.DataFrame(
        {
            "slide": ["b", "a", "b", "a", "a"],
            "t": [2, 3, 1, 1, 2],
            "label": ["benign", "tumour", "benign", "tumour", "tumour"],
            "f0": [0.5, 3.0, 0.4, 1.0, 2.0],
            "f1": [5.0, 30.0, 4.0, 10.0, 20.0],
        }
    )


def test_from_long_dataframe(long_table):
    original = long_table.copy()
    X, y, ids = from_long_dataframe(long_table, "slide", "t", "label")
    assert ids.tolist() == ["a", "b"]
    assert y.tolist() == ["tumour", "benign"]
    np.testing.assert_array_equal(X[0], [[1, 10], [2, 20], [3, 30]])
    np.testing.assert_array_equal(X[1], [[0.4, 4], [0.5, 5]])
    pd.testing.assert_frame_equal(long_table, original)


def test_from_long_dataframe_without_labels_and_chosen_features(long_table):
    X, y, _ = from_long_dataframe(long_table, "slide", "t", feature_cols=["f1"])
    assert y is None
    assert X[0].shape == (3, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.assign(label=["x", "y", "x", "x", "x"]), "more than one 'label'"),
        (lambda df: df.assign(t=[2, 3, 1, 3, 2]), "ambiguous"),
        (lambda df: df.assign(note="text"), "not numeric"),
        (lambda df: df.drop(columns="t"), "not found"),
        (lambda df: df.iloc[:0], "no rows"),
        (lambda df: df.assign(f0=np.nan), "contains NaN"),
        (lambda df: df[["slide", "t", "label"]], "no feature columns"),
    ],
)
def test_from_long_dataframe_errors(long_table, change, message):
    with pytest.raises(ValueError, match=message):
        from_long_dataframe(change(long_table), "slide", "t", "label")


@pytest.mark.parametrize(
    "table", [lambda df: df.to_dict(orient="list"), lambda df: df.to_numpy(), lambda df: df.t]
)
def test_from_long_dataframe_needs_a_dataframe(long_table, table):
    with pytest.raises(TypeError, match="'df' parameter of from_long_dataframe must be a pandas"):
        from_long_dataframe(table(long_table), "slide", "t", "label")


class _Table(pd.DataFrame):
    """A DataFrame subclass, as pandas extensions make them."""


def test_from_long_dataframe_takes_a_dataframe_subclass(long_table):
    X, _, _ = from_long_dataframe(_Table(long_table), "slide", "t", "label")
    assert len(X) == 2
