"""Non-finite numbers in the networks: a fit whose loss turns NaN or infinite stops with a
clear error, and so does a prediction that would return NaN probabilities."""

import re

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier

from sklearn_microts import MicroTSClassifier
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)
from sklearn_microts.classifiers._non_finite import StopOnNonFiniteLoss
from sklearn_microts.datasets import make_microscopy_sequences

CLASSIFIERS = [
    MicroTSClassifier(d_model=16, n_heads=2, mlp_dim=32, target_length=5),
    LSTMClassifier(hidden_size=8),
    GRUClassifier(hidden_size=8),
    TransformerClassifier(d_model=16, n_heads=2, dim_feedforward=32),
    ABMILClassifier(embed_dim=16, attention_dim=8),
    TransMILClassifier(dim=16, heads=2, dim_head=8, n_landmarks=4),
]


def _layer_norm_net(**params):
    """A skorch net whose first layer squares its input in float32, as the networks do."""
    module = torch.nn.Sequential(torch.nn.LayerNorm(4), torch.nn.Linear(4, 2))
    return NeuralNetClassifier(
        module, criterion=torch.nn.CrossEntropyLoss, max_epochs=2, batch_size=8, **params
    )


def test_a_non_finite_loss_stops_the_fit_naming_epoch_batch_and_magnitude():
    signs = np.random.default_rng(0).choice([-1, 1], size=(16, 4))
    X, y = (signs * 1e20).astype(np.float32), np.arange(16) % 2
    with pytest.raises(
        ValueError, match=r"training loss became nan at epoch 1, batch 1.* magnitude .* is 1e\+20"
    ):
        _layer_norm_net(callbacks=[StopOnNonFiniteLoss()], train_split=None).fit(X, y)


def test_finite_losses_train_as_before():
    X = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    y = np.arange(16) % 2
    net = _layer_norm_net(callbacks=[StopOnNonFiniteLoss()]).fit(X, y)
    assert len(net.history) == 2
    assert np.isfinite(net.history[:, "valid_loss"]).all()


@pytest.mark.parametrize("classifier", CLASSIFIERS, ids=lambda c: type(c).__name__)
def test_huge_features_give_a_clear_error_or_finite_probabilities(classifier):
    # Features of 1e20 fit float32, but their squares do not: without standardisation, a
    # network with a layer norm over its input produced NaN loss and NaN probabilities.
    X, y = make_microscopy_sequences(n_cases=16, n_features=6, max_length=8, random_state=0)
    X = [x * 1e20 for x in X]
    classifier = classifier.set_params(max_epochs=2, random_state=0, verbose=0)
    if "standardize" in classifier.get_params():
        classifier.set_params(standardize=False)
    try:
        classifier.fit(X, y)
        error = None
    except ValueError as caught:
        error = caught
    if error is None:
        assert np.isfinite(classifier.predict_proba(X)).all()
    else:
        assert re.search(r"loss became (nan|-?inf) at epoch 1", str(error))


@pytest.mark.parametrize("classifier", CLASSIFIERS, ids=lambda c: type(c).__name__)
def test_huge_features_at_predict_give_a_clear_error_or_finite_probabilities(classifier):
    X, y = make_microscopy_sequences(n_cases=16, n_features=6, max_length=8, random_state=0)
    classifier = classifier.set_params(max_epochs=1, random_state=0).fit(X, y)
    hostile = [X[0], X[1] * 1e30, X[2] * 1e36]  # within float32, overflowing inside
    try:
        proba = classifier.predict_proba(hostile)
        error = None
    except ValueError as caught:
        error = caught
    if error is None:
        assert np.isfinite(proba).all()
    else:
        assert re.search(
            r"NaN or infinite probabilities for [12] case\(s\), e.g. case\(s\) \[[12]", str(error)
        )
