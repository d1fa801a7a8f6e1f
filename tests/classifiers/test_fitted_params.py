"""Parameters set after fit take effect at the next fit: a fitted estimator computes with
the values it was fitted with (its fitted attributes), except the parameters only inference
reads, which are checked at every prediction."""

import copy
import pickle

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_microts import (
    DedupTransformer,
    MicroTSClassifier,
    SequencePooler,
    WaveletTransformer,
)
from sklearn_microts.classifiers import _base
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.io import load_model, save_model
from sklearn_microts.utils import _validation

TINY = {
    "d_model": 8,
    "n_heads": 1,
    "mlp_dim": 16,
    "head_hidden": 8,
    "pool_hidden": 8,
    "max_epochs": 2,
    "device": "cpu",
    "random_state": 0,
}
# Of a model fitted before the parameters were resolved at fit: its file lacks these.
RESOLVED = ("wavelet_", "wavelet_level_", "gamma_", "attention_", "pooling_")


@pytest.fixture(scope="module")
def data():
    return make_microscopy_sequences(n_cases=20, n_features=4, random_state=0)


@pytest.fixture(scope="module")
def fitted(data):
    """Shared: read it, or change a copy, never itself."""
    return MicroTSClassifier(wavelet="db2", wavelet_level=2, **TINY).fit(*data)


def _probas(clf, X):
    return {s: copy.copy(clf).set_params(strategy=s).predict_proba(X) for s in ("vote", "dtw")}


def test_network_parameters_set_after_fit_change_nothing_until_the_next_fit(fitted, data):
    X, y = data
    expected = _probas(fitted, X)
    # wavelet_level=0 breaks its own constraint: refused at the next fit, not read before.
    changed = copy.copy(fitted).set_params(wavelet="haar", wavelet_level=0, gamma=5.0)
    for strategy, proba in _probas(changed, X).items():
        np.testing.assert_array_equal(proba, expected[strategy], err_msg=strategy)
    assert (changed.wavelet_, changed.wavelet_level_, changed.gamma_) == ("db2", 2, 0.1)
    with pytest.raises(InvalidParameterError, match="'wavelet_level' parameter"):
        changed.fit(X, y)
    refitted = changed.set_params(wavelet_level=3).fit(X, y)
    assert (refitted.wavelet_, refitted.wavelet_level_, refitted.gamma_) == ("haar", 3, 5.0)


def test_branches_set_after_fit_keep_the_methods_of_the_network(fitted, data):
    X, _ = data
    changed = copy.copy(fitted).set_params(attention=False, pooling=False)
    frame_proba = changed.predict_frame_proba(X)
    weights = changed.pooling_weights(X)
    assert [len(p) for p in frame_proba] == [len(x) for x in X]
    assert [len(w) for w in weights] == [len(x) for x in X]
    # Unfitted, the parameters say which methods there are.
    assert not hasattr(MicroTSClassifier(attention=False), "predict_frame_proba")


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"strategy": "nearest"}, "strategy"),
        ({"n_neighbors": 0}, "n_neighbors"),
        ({"knn_reference_size": 0}, "knn_reference_size"),
        ({"vote_weights": "majority"}, "vote_weights"),
    ],
)
def test_inference_parameters_are_checked_at_every_prediction(fitted, data, params, name):
    changed = copy.copy(fitted).set_params(**{"strategy": "knn", **params})
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of MicroTSClassifier"):
        changed.predict_proba(data[0])


@pytest.mark.parametrize(
    ("method", "reads_inference_params"),
    [
        ("predict", True),
        ("predict_proba", True),
        ("predict_frame_proba", False),
        ("pooling_weights", False),
    ],
)
def test_the_checks_of_a_prediction_run_once_per_call(
    fitted, data, monkeypatch, method, reads_inference_params
):
    # predict calls predict_proba, which reads the network through _forward: each of them
    # used to check n_threads and the fit again.
    checked, fitted_checks = [], []
    validate = _validation.validate_parameter_constraints
    monkeypatch.setattr(
        _validation,
        "validate_parameter_constraints",
        lambda constraints, *args, **kwargs: (
            checked.extend(constraints),
            validate(constraints, *args, **kwargs),
        ),
    )
    check_is_fitted = _base.check_is_fitted
    monkeypatch.setattr(
        _base, "check_is_fitted", lambda *args: (fitted_checks.append(1), check_is_fitted(*args))
    )
    getattr(fitted, method)(data[0])
    inference = fitted._inference_params if reads_inference_params else ()
    assert sorted(checked) == sorted(["n_threads", *inference])
    assert len(fitted_checks) == 1


def test_inference_parameters_still_switch_without_refitting(fitted, data):
    X, _ = data
    probas = _probas(fitted, X)
    assert not np.array_equal(probas["vote"], probas["dtw"])


@pytest.mark.parametrize("storage", ["pickle", "model file"])
def test_a_model_saved_before_the_attributes_existed_predicts_as_it_did(
    fitted, data, storage, tmp_path
):
    X, _ = data
    old = copy.deepcopy(fitted)
    for name in RESOLVED:
        del old.__dict__[name]
    if storage == "pickle":
        loaded = pickle.loads(pickle.dumps(old))
    else:
        save_model(old, tmp_path / "old.microts")
        loaded = load_model(tmp_path / "old.microts")
    # The parameters as saved: what the version that saved the model computed with.
    assert (loaded.wavelet_, loaded.wavelet_level_, loaded.attention_) == ("db2", 2, True)
    for strategy, proba in _probas(loaded, X).items():
        np.testing.assert_array_equal(proba, _probas(fitted, X)[strategy], err_msg=strategy)


def test_dedup_compare_set_after_fit_keeps_the_rule_of_the_threshold():
    # Steps of 0.16 in squared distance, under a threshold of 0.25: against the last kept
    # frame every other frame is far enough; against its predecessor, none is.
    X = [np.array([[0.0], [0.4], [0.8], [1.2]])]
    dedup = DedupTransformer(threshold=0.25).fit(X)
    dedup.set_params(compare="previous")
    assert dedup.compare_ == "last_kept"
    assert dedup.transform(X)[0].ravel().tolist() == [0.0, 0.8]
    assert dedup.fit(X).transform(X)[0].ravel().tolist() == [0.0]


def test_a_dedup_saved_before_compare_was_resolved_transforms_as_it_did(tmp_path):
    X = [np.array([[0.0], [0.4], [0.8], [1.2]])]
    old = DedupTransformer(threshold=0.25, compare="previous").fit(X)
    del old.__dict__["compare_"]
    save_model(old, tmp_path / "dedup.microts")
    for loaded in (load_model(tmp_path / "dedup.microts"), pickle.loads(pickle.dumps(old))):
        assert loaded.transform(X)[0].ravel().tolist() == [0.0]


@pytest.mark.parametrize(
    ("transformer", "later"),
    [
        (WaveletTransformer(), {"wavelet": "db2", "level": 3, "output": "rapid", "method": "swt"}),
        (SequencePooler(), {"statistics": ("max", "mean")}),
    ],
)
def test_transformer_parameters_set_after_fit_keep_its_features(data, transformer, later):
    X, _ = data
    fitted = copy.deepcopy(transformer).fit(X)
    expected, names = fitted.transform(X), fitted.get_feature_names_out()
    fitted.set_params(**later)
    for actual, case in zip(fitted.transform(X), expected, strict=True):
        np.testing.assert_array_equal(actual, case)
    np.testing.assert_array_equal(fitted.get_feature_names_out(), names)
    assert fitted.fit(X).get_feature_names_out().tolist() != names.tolist()
