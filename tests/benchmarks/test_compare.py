"""benchmarks/compare.py end to end on a small table of one's own (the --data path)."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_microts.datasets import make_microscopy_sequences

pytest.importorskip("sktime")
pytest.importorskip("matplotlib")
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def compare():
    """The ``compare`` script as a module; it imports its package ``_compare`` and
    ``_harness`` as siblings, the way ``python benchmarks/compare.py`` finds them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("compare")


def test_sktime_peer_pads_and_truncates_to_the_training_length(compare):
    from _compare.sktime_adapter import SktimePeer
    from sktime.classification.distance_based import KNeighborsTimeSeriesClassifier

    X, y = make_microscopy_sequences(n_cases=20, n_features=3, max_length=12, random_state=0)
    peer = SktimePeer(KNeighborsTimeSeriesClassifier(n_neighbors=1)).fit(X, y)
    longer = [np.vstack([x, x, x]) for x in X]  # longer than any training case
    assert peer.predict(longer).shape == (20,)
    assert peer._series(X).shape == (20, 3, peer.length_)


def test_sktime_peers_leave_torch_threads_as_they_were(compare):
    """sktime's MiniRocket sets torch's thread count in fit: the methods after it in a
    benchmark would train with other threads, and so to other numbers."""
    import torch
    from _compare.sktime_adapter import SktimePeer
    from sktime.classification.kernel_based import RocketClassifier

    X, y = make_microscopy_sequences(n_cases=20, n_features=2, max_length=12, random_state=0)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        rocket = RocketClassifier(rocket_transform="minirocket", num_kernels=84, random_state=0)
        SktimePeer(rocket).fit(X, y).predict_proba(X)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_user_table_end_to_end(compare, tmp_path, monkeypatch):
    X, y = make_microscopy_sequences(n_cases=30, n_features=4, max_length=10, random_state=0)
    rows = [
        {
            "case": f"c{i}",
            "order": t,
            "label": ["benign", "malignant"][y[i]],
            "split": "test" if i % 3 == 0 else "train",
            **{f"f{j}": v for j, v in enumerate(frame)},
        }
        for i, x in enumerate(X)
        for t, frame in enumerate(x)
    ]
    table = tmp_path / "frames.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    out = tmp_path / "out"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "compare.py",
            "--quick",
            "--no-defaults",
            "--data",
            str(table),
            "--split-col",
            "split",
            "--pos-label",
            "malignant",
            "--out",
            str(out),
        ],
    )
    monkeypatch.setattr(compare, "methods", _fast_methods(compare))
    compare.main()
    results = pd.read_csv(out / "results.csv")
    assert set(results["method"]) >= {
        "MicroTS (vote)",
        "MicroTS (knn)",
        "ABMIL",
        "mean LR (floor)",
    }
    for metric in ("f1_pos", "f1_macro", "balanced_accuracy", "roc_auc", "accuracy"):
        assert results[metric].between(0, 1).all(), metric
    for metric in ("brier", "ece", "aurc", "risk_at_80"):  # every method has probabilities
        assert results[metric].between(0, 1).all(), metric
    assert (results["n_test_cases"] == 10).all()
    table = (out / "table.md").read_text()
    assert "positive class: malignant" in table
    assert "| method | F1 (positive class) | macro F1 | balanced accuracy | ROC AUC |" in table
    assert "| MicroTS (ap) |" in table
    assert (out / "compare.png").stat().st_size > 0
    assert (out / "ablation.png").stat().st_size > 0


def _fast_methods(compare):
    full = compare.methods

    def methods(quick, epochs, seed):
        keep = ("MicroTS", "ABMIL", "mean LR (floor)", "1-NN DTW")
        return {k: v for k, v in full(quick, 2, seed).items() if k in keep}

    return methods


def test_each_dataset_is_reported_with_the_scores_of_its_kind(compare):
    """A two-class dataset gets the paper's five scores, the F1 of its positive class
    first, then those of the probabilities; a multi-class one accuracy, macro F1 and those
    of the probabilities; a score not given is "-"; a failed method says so."""
    from _compare.tables import markdown_table

    scores = {"f1_pos": 0.9, "f1_macro": 0.8, "balanced_accuracy": 0.7, "roc_auc": 0.6}
    timing = {"n_test_cases": 10, "fit_seconds": 1.0, "predict_seconds": 0.1}
    results = pd.DataFrame(
        [
            {"dataset": "two", "split": 0, "method": "A", **scores, "accuracy": 0.5, **timing},
            {"dataset": "many", "split": 0, "method": "A", "accuracy": 0.4, **timing},
            {"dataset": "many", "split": 0, "method": "B", "error": "ValueError()"},
        ]
    )
    table = markdown_table(results, {"two": "malignant"})
    two, many = table.split("### many")
    assert two.startswith("### two (positive class: malignant)")
    assert "| method | F1 (positive class) | macro F1 | balanced accuracy | ROC AUC |" in two
    assert "| A | 0.900 | 0.800 | 0.700 | 0.600 | 0.500 | - | - | - | - |" in two
    assert many.startswith("\n")  # no positive class named
    assert "| method | accuracy | macro F1 | Brier score | ECE | AURC |" in many
    assert "| B | failed | failed | failed | failed | failed | failed |" in many
