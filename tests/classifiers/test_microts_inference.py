"""MicroTSClassifier's DTW-based strategies against their definitions, pair by pair.

The distances come from the dynamic programme's table here (the optimal path of every pair
and its cost), the path the classifier used before it had a pairwise DTW of its own.
"""

import numpy as np
import pytest
import torch

from sklearn_microts import MicroTSClassifier
from sklearn_microts.classifiers import _microts
from sklearn_microts.classifiers._microts import _reference_cases
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.nn._targets import target_sequences
from sklearn_microts.softdtw import dtw_path, soft_dtw
from sklearn_microts.utils._ragged import pad_frames

from ..networks import SMALL, with_params


@pytest.fixture(scope="module")
def fitted():
    X, y = make_microscopy_sequences(
        n_cases=70, n_features=6, min_length=1, max_length=30, random_state=3
    )
    X[0] = np.tile(X[0], (4, 1))[:90]  # one long case among short ones
    clf = MicroTSClassifier(**SMALL)
    return clf.fit(X[:45], y[:45]), X[45:] + X[:1]


def _path_dtw(cases_a, cases_b):
    """DTW of every (a, b) pair: the cost along the optimal path of its DP table."""
    pairs = [(a, b) for a in cases_a for b in cases_b]
    x, x_lengths = pad_frames(
        np.concatenate([a for a, _ in pairs]), _lengths(pairs, 0), fill_value=0.0
    )
    y, y_lengths = pad_frames(
        np.concatenate([b for _, b in pairs]), _lengths(pairs, 1), fill_value=0.0
    )
    paths = dtw_path(
        torch.from_numpy(x).double(),
        torch.from_numpy(y).double(),
        x_lengths=x_lengths,
        y_lengths=y_lengths,
    )
    costs = [
        ((a.astype(np.float64)[p[:, 0]] - b[p[:, 1]]) ** 2).sum()
        for (a, b), p in zip(pairs, paths, strict=True)
    ]
    return np.array(costs).reshape(len(cases_a), len(cases_b))


def _lengths(pairs, side):
    return np.array([len(pair[side]) for pair in pairs])


def _training_frame_proba(clf):
    return np.split(clf.train_frame_proba_, np.cumsum(clf.train_lengths_)[:-1])


def test_knn_votes_among_the_nearest_training_cases(fitted):
    clf, X = fitted
    frame_proba = clf.predict_frame_proba(X)
    distances = _path_dtw(frame_proba, _training_frame_proba(clf))
    nearest = np.argsort(distances, axis=1, kind="stable")[:, : clf.n_neighbors]
    expected = np.eye(2)[clf.train_labels_[nearest]].mean(1)
    got = with_params(clf, strategy="knn").predict_proba(X)
    np.testing.assert_array_equal(got, expected)


def test_knn_searches_in_blocks_of_test_cases_with_the_same_votes(fitted, monkeypatch):
    # Blocks bound the search's memory (all pairs at once exhausted 24 GB at 20,000 cases);
    # 3 test cases a block here, the last block shorter: the votes must not change.
    clf, X = fitted
    expected = with_params(clf, strategy="knn").predict_proba(X)
    blocks = []
    pairwise = _microts._pairwise_dtw

    def counting(frames_a, lengths_a, *args):
        blocks.append(len(lengths_a))
        return pairwise(frames_a, lengths_a, *args)

    monkeypatch.setattr(_microts, "_KNN_BLOCK_PAIRS", 3 * len(clf.train_lengths_))
    monkeypatch.setattr(_microts, "_pairwise_dtw", counting)
    got = with_params(clf, strategy="knn").predict_proba(X)
    assert blocks == [3] * (len(X) // 3) + [len(X) % 3] * (len(X) % 3 > 0)
    np.testing.assert_array_equal(got, expected)


def test_dtw_is_a_softmax_over_the_class_targets(fitted):
    clf, X = fitted
    targets = target_sequences(2, clf.target_length, clf.target).double()
    distances = torch.tensor(
        [
            [
                soft_dtw(torch.from_numpy(p[None]).double(), t, gamma=clf.gamma).item()
                for t in targets
            ]
            for p in clf.predict_frame_proba(X)
        ],
        dtype=torch.float64,
    )
    expected = torch.softmax(-distances, -1).numpy()
    got = with_params(clf, strategy="dtw").predict_proba(X)
    # On a GPU the classifier runs Triton's exp and log, the reference the CPU's polynomials
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


def test_equal_vote_is_the_majority_of_the_three_strategies(fitted):
    clf, X = fitted
    probas = {s: with_params(clf, strategy=s).predict_proba(X) for s in ("ap", "dtw", "knn")}
    votes = sum(np.eye(2)[p.argmax(1)] for p in probas.values())
    expected = (votes + 0.5 * probas["ap"]) / 3.5
    voter = with_params(clf, strategy="vote", vote_weights="equal")
    np.testing.assert_allclose(voter.predict_proba(X), expected)


def _knn_reference(clf, X, reference):
    """The knn vote shares against the training cases in ``reference`` only, by the table."""
    training = [p for p, keep in zip(_training_frame_proba(clf), reference, strict=True) if keep]
    distances = _path_dtw(clf.predict_frame_proba(X), training)
    nearest = np.argsort(distances, axis=1, kind="stable")[:, : clf.n_neighbors]
    return np.eye(2)[clf.train_labels_[reference][nearest]].mean(1)


@pytest.mark.parametrize("size", [7, 20])
def test_a_bounded_reference_set_is_a_stratified_subset(fitted, size):
    clf, X = fitted
    labels = clf.train_labels_
    reference = _reference_cases(labels, size)
    assert size - 2 <= reference.sum() <= size
    for label in (0, 1):  # each class in proportion, at least one case
        share = (labels == label).mean()
        assert abs(reference[labels == label].sum() - share * size) <= 1
    got = with_params(clf, strategy="knn", knn_reference_size=size).predict_proba(X)
    np.testing.assert_array_equal(got, _knn_reference(clf, X, reference))


def test_a_reference_set_as_large_as_the_training_set_is_the_exact_search(fitted):
    clf, X = fitted
    exact = with_params(clf, strategy="knn").predict_proba(X)
    bounded = with_params(clf, strategy="knn", knn_reference_size=len(clf.train_labels_))
    bounded = bounded.predict_proba(X)
    np.testing.assert_array_equal(bounded, exact)


@pytest.mark.parametrize("size", [0, 2.5, True, "all"])
def test_bad_reference_size(fitted, size):
    clf, X = fitted
    with pytest.raises(
        ValueError, match=r"'knn_reference_size' parameter .* int in the range \[1, inf\) or None"
    ):
        with_params(clf, strategy="knn", knn_reference_size=size).predict(X)
