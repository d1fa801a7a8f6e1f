"""save_model and load_model: estimators and their metadata to a model file that holds no
code, and back."""

import math
import os
import warnings
from pathlib import Path

from sklearn.base import BaseEstimator

from ..utils._persistence import _package_version
from ..utils._sklearn_compat import HasMethods, validate_params
from ._archive import read_model_file, write_model_file
from ._encode import decode, encode
from ._errors import ModelFileError, SavedVersionWarning


@validate_params(
    {
        "estimator": [HasMethods(["get_params"]), dict],
        "path": [str, os.PathLike],
        "metadata": [dict, None],
    },
    prefer_skip_nested_validation=True,
)
def save_model(estimator, path, *, metadata=None):
    """Save an estimator, fitted or not, and its metadata to a model file that holds no code.

    The file is a zip archive: the estimators' classes, parameters and fitted attributes as
    JSON, their arrays and network weights in the safetensors format (numbers only), and a
    manifest with the format version, the package version, ``metadata`` and the SHA-256 of
    each part. :func:`load_model` reads it back without running anything the file holds,
    unlike a pickle.

    Parameters
    ----------
    estimator : estimator or dict of str to estimator
        An estimator of the package (:class:`~sklearn_microts.MicroTSClassifier`, the
        baselines, the transformers, the uncertainty wrappers), a
        :class:`~sklearn.pipeline.Pipeline` of them, or any of these calibrated by
        :class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid or temperature) or
        wrapped in :class:`~sklearn.frozen.FrozenEstimator`; or a dict of such estimators by
        name, to keep in one file estimators that share parts (a pipeline and the wrappers
        built around it stay one pipeline when loaded). Its parameters may be numbers,
        text, arrays, their containers, a ``pywt.Wavelet``, a torch device or a numpy
        ``RandomState``; ``callbacks``, ``accelerator`` and a backbone of your own are code and
        must be ``None`` or a name.
    path : str or path-like
        The file to write (replaced if it exists), e.g. ``"model.microts"``.
    metadata : dict, default=None
        What you want to keep with the model (the names of its features, where its training
        cases came from), as JSON values: text, numbers, booleans, ``None``, lists and dicts
        of text keys, any nesting. :func:`load_model` gives it back with
        ``return_metadata=True``. ``None`` keeps an empty dict.

    Raises
    ------
    TypeError
        If the estimator holds anything else, named by its path (``model.steps[1][1]...``),
        or ``metadata`` a value that is not JSON (a tuple, a numpy number, a NaN), named by
        its path (``metadata['names'][2]``).
    ValueError
        If ``path`` exists and is not a regular file (a folder, a device, a pipe).

    See Also
    --------
    load_model : Load the model back.

    Notes
    -----
    The file records the version of its format and of the package that wrote it:
    :func:`load_model` refuses a newer major format, and loads a file of another package
    version with a warning (see :func:`load_model`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_microts import DedupTransformer, load_model, save_model
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> X, y = make_microscopy_sequences(n_cases=10, n_features=4, random_state=0)
    >>> dedup = DedupTransformer(drop_fraction=0.2).fit(X)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "dedup.microts"
    >>> save_model(dedup, path, metadata={"features": ["area", "mean", "std", "edges"]})
    >>> loaded, metadata = load_model(path, return_metadata=True)
    >>> loaded.threshold_ == dedup.threshold_, metadata["features"][0]
    (True, 'area')
    """
    part = _not_an_estimator(estimator, "estimator")
    if part is not None:
        raise TypeError(
            f"Cannot save {part}: save_model saves an estimator, or a dict of estimators by "
            "name (str keys)."
        )
    metadata = {} if metadata is None else metadata
    _check_json(metadata, "metadata")
    document, tensors = encode(estimator)
    write_model_file(path, document, tensors, metadata=metadata)


