"""save_model and load_model: estimators to a model file that holds no code, and back."""

import os
import warnings

from sklearn.base import BaseEstimator

from ..utils._persistence import _package_version
from ..utils._sklearn_compat import HasMethods, validate_params
from ._archive import read_model_file, write_model_file
from ._encode import decode, encode
from ._errors import ModelFileError, SavedVersionWarning

# What a file of save_model holds (the manifest's "content").
ESTIMATOR = "estimator"


@validate_params(
    {"estimator": [HasMethods(["get_params"])], "path": [str, os.PathLike]},
    prefer_skip_nested_validation=True,
)
def save_model(estimator, path):
    """Save an estimator, fitted or not, to a model file that holds no code.

    The file is a zip archive: the estimators' classes, parameters and fitted attributes as
    JSON, their arrays and network weights in the safetensors format (numbers only), and a
    manifest with the package version and the SHA-256 of each part. :func:`load_model`
    reads it back without running anything the file holds, unlike a pickle.

    Parameters
    ----------
    estimator : estimator
        An estimator of the package (:class:`~sklearn_microts.MicroTSClassifier`, the
        baselines, the transformers, the uncertainty wrappers), a
        :class:`~sklearn.pipeline.Pipeline` of them, or any of these calibrated by
        :class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid or temperature) or
        wrapped in :class:`~sklearn.frozen.FrozenEstimator`. Its parameters may be numbers,
        text, arrays, their containers, a ``pywt.Wavelet``, a torch device or a numpy
        ``RandomState``; ``callbacks``, ``accelerator`` and a backbone of your own are code and
        must be ``None`` or a name.
    path : str or path-like
        The file to write (replaced if it exists), e.g. ``"model.microts"``.

    Raises
    ------
    TypeError
        If the estimator holds anything else, named by its path (``model.steps[1][1]...``).
    ValueError
        If ``path`` exists and is not a regular file (a folder, a device, a pipe).

    See Also
    --------
    load_model : Load the model back.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_microts import DedupTransformer, load_model, save_model
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> X, y = make_microscopy_sequences(n_cases=10, n_features=4, random_state=0)
    >>> dedup = DedupTransformer(drop_fraction=0.2).fit(X)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "dedup.microts"
    >>> save_model(dedup, path)
    >>> load_model(path).threshold_ == dedup.threshold_
    True
    """
    document, tensors = encode(estimator)
    write_model_file(path, document, tensors, content=ESTIMATOR)


@validate_params({"path": [str, os.PathLike]}, prefer_skip_nested_validation=True)
def load_model(path):
    """Load an estimator saved by :func:`save_model`, without running code from the file.

    Before anything is read, the file's members are checked against the SHA-256 the
    manifest records and the format against the versions this package reads; then only
    the allowed classes are built, from JSON values and safetensors arrays. A neural
    classifier's network is rebuilt by the estimator itself around the saved weights, on the
    device it was trained on, or on the CPU where this machine has no such device.

    Parameters
    ----------
    path : str or path-like
        A file of :func:`save_model`, or a folder holding its members unpacked.

    Returns
    -------
    estimator : estimator
        The estimator, predicting as the saved one did.

    Raises
    ------
    ModelFileError
        If the file is not a model file (a pickle, say, which is never loaded), a member does
        not match its checksum, its format is newer than this version reads, or it holds a
        class or value a model file may not hold; the message says which.

    Warns
    -----
    InconsistentVersionWarning
        If another version of sklearn-microts saved the file.

    See Also
    --------
    save_model : Save an estimator.
    """
    manifest, document, tensors = read_model_file(path)
    if manifest.get("content") != ESTIMATOR:
        raise ModelFileError(
            f"{path} holds a {manifest.get('content')!r} model, not an estimator of "
            "save_model (a model of `microts fit` is read by `microts predict`)."
        )
    saved_version = manifest["package_version"]
    if saved_version != _package_version():
        root = document.get("root") if isinstance(document, dict) else None
        name = root.get("class", "?") if isinstance(root, dict) else "?"
        warnings.warn(
            SavedVersionWarning(
                estimator_name=str(name).rpartition(".")[2],
                current_version=_package_version(),
                original_version=saved_version,
            ),
            stacklevel=2,
        )
    estimator = decode(document, tensors, saved_version=saved_version)
    if not isinstance(estimator, BaseEstimator):
        raise ModelFileError(
            f"{path} holds a {type(estimator).__name__}, not an estimator: it was not written "
            "by save_model."
        )
    return estimator
