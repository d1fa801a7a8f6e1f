"""The torch parts of the method: attention, pooling, the network and its loss."""

import math

import numpy as np
import pytest
import torch

from sklearn_microts import MicroTSClassifier
from sklearn_microts.nn import (
    FourierEmbedding,
    GatedAttentionPooling,
    SequenceDataset,
    SigmoidAttention,
    pad_collate,
)
from sklearn_microts.nn._targets import class_profiles, ideal_sequences, target_sequences
from sklearn_microts.softdtw import soft_dtw

from ..networks import loss, network

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
    return network(MicroTSClassifier(dropout=0.0, **SMALL), 5, 3).eval()


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
        module = network(MicroTSClassifier(attention_length=1), 1, 11).eval()
        x = torch.randn(1, n, 1)
        with torch.no_grad():
            frame_logits, _, _ = module(x, 0.7 * x, 0.3 * x, torch.ones(1, n, dtype=torch.bool))
        spread[n] = frame_logits.std().item()
    assert spread[1000] < 1.5 * spread[25]


def test_pooling_weights_sum_to_one_over_real_frames():
    torch.manual_seed(0)
    pooling = GatedAttentionPooling(6, 4)
    frames = torch.randn(2, 5, 6)
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    pooled, weights = pooling(frames, mask)
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    assert (weights[1, 2:] == 0).all()
    torch.testing.assert_close(pooled[1], weights[1, :2] @ frames[1, :2])


def test_the_head_is_shared_between_frames_and_case(module):
    _, (X, _) = _batch([3, 6])
    before = module(**X)
    with torch.no_grad():
        module.head[-1].bias += 1.0
    after = module(**X)
    torch.testing.assert_close(after[0], before[0] + 1.0)
    torch.testing.assert_close(after[1], before[1] + 1.0)


@pytest.mark.parametrize(
    ("flags", "present"),
    [
        ({"attention": False}, (False, True)),
        ({"pooling": False}, (True, False)),
    ],
)
def test_ablated_branches(flags, present):
    _, (X, _) = _batch([3, 6])
    frame_logits, case_logits, _ = network(MicroTSClassifier(**SMALL, **flags), 5, 3)(**X)
    assert (frame_logits is not None, case_logits is not None) == present


@pytest.mark.parametrize("wavelet", ["haar", None])
def test_only_cross_attention_reads_the_stable_and_rapid_parts(wavelet):
    _, (X, _) = _batch([3, 6])
    torch.manual_seed(0)
    module = network(MicroTSClassifier(dropout=0.0, wavelet=wavelet, **SMALL), 5, 3).eval()
    moved = {**X, "stable": X["stable"] + 1.0, "rapid": X["rapid"] - 1.0}
    (frames_before, case_before, _), (frames_after, case_after, _) = module(**X), module(**moved)
    assert (not torch.allclose(frames_after, frames_before)) is (wavelet is not None)
    torch.testing.assert_close(case_after, case_before)  # pooling reads X alone


def test_implicit_targets_follow_the_beta_cdf():
    from scipy.stats import beta

    targets = target_sequences(3, 25, "implicit").numpy()
    t = np.arange(25) / 24
    np.testing.assert_allclose(targets[1, :, 1], beta(3, 20).cdf(t))
    np.testing.assert_allclose(targets[1, :, 0], (1 - beta(3, 20).cdf(t)) / 2)
    np.testing.assert_allclose(targets.sum(-1), 1.0)
    explicit = target_sequences(3, 4, "explicit").numpy()
    np.testing.assert_array_equal(explicit[2], np.tile([0.0, 0.0, 1.0], (4, 1)))


def test_dtw_term_is_zero_when_frames_follow_the_ideal_sequence():
    labels, lengths = torch.tensor([0, 2]), torch.tensor([7, 3])
    ideal = ideal_sequences(labels, lengths, 3, "implicit", 7).float()
    mask = torch.arange(7)[None, :] < lengths[:, None]
    frame_logits = torch.log(ideal.clamp(min=1e-12))
    terms = loss(MicroTSClassifier(lambda_ap=0.0, lambda_align=0.0), 3)(
        (frame_logits, torch.zeros(2, 3), None), labels, mask
    )
    assert float(terms["dtw"]) == pytest.approx(0.0, abs=1e-4)


