"""Gated attention pooling (Ilse et al., 2018; Hong et al., Eqs. 4-5), masked for padding."""

import torch
from torch import nn


class GatedAttentionPooling(nn.Module):
    """``a_i = softmax_i(w^T (tanh(A_t e_i) * sigmoid(A_s e_i)))``, ``P = sum_i a_i e_i``.

    The softmax runs over each case's real frames only: the weights of a case sum to 1 and
    padded frames get exactly 0.
    """

    def __init__(self, d_model, hidden):
        super().__init__()
        self.tanh_branch = nn.Linear(d_model, hidden)
        self.sigmoid_branch = nn.Linear(d_model, hidden)
        self.score = nn.Linear(hidden, 1)

    def forward(self, frames, mask):
        """Pooled vectors (B, d) and the weights (B, N)."""
        gated = torch.tanh(self.tanh_branch(frames)) * torch.sigmoid(self.sigmoid_branch(frames))
        scores = self.score(gated).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)
        return (weights[..., None] * frames).sum(1), weights
