"""What every neural sequence classifier of the package shares.

Label encoding, validation, the skorch net around a torch module (a module-level dataset
and collate for both iterators, a validation split with early stopping, per-term loss
logging, the device, seeding) and batched inference. A concrete classifier says which
module and loss to build and how to turn network outputs into class probabilities.
"""

import functools
import inspect
import math
import threading
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from numbers import Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.preprocessing import LabelEncoder, QuantileTransformer, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, PassthroughScoring
from skorch.dataset import ValidSplit
from skorch.hf import AccelerateMixin
from skorch.utils import to_device

from ..nn import CrossEntropyLoss, FrameDropoutCollate, SequenceDataset, pad_collate
from ..nn._data import BucketedLoader
from ..utils._device import resolve_device, training_device, usable_device
from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._persistence import VersionedPickleMixin
from ..utils._sklearn_compat import HasMethods, StrOptions, _fit_context
from ..utils._threads import MAX_THREADS, N_THREADS, with_torch_threads
from ..utils._validation import (
    FLOAT32_MAX,
    NON_NEGATIVE_FLOAT32,
    POSITIVE_INT,
    SHARE,
    NumberInterval,
    ResolvedAtFitMixin,
    check_case_labels,
    validate_params_in_use,
    validate_sequence_data,
)
from ._non_finite import StopOnNonFiniteLoss, check_finite_proba
from ._unfinished_fit import WarnOnInterrupt, unfitted_on_error

BASELINE_HISTORY = "Per-epoch ``train_loss`` and ``valid_loss``."
# The scalers of standardize=True: finite frames in, finite frames of the same shape out, so
# their output needs none of the checks that a user's transformer gets at each predict.
_SHAPE_KEEPING_SCALERS = (StandardScaler, QuantileTransformer)
# validation_fraction="auto": this share, when it holds out at least this many cases.
AUTO_VALIDATION_FRACTION, MIN_VALIDATION_CASES = 0.15, 30
# Adam and RAdam divide the learning rate by their first bias correction, 1 - beta1 = 0.1 at
# the first step, and hand the quotient to a float32 kernel: a larger rate overflows there.
LARGEST_LEARNING_RATE = FLOAT32_MAX * (1 - 0.9)

