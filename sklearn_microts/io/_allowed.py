"""The classes a model file may hold, and how the parts of them that are code are rebuilt.

A class is named in a model file by its public path (``sklearn_microts.MicroTSClassifier``,
``sklearn.pipeline.Pipeline``) and looked up here, never imported by that name: a file that
names any other class is refused. Two fitted attributes are code rather than data, and are
rebuilt from what the package installs: the skorch network of a neural classifier (its
weights are data, its module the estimator's own) and the backbone of an
:class:`~sklearn_microts.preprocessing.ImageFeatureExtractor` (a named one, whose weights
come from its package).
"""

import functools

import numpy as np
import torch

from ..utils._device import usable_device
from ._errors import ModelFileError


@functools.cache
def allowed_classes():
    """``{public name: class}`` of every class a model file may hold."""
    # Imported here: the package's __init__ imports this subpackage.
    from sklearn import calibration
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        LabelEncoder,
        MaxAbsScaler,
        MinMaxScaler,
        PowerTransformer,
        QuantileTransformer,
        RobustScaler,
        StandardScaler,
    )

    from .. import baselines, classifiers, preprocessing, uncertainty

    classes = {
        f"{package.__name__}.{name}": getattr(package, name)
        for package in (classifiers, baselines, preprocessing, uncertainty)
        for name in package.__all__
        if isinstance(getattr(package, name), type)
    }
    # What a fitted classifier holds (its labels, its scaler: scikit-learn's frame-wise
    # scalers are what ``standardize`` takes), a pipeline, and what a
    # calibrated model of `microts fit --calibrate` holds.
    # (Temperature scaling is scikit-learn 1.8's.)
    calibrators = ("_CalibratedClassifier", "_SigmoidCalibration", "_TemperatureScaling")
    theirs = {
        "sklearn.pipeline": [Pipeline],
        "sklearn.preprocessing": [
            LabelEncoder,
            StandardScaler,
            RobustScaler,
            MinMaxScaler,
            MaxAbsScaler,
            PowerTransformer,
            QuantileTransformer,
        ],
        "sklearn.frozen": [FrozenEstimator],
        "sklearn.calibration": [calibration.CalibratedClassifierCV]
        + [getattr(calibration, name) for name in calibrators if hasattr(calibration, name)],
    }
    classes.update(
        {f"{module}.{cls.__name__}": cls for module, members in theirs.items() for cls in members}
    )
    return classes


@functools.cache
def allowed_names():
    """``{class: public name}``, the inverse of :func:`allowed_classes`."""
    return {cls: name for name, cls in allowed_classes().items()}


class _NetPart:
    """``net_`` of a neural classifier: the state of its module and loss (weights and
    buffers, as tensors), rebuilt around them by the estimator's own ``_build_net``.

    Only what prediction needs comes back: the network is built without a validation split
    (which only chose the epoch to keep) and without its optimizer's state; ``fit`` trains a
    new network anyway.
    """

    attribute = "net_"
    states = ("module", "criterion")

    def dump(self, estimator, net, encoder, where):
        record = {"device": str(estimator.device_)}
        for name in self.states:
            state = getattr(net, f"{name}_").state_dict()
            record[name] = encoder.encode(state, f"{where}.net_.{name}_")
        return record

    def restore(self, estimator, record, decoder, where):
        estimator.device_ = usable_device(decoder.decode(record["device"], f"{where}.net_.device"))
        # A twin builds the net: the estimator keeps its parameters as saved.
        twin = object.__new__(type(estimator))
        twin.__dict__.update(estimator.__dict__, validation_fraction=0.0)
        n_classes = len(estimator.classes_)
        states = {
            name: decoder.decode(record[name], f"{where}.net_.{name}_") for name in self.states
        }
        _check_sizes(twin, states, estimator.n_features_in_, n_classes, where)
        # Initialisation draws weights from torch's generator: leave the caller's as it was.
        with torch.random.fork_rng(devices=[]):
            net = twin._build_net(estimator.n_features_in_, np.arange(n_classes), 0)
            net.initialize()
        for name, state in states.items():
            try:
                getattr(net, f"{name}_").load_state_dict(state)
            except (RuntimeError, TypeError, AttributeError) as exc:
                raise _does_not_fit(where, name, exc) from exc
        if hasattr(estimator, "history_"):
            net.history = estimator.history_
        estimator.net_ = net


def _check_sizes(estimator, states, n_features, n_classes, where):
    """The saved states against the sizes the estimator's parameters give, before anything
    is built at those sizes: a crafted ``d_model=30000`` or ``target_length=10**8`` would
    allocate gigabytes before the weights were found not to fit. The module is built on
    torch's meta device, which allocates nothing; the loss's only sized buffer is the class
    targets, ``target_length`` long."""
    if not all(isinstance(state, dict) for state in states.values()):
        raise ModelFileError(f"{where}.net_: a saved state is not a map of tensors.")
    with torch.device("meta"):
        module = estimator._module_class(**estimator._module_params(n_features, n_classes))
    expected = {name: tuple(tensor.shape) for name, tensor in module.state_dict().items()}
    saved = {
        name: tuple(getattr(tensor, "shape", ())) for name, tensor in states["module"].items()
    }
    if saved != expected:
        wrong = sorted(set(saved) ^ set(expected)) or [
            name for name in expected if saved[name] != expected[name]
        ]
        raise _does_not_fit(where, "module", f"these tensors differ in name or shape: {wrong[:5]}")
    length = estimator._criterion_params(n_classes, None).get("target_length")
    targets = states["criterion"].get("targets")
    if length is not None and getattr(targets, "shape", (None, None))[1:2] != (length,):
        raise _does_not_fit(where, "criterion", f"its targets are not target_length={length} long")


def _does_not_fit(where, name, reason):
    return ModelFileError(
        f"{where}.net_: the saved {name} state does not fit the network the estimator's "
        f"parameters build: {reason}"
    )


class _BackbonePart:
    """``backbone_`` of an image feature extractor: a named backbone, loaded from its
    package. (A backbone of your own is code: its ``backbone`` parameter cannot be saved.)"""

    attribute = "backbone_"

    def dump(self, estimator, backbone, encoder, where):
        return {}

    def restore(self, estimator, record, decoder, where):
        from ..preprocessing._images import BACKBONES, _in_eval_mode, _load_backbone

        if estimator.backbone not in BACKBONES:
            raise ModelFileError(
                f"{where}.backbone is {estimator.backbone!r}, not one of {sorted(BACKBONES)}."
            )
        estimator.device_ = usable_device(estimator.device_)
        estimator.backbone_ = _in_eval_mode(_load_backbone(estimator.backbone), estimator.device_)


def parts_of(cls):
    """The parts of ``cls`` rebuilt rather than stored."""
    from ..classifiers._base import BaseSequenceClassifier
    from ..preprocessing import ImageFeatureExtractor

    kinds = ((BaseSequenceClassifier, _NetPart()), (ImageFeatureExtractor, _BackbonePart()))
    return [part for base, part in kinds if issubclass(cls, base)]
