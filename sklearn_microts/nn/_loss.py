"""The training objective of Hong et al. (Eqs. 6-8 of the paper; :ref:`method_loss`)."""

import torch
from torch import nn
from torch.nn import functional as F

from ..softdtw import soft_dtw
from ..utils._docstring import Substitution
from ._data import MODULE_DOCS
from ._targets import ideal_sequences, target_sequences


@Substitution(**MODULE_DOCS)
class MicroTSLoss(nn.Module):
    """``L = lambda_dtw L_dtw + lambda_ap L_ap + lambda_align L_align``, and its terms.

    - ``L_dtw = |SDTW(y_attn, y_l) - SDTW(y_ideal, y_l)|`` (without the reference term when
      ``reference=False``): the frame-wise class probabilities against the class target.
      With ``normalize_dtw``, a case longer than the target counts ``l / n`` of it: a
      soft-DTW value sums over a path of at least ``n`` cells, so that the term of a case of
      1,000 frames would otherwise outweigh the case-level terms forty to one.
    - ``L_ap``: cross-entropy of the pooled prediction.
    - ``L_align = || m / sum(m) - softmax(y_ap) ||_1`` with ``m_c = max_t y_attn[t, c]``: the
      most confident frames agree with the pooled prediction.

    Terms of a removed branch (``frame_logits`` or ``case_logits`` is ``None``) and terms
    weighted 0 are skipped. With ``class_weight`` (one weight per class), every term is a
    mean over the cases weighted by their class.

    Parameters
    ----------
    {n_classes}
    target : {"implicit", "explicit"}
        Beta(3, 20)-shaped class target sequences, or one-hot ones.
    target_length : int
        Length ``l`` of the target sequences.
    reference : bool
        Subtract ``SDTW(y_ideal, y_l)`` in ``L_dtw``.
    normalize_dtw : bool
        Scale ``L_dtw`` of a case of ``n`` frames by ``l / n`` when ``n > l``.
    gamma : float
        Soft-DTW smoothing.
    lambda_dtw, lambda_ap, lambda_align : float
        Weights of the terms.
    class_weight : sequence of float or None
        One weight per class; ``None`` weighs every case alike.
    label_smoothing : float
        Label smoothing of ``L_ap``, as in :func:`torch.nn.functional.cross_entropy`.
    """

    def __init__(
        self,
        n_classes,
        *,
        target,
        target_length,
        reference,
        normalize_dtw,
        gamma,
        lambda_dtw,
        lambda_ap,
        lambda_align,
        class_weight,
        label_smoothing,
    ):
        super().__init__()
        self.n_classes, self.target, self.reference, self.gamma = (
            n_classes,
            target,
            reference,
            gamma,
        )
        self.normalize_dtw = normalize_dtw
        self.label_smoothing = label_smoothing
        self.weights = {"dtw": lambda_dtw, "ap": lambda_ap, "align": lambda_align}
        self.register_buffer("targets", target_sequences(n_classes, target_length, target))
        self.register_buffer("class_weight", _as_weights(class_weight, n_classes))

    @Substitution(**MODULE_DOCS)
    def forward(self, outputs, labels, mask):
        """Compute the loss of a batch of cases and its terms.

        Parameters
        ----------
        outputs : tuple of torch.Tensor or None
            The ``(frame_logits, case_logits, pooling_weights)`` of
            :meth:`MicroTSModule.forward`.
        {labels}
        {mask}

        Returns
        -------
        terms : dict of str to torch.Tensor
            ``"loss"``, the weighted sum, and each computed term (``"dtw"``, ``"ap"``,
            ``"align"``), each a scalar.
        """
        frame_logits, case_logits, _ = outputs
        # A term with weight 0 is not computed at all: lambda_dtw=0 trains without soft-DTW.
        terms = {}
        if frame_logits is not None:
            frame_proba = torch.softmax(frame_logits, dim=-1)
            if self.weights["dtw"]:
                terms["dtw"] = self._dtw_term(frame_proba, labels, mask)
        if case_logits is not None and self.weights["ap"]:
            terms["ap"] = _cross_entropy(
                case_logits, labels, self.class_weight, self.label_smoothing
            )
        if frame_logits is not None and case_logits is not None and self.weights["align"]:
            peak = frame_proba.masked_fill(~mask[..., None], 0.0).amax(dim=1)
            peak = peak / peak.sum(dim=1, keepdim=True)
            per_case = (peak - torch.softmax(case_logits, dim=-1)).abs().sum(1)
            terms["align"] = _weighted_mean(per_case, labels, self.class_weight)
        terms["loss"] = sum(self.weights[name] * value for name, value in terms.items())
        return terms

    def _dtw_term(self, frame_proba, labels, mask):
        lengths = mask.sum(1)
        targets = self.targets[labels].to(frame_proba.dtype)
        value = soft_dtw(frame_proba, targets, gamma=self.gamma, x_lengths=lengths)
        if self.reference:
            with torch.no_grad():
                ideal = ideal_sequences(
                    labels.cpu(), lengths.cpu(), self.n_classes, self.target, mask.shape[1]
                ).to(frame_proba.device, frame_proba.dtype)
                reference = soft_dtw(ideal, targets, gamma=self.gamma, x_lengths=lengths)
            value = (value - reference).abs()
        if self.normalize_dtw:
            target_length = self.targets.shape[1]
            value = value * (target_length / lengths.clamp(min=target_length)).to(value.dtype)
        return _weighted_mean(value, labels, self.class_weight)


