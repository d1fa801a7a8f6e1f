"""Training memory that grows linearly with the longest case: attention computed by blocks of
query rows, and training batches of cases of similar length."""

import copy
import itertools

import numpy as np
import pytest
import torch

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.nn import SigmoidAttention, _data
from sklearn_microts.nn._data import (
    BucketedLoader,
    LengthBucketSampler,
    SequenceDataset,
    pad_collate,
)

from ..networks import SMALL


def _attention_pair(max_scores, dropout=0.0):
    """The same attention layer twice: whole score matrices, and blocks of ``max_scores``."""
    torch.manual_seed(0)
    whole = SigmoidAttention(12, 3, dropout, max_scores=10**9)
    blocked = copy.deepcopy(whole)
    blocked.max_scores = max_scores
    return whole, blocked


def _inputs(n_queries, n_keys, lengths, seed):
    generator = torch.Generator().manual_seed(seed)
    queries = torch.randn(len(lengths), n_queries, 12, generator=generator, requires_grad=True)
    keys = torch.randn(len(lengths), n_keys, 12, generator=generator, requires_grad=True)
    mask = torch.arange(n_keys)[None, :] < torch.tensor(lengths)[:, None]
    return queries, keys, mask


@pytest.mark.parametrize(
    ("n_queries", "n_keys", "lengths", "max_scores"),
    [
        (37, 37, [37, 20, 1], 200),  # self-attention, padded cases, blocks of 1 to 2 rows
        (37, 37, [37, 30], 3 * 37 * 2 * 5),  # blocks of 5 rows, the last one shorter
        (23, 41, [41, 9, 17], 1),  # cross-attention, one row at a time
    ],
)
def test_attention_by_blocks_of_query_rows_equals_the_whole_matrix(
    n_queries, n_keys, lengths, max_scores
):
    whole, blocked = _attention_pair(max_scores)
    outputs, gradients = [], []
    for layer in (whole, blocked):
        queries, keys, mask = _inputs(n_queries, n_keys, lengths, seed=1)
        out = layer(queries, keys, mask)
        # A loss that weighs every output differently, so that any row or head mixed up
        # changes the gradients.
        (out * torch.linspace(-1, 2, out.numel()).reshape(out.shape)).sum().backward()
        outputs.append(out.detach())
        gradients.append(
            [queries.grad, keys.grad] + [p.grad for p in layer.parameters()],
        )
    np.testing.assert_allclose(outputs[1], outputs[0], rtol=1e-5, atol=1e-6)
    for blocked_grad, whole_grad in zip(gradients[1], gradients[0], strict=True):
        np.testing.assert_allclose(blocked_grad, whole_grad, rtol=1e-4, atol=1e-5)


def test_attention_blocks_recompute_the_dropout_of_the_forward_pass():
    # The backward pass recomputes each block: its dropout must drop the same scores again,
    # or the gradients are those of another network than the one that gave the output.
    # gradcheck compares them with finite differences of the output, the seed reset before
    # each call so that every call drops the same scores.
    _, blocked = _attention_pair(max_scores=2 * 3 * 9 * 2, dropout=0.5)
    blocked.double()
    queries, keys, mask = _inputs(9, 9, [9, 5], seed=2)

    def attend(queries, keys):
        torch.manual_seed(3)
        return blocked(queries, keys, mask)

    assert torch.autograd.gradcheck(attend, (queries.double(), keys.double()))


def test_attention_blocks_keep_no_score_matrix_for_the_backward_pass():
    # What autograd keeps for the backward pass, outside the recomputed blocks, must grow
    # with the frames, not with the score matrix (2 x 3 x 300 x 300 scores here).
    _, blocked = _attention_pair(max_scores=3000)
    queries, keys, mask = _inputs(300, 300, [300, 200], seed=4)
    kept = {}  # by address: the blocks keep references to the same keys and values

    def keep(tensor):
        kept[tensor.data_ptr()] = tensor.numel()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        blocked(queries, keys, mask)
    assert sum(kept.values()) < 2 * 3 * 300 * 300 / 4


