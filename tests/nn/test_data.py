"""Batches padded on the GPU, from a dataset copied there once, equal the host's batches."""

import numpy as np
import pytest
import torch

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.nn import _data
from sklearn_microts.nn._data import SequenceDataset, pad_collate

from ..networks import SMALL


def _batch(dataset, indices):
    return pad_collate([dataset[i] for i in indices])


def _parts(seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 9, size=6)
    total = int(lengths.sum())
    parts = {name: rng.normal(size=(total, 3)).astype(np.float32) for name in ("x", "stable")}
    return parts, lengths


def test_cases_as_tensors_are_padded_as_arrays_are():
    # Tensors are how the cases of a dataset on the GPU come; here they stay on the CPU.
    parts, lengths = _parts()
    on_host = SequenceDataset(parts, lengths, labels=np.arange(6) % 2)
    as_tensors = SequenceDataset(parts, lengths, labels=np.arange(6) % 2)
    as_tensors.parts = {name: torch.from_numpy(values) for name, values in parts.items()}
    for indices in ([0, 1, 2], [5, 3], [4]):
        expected, expected_labels = _batch(on_host, indices)
        got, labels = _batch(as_tensors, indices)
        assert got.keys() == expected.keys()
        for name in expected:
            torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0)
        torch.testing.assert_close(labels, expected_labels)


def test_the_cpu_keeps_the_arrays():
    parts, lengths = _parts()
    assert SequenceDataset(parts, lengths, device="cpu").parts is parts


@pytest.mark.gpu
def test_a_dataset_on_the_gpu_and_its_batches():
    parts, lengths = _parts()
    dataset = SequenceDataset(parts, lengths, device="cuda")
    assert all(values.is_cuda for values in dataset.parts.values())
    batch, _ = _batch(dataset, [0, 1, 2])
    assert all(tensor.is_cuda for tensor in batch.values())
    expected, _ = _batch(SequenceDataset(parts, lengths), [0, 1, 2])
    for name in expected:
        torch.testing.assert_close(batch[name].cpu(), expected[name], rtol=0, atol=0)


@pytest.mark.gpu
def test_arrays_too_large_for_the_free_memory_stay_on_the_host(monkeypatch):
    parts, lengths = _parts()
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (100, 10**9))
    assert SequenceDataset(parts, lengths, device="cuda").parts is parts


@pytest.mark.gpu
def test_training_from_the_gpu_copy_learns_what_training_from_the_host_learns(monkeypatch):
    X, y = make_microscopy_sequences(n_cases=60, n_features=6, max_length=20, random_state=0)
    on_gpu = MicroTSClassifier(**SMALL, device="cuda").fit(X, y)
    monkeypatch.setattr(_data, "_on_device", lambda parts, device: parts)
    from_host = MicroTSClassifier(**SMALL, device="cuda").fit(X, y)
    np.testing.assert_allclose(
        on_gpu.predict_proba(X), from_host.predict_proba(X), rtol=1e-4, atol=1e-5
    )
