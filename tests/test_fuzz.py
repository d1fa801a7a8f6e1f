"""Fuzzing the public API with hostile input: it works, or fails with one of our clear errors.

"Our clear error" is a ``ValueError`` or ``TypeError`` raised by a line of sklearn-microts, or
by scikit-learn's own parameter and feature checks, which we call on purpose; a raw numpy,
torch or Python error from deep inside, a silent NaN, or another exception type fails.
"""

import math
import traceback
import warnings
from inspect import signature
from pathlib import Path

import numpy as np
import pytest
import sklearn
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import clone

import sklearn_microts
from sklearn_microts import DedupTransformer, MicroTSClassifier, SequencePooler, WaveletTransformer
from sklearn_microts.baselines import LSTMClassifier, TransformerClassifier
from sklearn_microts.classifiers._base import LARGEST_LEARNING_RATE
from sklearn_microts.datasets import make_microscopy_sequences, parse_breakhis_name
from sklearn_microts.metrics import case_scores
from sklearn_microts.softdtw import (
    cdist_dtw,
    cdist_soft_dtw,
    dtw,
    dtw_path,
    soft_dtw,
    soft_dtw_divergence,
)
from sklearn_microts.utils import (
    check_sequences,
    from_sktime,
    from_tslearn,
    pad_sequences,
    to_tslearn,
)

OUR_CODE = (Path(sklearn_microts.__file__).parent, Path(sklearn.__file__).parent / "utils")

X_GOOD, Y_GOOD = make_microscopy_sequences(n_cases=12, n_features=3, max_length=6, random_state=0)

# Numbers a hostile caller may send: the edges of float32 and float64, NaN and infinities.
HOSTILE_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 3.4e38, 3.5e38, 1e20, -1e30, 5e-324]),
    st.integers(-(2**70), 2**70),
    st.booleans(),
)
DTYPES = st.sampled_from(
    ["float64", "float32", "float16", "int64", "uint8", "bool", "complex128", "<U3", "object"]
)


@st.composite
def arrays(draw, min_dims=0, max_dims=4):
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=4))
    if dtype in ("<U3", "object"):
        elements = st.one_of(st.text(max_size=3), HOSTILE_NUMBERS, st.none())
        values = draw(st.lists(elements, min_size=math.prod(shape), max_size=math.prod(shape)))
        array = np.empty(shape, dtype=object)
        array.reshape(-1)[:] = values
        return array.astype(dtype) if dtype == "<U3" else array
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # casting hostile numbers to small dtypes
        return draw(hnp.arrays(dtype, shape, elements=HOSTILE_NUMBERS.filter(_fits(dtype))))


def _fits(dtype):
    """Whether a number can be stored in ``dtype`` at all (hypothesis refuses otherwise)."""

    def fits(value):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                stored = np.array(value).astype(dtype)
            except (OverflowError, ValueError, TypeError):
                return False
        kind = np.dtype(dtype).kind
        if kind in "iu":
            return not isinstance(value, float) and stored == value
        if kind == "b":
            return isinstance(value, bool)
        return isinstance(value, bool | int | float) and (
            not math.isfinite(value) or math.isfinite(float(stored.real))
        )

    return fits


NESTED = st.recursive(
    st.one_of(HOSTILE_NUMBERS, st.none(), st.text(max_size=2)),
    lambda children: st.lists(children, max_size=4),
    max_leaves=20,
)
HOSTILE_X = st.one_of(
    arrays(),
    st.lists(arrays(min_dims=1), max_size=4),
    st.lists(st.sampled_from(X_GOOD) | arrays(min_dims=2, max_dims=2), min_size=1, max_size=4),
    NESTED,
    st.sampled_from([None, "abc", {"a": 1}, 3.0, object()]),
    # Plausible cases at magnitudes that fit float32 but overflow inside the networks.
    st.sampled_from([1e20, 1e30, 1e36, -3e38]).map(lambda scale: [x * scale for x in X_GOOD]),
)


