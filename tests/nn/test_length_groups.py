"""The frame branch of MicroTSModule run on groups of cases of similar length."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_microts import MicroTSClassifier
from sklearn_microts.nn._length_groups import by_length_groups, length_groups

from ..networks import network


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 2000), min_size=1, max_size=40))
def test_length_groups_partition_the_batch_by_decreasing_length(lengths):
    groups = length_groups(lengths)
    order = np.concatenate([index for index, _ in groups])
    np.testing.assert_array_equal(np.sort(order), np.arange(len(lengths)))
    lengths = np.asarray(lengths)
    for index, longest in groups:
        assert longest == lengths[index].max()
    # Contiguous in decreasing length: no case of a group is longer than one before it.
    assert np.all(np.diff(lengths[order]) <= 0)


def test_short_or_even_cases_stay_one_group_and_long_ragged_ones_split():
    assert len(length_groups([8, 5, 7, 3, 6, 2, 8, 4])) == 1
    assert len(length_groups([290, 285, 280, 288, 282, 290, 284, 286])) == 1
    groups = length_groups([1300, 300, 250, 200, 320, 280, 310, 200])
    assert len(groups) > 1
    assert groups[0][1] == 1300
    assert len(groups[0][0]) == 1


def _batch(lengths, n_features=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    n = max(lengths)
    mask = torch.arange(n)[None, :] < torch.tensor(lengths)[:, None]
    parts = [
        torch.randn(len(lengths), n, n_features, generator=generator) * mask[..., None]
        for _ in range(3)
    ]
    return parts, mask


@pytest.mark.parametrize("lengths", [[300, 12, 40, 280, 7], [5, 500, 6, 7, 8, 490, 9]])
def test_grouped_frame_logits_equal_the_whole_batch(lengths):
    torch.manual_seed(0)
    module = network(
        MicroTSClassifier(d_model=12, n_heads=2, mlp_dim=16, head_hidden=8), 3, 4
    ).eval()
    (x, stable, rapid), mask = _batch(lengths)
    assert len(length_groups(lengths)) > 1  # the case the test is about
    with torch.no_grad():
        grouped, _, _ = module(x, stable, rapid, mask)
        embedded = module.embed(x)
        whole = module._frame_logits(embedded, stable, rapid, mask)
    for i, n in enumerate(lengths):
        torch.testing.assert_close(grouped[i, :n], whole[i, :n], rtol=1e-5, atol=1e-5)


def test_grouped_branch_back_propagates_to_every_case():
    lengths = [400, 10, 20, 390]
    (x, _, _), mask = _batch(lengths)
    x.requires_grad_(True)
    weight = torch.randn(3, 2)
    out = by_length_groups(lambda frames, m: frames @ weight, mask, x)
    out.sum().backward()
    torch.testing.assert_close(x.grad[mask], weight.sum(1).expand(int(mask.sum()), 3))