def test_each_term_by_hand():
    labels = torch.tensor([1])
    mask = torch.tensor([[True, True, False]])
    frame_logits = torch.tensor([[[0.0, 1.0], [2.0, -1.0], [9.0, 9.0]]])
    case_logits = torch.tensor([[0.3, -0.2]])
    settings = {"target_length": 4, "gamma": 0.5, "lambda_ap": 2.0, "lambda_align": 3.0}
    terms = loss(MicroTSClassifier(lambda_dtw=1.0, **settings), 2)(
        (frame_logits, case_logits, None), labels, mask
    )

    frame_proba = torch.softmax(frame_logits[0, :2], -1).double()
    target = torch.as_tensor(class_profiles(np.linspace(0, 1, 4), 2, "implicit")[1])
    ideal = torch.as_tensor(class_profiles(np.linspace(0, 1, 2), 2, "implicit")[1])
    dtw = abs(
        soft_dtw(frame_proba[None], target, gamma=0.5) - soft_dtw(ideal[None], target, gamma=0.5)
    )
    ap = -torch.log_softmax(case_logits, -1)[0, 1]
    peak = frame_proba.max(0).values
    align = (peak / peak.sum() - torch.softmax(case_logits, -1)[0].double()).abs().sum()
    assert float(terms["dtw"]) == pytest.approx(float(dtw), rel=1e-5)
    assert float(terms["ap"]) == pytest.approx(float(ap), rel=1e-6)
    assert float(terms["align"]) == pytest.approx(float(align), rel=1e-5)
    assert float(terms["loss"]) == pytest.approx(float(dtw + 2 * ap + 3 * align), rel=1e-5)


def test_no_reference_term():
    labels, mask = torch.tensor([0]), torch.ones(1, 5, dtype=torch.bool)
    frame_logits = torch.randn(1, 5, 2)
    with_reference = loss(MicroTSClassifier(), 2)((frame_logits, None, None), labels, mask)["dtw"]
    without = loss(MicroTSClassifier(reference=False), 2)(
        (frame_logits, None, None), labels, mask
    )["dtw"]
    assert float(with_reference) != pytest.approx(float(without))


def test_dtw_term_of_a_case_longer_than_the_target_counts_target_length_over_its_frames():
    torch.manual_seed(0)
    labels = torch.tensor([0, 1])
    lengths = torch.tensor([40, 6])  # longer and shorter than the target of 8 frames
    mask = torch.arange(40)[None, :] < lengths[:, None]
    frame_logits = torch.randn(2, 40, 2)
    per_case = [
        loss(MicroTSClassifier(target_length=8, normalize_dtw=False), 2)(
            (frame_logits[i : i + 1, :n], None, None), labels[i : i + 1], mask[i : i + 1, :n]
        )["dtw"]
        for i, n in enumerate(lengths.tolist())
    ]
    normalized = loss(MicroTSClassifier(target_length=8), 2)(
        (frame_logits, None, None), labels, mask
    )
    expected = (per_case[0] * 8 / 40 + per_case[1]) / 2
    assert float(normalized["dtw"]) == pytest.approx(float(expected), rel=1e-5)


def test_fast_score_dropout_has_the_distribution_of_dropout():
    from sklearn_microts.nn._attention import _dropout_factors

    torch.manual_seed(0)
    factors = _dropout_factors(torch.empty(10**6), 0.1)
    dropped = factors == 0
    assert dropped.float().mean().item() == pytest.approx(0.1, abs=0.003)
    torch.testing.assert_close(factors[~dropped], torch.full_like(factors[~dropped], 1 / 0.9))


def test_fourier_features_keep_float32_phases_under_mixed_precision():
    torch.manual_seed(0)
    embedding = FourierEmbedding(1, 8)
    frames = 3 * torch.randn(50, 1)
    expected = embedding.features(frames)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = embedding.features(frames)
    assert mixed.dtype == torch.float32
    torch.testing.assert_close(mixed, expected)


@pytest.mark.parametrize("estimator", ["MicroTSClassifier", "ABMILClassifier"])
def test_label_smoothing_reaches_the_case_level_cross_entropy(estimator):
    from sklearn_microts.baselines import ABMILClassifier

    make = {"MicroTSClassifier": MicroTSClassifier, "ABMILClassifier": ABMILClassifier}[estimator]
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, generator=generator)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    # Only the pooled prediction: frame-wise terms skipped, the AP term alone in "loss".
    outputs = (None, logits, None) if make is MicroTSClassifier else (logits,)
    mask = torch.ones(6, 1, dtype=torch.bool)
    for smoothing in (0.0, 0.3):
        criterion = loss(make(label_smoothing=smoothing), n_classes=3)
        terms = criterion(outputs, labels, mask)
        value = terms["ap"] if make is MicroTSClassifier else terms["loss"]
        expected = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=smoothing)
        torch.testing.assert_close(value, expected)