def _assert_works_or_fails_clearly(call, *args):
    """Run ``call``; an exception must be a ValueError or TypeError raised by our code."""
    error = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # warnings are no errors: only raising counts
            return call(*args)
    except (ValueError, TypeError) as caught:
        error = caught
    raised_in = Path(traceback.extract_tb(error.__traceback__)[-1].filename)
    assert any(raised_in.is_relative_to(root) for root in OUR_CODE), (
        f"{type(error).__name__} raised in {raised_in}, not by a check of ours: {error}"
    )
    return None


def _assert_finite(result):
    arrays = result if isinstance(result, list) else [result]
    for array in arrays:
        assert np.isfinite(np.asarray(array, dtype=np.float64)).all()


@given(X=HOSTILE_X)
def test_validation_and_converters(X):
    for function in (check_sequences, pad_sequences, to_tslearn):
        _assert_works_or_fails_clearly(function, X)
    cases = _assert_works_or_fails_clearly(check_sequences, X)
    if cases is not None:
        _assert_finite(cases)


@pytest.mark.parametrize(
    "transformer", [DedupTransformer(), WaveletTransformer(), SequencePooler()], ids=type
)
@given(X=HOSTILE_X)
def test_transformers_fit_and_transform(transformer, X):
    out = _assert_works_or_fails_clearly(clone(transformer).fit_transform, X)
    if out is not None:
        _assert_finite(out if isinstance(out, list) else [out])
    fitted = clone(transformer).fit(X_GOOD)
    _assert_works_or_fails_clearly(fitted.transform, X)


@pytest.mark.parametrize("method", ["dwt", "swt"])
def test_wavelet_at_the_float32_limit(method):
    # Haar's sums overflow float32 inside pywt; the split itself fits: redone in float64.
    X = [np.array([[0.0], [0.0], [3.4e38]], dtype=np.float32)]
    stable, rapid = WaveletTransformer(method=method).fit_transform(X)[0].T
    np.testing.assert_allclose(stable + rapid, X[0][:, 0], rtol=1e-6)
    _assert_finite([stable, rapid])


def test_wavelet_split_beyond_float32():
    # db2 overshoots: this case's stable part lies beyond float32, whatever the precision.
    X = [np.array([[0.0], [0.0], [0.0], [3.4e38], [3.4e38], [0.0]], dtype=np.float32)]
    with pytest.raises(ValueError, match="wavelet split of X case 0 overflows float32"):
        WaveletTransformer(wavelet="db2").fit_transform(X)
    # The classifier computes in float32 whatever the input's precision.
    classifier = MicroTSClassifier(wavelet="db2", standardize=False, max_epochs=1)
    with pytest.raises(ValueError, match="wavelet split of X case 0 overflows float32"):
        classifier.fit([X[0].astype(np.float64)] * 4, [0, 1, 0, 1])


ODD_VALUES = [None, -1, 0, 1, 2, 0.5, -0.5, "abc", "", [], [1], True, False]
PARAMETER_VALUES = st.one_of(
    st.sampled_from([*ODD_VALUES, 1e300]), st.floats(allow_nan=True, allow_infinity=True)
)


@pytest.mark.parametrize(
    "transformer", [DedupTransformer(), WaveletTransformer(), SequencePooler()], ids=type
)
@given(data=st.data())
def test_transformer_parameters(transformer, data):
    name = data.draw(st.sampled_from(sorted(transformer.get_params())))
    estimator = clone(transformer).set_params(**{name: data.draw(PARAMETER_VALUES)})
    out = _assert_works_or_fails_clearly(estimator.fit_transform, X_GOOD)
    if out is not None:
        _assert_finite(out)


# Tiny networks and one or two epochs: the fuzz is about the boundaries, not the learning.
CLASSIFIERS = [
    MicroTSClassifier(d_model=8, n_heads=2, mlp_dim=8, target_length=4, max_epochs=1),
    LSTMClassifier(hidden_size=4, max_epochs=1),
    TransformerClassifier(d_model=4, n_heads=2, dim_feedforward=4, max_epochs=1),
]


