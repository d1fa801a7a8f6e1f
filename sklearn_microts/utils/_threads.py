"""How many threads torch computes with inside an estimator's fit and predict.

torch runs each operation on a pool of threads, by default one per core. When several
fits share the cores (the workers of ``GridSearchCV(n_jobs=...)``, a loaded machine),
pools of that size oversubscribe them, and OpenMP threads that spin waiting for each other
slow training down many times over. The process-based workers of joblib (loky) and of
dask (through its nanny) already limit OpenMP to their share of the cores, which torch
follows: the workers left are threads, which share their process's cores with the other
workers of that process.
"""

import functools
import sys
import threading
from contextlib import contextmanager

import torch
from joblib.parallel import get_active_backend
from sklearn.utils._param_validation import validate_parameter_constraints


def worker_threads():
    """Threads torch should use here, by default: ``None`` to leave torch's setting.

    torch's count already follows the OpenMP limit of the calling thread: what joblib's
    process workers, dask's nanny and :func:`threadpoolctl.threadpool_limits` set. A dask
    worker thread divides it among the threads of its worker. A joblib worker thread (the
    ``"threading"`` backend, or threads nested in a worker) is not told how many threads
    share its process, so it takes one: the parallelism is across the workers.
    """
    dask_threads = _dask_worker_threads()
    if dask_threads is not None:
        return max(1, torch.get_num_threads() // dask_threads)
    backend, _ = get_active_backend()
    in_worker_thread = threading.current_thread() is not threading.main_thread()
    if in_worker_thread and (backend.nesting_level or 0) > 0:
        return 1
    return None


def _dask_worker_threads():
    """Threads of the dask worker running this task, or ``None`` outside one."""
    # Only a process that runs dask has imported it: importing it here would cost seconds.
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        return distributed.get_worker().state.nthreads
    except ValueError:  # not in a worker
        return None


@contextmanager
def torch_threads(n_threads=None):
    """Run the block with ``n_threads`` torch threads, restoring the count afterwards.

    Parameters
    ----------
    n_threads : int or None, default=None
        Threads of torch's intra-op pool; ``None`` for :func:`worker_threads`.
    """
    if n_threads is None:
        n_threads = worker_threads()
    previous = torch.get_num_threads()
    # Set only when it changes: torch.set_num_threads also fixes the count of threads
    # started later, which should keep following their own OpenMP limit.
    if n_threads is None or n_threads == previous:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def with_torch_threads(method):
    """Decorate an estimator's method to run under ``torch_threads(self.n_threads)``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        # Before fit's own validation runs (and at predict, after a set_params): the
        # estimator's declared constraint, so that a bad value is a clear error, not torch's.
        validate_parameter_constraints(
            {"n_threads": self._parameter_constraints["n_threads"]},
            {"n_threads": self.n_threads},
            caller_name=type(self).__name__,
        )
        with torch_threads(self.n_threads):
            return method(self, *args, **kwargs)

    return wrapper