def _lengths(n, seed=0):
    return np.random.default_rng(seed).integers(1, 300, size=n)


@pytest.mark.parametrize(("n_cases", "batch_size"), [(1, 4), (37, 4), (1000, 7), (1050, 7)])
def test_length_buckets_hold_each_case_once_per_epoch(n_cases, batch_size):
    sampler = LengthBucketSampler(
        _lengths(n_cases), batch_size, pool_batches=30, generator=torch.Generator()
    )
    for _ in range(2):
        batches = list(sampler)
        assert len(batches) == len(sampler)
        assert max(len(batch) for batch in batches) <= batch_size
        np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n_cases))


def test_length_buckets_group_similar_lengths_in_shuffled_order():
    lengths = _lengths(500)

    def two_epochs(seed):
        sampler = LengthBucketSampler(lengths, 10, generator=torch.Generator().manual_seed(seed))
        return [[lengths[batch] for batch in sampler] for _ in range(2)]

    epoch, next_epoch = two_epochs(seed=0)
    # One pool (50 batches of 10): sorted by length, batches do not overlap in length.
    by_length = sorted(epoch, key=np.min)
    for shorter, longer in itertools.pairwise(by_length):
        assert shorter.max() <= longer.min()
    # Batches come in random order, another each epoch, the same for the same seed.
    first_lengths = [batch.min() for batch in epoch]
    assert first_lengths != sorted(first_lengths)
    assert first_lengths != [batch.min() for batch in next_epoch]
    assert [batch.min() for batch in two_epochs(seed=0)[0]] == first_lengths


def test_length_buckets_pad_less_than_random_batches_across_pools():
    lengths = _lengths(2000)
    sampler = LengthBucketSampler(lengths, 16, pool_batches=10, generator=torch.Generator())

    def padded(batches):
        return sum(len(batch) * lengths[batch].max() for batch in batches) / lengths.sum()

    shuffled = np.random.default_rng(0).permutation(len(lengths))
    assert padded(list(sampler)) < 1.1 < 1.5 < padded(np.array_split(shuffled, 125))


@pytest.mark.parametrize("group_by_length", [True, False])
def test_classifier_groups_batches_by_length_only_when_asked(monkeypatch, group_by_length):
    # Through skorch's validation split too: the loader reads lengths through its Subset.
    # By default the batches stay random (small datasets train better on varied batches).
    X, y = make_microscopy_sequences(
        n_cases=64, n_features=6, min_length=2, max_length=60, random_state=0
    )
    padded, real = [], []

    def recording_collate(batch):
        padded_batch, labels = pad_collate(batch)
        padded.append(padded_batch["mask"].numel())
        real.append(int(padded_batch["mask"].sum()))
        return padded_batch, labels

    # The training collate pads through the module's pad_collate (validation keeps its own).
    monkeypatch.setattr(_data, "pad_collate", recording_collate)
    params = {**SMALL, "batch_size": 8, "validation_fraction": 0.25}
    clf = MicroTSClassifier(**params, group_by_length=group_by_length).fit(X, y)
    assert len(padded) == clf.max_epochs * 6  # 48 training cases in batches of 8
    assert (sum(padded) < 1.2 * sum(real)) == group_by_length


def test_bucketed_loader_shuffles_with_its_generator():
    lengths = _lengths(40)
    dataset = SequenceDataset({"x": np.zeros((lengths.sum(), 2), np.float32)}, lengths)

    def batch_lengths(global_seed):
        torch.manual_seed(global_seed)  # not what the loader's generator draws from
        loader = BucketedLoader(
            dataset, 4, generator=torch.Generator().manual_seed(0), collate_fn=pad_collate
        )
        return [padded["mask"].sum(1).tolist() for padded, _ in loader]

    assert batch_lengths(global_seed=1) == batch_lengths(global_seed=2)