@pytest.fixture(scope="module")
def fitted():
    """Each of ``CLASSIFIERS`` fitted, by its class: trained once, when a test first needs
    it (not at import, which every run that collects this file would pay for)."""
    return {type(c): clone(c).set_params(random_state=0).fit(X_GOOD, Y_GOOD) for c in CLASSIFIERS}


@pytest.mark.parametrize("classifier", CLASSIFIERS, ids=type)
@given(X=HOSTILE_X)
@settings(max_examples=40)
def test_classifier_predictions(fitted, classifier, X):
    proba = _assert_works_or_fails_clearly(fitted[type(classifier)].predict_proba, X)
    if proba is not None:
        _assert_finite(proba)


# Labels of one type each: a mix such as ["a", None] fails inside numpy's sort, here as in
# every scikit-learn classifier (see the xfail test below).
LABELS = [Y_GOOD, Y_GOOD[:3], ["a", "b"] * 6, [0] * 12, [0.5, 1.5] * 6, [[0, 1]] * 12]


@pytest.mark.parametrize("classifier", CLASSIFIERS, ids=type)
@given(X=HOSTILE_X, y=st.sampled_from(LABELS))
@settings(max_examples=25)
def test_classifier_fit_on_hostile_data(classifier, X, y):
    fitted = _assert_works_or_fails_clearly(clone(classifier).fit, X, y)
    if fitted is not None:
        _assert_finite(fitted.predict_proba(X))


@pytest.mark.parametrize(
    "y",
    [["a", None] * 6, np.array(["a", 1] * 6, dtype=object), [None] * 12],
    ids=["str-None", "str-int", "None"],
)
def test_labels_neither_all_numbers_nor_all_strings(y):
    # numpy cannot sort them: its TypeError inside scikit-learn named no label.
    with pytest.raises(TypeError, match="y holds labels of kinds"):
        clone(CLASSIFIERS[1]).fit(X_GOOD, y)


def test_labels_of_one_kind_in_an_object_array():
    labels = np.array([np.str_("a"), "b", "a"] * 4, dtype=object)
    assert clone(CLASSIFIERS[1]).fit(X_GOOD, labels).classes_.tolist() == ["a", "b"]


@pytest.mark.parametrize("classifier", CLASSIFIERS, ids=type)
@given(data=st.data())
@settings(max_examples=30)
def test_classifier_parameters(classifier, data):
    # random_state goes to scikit-learn's check_random_state, whose errors numpy words.
    names = sorted(set(classifier.get_params()) - {"device", "verbose", "random_state"})
    name = data.draw(st.sampled_from(names))
    value = data.draw(PARAMETER_VALUES)
    if name == "max_epochs" and isinstance(value, int) and value > 2:
        value = 2  # a valid count, kept short
    estimator = clone(classifier).set_params(**{name: value})
    fitted = _assert_works_or_fails_clearly(estimator.fit, X_GOOD, Y_GOOD)
    if fitted is not None:  # a parameter may also be checked where it is first read
        proba = _assert_works_or_fails_clearly(fitted.predict_proba, X_GOOD)
        if proba is not None:
            _assert_finite(proba)


@pytest.mark.parametrize(
    ("name", "value"),
    [("lr", 3.1e38), ("weight_decay", 1e39), ("gamma", 1e39), ("lambda_ap", 1e39)],
)
def test_rates_beyond_float32(name, value):
    # torch turns them into float32 (Adam raised a RuntimeError of its own at 1e300).
    estimator = clone(CLASSIFIERS[0]).set_params(**{name: value})
    with pytest.raises(ValueError, match=f"'{name}' parameter of MicroTSClassifier must be"):
        estimator.fit(X_GOOD, Y_GOOD)


@pytest.mark.parametrize("classifier", CLASSIFIERS[:2], ids=type)  # Adam
def test_largest_learning_rate(classifier):
    # Adam's first step divides the rate by 0.1: just below float32's largest it overflowed.
    estimator = clone(classifier).set_params(lr=LARGEST_LEARNING_RATE)
    _assert_works_or_fails_clearly(estimator.fit, X_GOOD, Y_GOOD)


