"""MicroTSClassifier: the method of Hong et al. as a scikit-learn classifier."""

import math
from numbers import Integral
from typing import ClassVar

import numpy as np
import pywt
import torch
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils.metaestimators import available_if

from ..nn import MicroTSLoss, MicroTSModule
from ..softdtw import cdist_dtw, cdist_soft_dtw
from ..utils._convert import pad_frames
from ..utils._docstring import SEQUENCE_DOCS, Substitution
from ..utils._sklearn_compat import StrOptions
from ..utils._validation import (
    NON_NEGATIVE_FLOAT32,
    POSITIVE_FLOAT32,
    POSITIVE_INT,
    SHARE,
    NumberInterval,
)
from ..utils._wavelet import as_wavelet, check_split_representable, stable_part
from ._base import TRAINING_DOCS, BaseSequenceClassifier, checked_prediction
from ._vote import (
    EQUAL_WEIGHTS,
    TIE_BREAKER,
    UNLEARNED_POOL,
    VOTERS,
    fit_log_linear_pool,
    linear_pool,
    log_linear_pool,
    weighted_vote,
)

STRATEGIES = (*VOTERS, "vote")
# The knn search compares blocks of test cases with the reference cases, at most this many
# pairs a block: its memory stays bounded (20,000 x 20,000 pairs at once took over 24 GB).
_KNN_BLOCK_PAIRS = 2**22
# QuantileTransformer's default; fewer when the training cases hold fewer frames.
_N_QUANTILES = 1000


def _has_branch(name):
    """For ``available_if``: the methods that read a branch exist only with it, so that
    ``hasattr`` tells what a model offers (the displays and :mod:`~sklearn_microts.inspection`
    ask that way). Once fitted, the branches of the network built; before, the parameter's."""
    output = {"attention": "per-frame output", "pooling": "attention pooling"}[name]

    def check(classifier):
        if not classifier._resolved(name):
            raise AttributeError(f"{name}=False: the network has no {output}.")
        return True

    return check


