"""Training through Hugging Face accelerate (the ``accelerate`` extra), checked on the CPU
with a single-process Accelerator."""

import pickle

import numpy as np
import pytest
import torch

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences

from ..networks import SMALL

accelerate = pytest.importorskip("accelerate")


@pytest.fixture(scope="module")
def data():
    return make_microscopy_sequences(n_cases=40, n_features=4, max_length=10, random_state=0)


def test_training_through_an_accelerator_equals_plain_training(data):
    X, y = data
    params = {**SMALL, "device": "cpu"}
    accelerated = MicroTSClassifier(**params, accelerator=accelerate.Accelerator(cpu=True))
    accelerated.fit(X, y)
    plain = MicroTSClassifier(**params).fit(X, y)
    assert type(accelerated.net_).__name__ == "AcceleratedSequenceNet"
    assert accelerated.device_ == "cpu"
    # The module is unwrapped once trained: inference and pickles see the plain module.
    assert type(accelerated.net_.module_) is type(plain.net_.module_)
    # Trained (skorch refuses a device other than None while the accelerator places the
    # batches), the plain network says where it is.
    assert accelerated.net_.device == "cpu"
    np.testing.assert_allclose(
        accelerated.history_[:, "train_loss"], plain.history_[:, "train_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        accelerated.predict_proba(X), plain.predict_proba(X), rtol=1e-4, atol=1e-6
    )
    loaded = pickle.loads(pickle.dumps(accelerated))
    np.testing.assert_array_equal(loaded.predict(X), accelerated.predict(X))


def test_each_process_predicts_on_all_its_cases(data, monkeypatch):
    # The net's loaders are the accelerator's, which give each process a shard of the
    # cases: inference must read every case through a loader of its own.
    X, y = data
    clf = MicroTSClassifier(**SMALL, device="cpu", accelerator=accelerate.Accelerator(cpu=True))
    expected = clf.fit(X, y).predict_proba(X)

    def first_half(loader):
        return torch.utils.data.DataLoader(
            torch.utils.data.Subset(loader.dataset, range(len(loader.dataset) // 2)),
            batch_size=loader.batch_size,
            collate_fn=loader.collate_fn,
        )

    monkeypatch.setattr(clf.accelerator, "prepare", first_half)  # a shard of two processes
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