def test_validation_fraction_leaving_no_training_case():
    estimator = clone(CLASSIFIERS[1]).set_params(validation_fraction=0.95)
    with pytest.raises(ValueError, match="holds out all 12 training cases"):
        estimator.fit(X_GOOD, Y_GOOD)
    # One training case left: too few to stratify by class, so the split is not stratified
    # (scikit-learn's stratified splitter raised its own error).
    estimator.set_params(validation_fraction=0.9).fit(X_GOOD, Y_GOOD)


# The rest of the public API: soft-DTW, the converters, the scores and the generator.
def _name(function):
    return function.__name__


def _as_tensor_or_array(array):
    """A tensor where torch can hold the array, else the array itself."""
    try:
        return torch.from_numpy(array)
    except TypeError:
        return array


# Valid batches among the hostile ones, so that a bad gamma or bad lengths meet valid
# sequences often enough.
GOOD_TENSORS = [
    torch.from_numpy(np.random.default_rng(0).random(shape)) for shape in [(2, 4, 3), (3, 3)]
]
TENSORS = st.one_of(
    st.sampled_from(GOOD_TENSORS),
    arrays(),
    arrays().map(_as_tensor_or_array),
    st.sampled_from([None, "abc", [1.0], 3.0]),
)
LENGTHS = st.one_of(
    st.none(),
    st.sampled_from([[4, 2], [0, 4], [5, 1]]),
    arrays(max_dims=2),
    st.lists(HOSTILE_NUMBERS, max_size=3),
)


@pytest.mark.parametrize("function", [soft_dtw, soft_dtw_divergence, dtw], ids=_name)
@given(x=TENSORS, y=TENSORS, lengths=LENGTHS, gamma=PARAMETER_VALUES)
def test_soft_dtw_functions(function, x, y, lengths, gamma):
    keywords = {"x_lengths": lengths} | ({} if function is dtw else {"gamma": gamma})
    values = _assert_works_or_fails_clearly(lambda: function(x, y, **keywords))
    if values is not None:
        _assert_finite(values.detach().numpy())


@pytest.mark.parametrize("function", [cdist_dtw, cdist_soft_dtw, dtw_path], ids=_name)
@given(x=TENSORS, y=TENSORS, lengths=LENGTHS)
def test_pairwise_dtw_functions(function, x, y, lengths):
    values = _assert_works_or_fails_clearly(lambda: function(x, y, x_lengths=lengths))
    if values is not None and function is not dtw_path:
        _assert_finite(np.asarray(values))


@given(X=HOSTILE_X)
def test_from_converters(X):
    for function in (from_tslearn, from_sktime):
        _assert_works_or_fails_clearly(function, X)


LABEL_LISTS = st.one_of(
    st.lists(st.sampled_from([0, 1, 2, "a", None, 0.5, math.nan]), max_size=6),
    arrays(max_dims=2),
    st.sampled_from([None, "abc", 3]),
)


@given(y_true=LABEL_LISTS, y_pred=LABEL_LISTS, y_proba=st.one_of(st.none(), arrays()))
def test_case_scores(y_true, y_pred, y_proba):
    _assert_works_or_fails_clearly(case_scores, y_true, y_pred, y_proba)


@given(data=st.data())
@settings(max_examples=50)
def test_make_microscopy_sequences_parameters(data):
    # random_state goes to scikit-learn's check_random_state, whose errors numpy words.
    names = sorted(set(signature(make_microscopy_sequences).parameters) - {"random_state"})
    name = data.draw(st.sampled_from(names))
    value = data.draw(PARAMETER_VALUES | st.integers(-5, 50))
    arguments = {"n_cases": 4, "n_features": 2, "max_length": 6, name: value}
    _assert_works_or_fails_clearly(lambda: make_microscopy_sequences(**arguments))


@given(name=st.one_of(st.text(max_size=40), st.sampled_from([None, 3, b"x"])))
def test_parse_breakhis_name(name):
    _assert_works_or_fails_clearly(parse_breakhis_name, name)
