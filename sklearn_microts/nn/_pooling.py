"""Gated attention pooling (Ilse et al., 2018; Hong et al., Eqs. 4-5), masked for padding."""

import torch
from torch import nn

from ..utils._docstring import Substitution
from ._data import MODULE_DOCS


class GatedAttentionPooling(nn.Module):
    """``a_i = softmax_i(w^T (tanh(A_t e_i) * sigmoid(A_s e_i)))``, ``P = sum_i a_i e_i``.

    The softmax runs over each case's real frames only: the weights of a case sum to 1 and
    padded frames get exactly 0.

    Parameters
    ----------
    d_model : int
        Width of the frame vectors ``e_i``.
    hidden : int
        Width of the gates ``A_t`` and ``A_s``.
    """

    def __init__(self, d_model, hidden):
        super().__init__()
        self.tanh_branch = nn.Linear(d_model, hidden)
        self.sigmoid_branch = nn.Linear(d_model, hidden)
        self.score = nn.Linear(hidden, 1)

    @Substitution(**MODULE_DOCS)
    def forward(self, frames, mask):
        """Pool the frame vectors of each case of a batch.

        Parameters
        ----------
        frames : torch.Tensor of shape (B, N, d_model)
            The frame vectors of a batch of cases, padded.
        {mask}

        Returns
        -------
        pooled : torch.Tensor of shape (B, d_model)
            The pooled vector ``P`` of each case.
        weights : torch.Tensor of shape (B, N)
            The weight ``a_i`` of each frame (0 on padding).
        """
        gated = torch.tanh(self.tanh_branch(frames)) * torch.sigmoid(self.sigmoid_branch(frames))
        scores = self.score(gated).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)
        return (weights[..., None] * frames).sum(1), weights
