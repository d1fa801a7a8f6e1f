"""The estimators hand their parameters to their torch module and loss by name, and resolve
the ones that depend on the training cases."""

import inspect

import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler, QuantileTransformer, StandardScaler

from sklearn_microts import MicroTSClassifier
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)
from sklearn_microts.nn import FourierEmbedding
from sklearn_microts.nn._embedding import FRAME_EMBEDDINGS

ESTIMATORS = [
    MicroTSClassifier(),
    LSTMClassifier(),
    GRUClassifier(),
    TransformerClassifier(),
    ABMILClassifier(),
    TransMILClassifier(),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=type)
def test_module_and_loss_settings_have_no_defaults_of_their_own(estimator):
    # Each default is written once, in the estimator: a default in the module or the loss
    # would be a second copy, free to drift from the estimator's.
    for part in (estimator._module_class, estimator._criterion_class):
        defaults = [
            name
            for name, parameter in inspect.signature(part).parameters.items()
            if parameter.default is not inspect.Parameter.empty
        ]
        assert not defaults, f"{part.__name__} sets defaults for {defaults}"


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=type)
def test_every_module_and_loss_parameter_is_given(estimator):
    estimator._before_training(lengths=np.array([10, 20]), n_features=5)  # fit resolves first
    module = estimator._module_params(n_features=5, n_classes=3)
    assert set(module) == set(inspect.signature(estimator._module_class).parameters)
    loss = estimator._criterion_params(n_classes=3, class_weight=None)
    assert set(loss) == set(inspect.signature(estimator._criterion_class).parameters)


def test_a_changed_parameter_reaches_the_module_and_loss():
    clf = MicroTSClassifier(d_model=24, gamma=0.5, wavelet=None)
    clf._before_training(lengths=np.array([10, 20]), n_features=5)
    assert clf._module_params(5, 3)["d_model"] == 24
    assert clf._module_params(5, 3)["cross_attention"] is False
    assert clf._criterion_params(3, None)["gamma"] == 0.5


@pytest.mark.parametrize(
    ("median_length", "resolved"), [(25, None), (26, 1)], ids=["paper's length", "longer"]
)
def test_auto_attention_length_follows_the_median_case_against_the_target(median_length, resolved):
    clf = MicroTSClassifier()  # target_length=25
    clf._before_training(lengths=np.array([3, median_length, 900]), n_features=5)
    assert clf.attention_length_ == resolved
    assert clf._module_params(5, 3)["attention_length"] == resolved


@pytest.mark.parametrize(
    ("n_features", "resolved", "scaler"),
    [(1, "fourier", QuantileTransformer), (2, "linear", StandardScaler)],
    ids=["one feature", "two"],
)
def test_auto_frame_embedding_follows_the_frames_width(n_features, resolved, scaler):
    X = [np.arange(6.0 * n_features).reshape(6, n_features), np.ones((4, n_features))]
    clf = MicroTSClassifier(d_model=6, n_heads=1, mlp_dim=6, max_epochs=1, random_state=0)
    clf.fit(X, [0, 1])
    assert clf.frame_embedding_ == resolved
    assert type(clf.net_.module_.embed) is FRAME_EMBEDDINGS[resolved]
    # standardize=True pairs Fourier features with the quantile scaling they need.
    assert type(clf.scaler_) is scaler


def test_a_given_frame_embedding_and_standardisation_are_kept():
    X = [np.arange(6.0)[:, None], np.ones((4, 1))]
    clf = MicroTSClassifier(
        frame_embedding="linear", d_model=6, n_heads=1, mlp_dim=6, max_epochs=1, random_state=0
    )
    assert clf.fit(X, [0, 1]).frame_embedding_ == "linear"
    assert type(clf.scaler_) is StandardScaler
    clf.set_params(frame_embedding="fourier", standardize=MinMaxScaler()).fit(X, [0, 1])
    assert type(clf.net_.module_.embed) is FourierEmbedding
    assert type(clf.scaler_) is MinMaxScaler
