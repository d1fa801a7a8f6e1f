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
import numbers
import sys
import threading
from contextlib import contextmanager

import torch
from joblib.parallel import get_active_backend

from ._validation import NumberInterval, validate_params_in_use

# The most threads ``n_threads`` may ask for. A fixed cap rather than a multiple of this
# machine's cores: the count is saved with a model, and a model fitted on a large machine
# must still predict on a small one. 1024 is more than the logical cores of the largest
# two-socket servers (768 in 2024), and far below the counts at which thread creation fails:
# asked for 100,000, libgomp aborts the process at the first parallel operation, with no
# exception to catch, and beyond 2**31 torch refuses the count with an overflow.
MAX_THREADS = 1024
N_THREADS = NumberInterval(numbers.Integral, 1, MAX_THREADS, closed="both")


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
        # Before fit's own validation runs, and at every predict (after a set_params, or
        # in a model loaded from a file): the estimator's declared constraint, so that a
        # bad value is a clear error, not torch's nor an abort in OpenMP.
        validate_params_in_use(self, ["n_threads"])
        with torch_threads(self.n_threads):
            return method(self, *args, **kwargs)

    return wrapper
