"""MicroTSClassifier as an estimator: learning, strategies, ablations, pickling, errors."""

import pickle
import random

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, MicroTSClassifier, SequencePooler
from sklearn_microts.classifiers._vote import log_linear_pool
from sklearn_microts.datasets import make_microscopy_sequences

from ..networks import SMALL, with_params


@pytest.fixture(scope="module")
def data():
    X, y = make_microscopy_sequences(n_cases=60, n_features=6, max_length=20, random_state=0)
    return X, np.array(["benign", "malignant"])[y]


@pytest.fixture(scope="module")
def fitted(data):
    """Shared by the tests: read it, or change a copy (:func:`with_params`), never itself."""
    return MicroTSClassifier(**SMALL).fit(*data)


def test_learns_late_weak_signal_better_than_mean_pooling():
    # Only ~15% of regions carry the class, and not at the start: the mean over frames
    # dilutes it. Measured on this data: mean-pool logistic regression 0.65; ours with
    # random_state 0..3: vote 0.78-0.80, ap 0.86-0.90. The margins asserted (0.08 over the
    # floor, 0.70 absolute against a chance of 0.50) leave room for other CPUs' rounding.
    X, y = make_microscopy_sequences(
        n_cases=300,
        n_features=16,
        class_sep=4.0,
        signal_probability=0.15,
        min_length=20,
        max_length=60,
        random_state=1,
    )
    floor = make_pipeline(SequencePooler(statistics=("mean",)), LogisticRegression(max_iter=2000))
    floor_score = floor.fit(X[:200], y[:200]).score(X[200:], y[200:])
    clf = MicroTSClassifier(
        d_model=32,
        n_heads=2,
        mlp_dim=64,
        head_hidden=32,
        pool_hidden=32,
        max_epochs=30,
        lr=1e-3,
        batch_size=16,
        random_state=0,
    ).fit(X[:200], y[:200])
    score = clf.score(X[200:], y[200:])
    assert score >= 0.70
    assert score >= floor_score + 0.08


@pytest.mark.parametrize("strategy", ["ap", "dtw", "knn", "vote"])
def test_predict_proba_agrees_with_predict(fitted, data, strategy):
    X, _ = data
    clf = with_params(fitted, strategy=strategy)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X))
    assert set(clf.predict(X)) <= {"benign", "malignant"}


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_microscopy_sequences(
        n_cases=45, n_features=6, n_classes=3, max_length=20, random_state=0
    )
    return MicroTSClassifier(**{**SMALL, "max_epochs": 2}).fit(X, y), X


@pytest.mark.parametrize("others_agree", [False, True])
def test_vote_is_the_majority_with_ties_to_ap(three_classes, others_agree):
    # Three classes, so that the three strategies can all disagree. Each is made certain of
    # its class: "ap" of every class in turn, "dtw" and "knn" of the classes after it, the
    # same one (a majority against a certain "ap") or two different ones (a three-way tie).
    clf, X = three_classes
    ap = np.arange(len(X)) % 3
    voter = with_params(clf, strategy="vote", vote_weights="equal")
    voter._proba_ap = lambda *outputs: np.eye(3)[ap]
    voter._proba_dtw = lambda *outputs: np.eye(3)[(ap + 1) % 3]
    voter._proba_knn = lambda *outputs: np.eye(3)[(ap + (1 if others_agree else 2)) % 3]
    expected = (ap + 1) % 3 if others_agree else ap
    np.testing.assert_array_equal(voter.predict(X), clf.classes_[expected])