# The training parameters every neural classifier shares, in the order of their
# signatures: what ``fit`` checks each against, and its numpydoc entry after ``name :``
# (placeholders included, filled per class). ``BaseSequenceClassifier.__init__`` stores
# them, ``_parameter_constraints`` and ``TRAINING_DOCS`` are made from this table; each
# class keeps them in its own signature, where scikit-learn reads its parameters.
TRAINING_PARAMETERS = {
    "max_epochs": (
        [POSITIVE_INT],
        """\
int, default=100
    Training epochs.""",
    ),
    "batch_size": (
        [POSITIVE_INT],
        """\
int, default=16
    Cases per batch.""",
    ),
    "lr": (
        [NumberInterval(Real, 0, LARGEST_LEARNING_RATE, closed="right")],
        """\
float, default={lr}
    Learning rate of {optimizer}.""",
    ),
    "weight_decay": (
        [NON_NEGATIVE_FLOAT32],
        """\
float, default={weight_decay}
    Weight decay of the optimizer.""",
    ),
    "validation_fraction": (
        [SHARE, StrOptions({"auto"})],
        """\
float or "auto", default="auto"
    Share of the training cases held out (stratified) to monitor ``valid_loss``.
    ``"auto"`` holds out 15% when that makes at least 30 cases, and nothing otherwise:
    early stopping on a handful of cases follows noise, not the model.""",
    ),
    "patience": (
        [POSITIVE_INT, None],
        """\
int or None, default=10
    Early stopping on ``valid_loss`` (best weights restored); ``None`` trains all epochs.
    Needs a validation split.""",
    ),
    "standardize": (
        ["boolean", HasMethods(["fit", "transform"])],
        """\
bool or transformer, default=True
    Centre and scale every feature with the mean and standard deviation of the training
    frames, inside the estimator (``scaler_``), so that features of any scale train alike;
    under a Fourier frame embedding (:class:`~sklearn_microts.MicroTSClassifier`), map
    every feature to a standard normal through the training frames' quantiles instead.
    A scikit-learn transformer instead (for features whose scale spans orders of
    magnitude, ``QuantileTransformer(output_distribution="normal")``) is cloned and
    fitted on the training frames, each frame a sample; it must keep the number of
    features. ``False``: the features as given.""",
    ),
    "class_weight": (
        [dict, StrOptions({"balanced"}), None],
        """\
dict, "balanced" or None, default="balanced"
    Weights of the classes in the loss; ``"balanced"`` weighs each class by the inverse
    of its share of the training cases, so that a minority class (benign patients, say)
    is not traded for accuracy on the majority; ``None`` weighs every case alike. A dict
    maps labels to weights, finite and non-negative, at least one class of ``y`` weighing
    more than 0 (a class of weight 0 is left out of the loss, as in scikit-learn); a class
    it does not name weighs 1.""",
    ),
    "label_smoothing": (
        [SHARE],
        """\
float, default=0.0
    Label smoothing of the case-level cross-entropy, as in
    :func:`torch.nn.functional.cross_entropy`: the target puts ``1 - label_smoothing``
    plus an even share of ``label_smoothing`` on the case's class. It keeps the pooled
    prediction from saturating at 0 or 1 on training cases it has learned, so that the
    probabilities of new cases keep an order; 0 is plain cross-entropy.""",
    ),
    "frame_dropout": (
        [SHARE],
        """\
float, default=0.0
    Training augmentation: each frame of a training case is left out with this
    probability at every epoch (at least one frame is kept), so the network cannot rely
    on any single frame. Frames keep their order.""",
    ),
    "group_by_length": (
        ["boolean"],
        """\
bool, default=False
    Train on batches of cases of similar length (pools of 50 batches sorted by length,
    the batches shuffled): less padding, so less time and memory per epoch when lengths
    vary widely. Off by default: below one pool of cases (50 batches) the batches would
    hold the same cases at every epoch, which costs accuracy on small datasets.""",
    ),
    "device": (
        [str, torch.device],
        """\
str, default="auto"
    ``"auto"`` uses CUDA when available; the device used is ``device_``.""",
    ),
    "accelerator": (
        [HasMethods(["prepare", "backward"]), None],
        """\
accelerate.Accelerator or None, default=None
    Train through Hugging Face accelerate (several GPUs or machines, mixed precision;
    the ``accelerate`` extra), on the accelerator's device instead of ``device``.
    Launched with ``accelerate launch``, every process trains on its share of each
    epoch's batches and ends with the same model. See :ref:`scaling_out`.""",
    ),
    "n_threads": (
        [N_THREADS, None],
        """\
int or None, default=None
    Threads torch computes with in ``fit`` and ``predict`` (restored afterwards), at most
    {max_threads}; checked at every call, so a model loaded with more is an error.
    ``None`` keeps torch's count, which follows the share of the cores of a joblib or
    dask worker process (and :func:`threadpoolctl.threadpool_limits`); in a worker
    thread (joblib's ``"threading"`` backend, a dask worker's threads) it is divided
    among the threads. On a machine busy with other work, ``1`` is often much faster.
    See :ref:`scaling_out`.""",
    ),
    "callbacks": (
        [list, None],
        """\
list of (str, skorch.callbacks.Callback) or None, default=None
    Callbacks added to the skorch net, e.g. skorch's ``Checkpoint`` and
    ``LoadInitState`` to save training as it goes and resume it after an interruption
    (see :ref:`scaling_out`). Each fit uses clones; the fitted ones are in
    ``net_.callbacks_``.""",
    ),
    "random_state": (
        ["random_state"],
        """\
int, RandomState instance or None, default=None
    Seed of the initialisation, shuffling and validation split.""",
    ),
    "verbose": (
        ["verbose"],
        """\
int, default=0
    Print a line of losses per epoch.""",
    ),
}

