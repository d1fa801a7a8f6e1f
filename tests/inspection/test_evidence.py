"""The inspection surface: what a fitted model says about each case, read one way by the
displays, the command line and its report."""

import copy

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, MicroTSClassifier, SequencePooler
from sklearn_microts.baselines import GRUClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.inspection import case_evidence, strategy_proba
from sklearn_microts.nn._targets import target_sequences

# A small network: these tests read what a model says, not how well it learned.
SMALL_NETWORK = {"d_model": 16, "n_heads": 2, "mlp_dim": 32, "head_hidden": 16, "pool_hidden": 16}


@pytest.fixture(scope="module")
def data():
    return make_microscopy_sequences(
        n_cases=40, n_features=8, min_length=6, max_length=14, random_state=0
    )


def _classifier(**params):
    return MicroTSClassifier(**SMALL_NETWORK, max_epochs=2, random_state=0, **params)


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    return make_pipeline(DedupTransformer(drop_fraction=0.3), _classifier()).fit(X, y)


def test_case_evidence_maps_each_seen_frame_back_to_its_case(data, model):
    X, _ = data
    evidence = case_evidence(model, X[:6])
    seen = model[:-1].transform(X[:6])
    classifier = model[-1]
    assert evidence.classifier is classifier
    assert evidence.n_frames == [len(case) for case in X[:6]]
    assert any(len(p) < n for p, n in zip(evidence.positions, evidence.n_frames, strict=True))
    for case, kept, where in zip(X[:6], seen, evidence.positions, strict=True):
        np.testing.assert_array_equal(case[where], kept)  # the frames the classifier saw
    np.testing.assert_array_equal(evidence.proba, model.predict_proba(X[:6]))
    frame_proba = classifier.predict_frame_proba(seen)
    weights = classifier.pooling_weights(seen)
    for i in range(6):
        np.testing.assert_array_equal(evidence.frame_proba[i], frame_proba[i])
        np.testing.assert_array_equal(evidence.pooling_weights[i], weights[i])


def test_every_offered_strategy_predicts_as_the_model_set_to_it(data, model):
    X, _ = data
    classifier = model[-1]
    probas = strategy_proba(model, X[:6])
    assert tuple(probas) == classifier.strategies_ == ("ap", "dtw", "knn", "vote")
    for name, proba in probas.items():
        expected = make_pipeline(model[0], _with_strategy(classifier, name)).predict_proba(X[:6])
        np.testing.assert_array_equal(proba, expected)
    assert classifier.strategy == "vote"  # the caller's model is left as it was


def _with_strategy(classifier, name):
    return copy.copy(classifier).set_params(strategy=name)


def test_targets_are_those_the_loss_trained_against(data, model):
    X, _ = data
    classifier = model[-1]
    expected = target_sequences(2, classifier.target_length, classifier.target).numpy()
    np.testing.assert_array_equal(classifier.target_sequences_, expected)
    np.testing.assert_array_equal(case_evidence(model, X[:1]).target_sequences, expected)


@pytest.mark.parametrize(
    ("params", "strategies", "frames", "pooling"),
    [
        ({"attention": False}, ("ap",), False, True),  # ablation (v)
        ({"pooling": False}, ("dtw",), True, False),  # ablation (vi)
    ],
)
def test_an_ablation_offers_what_its_branches_give(data, params, strategies, frames, pooling):
    X, y = data
    classifier = _classifier(**params).fit(X, y)
    evidence = case_evidence(classifier, X[:3])
    assert classifier.strategies_ == strategies
    assert tuple(evidence.strategy_proba) == strategies
    assert (evidence.frame_proba is not None) is frames
    assert (evidence.target_sequences is not None) is frames
    assert (evidence.pooling_weights is not None) is pooling


def test_a_classifier_without_strategies_gives_its_own_prediction(data):
    X, y = data
    gru = GRUClassifier(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    evidence = case_evidence(gru, X[:4])
    assert list(evidence.strategy_proba) == ["model"]
    np.testing.assert_array_equal(evidence.strategy_proba["model"], gru.predict_proba(X[:4]))
    assert evidence.frame_proba is evidence.pooling_weights is evidence.target_sequences is None


def test_a_step_that_drops_frames_untold_is_refused(data):
    X, y = data
    pooled = make_pipeline(SequencePooler(), LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="SequencePooler changes the number of frames"):
        case_evidence(pooled, X[:4])


def test_bad_input_is_refused(data, model):
    X, _ = data
    with pytest.raises(ValueError, match="Unknown strategies"):
        case_evidence(model, X[:2], strategies=["best"])
    with pytest.raises(NotFittedError):
        strategy_proba(_classifier(), X[:2])
    with pytest.raises(TypeError, match="classifier with predict_proba"):
        case_evidence(DedupTransformer().fit(X), X[:2])
    with pytest.raises(ValueError, match="NaN"):
        case_evidence(model, [np.full((3, 8), np.nan)])