@pytest.mark.parametrize(
    ("weights", "winner"),
    [
        ({"ap": 0.0, "dtw": 1.0, "knn": 0.0}, "dtw"),  # one voice alone
        ({"ap": 2.0, "dtw": 1.0, "knn": 1.0}, "ap"),  # a tie of totals goes to ap
        ({"ap": 2.0, "dtw": 1.5, "knn": 1.0}, "dtw"),  # dtw and knn agree: 2.5 > 2
        ({"ap": 3.0, "dtw": 1.5, "knn": 1.0}, "ap"),  # 3 > 2.5
    ],
)
def test_weighted_vote_goes_to_the_largest_total(three_classes, weights, winner):
    clf, X = three_classes
    ap = np.arange(len(X)) % 3
    voter = with_params(clf, strategy="vote", vote_weights=weights)
    voter._proba_ap = lambda *outputs: np.eye(3)[ap]
    voter._proba_dtw = lambda *outputs: np.eye(3)[(ap + 1) % 3]
    voter._proba_knn = lambda *outputs: np.eye(3)[(ap + 1) % 3]
    expected = ap if winner == "ap" else (ap + 1) % 3
    proba = voter.predict_proba(X)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.classes_[expected])
    np.testing.assert_allclose(proba.sum(1), 1.0)


def test_auto_vote_is_the_log_linear_pool_learned_on_the_validation_cases(fitted, data):
    X, _ = data
    assert fitted.vote_pooling_ == "log-linear"
    probas = {s: with_params(fitted, strategy=s).predict_proba(X) for s in ("ap", "dtw", "knn")}
    expected = log_linear_pool(probas, fitted.vote_weights_)
    got = with_params(fitted, strategy="vote", vote_weights="auto").predict_proba(X)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize(
    "weights",
    [
        {"ap": 1.0, "dtw": 1.0},
        {"ap": -1.0, "dtw": 1.0, "knn": 1.0},
        dict.fromkeys(("ap", "dtw", "knn"), 0.0),
        {"ap": np.nan, "dtw": 1.0, "knn": 1.0},
    ],
)
def test_bad_vote_weights_are_refused_by_name(fitted, data, weights):
    with pytest.raises(ValueError, match="vote_weights"):
        with_params(fitted, strategy="vote", vote_weights=weights).predict(data[0])


def test_frame_probabilities_and_pooling_weights(fitted, data):
    X, _ = data
    frame_proba = fitted.predict_frame_proba(X[:5])
    weights = fitted.pooling_weights(X[:5])
    for x, p, w in zip(X[:5], frame_proba, weights, strict=True):
        assert p.shape == (len(x), 2)
        np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-5)
        assert w.shape == (len(x),)
        assert w.sum() == pytest.approx(1.0, rel=1e-5)


def test_history_has_every_loss_term(fitted):
    assert len(fitted.history_) == SMALL["max_epochs"]
    for key in (
        "train_loss",
        "valid_loss",
        "train_dtw",
        "train_ap",
        "train_align",
        "valid_dtw",
        "valid_ap",
        "valid_align",
    ):
        assert np.isfinite(fitted.history_[-1, key])
    assert fitted.train_frame_proba_.dtype == np.float32
    assert len(fitted.train_lengths_) == len(fitted.train_labels_)


def test_training_cases_are_kept_compactly(fitted):
    # y_attn of the training cases for "knn": one float32 array plus lengths.
    assert fitted.train_frame_proba_.shape == (fitted.train_lengths_.sum(), 2)


def test_deterministic_and_pickles_identically(data):
    X, y = data
    a = MicroTSClassifier(**SMALL).fit(X, y)
    b = MicroTSClassifier(**SMALL).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    restored = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(restored.predict_proba(X), a.predict_proba(X))


def test_a_pickle_of_a_gpu_model_predicts_on_a_cpu_only_machine(fitted, data, monkeypatch):
    X, _ = data
    monkeypatch.setattr(fitted, "device_", "cuda")  # as trained on a GPU
    monkeypatch.setattr(fitted.net_, "device", "cuda")
    pickled = pickle.dumps(fitted)
    monkeypatch.undo()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="(?i)cuda.*available"):  # skorch warns, for the net
        loaded = pickle.loads(pickled)
    assert loaded.device_ == str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))


