"""The training objective of Hong et al. (METHOD.md section 5)."""

import torch
from torch import nn
from torch.nn import functional as F

from ..softdtw import soft_dtw
from ._targets import ideal_sequences, target_sequences


class MicroTSLoss(nn.Module):
    """``L = lambda_dtw L_dtw + lambda_ap L_ap + lambda_align L_align``, and its terms.

    - ``L_dtw = |SDTW(y_attn, y_l) - SDTW(y_ideal, y_l)|`` (without the reference term when
      ``reference=False``): the frame-wise class probabilities against the class target.
    - ``L_ap``: cross-entropy of the pooled prediction.
    - ``L_align = || m / sum(m) - softmax(y_ap) ||_1`` with ``m_c = max_t y_attn[t, c]``: the
      most confident frames agree with the pooled prediction.

    Terms of a removed branch (``frame_logits`` or ``case_logits`` is ``None``) and terms
    weighted 0 are skipped.
    ``forward`` returns a dict with ``"loss"`` and each computed term.
    """

    def __init__(
        self,
        n_classes,
        *,
        target="implicit",
        target_length=25,
        reference=True,
        gamma=0.1,
        lambda_dtw=1.0,
        lambda_ap=10.0,
        lambda_align=10.0,
    ):
        super().__init__()
        self.n_classes, self.target, self.reference, self.gamma = (
            n_classes,
            target,
            reference,
            gamma,
        )
        self.weights = {"dtw": lambda_dtw, "ap": lambda_ap, "align": lambda_align}
        self.register_buffer("targets", target_sequences(n_classes, target_length, target))

    def forward(self, outputs, labels, mask):
        frame_logits, case_logits, _ = outputs
        # A term with weight 0 is not computed at all: lambda_dtw=0 trains without soft-DTW.
        terms = {}
        if frame_logits is not None:
            frame_proba = torch.softmax(frame_logits, dim=-1)
            if self.weights["dtw"]:
                terms["dtw"] = self._dtw_term(frame_proba, labels, mask)
        if case_logits is not None and self.weights["ap"]:
            terms["ap"] = F.cross_entropy(case_logits, labels)
        if frame_logits is not None and case_logits is not None and self.weights["align"]:
            peak = frame_proba.masked_fill(~mask[..., None], 0.0).amax(dim=1)
            peak = peak / peak.sum(dim=1, keepdim=True)
            terms["align"] = (peak - torch.softmax(case_logits, dim=-1)).abs().sum(1).mean()
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
        return value.mean()


class CrossEntropyLoss(nn.Module):
    """Cross-entropy of the case logits, with the interface of :class:`MicroTSLoss`."""

    def forward(self, outputs, labels, mask):
        return {"loss": F.cross_entropy(outputs[0], labels)}
