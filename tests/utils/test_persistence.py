"""Pickles record the package version: loading from another version warns, and a fitted
attribute the pickle lacks is a clear NotFittedError, not an AttributeError in predict."""

import importlib
import inspect
import pickle
import pkgutil
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

import sklearn_microts
from sklearn_microts import DedupTransformer, MicroTSClassifier, SequencePooler, WaveletTransformer
from sklearn_microts.baselines import LSTMClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.exceptions import InconsistentVersionWarning
from sklearn_microts.preprocessing import ImageFeatureExtractor
from sklearn_microts.utils._persistence import VERSION_KEY, VersionedPickleMixin

X, y = make_microscopy_sequences(n_cases=12, n_features=4, max_length=8, random_state=0)


def _fitted_estimators():
    """One fitted estimator of each kind, and a call that reads its fitted attributes."""
    tiny = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.Flatten(2))
    images = [[np.zeros((8, 8, 3), np.uint8)]]
    return [
        (DedupTransformer().fit(X), lambda est: est.transform(X)),
        (WaveletTransformer().fit(X), lambda est: est.transform(X)),
        (SequencePooler().fit(X), lambda est: est.transform(X)),
        (
            ImageFeatureExtractor(backbone=tiny, image_size=8).fit(),
            lambda est: est.transform(images),
        ),
        (
            MicroTSClassifier(d_model=8, n_heads=2, mlp_dim=8, max_epochs=1, random_state=0).fit(
                X, y
            ),
            lambda est: est.predict_proba(X),
        ),
        (
            LSTMClassifier(hidden_size=4, max_epochs=1, random_state=0).fit(X, y),
            lambda est: est.predict(X),
        ),
    ]


ESTIMATORS = _fitted_estimators()
IDS = [type(est).__name__ for est, _ in ESTIMATORS]


def _public_estimator_classes():
    classes = set()
    for module in pkgutil.walk_packages(sklearn_microts.__path__, "sklearn_microts."):
        if module.name.endswith("__main__") or "._" in module.name:
            continue
        for obj in vars(importlib.import_module(module.name)).values():
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                classes.add(obj)
    return {cls for cls in classes if cls.__module__.startswith("sklearn_microts")}


def test_every_public_estimator_pickles_its_version():
    classes = _public_estimator_classes()
    assert {DedupTransformer, ImageFeatureExtractor, MicroTSClassifier, LSTMClassifier} <= classes
    assert [cls.__name__ for cls in classes if not issubclass(cls, VersionedPickleMixin)] == []


@pytest.mark.parametrize(("estimator", "_"), ESTIMATORS, ids=IDS)
def test_same_version_loads_silently_with_the_version_recorded(estimator, _):
    data = pickle.dumps(estimator)
    assert VERSION_KEY not in vars(estimator)  # pickling leaves the estimator as it was
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        loaded = pickle.loads(data)
    assert vars(loaded)[VERSION_KEY] == sklearn_microts.__version__


@pytest.mark.parametrize(("estimator", "_"), ESTIMATORS, ids=IDS)
def test_another_version_warns_naming_both(estimator, _, monkeypatch):
    data = pickle.dumps(estimator)
    monkeypatch.setattr(sklearn_microts._version, "__version__", "9.9.9")
    with pytest.warns(InconsistentVersionWarning, match="pickled by sklearn-microts .* 9.9.9"):
        pickle.loads(data)


@pytest.mark.parametrize(("estimator", "use"), ESTIMATORS, ids=IDS)
def test_a_missing_fitted_attribute_is_a_clear_error(estimator, use):
    """Every fitted attribute in turn is dropped from a pickle of another version: the
    estimator still works, or says which attribute it lacks; never a bare AttributeError."""
    state = {**estimator.__getstate__(), VERSION_KEY: "0.0.1"}
    fitted = [key for key in vars(estimator) if key.endswith("_")]
    assert fitted
    for missing in fitted:
        loaded = type(estimator).__new__(type(estimator))
        with pytest.warns(InconsistentVersionWarning, match="0.0.1"):
            loaded.__setstate__({key: v for key, v in state.items() if key != missing})
        error = _error_of(use, loaded)
        if error is not None:
            assert isinstance(error, NotFittedError), f"without {missing}: {error!r}"
            ours = f"lacks the fitted attribute {missing!r}" in str(error) and "0.0.1" in str(
                error
            )
            assert ours or "is not fitted yet" in str(error)  # or sklearn's, when none is left


def _error_of(call, *args):
    try:
        call(*args)
    except Exception as error:
        return error
    return None


def test_old_pickle_without_a_version_warns_and_names_the_attribute():
    state = DedupTransformer().fit(X).__getstate__()
    del state[VERSION_KEY], state["threshold_"]
    loaded = DedupTransformer.__new__(DedupTransformer)
    with pytest.warns(InconsistentVersionWarning, match="a version that records none"):
        loaded.__setstate__(state)
    with pytest.raises(NotFittedError, match=r"lacks the fitted attribute 'threshold_'"):
        loaded.transform(X)
    assert not hasattr(loaded, "threshold_")
    assert getattr(loaded, "threshold_", None) is None


def test_unpickled_unfitted_estimators_keep_plain_attribute_errors():
    loaded = pickle.loads(pickle.dumps(DedupTransformer()))
    with pytest.raises(AttributeError) as info:
        _ = loaded.threshold_
    assert not isinstance(info.value, NotFittedError)
    loaded.fit(X)  # and fit as usual
    assert loaded.threshold_ >= 0