@validate_params(
    {"path": [str, os.PathLike], "return_metadata": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_model(path, *, return_metadata=False):
    """Load an estimator saved by :func:`save_model`, without running code from the file.

    Before anything is read, the file's members are checked against the SHA-256 the
    manifest records and the format against the versions this package reads; then only
    the allowed classes are built, from JSON values and safetensors arrays. A neural
    classifier's network is rebuilt by the estimator itself around the saved weights, on the
    device it was trained on, or on the CPU where this machine has no such device.

    Versions: a file in a newer major version of the model file format than this package
    reads is refused (upgrade sklearn-microts); a file that another version of
    sklearn-microts saved, older or newer, loads with an
    :class:`~sklearn_microts.exceptions.InconsistentVersionWarning`, since its estimators
    may predict otherwise or fail under this one. The ``microts`` command line reads its
    model files through this function, under the same rule.

    Parameters
    ----------
    path : str or path-like
        A file of :func:`save_model`, or a folder holding its members unpacked.
    return_metadata : bool, default=False
        Whether to return the ``metadata`` saved with the estimator too.

    Returns
    -------
    estimator : estimator or dict of str to estimator
        What was saved, predicting as the saved one did.
    metadata : dict
        The ``metadata`` given to :func:`save_model` (an empty dict if none was). Only
        returned if ``return_metadata`` is True.

    Raises
    ------
    PickleFileError
        If the file is a pickle (what :func:`joblib.dump` writes), which is never loaded.
    ModelFileError
        If the file is not a model file, a member does not match its checksum, its format
        is newer than this version reads, or it holds a class or value a model file may not
        hold; the message says which.

    Warns
    -----
    InconsistentVersionWarning
        If another version of sklearn-microts saved the file.

    See Also
    --------
    save_model : Save an estimator.
    """
    manifest, document, tensors = read_model_file(path)
    saved_version = manifest["package_version"]
    if saved_version != _package_version():
        warnings.warn(
            SavedVersionWarning(
                estimator_name=_saved_name(path, document),
                current_version=_package_version(),
                original_version=saved_version,
            ),
            stacklevel=2,
        )
    estimator = decode(document, tensors, saved_version=saved_version)
    part = _not_an_estimator(estimator, "the model")
    if part is not None:
        raise ModelFileError(
            f"{path}: {part} is not an estimator, nor a dict of estimators by name: the file "
            "was not written by save_model."
        )
    return (estimator, manifest["metadata"]) if return_metadata else estimator


def _not_an_estimator(obj, where):
    """The part of ``obj`` (named ``where``) that keeps it from being an estimator or a
    dict of estimators by name, with its type (``"estimator[1] (of type int)"``); None if
    there is none."""
    if isinstance(obj, BaseEstimator):
        return None
    if type(obj) is not dict:
        return f"{where} (of type {type(obj).__name__})"
    for name, value in obj.items():
        if type(name) is not str or not isinstance(value, BaseEstimator):
            return f"{where}[{name!r}] (of type {type(value).__name__})"
    return None


def _check_json(value, where):
    """A ``TypeError`` naming the first part of ``value`` (at ``where``) that is not a JSON
    value which loads back as it was: a tuple would come back a list, a key 1 the text
    ``"1"``, and a NaN is not JSON."""
    if value is None or type(value) in (bool, int, str):
        return
    if type(value) is float:
        if math.isfinite(value):
            return
        raise TypeError(f"{where} is {value!r}, which is not a JSON number: store it as text.")
    if type(value) is list:
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
        return
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{where} has the key {key!r}: metadata keys must be str.")
            _check_json(item, f"{where}[{key!r}]")
        return
    raise TypeError(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which is not a JSON "
        "value (str, int, float, bool, None, list, dict of str keys): convert it, e.g. a "
        "tuple or an array with list(), a numpy number with .item()."
    )


def _saved_name(path, document):
    """What the version warning names: the saved estimator's class, or the file."""
    root = document.get("root") if isinstance(document, dict) else None
    name = root.get("class") if isinstance(root, dict) else None
    return str(name).rpartition(".")[2] if isinstance(name, str) else Path(path).name
