"""Multi-head attention with sigmoid scores (Hong et al., Eq. 2), masked for padding."""

import math

import torch
from torch import nn


class SigmoidAttention(nn.Module):
    """``sigmoid(Q K^T / sqrt(d_k)) V`` over several heads, then an output projection.

    Unlike softmax attention the scores of a query are not normalised over the keys: each
    frame decides on its own how much of every other frame to take. Padded keys get a
    score of exactly 0, so padding never changes a real frame's output.

    Parameters
    ----------
    d_model : int
        Width of queries, keys and values.
    n_heads : int
        Number of heads; must divide ``d_model``.
    dropout : float
        Dropout on the scores.
    """

    def __init__(self, d_model, n_heads, dropout=0.0):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}.")
        self.n_heads = n_heads
        self.query = nn.Linear(d_model, d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, key_mask):
        """``queries`` (B, N, d), ``keys`` (B, M, d), ``key_mask`` (B, M) True for real."""
        q, k, v = (
            self._split(self.query(queries)),
            self._split(self.key(keys)),
            self._split(self.value(keys)),
        )
        scores = torch.sigmoid(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]))
        scores = self.dropout(scores * key_mask[:, None, None, :])
        merged = (scores @ v).transpose(1, 2).reshape(queries.shape)
        return self.out(merged)

    def _split(self, tensor):
        batch, length, width = tensor.shape
        return tensor.reshape(batch, length, self.n_heads, width // self.n_heads).transpose(1, 2)


class SigmoidSelfAttentionBlock(nn.Module):
    """Pre-norm residual block: sigmoid self-attention, then an MLP (ViT layout)."""

    def __init__(self, d_model, n_heads, mlp_dim, dropout=0.0):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_model)
        self.attention = SigmoidAttention(d_model, n_heads, dropout)
        self.mlp_norm = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_dim, d_model),
            nn.Dropout(dropout),
        )

    def forward(self, frames, mask):
        normed = self.attention_norm(frames)
        frames = frames + self.attention(normed, normed, mask)
        return frames + self.mlp(self.mlp_norm(frames))
