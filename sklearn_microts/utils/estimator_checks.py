"""Checks that every sequence estimator of the package passes, on top of scikit-learn's.

scikit-learn's ``check_estimator`` only feeds 2-D arrays (cases of one frame). These checks
feed ragged cases: several input formats, read-only memory maps, malformed cases, unseen
feature sizes, pickling, and the independence of the cases from each other.

Use them like :func:`sklearn.utils.estimator_checks.parametrize_with_checks`::

    @parametrize_with_sequence_checks([DedupTransformer(), WaveletTransformer()])
    def test_sequence_checks(estimator, check):
        check(estimator)
"""

import pickle

import numpy as np
from sklearn.base import clone

from ..datasets import make_microscopy_sequences


def parametrize_with_sequence_checks(estimators):
    """Pytest decorator running every sequence check on every estimator.

    Parameters
    ----------
    estimators : list of estimators
        Estimator instances to check.

    Returns
    -------
    decorator : callable
        A ``pytest.mark.parametrize`` over ``(estimator, check)`` pairs.
    """
    import pytest

    params = [(estimator, check) for estimator in estimators for check in _checks()]
    ids = [f"{type(e).__name__}-{check.__name__}" for e, check in params]
    return pytest.mark.parametrize(("estimator", "check"), params, ids=ids)


def check_sequence_estimator(estimator):
    """Run every sequence check on ``estimator``; the first failure raises."""
    for check in _checks():
        check(estimator)


def _checks():
    return [
        check_input_formats_agree,
        check_input_not_modified_nor_aliased,
        check_readonly_memmap_input,
        check_cases_are_independent,
        check_pickle_round_trip,
        check_malformed_cases_rejected,
        check_unseen_feature_size_rejected,
    ]


def _data(n_cases=10, n_features=4, random_state=0):
    X, y = make_microscopy_sequences(
        n_cases=n_cases,
        n_features=n_features,
        min_length=1,
        max_length=15,
        random_state=random_state,
    )
    return X, y


def _outputs(estimator, X, y):
    """What a fitted ``estimator`` computes from ``X``, as a list of per-case arrays."""
    fitted = clone(estimator).fit(X, y)
    return _apply(fitted, X)


def _apply(fitted, X):
    """The transformed cases, or each case's class probabilities: finer than the labels,
    so that a small effect of padding or of the other cases shows."""
    if hasattr(fitted, "transform"):
        return list(fitted.transform(X))
    if hasattr(fitted, "predict_proba"):
        return list(fitted.predict_proba(X))
    return list(np.asarray(fitted.predict(X)))


def _tolerance(estimator):
    """Transformers compute in float64 exactly. A classifier's float32 network rounds a case
    differently beside other cases or padded to another length (about 1e-7 relative), far
    below what padding or another case leaking into its probabilities would change."""
    return 1e-12 if hasattr(estimator, "transform") else 1e-5


def _assert_same_outputs(actual, expected, what, tolerance):
    assert len(actual) == len(expected), f"{what}: {len(actual)} cases, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        np.testing.assert_allclose(
            a, e, rtol=tolerance, atol=tolerance, err_msg=f"{what}, case {i}"
        )


def check_input_formats_agree(estimator):
    """A list, a tuple, a 1-D object array and a NaN-padded 3-D array give the same result."""
    X, y = _data()
    expected = _outputs(estimator, X, y)
    as_object = np.empty(len(X), dtype=object)
    as_object[:] = X
    longest = max(len(x) for x in X)
    padded = np.full((len(X), longest, X[0].shape[1]), np.nan)
    for i, x in enumerate(X):
        padded[i, : len(x)] = x
    for name, variant in [("tuple", tuple(X)), ("object array", as_object), ("3-D", padded)]:
        _assert_same_outputs(
            _outputs(estimator, variant, y), expected, f"X as {name}", _tolerance(estimator)
        )


def check_input_not_modified_nor_aliased(estimator):
    """fit and transform/predict leave the caller's arrays untouched and return new ones."""
    X, y = _data()
    originals = [x.copy() for x in X]
    fitted = clone(estimator).fit(X, y)
    outputs = _apply(fitted, X)
    for i, (x, original) in enumerate(zip(X, originals, strict=True)):
        np.testing.assert_array_equal(x, original, err_msg=f"case {i} was modified")
        for out in outputs:
            assert not np.shares_memory(out, x), f"an output shares memory with case {i}"


def check_readonly_memmap_input(estimator):
    """Read-only memory-mapped input (what joblib hands to parallel workers) works."""
    import tempfile

    X, y = _data()
    expected = _outputs(estimator, X, y)
    with tempfile.TemporaryDirectory() as folder:
        maps = []
        for i, x in enumerate(X):
            path = f"{folder}/case{i}.npy"
            np.save(path, x)
            maps.append(np.load(path, mmap_mode="r"))
        _assert_same_outputs(
            _outputs(estimator, maps, y),
            expected,
            "read-only memmap input",
            _tolerance(estimator),
        )
        del maps


def check_cases_are_independent(estimator):
    """The output for a case does not depend on the other cases passed with it."""
    X, y = _data()
    fitted = clone(estimator).fit(X, y)
    together = _apply(fitted, X)
    order = np.random.default_rng(0).permutation(len(X))
    shuffled = _apply(fitted, [X[i] for i in order])
    tolerance = _tolerance(estimator)
    _assert_same_outputs(
        shuffled, [together[i] for i in order], "cases in another order", tolerance
    )
    alone = [_apply(fitted, [x])[0] for x in X[:3]]
    _assert_same_outputs(alone, together[:3], "a case transformed alone", tolerance)


def check_pickle_round_trip(estimator):
    """A fitted estimator gives identical results after a pickle round trip."""
    X, y = _data()
    fitted = clone(estimator).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    for a, b in zip(_apply(restored, X), _apply(fitted, X), strict=True):
        np.testing.assert_array_equal(a, b)


def check_malformed_cases_rejected(estimator):
    """An empty case, mixed feature sizes, NaN or a 4-D array fail with a clear ValueError."""
    import pytest

    X, y = _data()
    with_nan = X[1].copy()
    with_nan[-1, 0] = np.nan
    bad_inputs = {
        r"case 2 has no frames": [*X[:2], np.empty((0, 4)), *X[3:]],
        r"same number of features: case 0 has 4, case 1 has 3": [X[0], X[1][:, :3], *X[2:]],
        r"case 1 contains NaN": [X[0], with_nan, *X[2:]],
        r"4 dimension": np.zeros((len(X), 2, 2, 4)),
        r"no cases": [],
    }
    for message, bad in bad_inputs.items():
        with pytest.raises(ValueError, match=message):
            clone(estimator).fit(bad, y)
    fitted = clone(estimator).fit(X, y)
    with pytest.raises(ValueError, match=r"case 1 has no frames"):
        _apply(fitted, [X[0], np.empty((0, 4))])


def check_unseen_feature_size_rejected(estimator):
    """After fit, cases with another number of features raise a ValueError saying so."""
    import pytest

    X, y = _data()
    fitted = clone(estimator).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 3 features, but .* is expecting 4 features"):
        _apply(fitted, [x[:, :3] for x in X])
