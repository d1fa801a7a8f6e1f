"""The sequence data model: accepted formats, errors, and never touching the caller's data."""

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_array

from sklearn_microts import DedupTransformer, SequencePooler, WaveletTransformer
from sklearn_microts.baselines import ABMILClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.utils import check_sequences
from sklearn_microts.utils._validation import FLOAT32_MAX, check_frames


@pytest.fixture
def cases():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(n, 3)) for n in (4, 1, 7)]


def _assert_same_cases(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert a.ndim == 2
        np.testing.assert_array_equal(a, e)


def test_list_is_returned_as_new_arrays(cases):
    originals = [c.copy() for c in cases]
    out = check_sequences(cases)
    _assert_same_cases(out, cases)
    for o in out:
        o[:] = -1.0
    _assert_same_cases(cases, originals)


def test_object_array_and_tuple(cases):
    as_object = np.empty(len(cases), dtype=object)
    as_object[:] = cases
    _assert_same_cases(check_sequences(as_object), cases)
    _assert_same_cases(check_sequences(tuple(cases)), cases)


def test_nan_padded_3d_array(cases):
    padded = np.full((3, 7, 3), np.nan)
    for i, c in enumerate(cases):
        padded[i, : len(c)] = c
    _assert_same_cases(check_sequences(padded), cases)


def test_2d_array_is_cases_of_one_frame():
    X = np.arange(6.0).reshape(3, 2)
    for variant in (X, X.tolist(), pd.DataFrame(X, columns=["a", "b"])):
        out = check_sequences(variant)
        _assert_same_cases(out, [X[i : i + 1] for i in range(3)])


def test_list_of_frame_lists_per_case():
    out = check_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    assert [o.shape for o in out] == [(2, 2), (1, 2)]
    assert out[0].dtype == np.float64


def test_dtypes():
    assert check_sequences([np.ones((2, 2), np.float32)])[0].dtype == np.float32
    assert check_sequences([np.ones((2, 2), np.int64)])[0].dtype == np.float64
    mixed = check_sequences([np.ones((2, 2), np.float32), np.ones((1, 2))])
    assert {m.dtype for m in mixed} == {np.dtype(np.float64)}
    assert check_sequences([np.ones((2, 2), np.float32)], dtype=np.float64)[0].dtype == np.float64


def test_ragged_layout(cases):
    frames, lengths = check_frames(cases)
    assert frames.shape == (12, 3)
    np.testing.assert_array_equal(lengths, [4, 1, 7])


def test_padding_only_at_the_end_of_a_case():
    padded = np.zeros((2, 3, 2))
    padded[0, 1] = np.nan  # a NaN frame followed by a real one is not padding
    with pytest.raises(ValueError, match="case 0 contains NaN"):
        check_sequences(padded)


def test_infinity_inside_a_padded_array_is_an_error():
    padded = np.full((2, 3, 2), np.nan)
    padded[:, 0] = 1.0
    padded[1, 1] = [np.inf, np.nan]
    with pytest.raises(ValueError, match="case 1 contains NaN or infinity"):
        check_sequences(padded)


def test_values_up_to_the_float32_range_pass():
    # Thousands of values near the limit: a float32 sum of them would overflow.
    edge = np.full((3000, 2), FLOAT32_MAX)
    edge[::2] *= -1
    np.testing.assert_array_equal(check_sequences([edge])[0], edge)
    np.testing.assert_array_equal(check_sequences([edge.astype(np.float32)])[0], edge)


@pytest.mark.parametrize("value", [1e39, -1e39, 1e308, np.nextafter(FLOAT32_MAX, np.inf)])
@pytest.mark.parametrize("layout", ["list", "padded", "one_frame"])
def test_values_beyond_float32_are_refused_naming_the_case(value, layout):
    cases = [np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3))]
    cases[1][1, 2] = value
    X = {
        "list": cases,
        "padded": np.stack(cases),
        "one_frame": np.concatenate([cases[0][:1], cases[1][1:], cases[2][:1]]),
    }[layout]
    with pytest.raises(ValueError, match=r"case 1 holds \S+, beyond the float32 range"):
        check_sequences(X)


def test_nan_allowed_when_asked():
    out = check_sequences([np.array([[np.nan, 1.0]])], ensure_all_finite=False)
    assert np.isnan(out[0][0, 0])


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        ([], ValueError, "contains no cases"),
        (np.empty((0, 3)), ValueError, "contains no cases"),
        (np.empty((0, 3, 2)), ValueError, "contains no cases"),
        ([np.ones((2, 3)), np.empty((0, 3))], ValueError, "case 1 has no frames"),
        ([np.ones((2, 3)), np.ones((2, 4))], ValueError, "case 0 has 3, case 1 has 4"),
        ([np.ones((2, 3)), np.full((1, 3), np.nan)], ValueError, "case 1 contains NaN"),
        ([np.ones((2, 3)), np.full((1, 3), -np.inf)], ValueError, "case 1 contains NaN"),
        ([np.ones((2, 3)), np.ones(3)], ValueError, "case 1 must be a 2-D array"),
        ([np.ones((2, 3)), np.ones((1, 2, 3))], ValueError, "case 1 must be a 2-D array"),
        (np.ones((2, 2, 2, 2)), ValueError, "4 dimension"),
        (np.ones(4), ValueError, "Reshape your data"),
        ([np.array([["a", "b"]])], ValueError, "must hold numbers"),
        (np.array([["a", "b"]]), ValueError, "must hold numbers"),
        ([np.ones((2, 2)) * 1j], ValueError, "Complex data not supported"),
        ([np.ones((2, 0))], ValueError, "0 feature"),
        (np.full((2, 3, 2), np.nan), ValueError, "case 0 has no frames"),
        (np.empty((2, 0, 3)), ValueError, "case 0 has no frames"),
        ([[1.0, 2.0], [3.0]], ValueError, "1-D rows of different sizes"),
        ([[[1.0, 2.0], [3.0]], [[1.0, 2.0]]], ValueError, "case 0 is not a rectangular"),
        ([[[1.0, 2.0]], [[1.0, 2.0], [3.0]]], ValueError, "case 1 is not a rectangular"),
        ("abc", TypeError, "got str"),
        (None, TypeError, "got NoneType"),
        (csr_array(np.ones((2, 2))), TypeError, "Sparse data"),
    ],
)
def test_bad_input(X, error, message):
    with pytest.raises(error, match=message):
        check_sequences(X)


