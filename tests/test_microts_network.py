"""The torch parts of the method: attention, pooling, the network and its loss."""

import math

import numpy as np
import pytest
import torch

from sklearn_microts.nn import (
    GatedAttentionPooling,
    MicroTSLoss,
    MicroTSModule,
    SequenceDataset,
    SigmoidAttention,
    pad_collate,
)
from sklearn_microts.nn._targets import class_profiles, ideal_sequences, target_sequences
from sklearn_microts.softdtw import soft_dtw

SMALL = {"d_model": 12, "n_heads": 3, "mlp_dim": 16, "head_hidden": 8, "pool_hidden": 8}


def _batch(lengths, n_features=5, labels=None, seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.normal(size=(sum(lengths), n_features)).astype(np.float32)
    dataset = SequenceDataset(
        {"x": frames, "stable": frames * 0.5, "rapid": frames * 0.5},
        np.array(lengths),
        None if labels is None else np.array(labels),
    )
    return dataset, pad_collate([dataset[i] for i in range(len(dataset))])


@pytest.fixture
def module():
    torch.manual_seed(0)
    return MicroTSModule(5, 3, dropout=0.0, **SMALL).eval()


def test_output_shapes_under_padding(module):
    _, (X, _) = _batch([4, 9, 1])
    frame_logits, case_logits, weights = module(**X)
    assert frame_logits.shape == (3, 9, 3)
    assert case_logits.shape == (3, 3)
    assert weights.shape == (3, 9)


def test_padding_changes_nothing(module):
    dataset, (X, _) = _batch([4, 9, 1])
    together = module(**X)
    for i, n in enumerate([4, 9, 1]):
        alone = module(**pad_collate([dataset[i]])[0])
        torch.testing.assert_close(together[0][i, :n], alone[0][0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(together[1][i], alone[1][0], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(together[2][i, :n], alone[2][0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("reference_length", "bias"), [(None, 0.0), (4, 0.0), (2, math.log(1.5))])
def test_sigmoid_attention_is_equation_2_with_its_length_bias(reference_length, bias):
    # Three real keys: no bias without a reference length or below it, log(3 / 2) above it.
    torch.manual_seed(0)
    attention = SigmoidAttention(6, 2, reference_length=reference_length).eval()
    queries, keys = torch.randn(1, 3, 6), torch.randn(1, 4, 6)
    mask = torch.tensor([[True, True, True, False]])
    out = attention(queries, keys, mask)
    expected = []
    for head in range(2):
        cols = slice(3 * head, 3 * head + 3)
        q = attention.query(queries)[0, :, cols]
        k = attention.key(keys)[0, :3, cols]  # the padded key is left out
        v = attention.value(keys)[0, :3, cols]
        expected.append(torch.sigmoid(q @ k.T / math.sqrt(3) - bias) @ v)
    torch.testing.assert_close(out[0], attention.out(torch.cat(expected, dim=1)))


def test_frame_logits_keep_their_scale_on_long_cases():
    # Without the length bias (attention_length=None, Eq. 2) the attention output is a sum
    # over the frames: the logits' spread grew 36-fold from 25 to 1,000 frames and the frame
    # softmax saturated. With the bias -log n (attention_length=1) it keeps its scale.
    spread = {}
    for n in (25, 1000):
        torch.manual_seed(0)
        module = MicroTSModule(1, 11, attention_length=1).eval()
        x = torch.randn(1, n, 1)
        with torch.no_grad():
            frame_logits, _, _ = module(x, 0.7 * x, 0.3 * x, torch.ones(1, n, dtype=torch.bool))
        spread[n] = frame_logits.std().item()
    assert spread[1000] < 1.5 * spread[25]


def test_fast_score_dropout_has_the_distribution_of_dropout():
    from sklearn_microts.nn._attention import _dropout_factors

    torch.manual_seed(0)
    factors = _dropout_factors(torch.empty(10**6), 0.1)
    dropped = factors == 0
    assert dropped.float().mean().item() == pytest.approx(0.1, abs=0.003)
    torch.testing.assert_close(factors[~dropped], torch.full_like(factors[~dropped], 1 / 0.9))
