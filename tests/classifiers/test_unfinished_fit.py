"""A fit that does not finish leaves the estimator usable (training interrupted, which
skorch stops cleanly) or unfitted (any exception leaving ``fit``)."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback

from sklearn_microts.baselines import ABMILClassifier
from sklearn_microts.datasets import make_microscopy_sequences

TINY = {"embed_dim": 8, "attention_dim": 4, "max_epochs": 5, "device": "cpu", "random_state": 0}


class Interrupt(Callback):
    """Raise ``KeyboardInterrupt`` as epoch ``epoch`` begins, or as training ends."""

    def __init__(self, epoch=None):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        if self.epoch is None:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def data():
    return make_microscopy_sequences(n_cases=24, n_features=4, max_length=10, random_state=0)


def test_training_interrupted_leaves_a_usable_estimator_and_says_so(data):
    X, y = data
    clf = ABMILClassifier(**TINY, callbacks=[("interrupt", Interrupt(epoch=2))])
    with pytest.warns(UserWarning, match="interrupted .* during epoch 2 of 5"):
        clf.fit(X, y)
    assert len(clf.history_) == 2
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    assert clf.predict(X).shape == (len(X),)


def test_early_stopping_ends_training_without_the_interrupt_warning(data):
    # skorch's EarlyStopping stops by raising KeyboardInterrupt: a planned end, no warning.
    X, y = data
    settings = {**TINY, "max_epochs": 30, "validation_fraction": 0.25, "patience": 1}
    clf = ABMILClassifier(**settings, lr=1e-12)  # no progress: stops after 2 epochs
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(X, y)
    assert len(clf.history_) < 30  # it did stop early


@pytest.mark.parametrize("fitted_before", [False, True])
def test_an_exception_leaving_fit_leaves_the_estimator_unfitted(data, fitted_before):
    X, y = data
    clf = ABMILClassifier(**TINY)
    if fitted_before:
        clf.fit(X, y)
    clf.set_params(callbacks=[("interrupt", Interrupt())])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    # Neither a half-set model nor the previous one.
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert not [name for name in vars(clf) if name.endswith("_") and not name.startswith("_")]
