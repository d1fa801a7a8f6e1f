"""torch's thread count in fit and predict: ``n_threads``, each parallel worker's share,
and the caller's setting restored."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from joblib import cpu_count, parallel_backend
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklearn_microts import MicroTSClassifier
from sklearn_microts.baselines import ABMILClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.io import load_model, save_model
from sklearn_microts.utils._threads import MAX_THREADS

TINY = {"embed_dim": 8, "attention_dim": 4, "max_epochs": 2, "device": "cpu", "random_state": 0}


class ThreadProbe(ABMILClassifier):
    """Records torch's thread count inside ``fit``, once training is done."""

    def _after_fit(self, frames, lengths, labels):
        self.fit_threads_ = torch.get_num_threads()


def _fit_threads(estimator, X, y):
    """A grid search "score": the thread count its fit ran with, in whichever worker."""
    return estimator.fit_threads_


@pytest.fixture(scope="module")
def data():
    return make_microscopy_sequences(n_cases=24, n_features=4, max_length=10, random_state=0)


@pytest.fixture
def torch_at_three_threads():
    """torch at 3 threads, whatever the cores, so that a count set by the estimator shows."""
    previous = torch.get_num_threads()
    torch.set_num_threads(3)
    yield
    torch.set_num_threads(previous)


def _threads_of_grid_search(data):
    grid = GridSearchCV(
        ThreadProbe(**TINY), {"lr": [1e-3, 1e-2]}, cv=2, scoring=_fit_threads, refit=False
    )
    return grid.fit(*data).cv_results_["mean_test_score"]


@pytest.mark.usefixtures("torch_at_three_threads")
def test_n_threads_is_used_in_fit_and_predict_and_restored_after(data):
    X, y = data
    clf = ThreadProbe(n_threads=1, **TINY).fit(X, y)
    assert clf.fit_threads_ == 1
    assert torch.get_num_threads() == 3

    seen = []
    clf.net_.module_.register_forward_hook(lambda *_: seen.append(torch.get_num_threads()))
    clf.predict(X)
    assert seen
    assert set(seen) == {1}
    assert torch.get_num_threads() == 3


@pytest.mark.usefixtures("torch_at_three_threads")
def test_by_default_a_fit_outside_workers_keeps_torch_count(data):
    assert ThreadProbe(**TINY).fit(*data).fit_threads_ == 3


@pytest.mark.usefixtures("torch_at_three_threads")
def test_grid_search_in_threads_fits_with_one_thread_each(data):
    # Worker threads start with torch's count of the process (3): two of them would use 6.
    with parallel_backend("threading", n_jobs=2):
        scores = _threads_of_grid_search(data)
    np.testing.assert_array_equal(scores, 1)
    assert torch.get_num_threads() == 3


def test_grid_search_in_processes_fits_with_their_share_of_the_cores(data):
    # joblib's process workers limit OpenMP to their share of the cores, which torch follows.
    with parallel_backend("loky", n_jobs=2):
        scores = _threads_of_grid_search(data)
    np.testing.assert_array_equal(scores, max(1, cpu_count() // 2))


@pytest.mark.usefixtures("torch_at_three_threads")
def test_grid_search_in_dask_worker_threads_shares_the_worker(data):
    distributed = pytest.importorskip("distributed")
    # One in-process worker of 3 threads, which nothing limits: torch's 3 threads, shared.
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=3, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_backend("dask"),
    ):
        scores = _threads_of_grid_search(data)
    np.testing.assert_array_equal(scores, 1)


def test_fits_in_threads_of_one_process_equal_fits_one_after_another():
    # torch's generators are the process's: without turns, each fit drew its weights, batch
    # orders and dropout masks from the other's stream (probabilities 0.86 apart).
    X, y = make_microscopy_sequences(n_cases=60, n_features=8, max_length=20, random_state=0)
    clf = MicroTSClassifier(
        d_model=16, n_heads=2, mlp_dim=16, max_epochs=3, n_threads=1, random_state=0
    )
    expected = clone(clf).fit(X, y).predict_proba(X)
    with ThreadPoolExecutor(max_workers=3) as pool:
        fits = [pool.submit(clone(clf).fit, X, y) for _ in range(3)]
        for fit in fits:
            np.testing.assert_array_equal(fit.result().predict_proba(X), expected)


@pytest.mark.parametrize("n_threads", [MAX_THREADS + 1, 2**31])
def test_thread_counts_beyond_the_cap_are_refused_at_fit(data, n_threads):
    # 2**31 was torch's "Overflow when unpacking long"; counts of 100,000 made libgomp abort
    # the process at the first parallel operation.
    clf = ABMILClassifier(**{**TINY, "n_threads": n_threads})
    with pytest.raises(ValueError, match=rf"'n_threads' parameter .* range \[1, {MAX_THREADS}\]"):
        clf.fit(*data)


@pytest.mark.usefixtures("torch_at_three_threads")
def test_a_loaded_model_beyond_the_cap_is_refused_before_torch_sees_it(data, tmp_path):
    # Just over the cap, so that a regression shows as a prediction, not as an abort.
    X, y = data
    clf = ABMILClassifier(**TINY).fit(X, y).set_params(n_threads=MAX_THREADS + 1)
    save_model(clf, tmp_path / "model.microts")
    for model in (load_model(tmp_path / "model.microts"), pickle.loads(pickle.dumps(clf))):
        with pytest.raises(ValueError, match="'n_threads' parameter of ABMILClassifier"):
            model.predict(X)
    assert torch.get_num_threads() == 3
