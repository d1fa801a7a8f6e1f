"""Model files of the command line: the fitted pipeline, its trust and its feature header.

A model of ``microts fit`` is a file of :func:`sklearn_microts.io.save_model`, read by
:func:`sklearn_microts.io.load_model`: one format, one set of checks, one version rule. Its
estimators are a dict, the ``"pipeline"`` and, for ``fit --calibrate``, the ``"referral"``
and ``"conformal"`` wrappers of its :class:`~._trust.Trust`; its metadata says that
``microts fit`` made it (``"content"``) and records the names of the feature columns the
pipeline was fitted on, in order, their number and, for a calibrated model, how many cases
chose its thresholds (``"n_held_out"``). Earlier versions wrote pickles (a header, the
pipeline, the trust): those run any code they hold when loaded, so they are read only with
``trust_pickle=True`` (``--trust-pickle``).
"""

import ast
import pickle
import warnings
from pathlib import Path

import joblib
import torch
from sklearn.pipeline import Pipeline, make_pipeline

from .. import io
from ..classifiers import MicroTSClassifier
from ..preprocessing import DedupTransformer
from ..uncertainty import ConformalClassifier, ReferralClassifier
from ..utils._device import usable_device
from ._errors import UsageError
from ._trust import Trust

# What the metadata of a model file of `microts fit` says it holds.
CONTENT = "microts fit"
# The header of the pickles of earlier versions.
FORMAT = "sklearn-microts model"
# The estimators of a calibrated model besides the pipeline, and their classes.
_TRUST_PARTS = {"referral": ReferralClassifier, "conformal": ConformalClassifier}
# Parameters whose values are Python objects (code), which no text on a command line gives.
_OBJECT_PARAMS = ("callbacks", "accelerator")
# The torch devices a model or the feature extractor can run on.
_DEVICE_TYPES = ("cpu", "cuda", "mps")


class FittedModel(tuple):
    """A model file of :func:`save_model`, read: ``(pipeline, n_features, trust)``, and the
    names of the feature columns the pipeline was fitted on, in their order of fit, as
    ``feature_names``."""

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
    ``trust`` (if any) to the model file ``path``, with :func:`sklearn_microts.io.save_model`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    estimators = {"pipeline": model}
    metadata = {
        "content": CONTENT,
        "n_features": len(feature_names),
        "feature_names": list(feature_names),
    }
    if trust is not None:
        estimators.update({name: getattr(trust, name) for name in _TRUST_PARTS})
        metadata["n_held_out"] = trust.n_held_out
    io.save_model(estimators, path, metadata=metadata)


def load_model(path, *, trust_pickle=False):
    """The fitted pipeline, its feature size and its trust (``None`` if not calibrated)
    from a file of :func:`save_model`, read by :func:`sklearn_microts.io.load_model`: a
    :class:`FittedModel`, which also names the features (a pickle of an earlier version
    gives the plain tuple: it names none).

    A pickle of an earlier version is refused, unless ``trust_pickle``: it is then loaded,
    with a warning, since a pickle runs any code it holds.
    """
    try:
        estimators, metadata = io.load_model(path, return_metadata=True)
    except io.PickleFileError:
        if not trust_pickle:
            raise UsageError(
                f"{path} is a pickle (the model file of an earlier `microts fit`), and a "
                "pickle runs any code it holds when loaded: it is not loaded. Refit the model "
                "with `microts fit`, or pass --trust-pickle if you trust where it comes from."
            ) from None
        warnings.warn(
            f"Loading {path} as a pickle (--trust-pickle): it can run any code it holds. "
            "Refit the model with `microts fit` to get a model file that holds no code.",
            UserWarning,
            stacklevel=2,
        )
        return _load_pickle(Path(path))
    _check_content(path, estimators, metadata)
    trust = None
    if "referral" in estimators:
        trust = Trust(
            referral=estimators["referral"],
            conformal=estimators["conformal"],
            n_held_out=metadata["n_held_out"],
        )
    return FittedModel(
        estimators["pipeline"],
        metadata["n_features"],
        trust,
        feature_names=metadata["feature_names"],
    )


def _check_content(path, estimators, metadata):
    """What a model of `microts fit` holds, checked before any of it is used: a crafted file
    can hold any estimators and metadata the format can."""
    if metadata.get("content") != CONTENT:
        raise UsageError(
            f"{path} is not a model of `microts fit` (its metadata does not say so): fit one "
            "with `microts fit`."
        )

    def malformed(what):
        return io.ModelFileError(f"{path} is not a model of `microts fit`: malformed {what}.")

    names = set(estimators) if isinstance(estimators, dict) else None
    if names not in ({"pipeline"}, {"pipeline", *_TRUST_PARTS}):
        raise malformed("content")
    if not isinstance(estimators["pipeline"], Pipeline):
        raise malformed("pipeline")
    if names != {"pipeline"} and not (
        all(isinstance(estimators[name], cls) for name, cls in _TRUST_PARTS.items())
        and _is_count(metadata.get("n_held_out"))
    ):
        raise malformed("calibration")
    n_features, feature_names = metadata.get("n_features"), metadata.get("feature_names")
    if not _is_count(n_features):
        raise malformed("feature count")
    if not (
        isinstance(feature_names, list)
        and len(feature_names) == n_features
        and all(type(name) is str for name in feature_names)
    ):
        raise malformed("feature names")


def _is_count(value):
    """Whether ``value`` is a whole number of at least 1 (a JSON number, not a bool)."""
    return type(value) is int and value >= 1


def _load_pickle(path):
    """The pipeline, feature size and trust of a pickle of an earlier `microts fit`; the
    estimators it holds warn, as any pickle of them does, if another version pickled them."""
    with path.open("rb") as file:
        try:
            header = pickle.load(file)
        except Exception as exc:  # a pickle fails in many ways; all mean "not our model"
            raise UsageError(f"{path} is not a model of `microts fit`: {exc}") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise UsageError(f"{path} is not a model of `microts fit`.")
        model = joblib.load(file)
        return model, header["n_features"], joblib.load(file) if header["calibrated"] else None
