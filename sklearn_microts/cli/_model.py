"""Model files of the command line: the fitted pipeline with the package version that made it.

A model file is a file of :mod:`sklearn_microts.io`, which holds no code: its manifest
records the names of the feature columns the pipeline was fitted on (in order), whether it
is calibrated and the package version, checked before the pipeline is read; the pipeline
and, for ``fit --calibrate``, the parts of its :class:`~._trust.Trust` are stored as the
estimators' parameters, arrays and weights.
Earlier versions wrote pickles (a header, the pipeline, the trust): those run any code they
hold when loaded, so they are read only with ``trust_pickle=True`` (``--trust-pickle``).
"""

import ast
import pickle
import warnings
from pathlib import Path

import joblib
import torch
from sklearn.pipeline import Pipeline, make_pipeline

from .._version import __version__
from ..classifiers import MicroTSClassifier
from ..io import ModelFileError
from ..io._archive import read_model_file, write_model_file
from ..io._encode import decode, encode
from ..preprocessing import DedupTransformer
from ..utils._device import usable_device
from ._errors import UsageError
from ._trust import Trust

# What a model file of `microts fit` holds (its manifest's "content").
CONTENT = "microts fit"
# The header of the pickles of earlier versions.
FORMAT = "sklearn-microts model"
_TRUST_PARTS = ("referral", "conformal", "n_held_out")
# Parameters whose values are Python objects (code), which no text on a command line gives.
_OBJECT_PARAMS = ("callbacks", "accelerator")
# The torch devices a model or the feature extractor can run on.
_DEVICE_TYPES = ("cpu", "cuda", "mps")


class FittedModel(tuple):
    """A model file of :func:`save_model`, read: ``(pipeline, n_features, trust)``, and the
    names of the feature columns the pipeline was fitted on, in their order of fit, as
    ``feature_names`` (``None`` in a file written before they were recorded)."""

    def __new__(cls, pipeline, n_features, trust, *, feature_names):
        fitted = super().__new__(cls, (pipeline, n_features, trust))
        fitted.feature_names = feature_names
        return fitted


def make_model(params):
    """``make_pipeline(DedupTransformer(), MicroTSClassifier(verbose=1))`` with ``params``.

    ``params`` are ``name=value`` strings; a name without a step prefix goes to the step
    that has it (the classifier first), e.g. ``max_epochs=30`` or ``drop_fraction=0.1``.
    Values are Python literals; anything else is a string. Only the steps' parameters can
    be set, and none that takes a Python object (``callbacks``, ``accelerator``); a
    ``device`` must be one this machine has (:func:`check_device`).
    """
    model = make_pipeline(DedupTransformer(), MicroTSClassifier(verbose=1))
    # The steps' parameters, not the pipeline's own (its steps, its memory).
    names = {name for name in model.get_params() if "__" in name}
    settings = {}
    for param in params:
        name, sep, text = param.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {param!r} is not of the form name=value.")
        full = name
        if "__" not in name:
            prefixed = (f"{step}__{name}" for step in ("microtsclassifier", "deduptransformer"))
            full = next((candidate for candidate in prefixed if candidate in names), name)
        if full not in names:
            raise UsageError(
                f"--param {name!r} is not a parameter of DedupTransformer or MicroTSClassifier."
            )
        bare = full.rpartition("__")[2]
        if bare in _OBJECT_PARAMS:
            raise UsageError(
                f"--param {name!r} takes Python objects, which a command line cannot give: "
                "use the Python API (sklearn_microts.MicroTSClassifier) for it."
            )
        value = _literal(text)
        settings[full] = check_device(value) if bare == "device" else value
    try:
        return model.set_params(**settings)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--param: {exc}") from exc