class CrossEntropyLoss(nn.Module):
    """Cross-entropy of the case logits, with the interface of :class:`MicroTSLoss`.

    Parameters
    ----------
    class_weight : sequence of float or None
        One weight per class, as in :func:`torch.nn.functional.cross_entropy`.
    label_smoothing : float
        Label smoothing, as in :func:`torch.nn.functional.cross_entropy`.
    """

    def __init__(self, *, class_weight, label_smoothing):
        super().__init__()
        self.label_smoothing = label_smoothing
        self.register_buffer("class_weight", _as_weights(class_weight))

    @Substitution(**MODULE_DOCS)
    def forward(self, outputs, labels, mask):
        """Compute the cross-entropy of a batch of cases.

        Parameters
        ----------
        {case_outputs}
        {labels}
        {mask}

        Returns
        -------
        terms : dict of str to torch.Tensor
            ``"loss"``: the cross-entropy, a scalar.
        """
        return {
            "loss": _cross_entropy(outputs[0], labels, self.class_weight, self.label_smoothing)
        }


def _as_weights(class_weight, n_classes=None):
    if class_weight is None:
        return None
    weights = torch.as_tensor(class_weight, dtype=torch.float32)
    if n_classes is not None and weights.shape != (n_classes,):
        raise ValueError(f"class_weight needs {n_classes} weights, got {tuple(weights.shape)}.")
    return weights


def _cross_entropy(logits, labels, class_weight, label_smoothing):
    """:func:`torch.nn.functional.cross_entropy`, weighted by :func:`_weighted_mean`."""
    values = F.cross_entropy(logits, labels, reduction="none", label_smoothing=label_smoothing)
    return _weighted_mean(values, labels, class_weight)


def _weighted_mean(values, labels, class_weight):
    """The mean of per-case ``values``, each case weighted by its class (the weighted mean
    of :func:`torch.nn.functional.cross_entropy`), 0 for a batch whose cases all weigh 0.

    A class of weight 0 is left out of the loss; a batch of its cases alone would be 0 / 0
    in torch's weighted mean, a NaN loss (and NaN weights after its step).
    """
    if class_weight is None:
        return values.mean()
    weights = class_weight.to(values.dtype)[labels]
    total = weights.sum().clamp(min=torch.finfo(values.dtype).tiny)
    return (values * weights).sum() / total
