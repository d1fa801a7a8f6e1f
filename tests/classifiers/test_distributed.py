"""A grid search of our pipeline runs on a dask cluster through joblib's dask backend
(the optional ``distributed`` extra)."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.preprocessing import DedupTransformer

from ..networks import SMALL

distributed = pytest.importorskip("distributed")


def _grid_search():
    pipe = make_pipeline(DedupTransformer(), MicroTSClassifier(**{**SMALL, "max_epochs": 2}))
    grid = {"deduptransformer__threshold": [None, 0.01], "microtsclassifier__lr": [1e-3, 1e-2]}
    return GridSearchCV(pipe, grid, cv=2)


def test_grid_search_on_a_dask_cluster_equals_the_local_one():
    X, y = make_microscopy_sequences(n_cases=24, n_features=6, max_length=20, random_state=0)
    # Two single-threaded worker processes: with one thread in all, joblib runs the fits
    # here, sequentially; and fits in two threads of one process would share torch's
    # global generator, which every fit seeds.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as tasks,
        parallel_backend("dask"),
    ):
        on_dask = _grid_search().fit(X, y)
    # 4 candidates x 2 folds, and the refit on all cases: every fit ran on the cluster.
    assert len(tasks.data) >= 8
    local = _grid_search().fit(X, y)
    np.testing.assert_array_equal(
        on_dask.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(on_dask.predict(X), local.predict(X))
