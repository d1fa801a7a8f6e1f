"""How the voters of the ``"vote"`` strategy combine: a (weighted) majority of their predicted
classes, as in the paper, a log-linear pool of their probabilities whose weights are
learned on validation cases, or, without validation cases, a fixed linear pool."""

import itertools

import numpy as np
from scipy.optimize import minimize

# The strategies that vote.
VOTERS = ("ap", "dtw", "knn")
EQUAL_WEIGHTS = dict.fromkeys(VOTERS, 1.0)
# A tie among the voters goes to the pooled prediction: its probabilities join the votes at
# half the smallest margin by which two different sets of voters can differ, so they can
# break a tie but never outvote a majority (with equal weights: one vote plus at most 0.5
# never beats two votes).
TIE_BREAKER = "ap"
_TIE_BREAK_SHARE = 0.5
# In the log-linear pool a voter's probability below this floor counts as the floor: knn's
# vote shares are often exactly 0, and a single voter must not veto a class.
_PROBABILITY_FLOOR = 1e-4
# The linear pool of a fit without validation cases: "dtw" and "knn" both read the frame-wise
# probabilities y_attn and err together, so together they weigh as much as "ap", which reads
# the pooled representation. (Fixed, not learned: there are no held-out cases to learn from.)
UNLEARNED_POOL = {"ap": 0.5, "dtw": 0.25, "knn": 0.25}
# L2 penalty on the pool's weights: where every voter separates the validation cases, the
# likelihood grows without bound with the weights; the penalty keeps them finite.
_POOL_PENALTY = 1e-3


def weighted_vote(probas, weights, n_classes):
    """Weighted vote shares of the voters' predicted classes, ties going to ``TIE_BREAKER``.

    Parameters
    ----------
    probas : dict of str to ndarray of shape (n_cases, n_classes)
        Each voter's class probabilities (the voters of weight 0 may be left out; the tie
        breaker may not).
    weights : dict of str to float
        Each voter's non-negative weight.
    n_classes : int
        Number of classes.

    Returns
    -------
    proba : ndarray of shape (n_cases, n_classes)
        Rows summing to 1, largest at the class of the largest total weight.
    """
    votes = sum(
        weights[name] * np.eye(n_classes)[proba.argmax(1)]
        for name, proba in probas.items()
        if weights[name]
    )
    # The smallest margin between the totals of two different sets of voters: the tie
    # breaker's probabilities, at half of it, can tip a tie but no larger margin.
    # (Rounded: 0.1 + 0.2 and 0.3 are a tie, not a margin of 5e-17.)
    subsets = itertools.product(*((0.0, weight) for weight in weights.values()))
    totals = {round(sum(subset), 12) for subset in subsets}
    margin = min(np.diff(sorted(totals)))
    tie_break_weight = _TIE_BREAK_SHARE * margin
    proba = votes + tie_break_weight * probas[TIE_BREAKER]
    return proba / (sum(weights.values()) + tie_break_weight)


def log_linear_pool(probas, weights):
    """The voters' probabilities multiplied, each raised to its weight, and renormalised.

    Parameters
    ----------
    probas : dict of str to ndarray of shape (n_cases, n_classes)
        Each voter's class probabilities (those of weight 0 may be left out).
    weights : dict of str to float
        Each voter's non-negative weight, one of them positive.

    Returns
    -------
    proba : ndarray of shape (n_cases, n_classes)
        ``softmax(sum_v weights[v] * log(max(probas[v], floor)))``.
    """
    scores = sum(weights[name] * _log_proba(proba) for name, proba in probas.items())
    scores = scores - scores.max(1, keepdims=True)
    proba = np.exp(scores)
    return proba / proba.sum(1, keepdims=True)


def linear_pool(probas, weights):
    """The voters' probabilities averaged, each weighted.

    Unlike a majority of predicted classes, the average keeps how sure each voter is (its
    probabilities rank the cases), and unlike a product it does not compound voters that
    are sure together.

    Parameters
    ----------
    probas : dict of str to ndarray of shape (n_cases, n_classes)
        The class probabilities of the voters averaged.
    weights : dict of str to float
        Their non-negative weights (at least one of those in ``probas`` positive).

    Returns
    -------
    proba : ndarray of shape (n_cases, n_classes)
        ``sum_v weights[v] * probas[v] / sum_v weights[v]``.
    """
    total = sum(weights[name] for name in probas)
    return sum(weights[name] * proba for name, proba in probas.items()) / total


def fit_log_linear_pool(probas, truth):
    """The weights of ``log_linear_pool`` that maximise the likelihood of ``truth``.

    A stacked combination (Wolpert, 1992) in the family of logarithmic opinion pools
    (Genest and Zidek, 1986): one non-negative weight a voter, so that a voter that is
    confident and wrong on the held-out cases loses its say, and two voters that err
    together share one. Fitted by L-BFGS-B from equal weights; deterministic.

    Parameters
    ----------
    probas : dict of str to ndarray of shape (n_cases, n_classes)
        Each voter's class probabilities on the held-out cases.
    truth : ndarray of shape (n_cases,)
        The held-out cases' classes, as indices into the columns.

    Returns
    -------
    weights : dict of str to float
        Each voter's weight (all 0 where no voter tells the classes apart).
    """
    names = list(probas)
    logs = np.stack([_log_proba(probas[name]) for name in names])  # (voters, cases, classes)
    cases = np.arange(len(truth))
    true_logs = logs[:, cases, truth]

    def penalised_loss(weights):
        scores = np.tensordot(weights, logs, axes=1)
        scores -= scores.max(1, keepdims=True)
        normaliser = np.log(np.exp(scores).sum(1))
        proba = np.exp(scores - normaliser[:, None])
        loss = np.mean(normaliser - scores[cases, truth]) + _POOL_PENALTY * weights @ weights
        expected_logs = (logs * proba).sum(2)  # each voter's log-probability, in expectation
        gradient = np.mean(expected_logs - true_logs, axis=1) + 2 * _POOL_PENALTY * weights
        return loss, gradient

    start = np.full(len(names), 1.0 / len(names))
    result = minimize(
        penalised_loss, start, jac=True, bounds=[(0.0, None)] * len(names), method="L-BFGS-B"
    )
    return {name: float(weight) for name, weight in zip(names, result.x, strict=True)}


def _log_proba(proba):
    return np.log(np.maximum(proba, _PROBABILITY_FLOOR))
