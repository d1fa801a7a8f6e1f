"""Training through Hugging Face accelerate (the ``accelerate`` extra), checked on the CPU
with a single-process Accelerator."""

import pickle

import numpy as np
import pytest
import torch

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences

from .test_microts_classifier import SMALL

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
    # ... and each process predicts on all its cases, not on a shard of them.
    loader = accelerated.net_.get_iterator(torch.utils.data.TensorDataset(torch.zeros(4)))
    assert not isinstance(loader, accelerate.data_loader.DataLoaderShard)
    np.testing.assert_allclose(
        accelerated.history_[:, "train_loss"], plain.history_[:, "train_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        accelerated.predict_proba(X), plain.predict_proba(X), rtol=1e-4, atol=1e-6
    )
    loaded = pickle.loads(pickle.dumps(accelerated))
    np.testing.assert_array_equal(loaded.predict(X), accelerated.predict(X))