def test_object_that_is_not_a_number():
    X = np.ones((2, 2)).astype(object)
    X[0, 0] = {"a": 1}
    with pytest.raises(TypeError, match=r"argument must be a string.* number"):
        check_sequences(X)


@pytest.mark.parametrize("value", [np.nan, np.inf, -1.0, "x", True])
def test_a_finite_non_negative_parameter_refuses_nan_infinity_negatives_and_non_numbers(value):
    with pytest.raises((ValueError, TypeError), match="'noise' parameter of make_microscopy"):
        make_microscopy_sequences(noise=value)


# -- feature names of cases given as DataFrames --------------------------------------------

COLUMNS = ["area", "perimeter", "intensity", "texture"]


@pytest.fixture
def frames():
    X, _ = make_microscopy_sequences(n_cases=6, n_features=4, random_state=0)
    return [pd.DataFrame(x, columns=COLUMNS) for x in X]


def test_cases_as_dataframes_record_their_feature_names(frames):
    wavelet = WaveletTransformer(output="stable").fit(frames)
    np.testing.assert_array_equal(wavelet.feature_names_in_, COLUMNS)
    assert wavelet.get_feature_names_out().tolist() == [f"stable_{c}" for c in COLUMNS]
    # Arrays after it are none: the names go, as scikit-learn does on a new fit.
    assert not hasattr(wavelet.fit([case.to_numpy() for case in frames]), "feature_names_in_")


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["perimeter", "area", "intensity", "texture"], "must be in the same order"),
        (["area", "perimeter", "intensity"], "seen at fit time, yet now missing:\n- texture"),
        (["area", "perimeter", "intensity", "texture", "area2"], "unseen at fit time:\n- area2"),
    ],
)
def test_cases_of_other_columns_are_refused_naming_them(frames, columns, message):
    estimator = DedupTransformer().fit(frames)
    later = [case.assign(area2=case["area"])[columns] for case in frames]
    with pytest.raises(ValueError, match=message):
        estimator.transform(later)


def test_a_classifier_refuses_cases_of_reordered_columns(frames):
    y = [0, 1] * 3
    clf = ABMILClassifier(embed_dim=4, attention_dim=4, max_epochs=1, random_state=0)
    clf.fit(frames, y)
    np.testing.assert_array_equal(clf.feature_names_in_, COLUMNS)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        clf.predict([case[COLUMNS[::-1]] for case in frames])


def test_arrays_after_dataframes_warn_as_scikit_learn_does(frames):
    pooler = SequencePooler().fit(frames)
    with pytest.warns(UserWarning, match="X does not have valid feature names, but"):
        pooler.transform([case.to_numpy() for case in frames])


@pytest.mark.parametrize(
    ("case_1", "message"),
    [
        (
            lambda case: case.rename(columns={"texture": "contrast"}),
            "columns of X case 1 should match those of case 0.*\nColumns unseen in case 0:\n"
            "- contrast\nColumns of case 0, yet missing here:\n- texture",
        ),
        (lambda case: case[COLUMNS[::-1]], "(?s)case 1 .*same order as in case 0"),
        (lambda case: case.to_numpy(), "X case 0 is a DataFrame but case 1 is not"),
    ],
)
def test_cases_of_one_dataset_hold_the_same_columns(frames, case_1, message):
    X = [frames[0], case_1(frames[1]), *frames[2:]]
    with pytest.raises(ValueError, match=message):
        SequencePooler().fit(X)


# -- class weights --------------------------------------------------------------------------

TINY_ABMIL = {"embed_dim": 4, "attention_dim": 4, "max_epochs": 2, "random_state": 0}


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf, 1e39, "heavy", True])
def test_class_weights_the_loss_cannot_take_are_refused_naming_the_class(weight):
    X, y = make_microscopy_sequences(n_cases=10, n_features=4, random_state=0)
    clf = ABMILClassifier(class_weight={0: weight, 1: 1.0}, **TINY_ABMIL)
    with pytest.raises(ValueError, match=r"class_weight\[0\] is .*: a class weight must be"):
        clf.fit(X, y)


def test_a_class_of_weight_zero_is_left_out_of_the_loss():
    # One case a batch: a batch of the class of weight 0 alone was 0 / 0, a NaN loss.
    X, y = make_microscopy_sequences(n_cases=10, n_features=4, random_state=0)
    clf = ABMILClassifier(class_weight={0: 0.0}, batch_size=1, **TINY_ABMIL).fit(X, y)
    assert np.isfinite(clf.history_[:, "train_loss"]).all()
    with pytest.raises(ValueError, match="gives every class of y weight 0"):
        clf.set_params(class_weight={0: 0, 1: 0.0}).fit(X, y)
