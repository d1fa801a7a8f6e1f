"""The defaults learn beyond the paper's data: long univariate series of many classes, and a
vote that a weak pair of frame-wise voices cannot drag below its strongest voice."""

import copy

import numpy as np
import pytest

from sklearn_microts import MicroTSClassifier
from sklearn_microts.classifiers._vote import VOTERS
from sklearn_microts.datasets import make_periodic_sequences

# A small network, so that the tests run in seconds; the defaults tested are the ones that
# do not set its size (frame_embedding, attention_length, normalize_dtw, vote_weights).
SMALL = {
    "d_model": 32,
    "n_heads": 2,
    "mlp_dim": 64,
    "head_hidden": 32,
    "pool_hidden": 32,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def long_series():
    """Four classes of periodic series of 150 to 500 frames: 100 training, 80 test cases."""
    X, y = make_periodic_sequences(
        180, n_classes=4, min_length=150, max_length=500, random_state=0
    )
    return X[:100], y[:100], X[100:], y[100:]


def _accuracies(clf, X, y):
    return {
        strategy: float(np.mean(clf.set_params(strategy=strategy).predict(X) == y))
        for strategy in ("ap", "dtw", "knn", "vote")
    }


@pytest.mark.slow  # over 10 s; run by `pytest -m slow` (CI runs both)
def test_long_univariate_series_are_learned_by_every_strategy(long_series):
    # Measured (majority 0.275): the defaults ap 1.0, dtw 0.96, knn 1.0, vote 1.0. With the
    # paper's linear embedding of the one feature (frame_embedding="linear") ap 0.50,
    # dtw 0.70; with also the paper's Eq. 2 and unscaled DTW term (attention_length=None,
    # normalize_dtw=False) ap 0.475, dtw 0.475.
    X_train, y_train, X_test, y_test = long_series
    clf = MicroTSClassifier(max_epochs=12, **SMALL).fit(X_train, y_train)
    majority = np.bincount(y_test).max() / len(y_test)
    accuracies = _accuracies(clf, X_test, y_test)
    for strategy, accuracy in accuracies.items():
        assert accuracy >= majority + 0.5, (strategy, accuracies)


@pytest.mark.slow  # over 10 s; run by `pytest -m slow` (CI runs both)
def test_vote_is_not_below_its_best_voice_where_the_voices_disagree(long_series):
    # With the linear embedding, the knn voice is right (1.0) where ap and dtw often err
    # together (0.50 and 0.43): the paper's majority follows the pair (0.51); the vote of the
    # defaults must not. (The default Fourier embedding gets every voice near 1.0 here, where
    # no vote can be told apart.)
    X_train, y_train, X_test, y_test = long_series
    clf = MicroTSClassifier(
        max_epochs=12, validation_fraction=0.3, frame_embedding="linear", **SMALL
    ).fit(X_train, y_train)
    accuracies = _accuracies(clf, X_test, y_test)
    best_voice = max(accuracies[name] for name in ("ap", "dtw", "knn"))
    assert accuracies["vote"] >= best_voice - 0.05, (accuracies, clf.vote_weights_)


@pytest.fixture(scope="module")
def value_distributions():
    """Three classes of cases of 40 to 80 values with the same mean and standard deviation,
    drawn from a normal, a uniform and a two-peaked law: only their shape tells them apart.
    150 training and 150 test cases of one feature."""
    rng = np.random.default_rng(0)
    draws = (
        lambda n: rng.normal(size=n),
        lambda n: rng.uniform(-np.sqrt(3), np.sqrt(3), size=n),
        lambda n: rng.choice([-1.0, 1.0], size=n) + 0.1 * rng.normal(size=n),
    )
    y = rng.integers(0, 3, size=300)
    X = [5 * draws[label](rng.integers(40, 81))[:, None] + 3 for label in y]
    return X[:150], y[:150], X[150:], y[150:]


def test_pooling_reads_the_distribution_of_a_single_feature(value_distributions):
    # Measured: the defaults' Fourier embedding of frames of one feature ap 0.91; the
    # paper's linear embedding (frame_embedding="linear") ap 0.40, near chance (0.33): it
    # puts every frame on one line, and the pooled vector is about a weighted mean.
    X_train, y_train, X_test, y_test = value_distributions
    clf = MicroTSClassifier(max_epochs=15, strategy="ap", **SMALL).fit(X_train, y_train)
    assert np.mean(clf.predict(X_test) == y_test) >= 0.75


def test_auto_vote_is_a_linear_pool_without_validation_cases(long_series):
    """Without validation cases the vote averages its voters, ap weighing as much as the
    two frame-wise ones together."""
    X_train, y_train, X_test, _ = long_series
    clf = MicroTSClassifier(max_epochs=1, validation_fraction=0.0, **SMALL)
    clf.fit(X_train[:20], y_train[:20])
    assert clf.vote_pooling_ == "linear"
    assert clf.vote_weights_ == {"ap": 0.5, "dtw": 0.25, "knn": 0.25}
    voices = {
        name: copy.copy(clf).set_params(strategy=name).predict_proba(X_test) for name in VOTERS
    }
    np.testing.assert_allclose(
        clf.predict_proba(X_test),
        0.5 * voices["ap"] + 0.25 * voices["dtw"] + 0.25 * voices["knn"],
        rtol=1e-6,
    )