# The training parameters and fitted attributes every neural classifier documents, as
# docstring pieces (:class:`~sklearn_microts.utils._docstring.Substitution`): each class
# gives ``lr``, ``optimizer``, ``weight_decay`` and what ``history_`` holds.
TRAINING_DOCS = {
    "max_threads": str(MAX_THREADS),
    "training_parameters": "\n".join(
        f"{name} : {entry}" for name, (_, entry) in TRAINING_PARAMETERS.items()
    ),
    "training_attributes": """\
classes_ : ndarray of shape (n_classes,)
    Class labels.
net_ : skorch.NeuralNet
    The trained network.
history_ : skorch.History
    {history}
device_ : str
    Device the network runs on: the one it was trained on, or the CPU once the model is
    loaded (from a pickle or a model file) on a machine without that device.
scaler_ : transformer or None
    The frame standardisation learned in ``fit``: a ``StandardScaler``, the fitted clone
    of the ``standardize`` transformer, or ``None`` with ``standardize=False``.
n_features_in_ : int
    Features per frame.""",
}


def checked_prediction(*, reads_inference_params=False):
    """Decorate a public inference method ``method(self, X)`` of a sequence classifier with
    the checks of a prediction, made here alone, once per call and before any work.

    ``n_threads`` first (:func:`~sklearn_microts.utils._threads.with_torch_threads`, under
    whose thread count the method then runs), then that the classifier is fitted, then, with
    ``reads_inference_params``, the parameters only inference reads
    (:meth:`BaseSequenceClassifier._check_inference_params`): ``set_params`` or a model file
    may have changed them since ``fit`` validated them.
    """

    def decorate(method):
        @with_torch_threads
        @functools.wraps(method)
        def checked(self, X):
            check_is_fitted(self)
            if reads_inference_params:
                self._check_inference_params()
            return method(self, X)

        return checked

    return decorate