def test_fit_and_predict_leave_the_global_random_state_as_found(data):
    X, y = data
    clf = MicroTSClassifier(**{**SMALL, "max_epochs": 1})

    def draws(fit):
        torch.manual_seed(123)
        np.random.seed(123)  # noqa: NPY002 (the legacy global state is what is checked)
        random.seed(123)
        if fit:
            clf.fit(X, y).predict_proba(X)
        return torch.rand(3), np.random.rand(3), random.random()  # noqa: NPY002

    expected, after_fit = draws(fit=False), draws(fit=True)
    torch.testing.assert_close(after_fit[0], expected[0])
    np.testing.assert_array_equal(after_fit[1], expected[1])
    assert after_fit[2] == expected[2]


@pytest.mark.parametrize("cuda", [False, True])
def test_auto_device_is_non_deterministic_when_it_picks_cuda(monkeypatch, cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert MicroTSClassifier(device="auto").__sklearn_tags__().non_deterministic is cuda
    assert MicroTSClassifier(device="cpu").__sklearn_tags__().non_deterministic is False


@pytest.mark.parametrize("accelerator_device", ["cpu", "cuda:0"])
def test_an_accelerator_device_decides_non_deterministic(accelerator_device):
    class Accelerator:  # what the tags read of an accelerate.Accelerator
        device = torch.device(accelerator_device)

        def prepare(self, *objects): ...

        def backward(self, loss): ...

    tags = MicroTSClassifier(device="cpu", accelerator=Accelerator()).__sklearn_tags__()
    assert tags.non_deterministic is (accelerator_device != "cpu")


# Ablations (i)-(iv) against the same recipe without them (same seed, same epochs).
ABLATION_EPOCHS = {**SMALL, "max_epochs": 2}


@pytest.fixture(scope="module")
def unablated(data):
    return MicroTSClassifier(**ABLATION_EPOCHS).fit(*data)


def _ablated(data, **params):
    X, y = data
    clf = MicroTSClassifier(**ABLATION_EPOCHS, **params).fit(X, y)
    assert clf.predict(X).shape == (len(X),)
    return clf


def test_ablation_i_without_a_wavelet_builds_no_cross_attention(data, unablated):
    clf = _ablated(data, wavelet=None)
    assert unablated.net_.module_.stable_attention is not None
    assert clf.net_.module_.stable_attention is None
    assert clf.net_.module_.rapid_attention is None


def test_ablation_ii_explicit_targets_are_one_hot(data, unablated):
    clf = _ablated(data, target="explicit")
    targets = clf.net_.criterion_.targets.numpy()
    np.testing.assert_array_equal(targets, np.eye(2)[:, None, :].repeat(targets.shape[1], 1))
    assert not np.isin(unablated.net_.criterion_.targets.numpy(), (0.0, 1.0)).all()


def test_ablation_iii_without_the_reference_changes_the_dtw_term(data, unablated):
    clf = _ablated(data, reference=False)
    assert clf.history_[0, "train_dtw"] != pytest.approx(unablated.history_[0, "train_dtw"])


def test_ablation_iv_without_alignment_trains_on_dtw_and_ap_alone(data, unablated):
    clf = _ablated(data, lambda_align=0.0)
    assert "train_align" in unablated.history_[-1]
    last = clf.history_[-1]
    assert "train_align" not in last
    expected = clf.lambda_dtw * last["train_dtw"] + clf.lambda_ap * last["train_ap"]
    assert last["train_loss"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    ("params", "has_frames", "has_pooling"),
    [
        ({"attention": False}, False, True),  # (v): predicts with "ap"
        ({"pooling": False}, True, False),  # (vi): predicts with "dtw"
    ],
)
def test_ablations_v_and_vi_remove_a_branch(data, params, has_frames, has_pooling):
    X, _ = data
    clf = _ablated(data, **params)
    # The methods of a removed branch do not exist (hasattr is how callers ask).
    assert hasattr(clf, "predict_frame_proba") is has_frames
    assert hasattr(clf, "pooling_weights") is has_pooling
    if has_frames:
        assert len(clf.predict_frame_proba(X[:2])) == 2
    else:
        with pytest.raises(AttributeError, match="predict_frame_proba") as error:
            clf.predict_frame_proba(X[:2])
        assert "attention=False: the network has no per-frame output" in str(error.value.__cause__)
    if not has_pooling:
        with pytest.raises(AttributeError, match="pooling_weights") as error:
            clf.pooling_weights(X[:2])
        assert "pooling=False: the network has no attention pooling" in str(error.value.__cause__)
        # (vi) predicts with "dtw" whatever the strategy asks
        np.testing.assert_array_equal(
            clf.set_params(strategy="knn").predict_proba(X),
            clf.set_params(strategy="dtw").predict_proba(X),
        )


def test_pipeline_and_grid_search_in_parallel(data):
    X, y = data
    pipe = make_pipeline(DedupTransformer(), MicroTSClassifier(**{**SMALL, "max_epochs": 2}))
    grid = GridSearchCV(
        pipe,
        {
            "deduptransformer__threshold": [None, 0.01],
            "microtsclassifier__lambda_align": [0.0, 10.0],
        },
        cv=3,
        n_jobs=2,
    )
    grid.fit(X, y)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.predict(X).shape == (len(X),)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"strategy": "nearest"}, "'strategy' parameter of MicroTSClassifier must be a str among"),
        ({"target_length": 1}, r"'target_length' parameter .* int in the range \[2, inf\)"),
        ({"target": "onehot"}, "'target' parameter of MicroTSClassifier must be a str among"),
        ({"n_heads": 5}, "divisible by n_heads"),
        ({"gamma": 0.0}, "gamma"),
        ({"lambda_ap": -1.0}, "lambda_ap"),
        ({"attention": False, "pooling": False}, "cannot both be False"),
        ({"attention": False, "lambda_ap": 0.0}, "No loss term is left"),
        ({"lambda_dtw": 0.0, "lambda_ap": 0.0, "lambda_align": 0.0}, "No loss term is left"),
        ({"wavelet": "nope"}, "discrete wavelet"),
        ({"max_epochs": 0}, r"'max_epochs' parameter .* int in the range \[1, inf\)"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
    ],
)
def test_bad_parameters(data, params, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        MicroTSClassifier(**{**SMALL, **params}).fit(X, y)


def test_bad_input(fitted, data):
    X, y = data
    with pytest.raises(ValueError, match="only one class"):
        MicroTSClassifier(**SMALL).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="contains NaN"):
        MicroTSClassifier(**SMALL).fit([X[0], np.full_like(X[1], np.nan), *X[2:]], y)
    with pytest.raises(ValueError, match="case 1 has no frames"):
        MicroTSClassifier(**SMALL).fit([X[0], np.empty((0, 6)), *X[2:]], y)
    with pytest.raises(ValueError, match="X has 60 cases but y has 59"):
        MicroTSClassifier(**SMALL).fit(X, y[:-1])
    with pytest.raises(ValueError, match="X has 4 features, but MicroTSClassifier is expecting 6"):
        fitted.predict([x[:, :4] for x in X])


@pytest.mark.gpu
def test_fitted_on_gpu_predicts_the_same_on_a_cpu_only_machine(data, tmp_path):
    import os
    import subprocess
    import sys

    X, y = data
    clf = MicroTSClassifier(**SMALL, device="cuda").fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    cases = np.empty(len(X), dtype=object)  # not np.array(X): equal lengths would make it 3-D
    cases[:] = X
    np.save(tmp_path / "X.npy", cases, allow_pickle=True)
    script = (
        "import pickle, sys, numpy as np, torch; assert not torch.cuda.is_available(); "
        f"clf = pickle.load(open({str(path)!r}, 'rb')); "
        f"X = list(np.load({str(tmp_path / 'X.npy')!r}, allow_pickle=True)); "
        f"np.testing.assert_allclose(clf.predict_proba(X), "
        f"np.load({str(tmp_path / 'expected.npy')!r}), rtol=1e-4, atol=1e-5)"
    )
    subprocess.run(
        [sys.executable, "-c", script], check=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    )