@Substitution(
    **TRAINING_DOCS,
    lr="1e-3",
    optimizer="Adam",
    weight_decay="0.0",
    history=(
        "Per-epoch losses: ``train_loss``, ``valid_loss`` and each term\n"
        "(``train_dtw``, ``train_ap``, ``train_align``, ``valid_*``)."
    ),
)
class MicroTSClassifier(BaseSequenceClassifier):
    """Classify cases of microscope frames as time series (Hong et al., ISBI 2025).

    Each case is embedded frame by frame, passed through sigmoid self-attention and
    cross-attention to its wavelet stable and rapid parts, and read by one head that gives
    per-frame class probabilities ``y_attn``; gated attention pooling over the frames gives
    the case prediction ``y_ap`` through the same head. Training fits ``y_attn`` to a class
    target sequence with soft-DTW, ``y_ap`` to the label, and aligns the two (Eqs. 6-8 of the
    paper). Read more in :ref:`method`.

    A parameter set after ``fit`` takes effect at the next fit, except those that only
    inference reads (``strategy``, ``n_neighbors``, ``knn_reference_size``,
    ``vote_weights``, checked again at every prediction): the fitted classifier computes
    with what it was fitted with (``wavelet_``, ``gamma_``, ...).

    Parameters
    ----------
    d_model, n_heads, mlp_dim : int, default=64, 2, 128
        Width, heads and MLP width of the attention blocks. The paper's ViT-Tiny widths
        (192, 3, 768, with ``head_hidden=192`` and ``pool_hidden=128``) scored lower in an
        inner cross-validation on the training cases of nine datasets of the benchmark
        suite (36 to 270 training cases) and trained about three times more slowly: these
        narrower defaults were chosen there (:ref:`bench_suite`).
    head_hidden : int, default=64
        Hidden width of the shared head.
    pool_hidden : int, default=64
        Width of the gated attention pooling.
    dropout : float, default=0.1
        Dropout in the attention blocks.
    input_dropout : float, default=0.0
        Dropout on the input features during training.
    frame_embedding : {"auto", "linear", "fourier"}, default="auto"
        The network's first layer. ``"linear"``: the paper's linear map of each frame.
        ``"fourier"``: random Fourier features of each frame, then a linear map
        (:class:`~sklearn_microts.nn.FourierEmbedding`), with ``standardize=True`` mapping
        each feature to a standard normal through the training frames' quantiles. A linear
        embedding of a frame of one feature puts all frames on one line, and attention
        pooling then reads little more than a weighted mean of a case's values: on PLAID
        (univariate, 11 classes) ``"ap"`` stayed at the majority class. ``"auto"``:
        ``"fourier"`` for frames of one feature (univariate series), ``"linear"``
        otherwise (the paper's image features). The value used is ``frame_embedding_``.
    attention_length : "auto", int or None, default="auto"
        Cases of more frames ``n`` than this have ``log(n / attention_length)`` subtracted
        from their sigmoid attention scores, which keeps the attention output at the scale
        of a case of ``attention_length`` frames; ``1`` is the bias ``-log n`` that
        Ramapuram et al. (2025) give sigmoid attention (each frame takes about an average
        over its case). ``None``: the paper's Eq. 2 as written, a sum over the frames that
        grows with them: on cases of hundreds of frames the frame-wise softmax then
        saturates and the network learns no class. ``"auto"``: ``None`` when the median
        training case has at most ``target_length`` frames (the paper's regime: its
        BreakHis results hold there, and fell with the bias), ``1`` otherwise. The value
        used is ``attention_length_``.
    wavelet : str or None, default="haar"
        Wavelet of the stable/rapid split; ``None`` skips cross-attention (ablation i).
    wavelet_level : int, default=1
        Decomposition level, capped per case.
    target : {"implicit", "explicit"}, default="implicit"
        Beta(3, 20)-shaped class targets, or one-hot ones (ablation ii).
    target_length : int, default=25
        Length ``l`` of the target sequences (>= 2).
    reference : bool, default=True
        Subtract ``SDTW(y_ideal, y_l)`` in the DTW loss (``False``: ablation iii).
    normalize_dtw : bool, default=True
        Scale each case's DTW loss by ``target_length / n_frames`` when the case is longer
        than the target. A soft-DTW value sums over at least ``n_frames`` cells: unscaled,
        the DTW term of long cases (hundreds of frames) drowns the case-level terms and the
        network learns no class. Cases no longer than the target, as in the paper, are
        unchanged. See :ref:`method_loss`.
    gamma : float, default=0.1
        Soft-DTW smoothing, in the loss and the ``"dtw"`` strategy.
    lambda_dtw, lambda_ap, lambda_align : float, default=1.0, 10.0, 10.0
        Weights of the loss terms (``lambda_align=0``: ablation iv).
    attention : bool, default=True
        Keep the attention branch; ``False`` (ablation v) predicts with ``"ap"``.
    pooling : bool, default=True
        Keep attention pooling; ``False`` (ablation vi) predicts with ``"dtw"``.
    strategy : {"vote", "ap", "dtw", "knn"}, default="vote"
        Inference: pooled prediction, nearest class target in soft-DTW, k nearest training
        cases in DTW between ``y_attn`` sequences, or the vote of the three
        (``vote_weights``). Overridden by the ablations above. Only inference depends on it:
        ``set_params(strategy=...)`` after ``fit`` switches strategy without retraining.
    n_neighbors : int, default=5
        Neighbours of the ``"knn"`` strategy.
    knn_reference_size : int or None, default=None
        Training cases the ``"knn"`` strategy compares each case with: ``None`` for all of
        them (exact search, a cost of ``n_test x n_train`` DTW); an int for at most that many
        (at least one per class), each class in proportion and evenly spaced among its cases,
        which bounds the cost of a prediction whatever the training set. Read at prediction
        time, like ``strategy``.
    vote_weights : "auto", "equal" or dict, default="auto"
        How ``"ap"``, ``"dtw"`` and ``"knn"`` combine in the ``"vote"`` strategy.
        ``"equal"``: the paper's majority of the three (a tie goes to ``"ap"``). A dict:
        each voter's non-negative weight in a weighted majority (a tie of totals goes to
        ``"ap"``). ``"auto"``: a vote learned on the validation cases held out in ``fit``,
        a log-linear pool (the voters' probabilities multiplied, each raised to its weight,
        renormalised) whose weights maximise the likelihood of those cases, so that two
        voices that err together (the frame-wise ones share ``y_attn``) cannot outvote a
        better one. Without validation cases (fewer than 200 training cases at the default
        ``validation_fraction``), a linear pool: the voters' probabilities averaged, ``"ap"``
        at weight 1/2 and ``"dtw"`` and ``"knn"`` at 1/4 each, for the same reason; unlike a
        majority of three calls, its probabilities keep each voter's doubt, so they rank
        the cases. Read at prediction time:
        ``set_params(vote_weights="equal")`` after ``fit`` switches without retraining.
        The pool is learned only in ``fit``: a model fitted with ``"equal"`` or a dict and
        then set to ``"auto"`` votes by the majority (``vote_pooling_`` says which).
    {training_parameters}

    Attributes
    ----------
    {training_attributes}
    train_frame_proba_ : ndarray of shape (n_training_frames, n_classes)
        ``y_attn`` (float32) of every frame of the training cases, the cases one after the
        other: the references of the ``"knn"`` strategy. Only with ``attention=True``.
    train_lengths_ : ndarray of shape (n_training_cases,)
        Frames of each training case in ``train_frame_proba_``.
    train_labels_ : ndarray of shape (n_training_cases,)
        Class of each training case, as an index into ``classes_``.
    attention_length_ : int or None
        The ``attention_length`` the network was built with (``"auto"`` resolved).
    frame_embedding_ : {"linear", "fourier"}
        The ``frame_embedding`` the network was built with (``"auto"`` resolved).
    strategies_ : tuple of str
        The inference strategies the fitted network offers: all four, or the one an
        ablation leaves (``("ap",)`` without attention, ``("dtw",)`` without pooling).
    target_sequences_ : ndarray of shape (n_classes, target_length, n_classes)
        The class target sequences ``y_l`` the per-frame probabilities were trained
        against, one per class, as the ``"dtw"`` strategy reads them. Only with
        ``attention=True``.
    vote_pooling_ : {"majority", "log-linear", "linear"}
        How the vote combined its voters in ``fit``: with ``vote_weights="auto"``,
        ``"log-linear"`` where it learned a pool on validation cases, ``"linear"`` where
        there were none (or no voter told their classes apart); ``"majority"`` otherwise.
        Only with ``attention=True`` and ``pooling=True``.
    vote_weights_ : dict of str to float
        The voters' weights in that vote: their votes in a majority, their exponents in the
        log-linear pool (learned), their shares in the linear pool. Only with
        ``attention=True`` and ``pooling=True``.
    wavelet_ : str, pywt.Wavelet or None
        The ``wavelet`` of the stable/rapid split the network was trained on.
    wavelet_level_ : int
        The ``wavelet_level`` of that split.
    gamma_ : float
        The soft-DTW smoothing of the loss, and of the ``"dtw"`` strategy.
    attention_ : bool
        Whether the network has the attention branch (``attention``).
    pooling_ : bool
        Whether the network has attention pooling (``pooling``).

    Examples
    --------
    >>> from sklearn_microts import MicroTSClassifier
    >>> from sklearn_microts.datasets import make_microscopy_sequences
    >>> X, y = make_microscopy_sequences(n_cases=40, n_features=8, random_state=0)
    >>> clf = MicroTSClassifier(d_model=24, mlp_dim=48, max_epochs=3, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _module_class = MicroTSModule
    _criterion_class = MicroTSLoss
    _loss_terms = ("dtw", "ap", "align")

    _parameter_constraints: ClassVar[dict] = {
        **BaseSequenceClassifier._parameter_constraints,
        **{
            name: [POSITIVE_INT]
            for name in (
                "d_model",
                "n_heads",
                "mlp_dim",
                "head_hidden",
                "pool_hidden",
                "wavelet_level",
            )
        },
        **{name: [SHARE] for name in ("dropout", "input_dropout")},
        "attention_length": [StrOptions({"auto"}), POSITIVE_INT, None],
        "frame_embedding": [StrOptions({"auto", "linear", "fourier"})],
        "wavelet": [str, pywt.Wavelet, None],
        "target": [StrOptions({"implicit", "explicit"})],
        "target_length": [NumberInterval(Integral, 2, None, closed="left")],
        "reference": ["boolean"],
        "normalize_dtw": ["boolean"],
        "gamma": [POSITIVE_FLOAT32],
        **{name: [NON_NEGATIVE_FLOAT32] for name in ("lambda_dtw", "lambda_ap", "lambda_align")},
        "attention": ["boolean"],
        "pooling": ["boolean"],
        "strategy": [StrOptions(set(STRATEGIES))],
        "n_neighbors": [POSITIVE_INT],
        "knn_reference_size": [POSITIVE_INT, None],
        "vote_weights": [StrOptions({"auto", "equal"}), dict],
    }
    # Read at prediction time, where set_params may have changed them after fit.
    _inference_params = ("strategy", "n_neighbors", "knn_reference_size", "vote_weights")
    # What the network, its loss and the "dtw" strategy are built with: fixed at fit.
    _resolved_at_fit = ("wavelet", "wavelet_level", "gamma", "attention", "pooling")

    def __init__(
        self,
        *,
        d_model=64,
        n_heads=2,
        mlp_dim=128,
        head_hidden=64,
        pool_hidden=64,
        dropout=0.1,
        input_dropout=0.0,
        frame_embedding="auto",
        attention_length="auto",
        wavelet="haar",
        wavelet_level=1,
        target="implicit",
        target_length=25,
        reference=True,
        normalize_dtw=True,
        gamma=0.1,
        lambda_dtw=1.0,
        lambda_ap=10.0,
        lambda_align=10.0,
        attention=True,
        pooling=True,
        strategy="vote",
        n_neighbors=5,
        knn_reference_size=None,
        vote_weights="auto",
        max_epochs=100,
        batch_size=16,
        lr=1e-3,
        weight_decay=0.0,
        validation_fraction="auto",
        patience=10,
        standardize=True,
        class_weight="balanced",
        label_smoothing=0.0,
        frame_dropout=0.0,
        group_by_length=False,
        device="auto",
        accelerator=None,
        n_threads=None,
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.d_model = d_model
        self.n_heads = n_heads
        self.mlp_dim = mlp_dim
        self.head_hidden = head_hidden
        self.pool_hidden = pool_hidden
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.frame_embedding = frame_embedding
        self.attention_length = attention_length
        self.wavelet = wavelet
        self.wavelet_level = wavelet_level
        self.target = target
        self.target_length = target_length
        self.reference = reference
        self.normalize_dtw = normalize_dtw
        self.gamma = gamma
        self.lambda_dtw = lambda_dtw
        self.lambda_ap = lambda_ap
        self.lambda_align = lambda_align
        self.attention = attention
        self.pooling = pooling
        self.strategy = strategy
        self.n_neighbors = n_neighbors
        self.knn_reference_size = knn_reference_size
        self.vote_weights = vote_weights
        super().__init__(
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            validation_fraction=validation_fraction,
            patience=patience,
            standardize=standardize,
            class_weight=class_weight,
            label_smoothing=label_smoothing,
            frame_dropout=frame_dropout,
            group_by_length=group_by_length,
            device=device,
            accelerator=accelerator,
            n_threads=n_threads,
            callbacks=callbacks,
            random_state=random_state,
            verbose=verbose,
        )

    # -- the parts the base class asks for ----------------------------------------------------

    def _check_params_beyond_constraints(self):
        self._check_heads_divide("d_model", "n_heads")
        if not (self.attention or self.pooling):
            raise ValueError("attention and pooling cannot both be False: nothing would predict.")
        # Each loss term needs its branches; a weight of 0 leaves the term out.
        branches = {
            "dtw": self.attention,
            "ap": self.pooling,
            "align": self.attention and self.pooling,
        }
        if not any(kept and getattr(self, f"lambda_{term}") for term, kept in branches.items()):
            raise ValueError(
                f"No loss term is left to train with attention={self.attention}, "
                f"pooling={self.pooling}, lambda_dtw={self.lambda_dtw}, "
                f"lambda_ap={self.lambda_ap}, lambda_align={self.lambda_align}: give a "
                "positive weight to a term of a kept branch."
            )
        if self.wavelet is not None:
            as_wavelet(self.wavelet)

    def _parts(self, frames, lengths):
        if self.wavelet_ is None:
            return {"x": frames, "stable": frames, "rapid": frames}  # read by nothing
        stable = stable_part(
            frames,
            lengths,
            as_wavelet(self.wavelet_),
            self.wavelet_level_,
            "dwt",
            out=np.empty_like(frames),
        )
        with np.errstate(over="ignore"):  # checked on the next line
            rapid = frames - stable
        for part in (stable, rapid):  # the networks compute in float32
            check_split_representable(part, lengths, np.float32)
        return {"x": frames, "stable": stable, "rapid": rapid}

    def _before_training(self, lengths, n_features):
        self.attention_length_ = self.attention_length
        if self.attention_length == "auto":
            paper_length = np.median(lengths) <= self.target_length
            self.attention_length_ = None if paper_length else 1
        self.frame_embedding_ = self.frame_embedding
        if self.frame_embedding == "auto":
            self.frame_embedding_ = "fourier" if n_features == 1 else "linear"

    def _default_scaler(self, n_frames):
        if self.frame_embedding_ == "fourier":
            # Fourier features of frequency ~1 need values spread over a few units: a
            # heavy-tailed feature, centred and scaled, sits mostly in a sliver around 0.
            # All frames, no subsample: the same quantiles at any random_state.
            return QuantileTransformer(
                n_quantiles=min(_N_QUANTILES, n_frames),
                output_distribution="normal",
                subsample=None,
            )
        return super()._default_scaler(n_frames)

    def _module_params(self, n_features, n_classes):
        # Ablation (i): without a wavelet there are no stable and rapid parts to attend to.
        cross_attention = self._resolved("wavelet") is not None
        return {
            **super()._module_params(n_features, n_classes),
            "attention_length": self.attention_length_,
            "frame_embedding": self.frame_embedding_,
            "cross_attention": cross_attention,
        }

    def _after_fit(self, frames, lengths, labels):
        # Each ablation (:ref:`method_ablations`) leaves one strategy.
        self.strategies_ = (
            ("ap",) if not self.attention_ else ("dtw",) if not self.pooling_ else STRATEGIES
        )
        if self.attention_:
            # The loss's targets: the "dtw" strategy and the displays read what was trained.
            self.target_sequences_ = self.net_.criterion_.targets.cpu().numpy()
            # The training cases' y_attn, kept in the ragged layout for the "knn" strategy.
            frame_proba, case_logits, _ = self._unpad(*self._forward_frames(frames, lengths))
            self.train_frame_proba_ = np.concatenate(frame_proba).astype(np.float32)
            self.train_lengths_ = lengths.copy()
            self.train_labels_ = labels
            if self.pooling_:
                self._fit_vote(frame_proba, case_logits, lengths, labels)

    def _fit_vote(self, frame_proba, case_logits, lengths, labels):
        """Resolve ``vote_weights``: "auto" learns a log-linear pool on the validation cases,
        each compared by "knn" with the training cases it was not held out from, and pools
        linearly with fixed weights where there are none."""
        self._check_vote_weights(self.vote_weights)
        self.vote_pooling_ = "majority"
        self.vote_weights_ = self._majority_weights(self.vote_weights)
        if self.vote_weights != "auto":
            return
        self.vote_pooling_, self.vote_weights_ = "linear", dict(UNLEARNED_POOL)
        valid = self._validation_cases(labels)
        if not len(valid):
            return
        others = np.ones(len(labels), dtype=bool)
        others[valid] = False
        inputs = ([frame_proba[i] for i in valid], case_logits[valid], lengths[valid])
        probas = {
            "ap": self._proba_ap(*inputs),
            "dtw": self._proba_dtw(*inputs),
            "knn": self._proba_knn(*inputs, candidates=others),
        }
        weights = fit_log_linear_pool(probas, labels[valid])
        if sum(weights.values()) > 0:  # else no voter told the validation classes apart
            self.vote_pooling_, self.vote_weights_ = "log-linear", weights

    def _majority_weights(self, vote_weights):
        """The voters' weights in a majority vote: equal for "auto" and "equal", or the
        dict's (checked by :meth:`_check_vote_weights`) as floats."""
        if vote_weights in ("auto", "equal"):
            return dict(EQUAL_WEIGHTS)
        return {name: float(vote_weights[name]) for name in VOTERS}

    def _check_vote_weights(self, vote_weights):
        """Refuse a ``vote_weights`` dict that lacks a voter or has no weight to vote with;
        "auto" and "equal" pass."""
        if not isinstance(vote_weights, dict):
            return
        if set(vote_weights) != set(VOTERS):
            raise ValueError(
                f"vote_weights needs a weight for each of {list(VOTERS)}; got the keys "
                f"{sorted(vote_weights, key=str)}."
            )
        weights = {name: vote_weights[name] for name in VOTERS}
        values = np.array(list(weights.values()), dtype=float)
        if not (np.all(np.isfinite(values)) and np.all(values >= 0) and values.sum() > 0):
            raise ValueError(
                f"vote_weights must be finite and non-negative, one of them positive; got "
                f"{weights}."
            )

    def _check_fitted_state(self):
        super()._check_fitted_state()
        if not hasattr(self, "train_labels_"):
            return  # unfitted, or fitted without the attention branch
        n_classes = len(self.classes_)
        labels, lengths = self.train_labels_, self.train_lengths_
        frame_proba, targets = self.train_frame_proba_, self.target_sequences_
        checks = {
            "train_labels_": _is_index_array(labels, n_classes),
            "train_lengths_": _is_index_array(lengths, None)
            and lengths.shape == labels.shape
            and bool(np.all(lengths >= 1)),
            "train_frame_proba_": isinstance(frame_proba, np.ndarray)
            and frame_proba.shape == (int(lengths.sum()), n_classes)
            and bool(np.all((frame_proba >= 0) & (frame_proba <= 1))),
            "target_sequences_": isinstance(targets, np.ndarray)
            and targets.shape == (n_classes, self.target_length, n_classes)
            and bool(np.all(np.isfinite(targets))),
        }
        if hasattr(self, "vote_weights_"):
            weights = self.vote_weights_
            checks["vote_pooling_"] = self.vote_pooling_ in ("majority", "log-linear", "linear")
            checks["vote_weights_"] = (
                isinstance(weights, dict)
                and set(weights) == set(VOTERS)
                and all(type(w) is float and math.isfinite(w) and w >= 0 for w in weights.values())
                and sum(weights.values()) > 0
            )
        wrong = [name for name, holds in checks.items() if not holds]
        if wrong:
            raise ValueError(
                f"{wrong[0]} disagrees with the other fitted attributes (the classes, the "
                "training cases' lengths, the target length)."
            )

    # -- inference --------------------------------------------------------------------------

    @available_if(_has_branch("attention"))
    @checked_prediction()
    @Substitution(**SEQUENCE_DOCS)
    def predict_frame_proba(self, X):
        """Per-frame class probabilities ``y_attn`` of each case.

        Parameters
        ----------
        {X}

        Returns
        -------
        frame_proba : list of ndarray of shape (n_frames_i, n_classes)
            Which frames point to which class: a pathologist's view of the decision.
        """
        frame_proba, _, _ = self._unpad(*self._forward(X))
        return frame_proba

    @available_if(_has_branch("pooling"))
    @checked_prediction()
    @Substitution(**SEQUENCE_DOCS)
    def pooling_weights(self, X):
        """Attention pooling weights of each case's frames (each case's sum to 1).

        Parameters
        ----------
        {X}

        Returns
        -------
        weights : list of ndarray of shape (n_frames_i,)
            How much each frame counts in the pooled prediction.
        """
        _, _, weights = self._unpad(*self._forward(X))
        return weights

    def _unpad(self, outputs, lengths):
        """(frame probabilities per case, case logits (n, C), pooling weights per case)."""
        frame_proba, case_logits, weights = [], [], []
        start = 0
        for frame_logits, batch_case_logits, batch_weights in outputs:
            size = len(frame_logits if frame_logits is not None else batch_case_logits)
            batch_lengths = lengths[start : start + size]
            start += size
            for i, n in enumerate(batch_lengths):
                if frame_logits is not None:
                    frame_proba.append(torch.softmax(frame_logits[i, :n], -1).numpy())
                if batch_weights is not None:
                    weights.append(batch_weights[i, :n].numpy())
            if batch_case_logits is not None:
                case_logits.append(batch_case_logits.numpy())
        return frame_proba, (np.concatenate(case_logits) if case_logits else None), weights

    def _inference_strategy(self):
        """The strategy in use: the ablations (:ref:`method_ablations`) fix the one they leave.

        Read at prediction time, so that ``set_params(strategy=...)`` on a fitted classifier
        changes the inference without retraining.
        """
        return self.strategy if len(self.strategies_) > 1 else self.strategies_[0]

    def _check_inference_params(self):
        super()._check_inference_params()
        if self._inference_strategy() == "vote":
            self._check_vote_weights(self.vote_weights)

    def _proba_from_outputs(self, outputs, lengths):
        frame_proba, case_logits, _ = self._unpad(outputs, lengths)
        proba_of = {"ap": self._proba_ap, "dtw": self._proba_dtw, "knn": self._proba_knn}
        strategy = self._inference_strategy()
        if strategy != "vote":
            return proba_of[strategy](frame_proba, case_logits, lengths)
        pooling, weights = self._vote_rule()
        probas = {
            name: proba_of[name](frame_proba, case_logits, lengths)
            for name in VOTERS
            if weights[name] or (pooling == "majority" and name == TIE_BREAKER)
        }
        if pooling == "log-linear":
            return log_linear_pool(probas, weights)
        if pooling == "linear":
            return linear_pool(probas, weights)
        return weighted_vote(probas, weights, len(self.classes_))

    def _vote_rule(self):
        """(pooling, weights) of the vote: "auto" reads what ``fit`` learned (an estimator
        fitted before ``vote_pooling_`` existed votes by its ``vote_weights_``); "equal" and
        a dict are the weighted majority."""
        if self.vote_weights == "auto":
            return (
                getattr(self, "vote_pooling_", "majority"),
                getattr(self, "vote_weights_", EQUAL_WEIGHTS),
            )
        return "majority", self._majority_weights(self.vote_weights)

    def _proba_ap(self, frame_proba, case_logits, lengths):
        return torch.softmax(torch.from_numpy(case_logits), -1).numpy()

    def _proba_dtw(self, frame_proba, case_logits, lengths):
        """Soft-DTW distance of each case's ``y_attn`` to every class target, as a softmax."""
        padded, _ = pad_frames(np.concatenate(frame_proba), lengths, fill_value=0.0)
        distances = cdist_soft_dtw(
            torch.from_numpy(padded).to(self.device_, torch.float64),
            torch.from_numpy(self.target_sequences_).to(self.device_, torch.float64),
            gamma=self.gamma_,
            x_lengths=lengths,
        )
        return torch.softmax(-distances, -1).cpu().numpy()

    def _proba_knn(self, frame_proba, case_logits, lengths, candidates=None):
        """Vote shares among the ``n_neighbors`` reference training cases nearest in DTW,
        the references drawn from the ``candidates`` (a mask of training cases; all)."""
        if candidates is None:
            candidates = np.ones(len(self.train_labels_), dtype=bool)
        reference = np.zeros_like(candidates)
        reference[candidates] = _reference_cases(
            self.train_labels_[candidates], self.knn_reference_size
        )
        reference_frames = self.train_frame_proba_[np.repeat(reference, self.train_lengths_)]
        reference_lengths = self.train_lengths_[reference]
        k = min(self.n_neighbors, len(reference_lengths))
        block = max(1, _KNN_BLOCK_PAIRS // len(reference_lengths))
        nearest = []
        for start in range(0, len(frame_proba), block):
            cases = slice(start, start + block)
            distances = _pairwise_dtw(
                np.concatenate(frame_proba[cases]),
                lengths[cases],
                reference_frames,
                reference_lengths,
                self.device_,  # the model's; the CPU for a GPU model loaded without one
            )
            nearest.append(np.argsort(distances, axis=1, kind="stable")[:, :k])
        nearest = np.concatenate(nearest)
        votes = np.eye(len(self.classes_))[self.train_labels_[reference][nearest]].sum(1)
        return votes / k


def _reference_cases(labels, size):
    """Mask of at most ``size`` cases (at least one per class), each class in proportion and
    evenly spaced among its own cases: deterministic, with no random numbers. All if None."""
    if size is None or size >= len(labels):
        return np.ones(len(labels), dtype=bool)
    classes, counts = np.unique(labels, return_counts=True)
    quotas = np.maximum(1, size * counts // len(labels))
    mask = np.zeros(len(labels), dtype=bool)
    for label, count, quota in zip(classes, counts, quotas, strict=True):
        members = np.flatnonzero(labels == label)
        mask[members[np.linspace(0, count - 1, quota).round().astype(int)]] = True
    return mask


def _pairwise_dtw(frames_a, lengths_a, frames_b, lengths_b, device):
    """DTW between every case of a and every case of b (ragged layouts), on ``device``."""
    padded_a, _ = pad_frames(frames_a, lengths_a, fill_value=0.0)
    padded_b, _ = pad_frames(frames_b, lengths_b, fill_value=0.0)
    distances = cdist_dtw(
        torch.from_numpy(padded_a).to(device, torch.float64),
        torch.from_numpy(padded_b).to(device, torch.float64),
        x_lengths=lengths_a,
        y_lengths=lengths_b,
    )
    return distances.cpu().numpy()


def _is_index_array(values, bound):
    """An integer array of one axis whose values lie in ``[0, bound)`` (``bound=None``: any
    non-negative values)."""
    return (
        isinstance(values, np.ndarray)
        and values.ndim == 1
        and values.dtype.kind in "iu"
        and bool(np.all(values >= 0))
        and (bound is None or bool(np.all(values < bound)))
    )