class SequenceNet(WarnOnInterrupt, NeuralNet):
    """A skorch net whose criterion sees the batch's padding mask and returns named terms.

    Each term is recorded per batch as ``train_<term>`` / ``valid_<term>``; the
    :class:`~skorch.callbacks.PassthroughScoring` callbacks average them per epoch.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        # device is None under an accelerator, whose loaders have placed the batch already.
        terms = self.criterion_(
            y_pred, to_device(y_true, self.device), to_device(X["mask"], self.device)
        )
        prefix = "train" if training else "valid"
        for name, value in terms.items():
            if name != "loss":
                self.history.record_batch(f"{prefix}_{name}", float(value.detach()))
        return terms["loss"]


class AcceleratedSequenceNet(AccelerateMixin, SequenceNet):
    """A :class:`SequenceNet` trained through an ``accelerate.Accelerator``, which prepares
    its module, optimizer and loaders and places every batch (so the net's ``device`` is
    None); the module is unwrapped once training is over."""


class BaseSequenceClassifier(
    ResolvedAtFitMixin, VersionedPickleMixin, ClassifierMixin, BaseEstimator, metaclass=ABCMeta
):
    """Base of the neural sequence classifiers; see :class:`MicroTSClassifier`.

    Subclasses set ``_module_class`` and ``_criterion_class``, implement
    ``_proba_from_outputs``, and list their loss terms in ``_loss_terms``. The module and
    the loss receive the estimator's parameters of the same names (their signatures say
    which), those of ``_resolved_at_fit`` as resolved; a subclass adds the values it
    derives by extending ``_module_params``.
    """

    # The torch module, and the loss (a module returning a dict of named terms, "loss" the
    # total) the network is trained with.
    _module_class: type[torch.nn.Module]
    _criterion_class: type[torch.nn.Module]
    _loss_terms = ()
    _optimizer = torch.optim.Adam
    # The parameters only the class probabilities read (a subclass's inference strategy,
    # say), checked at each prediction of them: see ``_check_inference_params``.
    _inference_params = ()

    # Checked by scikit-learn at fit; subclasses merge in their own, as
    # ``{**BaseSequenceClassifier._parameter_constraints, ...}``.
    _parameter_constraints: ClassVar[dict] = {
        name: constraints for name, (constraints, _) in TRAINING_PARAMETERS.items()
    }

    # Only stores the parameters, as scikit-learn requires. Each subclass takes them, with
    # its defaults, keyword-only in its own signature (where get_params finds them) and
    # passes them on once it has stored its own, so that the attributes (and pickles) keep
    # the order of the signature; without defaults here, one it forgets is an error.
    def __init__(
        self,
        *,
        max_epochs,
        batch_size,
        lr,
        weight_decay,
        validation_fraction,
        patience,
        standardize,
        class_weight,
        label_smoothing,
        frame_dropout,
        group_by_length,
        device,
        accelerator,
        n_threads,
        callbacks,
        random_state,
        verbose,
    ):
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.frame_dropout = frame_dropout
        self.group_by_length = group_by_length
        self.device = device
        self.accelerator = accelerator
        self.n_threads = n_threads
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    @unfitted_on_error
    @with_torch_threads
    @_fit_context(prefer_skip_nested_validation=True)
    @Substitution(**SEQUENCE_DOCS)
    def fit(self, X, y):
        """Train the network on cases ``X`` with one label per case.

        Parameters
        ----------
        {X_train}
        {y_train}

        Returns
        -------
        self : estimator
            The fitted classifier.
        """
        self._check_params_beyond_constraints()
        self._resolve_params()
        frames, lengths = validate_sequence_data(self, X, reset=True)
        y = check_case_labels(y, len(lengths))
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"The classifier needs cases of at least 2 classes; y holds only one class: "
                f"{self.classes_[0]!r}."
            )
        labels = self._label_encoder.transform(y)
        self._before_training(lengths, frames.shape[1])
        self.scaler_ = self._fitted_scaler(frames)
        frames = self._standardized(frames)
        self.device_ = training_device(self.accelerator, self.device)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        # torch draws the initial weights, dropout masks and batch orders from its global
        # generators: they are seeded inside a fork, so the caller's random state is left
        # as it was found.
        with _seeded_torch(seed, self.device_):
            self.net_ = self._build_net(frames.shape[1], labels, seed)
            self.net_.fit(self._dataset(frames, lengths, labels), y=labels)
        if self.accelerator is not None:
            # Trained and unwrapped, the network is a plain one on the accelerator's device:
            # it says so, and pickles as one (skorch warns when it loads a net without one).
            self.net_.device = self.device_
        self.history_ = self.net_.history
        self._after_fit(frames, lengths, labels)
        return self

    def __setstate__(self, state):
        # skorch maps the net's weights to the CPU where the device is missing; inference
        # reads device_, so it moves with them.
        if "device_" in state:
            state = {**state, "device_": usable_device(state["device_"])}
        super().__setstate__(state)

    @checked_prediction(reads_inference_params=True)
    @Substitution(**SEQUENCE_DOCS)
    def predict_proba(self, X):
        """Class probabilities of each case.

        Parameters
        ----------
        {X}

        Returns
        -------
        proba : ndarray of shape (n_cases, n_classes)
            Columns follow ``classes_``; the argmax of each row is :meth:`predict`.
        """
        outputs, lengths = self._forward(X)
        return check_finite_proba(self._proba_from_outputs(outputs, lengths))

    @Substitution(**SEQUENCE_DOCS)
    def predict(self, X):
        """The class of each case.

        Parameters
        ----------
        {X}

        Returns
        -------
        y_pred : ndarray of shape (n_cases,)
            Predicted labels, of the type of the training labels.
        """
        proba = self.predict_proba(X)  # first: it makes the checks of the call
        return self.classes_[np.argmax(proba, axis=1)]

    # -- for subclasses ---------------------------------------------------------------------

    def _module_params(self, n_features, n_classes):
        """Keyword arguments of ``_module_class``."""
        return self._signature_params(
            self._module_class, n_features=n_features, n_classes=n_classes
        )

    def _criterion_params(self, n_classes, class_weight):
        """Keyword arguments of ``_criterion_class``; ``class_weight`` one weight per class."""
        return self._signature_params(
            self._criterion_class, n_classes=n_classes, class_weight=class_weight
        )

    def _signature_params(self, module_class, **known):
        """The parameters of ``module_class`` that ``known`` or the estimator's parameters of
        the same name give: each default is written once, in the estimator. Those resolved
        at fit are read as resolved, so that a network rebuilt around saved weights is the
        one trained, whatever ``set_params`` changed since."""
        resolved = {name: self._resolved(name) for name in self._resolved_at_fit}
        values = {**self.get_params(deep=False), **resolved, **known}
        names = inspect.signature(module_class).parameters
        return {name: values[name] for name in names if name in values}

    @abstractmethod
    def _proba_from_outputs(self, outputs, lengths):
        """Class probabilities from the concatenated network outputs."""

    def _parts(self, frames, lengths):
        """The aligned frame arrays the module reads; by default the frames only."""
        return {"x": frames}

    def _before_training(self, lengths, n_features):
        """Hook run before the frames are standardised and the network is built (e.g. to
        resolve a parameter from the training cases' lengths or their frames' width)."""

    def _default_scaler(self, n_frames):
        """The frame standardisation of ``standardize=True`` for ``n_frames`` training
        frames, unfitted."""
        return StandardScaler()

    def _after_fit(self, frames, lengths, labels):
        """Hook run once training is done (e.g. to keep what inference needs)."""

    def _validation_cases(self, labels):
        """Indices of the training cases held out for validation in ``fit`` (none without a
        validation split): the split is seeded, so it is drawn again identically."""
        if self.net_.train_split is None:
            return np.array([], dtype=int)
        _, valid = self.net_.train_split(np.arange(len(labels)), labels)
        return np.asarray(valid.indices)

    def _check_params_beyond_constraints(self):
        """Checks ``_parameter_constraints`` cannot express, such as relations between
        parameters; run at fit after them."""

    def _check_inference_params(self):
        """Check ``_inference_params`` against ``_parameter_constraints``; a subclass adds
        the checks those cannot express. Run by :func:`checked_prediction` at each
        prediction of class probabilities, the classifier fitted."""
        validate_params_in_use(self, self._inference_params)

    def _check_fitted_state(self):
        """Refuse, with a ``ValueError`` naming the attribute, fitted attributes that
        disagree with one another. Run when a model file is loaded, before the network is
        rebuilt: a crafted file chooses every value, and a wrong one would crash a later
        prediction or, worse, silently move its probabilities."""
        if not hasattr(self, "classes_"):
            return  # saved unfitted
        classes = self.classes_
        if not (isinstance(classes, np.ndarray) and classes.ndim == 1 and len(classes) >= 2):
            raise ValueError("classes_ is not an array of at least two classes.")
        if type(self.n_features_in_) is not int or self.n_features_in_ < 1:
            raise ValueError(f"n_features_in_ is {self.n_features_in_!r}, not a positive int.")

    def _check_heads_divide(self, width, heads):
        """Attention splits the width ``width`` evenly among ``heads`` heads."""
        if getattr(self, width) % getattr(self, heads):
            raise ValueError(
                f"{width}={getattr(self, width)} must be divisible by "
                f"{heads}={getattr(self, heads)}."
            )

    def _fitted_scaler(self, frames):
        if not hasattr(self.standardize, "fit"):  # a boolean
            return self._default_scaler(len(frames)).fit(frames) if self.standardize else None
        return clone(self.standardize).fit(frames)

    def _standardized(self, frames):
        if self.scaler_ is None:
            return frames
        scaled = np.asarray(self.scaler_.transform(frames))
        if type(self.scaler_) in _SHAPE_KEEPING_SCALERS:
            return scaled.astype(frames.dtype, copy=False)
        if scaled.shape != frames.shape:
            raise ValueError(
                f"standardize={self.scaler_!r} turned frames of shape {frames.shape} into "
                f"{scaled.shape}: the frame standardisation must keep the number of features."
            )
        if not np.all(np.isfinite(scaled)):
            raise ValueError(
                f"standardize={self.scaler_!r} gave NaN or infinite values for finite frames."
            )
        return scaled.astype(frames.dtype, copy=False)

    def _validation_share(self, n_cases):
        if self.validation_fraction != "auto":
            return self.validation_fraction
        enough = AUTO_VALIDATION_FRACTION * n_cases >= MIN_VALIDATION_CASES
        return AUTO_VALIDATION_FRACTION if enough else 0.0

    def _class_weights(self, labels):
        """One weight per encoded class, or None; errors name labels ``y`` does not hold
        and weights the loss cannot take."""
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, dict):
            _check_class_weight_dict(self.class_weight, self.classes_)
        weights = compute_class_weight(
            self.class_weight, classes=self.classes_, y=self.classes_[labels]
        )
        return weights.tolist()

    # -- machinery ----------------------------------------------------------------------------

    def _dataset(self, frames, lengths, labels=None):
        parts = {
            name: values.astype(np.float32, copy=False)
            for name, values in self._parts(frames, lengths).items()
        }
        return SequenceDataset(parts, lengths, labels, device=self.device_)

    def _train_batches(self):
        """The skorch arguments of the training iterator: random batches, or length buckets."""
        if self.group_by_length:
            return {"iterator_train": BucketedLoader}
        return {"iterator_train__shuffle": True}

    def _build_net(self, n_features, labels, seed):
        n_classes = len(self.classes_)
        train_split = self._validation_split(labels, seed)
        placement = (
            {"device": self.device_}
            if self.accelerator is None
            else {"accelerator": self.accelerator, "device": None}
        )
        return (SequenceNet if self.accelerator is None else AcceleratedSequenceNet)(
            module=self._module_class,
            criterion=self._criterion_class,
            optimizer=self._optimizer,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            **self._train_batches(),
            iterator_train__collate_fn=FrameDropoutCollate(self.frame_dropout, seed),
            iterator_valid__collate_fn=pad_collate,
            # Each DataLoader draws a seed from its generator, by default torch's global one:
            # prediction would change the caller's random state.
            iterator_valid__generator=torch.Generator(),
            train_split=train_split,
            callbacks=self._callbacks(validating=train_split is not None),
            verbose=int(self.verbose),
            **placement,
            **{f"module__{k}": v for k, v in self._module_params(n_features, n_classes).items()},
            **{
                f"criterion__{k}": v
                for k, v in self._criterion_params(n_classes, self._class_weights(labels)).items()
            },
        )

    def _validation_split(self, labels, seed):
        """skorch's split holding out ``validation_fraction`` of the training cases
        (stratified where every class can be in both parts), or None."""
        share = self._validation_share(len(labels))
        if share == 0:
            return None
        # Rounded as scikit-learn's splitters round them.
        n_valid = math.ceil(share * len(labels))
        n_train = math.floor((1 - share) * len(labels))
        if n_train == 0:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} holds out all "
                f"{len(labels)} training cases: none is left to train on."
            )
        counts = np.bincount(labels)
        stratified = counts.min() >= 2 and min(n_valid, n_train) >= len(counts)
        return ValidSplit(share, stratified, random_state=seed)

    def _callbacks(self, validating):
        """The net's callbacks: the loss terms' scores (also on the validation cases, and
        early stopping on them, when ``validating``), then clones of the user's."""
        callbacks = [("stop_on_non_finite_loss", StopOnNonFiniteLoss())]
        callbacks += [
            (f"train_{term}", PassthroughScoring(f"train_{term}", on_train=True))
            for term in self._loss_terms
        ]
        # Clones: fit leaves the parameter as given (and the estimator clonable).
        callbacks += [
            (name, clone(callback, safe=False)) for name, callback in self.callbacks or ()
        ]
        if validating:
            callbacks += [
                (f"valid_{term}", PassthroughScoring(f"valid_{term}")) for term in self._loss_terms
            ]
            if self.patience is not None:
                callbacks.append(
                    ("early_stopping", EarlyStopping(patience=self.patience, load_best=True))
                )
        return callbacks

    def _forward(self, X):
        """Network outputs of every batch of cases ``X`` (padded per batch), and lengths;
        for a public method that :func:`checked_prediction` decorates."""
        frames, lengths = validate_sequence_data(self, X, reset=False)
        return self._forward_frames(self._standardized(frames), lengths)

    def _forward_frames(self, frames, lengths):
        # Our own loop rather than skorch's forward_iter: an ablated branch outputs None,
        # which forward_iter cannot move between devices. And our own loader rather than the
        # net's: under an accelerator, each process must read all of its cases, not a shard.
        loader = torch.utils.data.DataLoader(
            self._dataset(frames, lengths),
            batch_size=self.batch_size,
            collate_fn=pad_collate,
            generator=torch.Generator(),  # not torch's global one: predict draws a seed
        )
        module = self.net_.module_.eval()
        outputs = []
        with torch.no_grad():
            for X, _ in loader:
                batch = module(**{name: t.to(self.device_) for name, t in X.items()})
                outputs.append(tuple(None if o is None else o.cpu() for o in batch))
        return outputs, lengths

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        # CUDA kernels (atomics in scatter and attention backward) are not bit-reproducible.
        # An accelerator trains on its own device, whatever ``device`` says (tags never raise:
        # an object without one is refused at fit).
        device = getattr(self.accelerator, "device", self.device)
        device = resolve_device(device) if device == "auto" else device
        tags.non_deterministic = str(device) != "cpu"
        return tags


