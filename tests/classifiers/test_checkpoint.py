"""Fits checkpointed and resumed through skorch's Checkpoint and LoadInitState, given as the
estimators' ``callbacks``."""

import numpy as np
import pytest
from sklearn.base import clone
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences

from ..networks import SMALL

# No validation split: every epoch is checkpointed (``monitor=None``).
PARAMS = {**SMALL, "validation_fraction": 0.0, "device": "cpu"}


@pytest.fixture(scope="module")
def data():
    return make_microscopy_sequences(n_cases=24, n_features=4, max_length=10, random_state=0)


class InitialWeights(Callback):
    """Keep the weights training starts from (after ``LoadInitState``, listed before)."""

    def on_train_begin(self, net, **kwargs):
        self.weights_ = _weights(net)


def _resumable(dirname, **params):
    checkpoint = Checkpoint(dirname=dirname, monitor=None)
    callbacks = [
        ("checkpoint", checkpoint),
        ("resume", LoadInitState(checkpoint)),
        ("initial_weights", InitialWeights()),
    ]
    return MicroTSClassifier(**{**PARAMS, **params}, callbacks=callbacks)


def _weights(net):
    return [p.detach().numpy().copy() for p in net.module_.parameters()]


def test_a_fit_resumes_from_its_checkpoint(data, tmp_path):
    X, y = data
    first = _resumable(tmp_path, max_epochs=2).fit(X, y)
    resumed = clone(first).set_params(max_epochs=1).fit(X, y)
    # Resumed from the weights of the checkpoint, not a fresh initialisation (which the
    # same seed would make the first fit's).
    start = dict(resumed.net_.callbacks_)["initial_weights"].weights_
    for trained, loaded in zip(_weights(first.net_), start, strict=True):
        np.testing.assert_array_equal(loaded, trained)
    # The history goes on from the checkpoint's: 2 epochs there, 1 more here.
    assert resumed.history_[:, "epoch"] == [1, 2, 3]
    assert resumed.predict(X).shape == (len(X),)


def test_callbacks_are_cloned_per_fit(data, tmp_path):
    clf = _resumable(tmp_path, max_epochs=1)
    given = clf.callbacks
    clf.fit(*data)
    # The parameter is left as given; the fitted callbacks are the net's.
    assert clf.callbacks is given
    fitted = dict(clf.net_.callbacks_)
    assert fitted["checkpoint"] is not given[0][1]
    assert list((tmp_path).glob("*.pt"))
    assert clone(clf).get_params()["callbacks"][0][0] == "checkpoint"
