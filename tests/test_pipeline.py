"""The transformers inside scikit-learn's Pipeline, GridSearchCV and pickling."""

import pickle

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, SequencePooler, WaveletTransformer
from sklearn_microts.datasets import make_microscopy_sequences


def _pipeline():
    return make_pipeline(
        DedupTransformer(),
        WaveletTransformer(),
        SequencePooler(),
        LogisticRegression(max_iter=2000),
    )


def test_grid_search_over_dedup_parameters_in_parallel():
    X, y = make_microscopy_sequences(n_cases=90, n_features=8, random_state=0)
    grid = GridSearchCV(
        _pipeline(),
        {
            "deduptransformer__threshold": [None, 0.01, 1.0],
            "deduptransformer__drop_fraction": [0.05, 0.25],
        },
        cv=3,
        n_jobs=2,
    )
    grid.fit(X, y)
    assert grid.cv_results_["mean_test_score"].shape == (6,)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    # Two balanced classes: chance is 0.5. The signal is strong enough for pooling to see it.
    assert grid.best_score_ > 0.6
    assert grid.predict(X).shape == (90,)


def test_fitted_pipeline_pickles_and_predicts_identically():
    X, y = make_microscopy_sequences(n_cases=40, n_features=6, random_state=1)
    pipe = clone(_pipeline()).fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    dedup = restored.named_steps["deduptransformer"]
    assert dedup.threshold_ == pipe.named_steps["deduptransformer"].threshold_


def test_pipeline_on_a_read_only_memmap(tmp_path):
    X, y = make_microscopy_sequences(n_cases=30, n_features=4, random_state=2)
    padded = np.full((len(X), max(map(len, X)), 4), np.nan)
    for i, x in enumerate(X):
        padded[i, : len(x)] = x
    np.save(tmp_path / "X.npy", padded)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    expected = clone(_pipeline()).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(clone(_pipeline()).fit(mapped, y).predict_proba(mapped), expected)
