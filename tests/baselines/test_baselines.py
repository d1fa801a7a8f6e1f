"""The paper's baselines: padding invariance, learning, pickling, pipelines."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.nn import SequenceDataset, pad_collate
from sklearn_microts.nn._bags import shuffle_bags

from ..networks import network

# Small widths keep the suite fast; the learning rates are raised to match.
BASELINES = [
    LSTMClassifier(hidden_size=16, lr=3e-3, random_state=0),
    GRUClassifier(hidden_size=16, bidirectional=True, lr=3e-3, random_state=0),
    TransformerClassifier(d_model=16, n_heads=2, dim_feedforward=32, lr=1e-3, random_state=0),
    ABMILClassifier(embed_dim=32, attention_dim=16, lr=1e-3, random_state=0),
    TransMILClassifier(dim=16, heads=2, dim_head=8, n_landmarks=8, lr=1e-2, random_state=0),
]
IDS = [type(b).__name__ for b in BASELINES]

MODULES = [
    network(LSTMClassifier(hidden_size=8), 5, 3),
    network(GRUClassifier(hidden_size=8, num_layers=2, bidirectional=True), 5, 3),
    network(TransformerClassifier(d_model=16, n_heads=2, dim_feedforward=32), 5, 3),
    network(ABMILClassifier(embed_dim=16, attention_dim=8), 5, 3),
    network(TransMILClassifier(dim=16, heads=2, dim_head=8, n_landmarks=4), 5, 3),
    network(TransMILClassifier(dim=16, heads=2, attention="exact"), 5, 3),
]


@pytest.fixture(scope="module")
def data():
    X, y = make_microscopy_sequences(
        n_cases=160, n_features=16, class_sep=4.0, min_length=5, max_length=40, random_state=1
    )
    return X, y


@pytest.mark.parametrize("module", MODULES, ids=lambda m: type(m).__name__)
def test_a_case_alone_equals_the_case_in_a_padded_batch(module):
    torch.manual_seed(0)
    lengths = [4, 17, 1, 9, 4, 1]  # equal lengths too: some models batch them together
    frames = np.random.default_rng(0).normal(size=(sum(lengths), 5)).astype(np.float32)
    dataset = SequenceDataset({"x": frames}, np.array(lengths))
    module.eval()
    together = module(**pad_collate([dataset[i] for i in range(len(lengths))])[0])[0]
    alone = torch.cat([module(**pad_collate([dataset[i]])[0])[0] for i in range(len(lengths))])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)


def test_shuffled_bags_keep_their_frames_and_padding():
    x = torch.arange(12.0).reshape(2, 6, 1)
    mask = torch.tensor([[True] * 6, [True, True, True, False, False, False]])
    torch.manual_seed(0)
    shuffled = shuffle_bags(x, mask)
    assert sorted(shuffled[0, :, 0].tolist()) == list(range(6))
    assert sorted(shuffled[1, :3, 0].tolist()) == [6.0, 7.0, 8.0]
    torch.testing.assert_close(shuffled[1, 3:], x[1, 3:])
    assert not torch.equal(shuffled, x)


@pytest.mark.parametrize("baseline", BASELINES, ids=IDS)
def test_learns_above_chance_and_pickles(baseline, data):
    X, y = data
    epochs = 8 if isinstance(baseline, TransMILClassifier) else 15
    clf = clone(baseline).set_params(max_epochs=epochs).fit(X[:120], y[:120])
    # Two balanced classes (chance 0.5) with a strong signal. Measured with these settings:
    # LSTM, GRU and Transformer 0.825, ABMIL 0.925, TransMIL 0.75 (tiny, briefly trained).
    assert clf.score(X[120:], y[120:]) >= 0.65
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X[120:]), clf.predict_proba(X[120:]))
    np.testing.assert_array_equal(
        clf.classes_[clf.predict_proba(X[:10]).argmax(1)], clf.predict(X[:10])
    )


@pytest.mark.parametrize("baseline", BASELINES[::2], ids=IDS[::2])
def test_grid_search_in_a_pipeline(baseline, data):
    X, y = data
    pipe = make_pipeline(DedupTransformer(), clone(baseline).set_params(max_epochs=2))
    step = pipe.steps[-1][0]
    grid = GridSearchCV(pipe, {f"{step}__lr": [1e-3, 3e-3]}, cv=2)
    grid.fit(X[:60], y[:60])
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_transmil_uses_radam_and_abmil_weight_decay(data):
    X, y = data
    transmil = clone(BASELINES[4]).set_params(max_epochs=1).fit(X[:20], y[:20])
    assert isinstance(transmil.net_.optimizer_, torch.optim.RAdam)
    abmil = ABMILClassifier(max_epochs=1).fit(X[:20], y[:20])
    assert abmil.net_.optimizer_.param_groups[0]["weight_decay"] == 1e-4
    assert abmil.net_.optimizer_.param_groups[0]["lr"] == 5e-4


@pytest.mark.parametrize(
    ("baseline", "params", "message"),
    [
        (
            LSTMClassifier(),
            {"hidden_size": 0},
            r"'hidden_size' parameter of LSTMClassifier must be an int in the range \[1, inf\)",
        ),
        (TransformerClassifier(), {"n_heads": 3}, "divisible by n_heads"),
        (ABMILClassifier(), {"dropout": 1.5}, "dropout"),
        (
            TransMILClassifier(),
            {"attention": "full"},
            "'attention' parameter of TransMILClassifier must be a str among",
        ),
        (GRUClassifier(), {"weight_decay": -1.0}, "weight_decay"),
    ],
)
def test_bad_parameters(baseline, params, message, data):
    X, y = data
    with pytest.raises(ValueError, match=message):
        clone(baseline).set_params(**params).fit(X[:10], y[:10])


def test_transmil_without_nystrom_attention_names_the_extra(data, monkeypatch):
    """nystrom-attention is a soft dependency: without it, the default attention says
    what to install, and attention="exact" needs nothing."""
    import sys

    monkeypatch.setitem(sys.modules, "nystrom_attention", None)  # an import then fails
    X, y = data
    tiny = {"max_epochs": 1, "random_state": 0}
    with pytest.raises(ImportError, match=r"sklearn-microts\[transmil\].*attention='exact'"):
        TransMILClassifier(**tiny).fit(X, y)
    TransMILClassifier(attention="exact", **tiny).fit(X, y)