def check_device(name):
    """``name`` if it is ``"auto"`` or a torch device this machine has (``cpu``, ``cuda``,
    ``cuda:N``, ``mps``); anything else is a UsageError saying why."""
    if name == "auto":
        return name
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):  # torch's own message lists two dozen device types
        device = None
    if device is None or device.type not in _DEVICE_TYPES:
        raise UsageError(f"device {name!r} is not auto, cpu, cuda, cuda:N or mps.")
    if usable_device(device) != str(device):
        build = "a CPU build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise UsageError(
            f"device {name!r} is not on this machine (PyTorch {torch.__version__}, {build}, "
            f"{torch.cuda.device_count()} CUDA device(s)): use cpu or auto."
        )
    return name


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def save_model(model, path, *, feature_names, trust=None):
    """Write the fitted pipeline, the names of the feature columns it was fitted on and its
    ``trust`` (if any) to the model file ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "version": __version__,
        "n_features": len(feature_names),
        "feature_names": list(feature_names),
        "calibrated": trust is not None,
    }
    parts = None if trust is None else {name: getattr(trust, name) for name in _TRUST_PARTS}
    document, tensors = encode({"pipeline": model, "trust": parts})
    write_model_file(path, document, tensors, content=CONTENT, metadata=header)


def load_model(path, *, trust_pickle=False):
    """The fitted pipeline, its feature size and its trust (``None`` if not calibrated)
    from a file of :func:`save_model`: a :class:`FittedModel`, which also names the
    features (a pickle of an earlier version gives the plain tuple: it names none).

    A pickle of an earlier version is refused, unless ``trust_pickle``: it is then loaded,
    with a warning, since a pickle runs any code it holds.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{str(path)!r} is not a file.")
    if path.is_file() and _is_pickle(path):
        if not trust_pickle:
            raise UsageError(
                f"{path} is a pickle (the model file of an earlier `microts fit`), and a "
                "pickle runs any code it holds when loaded: it is not loaded. Refit the model "
                "with `microts fit`, or pass --trust-pickle if you trust where it comes from."
            )
        warnings.warn(
            f"Loading {path} as a pickle (--trust-pickle): it can run any code it holds. "
            "Refit the model with `microts fit` to get a model file that holds no code.",
            UserWarning,
            stacklevel=2,
        )
        return _load_pickle(path)
    manifest, document, tensors = read_model_file(path)
    header = manifest["metadata"]
    if manifest.get("content") != CONTENT or not isinstance(header, dict):
        raise UsageError(f"{path} is not a model of `microts fit`.")
    _check_version(path, header)
    root = decode(document, tensors, saved_version=manifest["package_version"])
    _check_content(path, root, header)
    trust = root["trust"]
    return FittedModel(
        root["pipeline"],
        header["n_features"],
        None if trust is None else Trust(**trust),
        feature_names=header.get("feature_names"),
    )


def _check_content(path, root, header):
    """What a model of `microts fit` holds, checked before any of it is used: a crafted file
    can hold any value the format can."""

    def malformed(what):
        return ModelFileError(f"{path} is not a model of `microts fit`: malformed {what}.")

    if not (isinstance(root, dict) and set(root) == {"pipeline", "trust"}):
        raise malformed("content")
    if not isinstance(root["pipeline"], Pipeline):
        raise malformed("pipeline")
    trust = root["trust"]
    if trust is not None and not (isinstance(trust, dict) and set(trust) == set(_TRUST_PARTS)):
        raise malformed("calibration")
    n_features, names = header.get("n_features"), header.get("feature_names")
    if type(n_features) is not int or n_features < 1:
        raise malformed("feature count")
    if names is not None and not (
        isinstance(names, list)
        and len(names) == n_features
        and all(type(name) is str for name in names)
    ):
        raise malformed("feature names")


def _is_pickle(path):
    with path.open("rb") as file:
        return file.read(1) == b"\x80"  # every pickle of protocol 2 or later


def _check_version(path, header):
    if header.get("version") != __version__:
        raise UsageError(
            f"{path} was made by sklearn-microts {header.get('version')}; this is "
            f"{__version__}: refit it with `microts fit`."
        )


def _load_pickle(path):
    """The pipeline, feature size and trust of a pickle of an earlier `microts fit`."""
    with path.open("rb") as file:
        try:
            header = pickle.load(file)
        except Exception as exc:  # a pickle fails in many ways; all mean "not our model"
            raise UsageError(f"{path} is not a model of `microts fit`: {exc}") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise UsageError(f"{path} is not a model of `microts fit`.")
        _check_version(path, header)
        model = joblib.load(file)
        return model, header["n_features"], joblib.load(file) if header["calibrated"] else None
