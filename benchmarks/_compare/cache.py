"""Results kept on disk per run, so that a rerun computes only what changed.

A run is keyed by its dataset, split, method name, the method's every parameter (a changed
default changes the key), the package version and the split's cases (a changed loader
changes the key too); its rows are stored as JSON, one file a run. Failed runs are not kept:
a rerun tries them again.
"""

import hashlib
import json
from pathlib import Path

import numpy as np

import sklearn_microts


def _fingerprint(cases, labels):
    """A digest of a split part's cases and labels, their values and shapes."""
    digest = hashlib.sha256()
    for case in cases:
        case = np.ascontiguousarray(case)
        digest.update(repr(case.shape).encode())
        digest.update(case.tobytes())
    digest.update(repr(np.asarray(labels).tolist()).encode())
    return digest.hexdigest()


def run_key(split, name, model, version=None):
    """The digest that names one run: what it computes, and with which code."""
    params = model.get_params(deep=True) if hasattr(model, "get_params") else vars(model)
    identity = {
        "dataset": split.dataset,
        "split": split.split,
        "method": name,
        "params": sorted((key, repr(value)) for key, value in params.items()),
        "version": sklearn_microts.__version__ if version is None else version,
        "train": _fingerprint(split.X_train, split.y_train),
        "test": _fingerprint(split.X_test, split.y_test),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


class ResultCache:
    """The rows of each run, in ``folder`` (created on the first store)."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def _path(self, key):
        return self.folder / f"{key}.json"

    def get(self, key):
        """The rows stored under ``key``, or None."""
        try:
            return json.loads(self._path(key).read_text())
        except (OSError, ValueError):  # absent, or cut short by a killed run: compute it again
            return None

    def put(self, key, rows):
        """Store ``rows`` under ``key``, written whole or not at all."""
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self._path(key).with_suffix(".partial")
        partial.write_text(json.dumps(rows, default=float))
        partial.replace(self._path(key))