def _check_class_weight_dict(class_weight, classes):
    """Refuse a ``class_weight`` dict that names a label ``classes`` lacks, or whose weights
    the loss cannot take.

    scikit-learn passes the weights on unchecked (a negative one there too ends in a
    failure that names no weight). As its logistic regression does, a weight of 0 leaves a
    class out of the loss, which needs a class of positive weight left. A weight beyond the
    float32 range would be infinite in the loss.
    """
    unseen = set(class_weight) - set(classes.tolist())
    if unseen:
        raise ValueError(f"class_weight names labels that y does not hold: {sorted(unseen)!r}.")
    for label, weight in class_weight.items():
        if not NON_NEGATIVE_FLOAT32.is_satisfied_by(weight):
            raise ValueError(
                f"class_weight[{label!r}] is {weight!r}: a class weight must be a finite "
                f"number in [0, {FLOAT32_MAX:.4g}] (float32, which the loss computes in)."
            )
    if len(class_weight) == len(classes) and not any(class_weight.values()):
        raise ValueError(
            f"class_weight gives every class of y weight 0: {class_weight!r}. The loss "
            "would leave every case out; give at least one class a positive weight."
        )


_GENERATORS_LOCK = threading.RLock()


@contextmanager
def _seeded_torch(seed, device):
    """Seed torch's generators for ``device`` inside a fork of their state.

    Only the generators the training draws from are seeded: the CPU one, and every CUDA
    one when training on CUDA (``torch.manual_seed`` would also queue a seed for a CUDA
    device not yet initialised, changing its state after the fork is closed).

    The generators are the process's own: two fits in threads of one process (joblib's
    threading backend, a dask worker's threads) would draw weights and dropout masks from
    each other's streams and restore each other's states. A process-wide lock makes them
    take turns.
    """
    on_cuda = torch.device(device).type == "cuda"
    devices = list(range(torch.cuda.device_count())) if on_cuda else []
    with _GENERATORS_LOCK, torch.random.fork_rng(devices=devices):
        torch.default_generator.manual_seed(seed)
        if on_cuda:
            torch.cuda.manual_seed_all(seed)
        yield


class BaseCrossEntropyClassifier(BaseSequenceClassifier):
    """Base of the baselines: a module that outputs case logits, trained by cross-entropy.

    Subclasses set ``_module_class``.
    """

    _criterion_class = CrossEntropyLoss

    def _proba_from_outputs(self, outputs, lengths):
        logits = torch.cat([batch[0] for batch in outputs])
        return torch.softmax(logits, dim=-1).numpy()
