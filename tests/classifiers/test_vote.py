"""The vote's log-linear pool: weights learned from held-out cases, on voters made to order."""

import numpy as np
import pytest

from sklearn_microts.classifiers._vote import fit_log_linear_pool, linear_pool, log_linear_pool

N_CLASSES = 3


def _voter(truth, accuracy, confidence, rng, wrong=None):
    """Probabilities right on about ``accuracy`` of the cases (or wrong exactly where
    ``wrong`` says), ``confidence`` on the predicted class and the rest spread evenly."""
    if wrong is None:
        wrong = rng.random(len(truth)) > accuracy
    other = (truth + rng.integers(1, N_CLASSES, len(truth))) % N_CLASSES
    predicted = np.where(wrong, other, truth)
    proba = np.full((len(truth), N_CLASSES), (1 - confidence) / (N_CLASSES - 1))
    proba[np.arange(len(truth)), predicted] = confidence
    return proba


def _accuracy(proba, truth):
    return float(np.mean(proba.argmax(1) == truth))


def test_a_voter_that_knows_nothing_gets_no_weight():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, N_CLASSES, 300)
    probas = {
        "ap": _voter(truth, 0.85, 0.8, rng),
        "dtw": rng.dirichlet(np.ones(N_CLASSES), len(truth)),  # noise
        "knn": _voter(rng.permutation(truth), 0.9, 0.9, rng),  # confident, about other cases
    }
    weights = fit_log_linear_pool(probas, truth)
    assert weights["ap"] > 0.5, weights
    assert weights["dtw"] < 0.1 * weights["ap"], weights
    assert weights["knn"] < 0.1 * weights["ap"], weights


def test_two_voters_that_err_together_do_not_outvote_a_better_one():
    # dtw and knn are wrong on the same 30% of the cases, ap on another 10%: their majority
    # follows the pair (about 0.7); the pool learned on the first half must follow ap on the
    # second.
    rng = np.random.default_rng(1)
    truth = rng.integers(0, N_CLASSES, 400)
    pair_wrong = rng.random(len(truth)) < 0.3
    probas = {
        "ap": _voter(truth, 0.9, 0.7, rng),
        "dtw": _voter(truth, None, 0.95, rng, wrong=pair_wrong),
        "knn": _voter(truth, None, 0.95, rng, wrong=pair_wrong),
    }
    learn, score = slice(None, 200), slice(200, None)
    weights = fit_log_linear_pool({k: p[learn] for k, p in probas.items()}, truth[learn])
    pooled = log_linear_pool({k: p[score] for k, p in probas.items()}, weights)
    assert _accuracy(pooled, truth[score]) >= _accuracy(probas["ap"][score], truth[score]) - 0.02
    assert _accuracy(pooled, truth[score]) > _accuracy(probas["dtw"][score], truth[score]) + 0.1


def test_voters_that_know_nothing_leave_all_weights_zero():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, N_CLASSES, 200)
    uniform = np.full((len(truth), N_CLASSES), 1.0 / N_CLASSES)
    weights = fit_log_linear_pool(dict.fromkeys(("ap", "dtw", "knn"), uniform), truth)
    assert weights == pytest.approx(dict.fromkeys(("ap", "dtw", "knn"), 0.0), abs=1e-6)


def test_the_pool_is_the_weighted_product_renormalised_and_no_voter_vetoes():
    ap = np.array([[0.2, 0.8], [0.6, 0.4]])
    knn = np.array([[1.0, 0.0], [0.5, 0.5]])  # a share of 0: floored, not a veto
    proba = log_linear_pool({"ap": ap, "knn": knn}, {"ap": 3.0, "knn": 0.3})
    scores = 3.0 * np.log(ap) + 0.3 * np.log(np.maximum(knn, 1e-4))
    expected = np.exp(scores) / np.exp(scores).sum(1, keepdims=True)
    np.testing.assert_allclose(proba, expected)
    assert proba[0].argmax() == 1


def test_the_linear_pool_is_the_weighted_mean_and_keeps_each_voters_doubt():
    sure = np.array([[0.99, 0.01], [0.99, 0.01]])
    torn = np.array([[0.4, 0.6], [0.1, 0.9]])
    pooled = linear_pool({"ap": sure, "dtw": torn}, {"ap": 1.0, "dtw": 3.0})
    np.testing.assert_allclose(pooled, (sure + 3 * torn) / 4)
    np.testing.assert_allclose(pooled.sum(1), 1.0)
    # The second case is the less sure one in the pool, as it is for the torn voter.
    assert pooled[1, 0] < pooled[0, 0]
