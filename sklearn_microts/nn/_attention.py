"""Multi-head attention with sigmoid scores (Hong et al., Eq. 2), masked for padding."""

import math

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from ..utils._docstring import Substitution
from ._data import MODULE_DOCS

# Most attention scores (batch x heads x queries x keys) a layer holds at once: 64 MiB of
# float32. Beyond it the scores are computed a block of query rows at a time.
MAX_SCORES = 2**24
# Score matrices up to this size draw their dropout with torch's own sampler, whose cost is
# negligible there: short cases (the paper's, BreakHis') keep the random numbers, and so the
# results, of the versions before the faster sampler that larger ones use.
_SMALL_SCORES = 2**20

# The parameters both attention modules take.
_attention_docs = Substitution(
    **MODULE_DOCS,
    n_heads="""\
n_heads : int
    Number of heads; must divide ``d_model``.""",
    reference_length="""\
reference_length : int or None, default=None
    Cases with more real keys ``n`` than this get the bias ``log(n / reference_length)``;
    ``None`` for Eq. 2 as written at any length.""",
)


@_attention_docs
class SigmoidAttention(nn.Module):
    """``sigmoid(Q K^T / sqrt(d_k) - b) V`` over several heads, then an output projection.

    Unlike softmax attention the scores of a query are not normalised over the keys: each
    frame decides on its own how much of every other frame to take. Padded keys have their
    values zeroed, so padding never changes a real frame's output.

    Without a bias (``b = 0``, the paper's Eq. 2) the output is a sum over the case's ``n``
    frames and grows with ``n``: at initialisation the default network's frame logits had a
    standard deviation of 1 at 25 frames and 36 at 1,000, where the softmax saturates and
    training stalls. Sigmoid attention with a bias of ``log n`` (Ramapuram et al., 2025)
    keeps the output's scale at any length; here ``b = log(n / reference_length)`` for cases
    longer than ``reference_length`` frames and ``b = 0`` otherwise: the output keeps the
    scale of a case of that length (with 1, about an average over the case).

    Each query row's output depends on that row alone, so when the scores would exceed
    ``max_scores`` they are computed for a block of query rows at a time, and in training
    each block is recomputed in the backward pass (:func:`torch.utils.checkpoint.checkpoint`)
    rather than kept: memory grows linearly with the number of frames instead of
    quadratically (a 5,000-frame case in a batch of 16 would otherwise hold 4.8 GB of
    scores per layer), at the price of a second forward pass of the blocks. The result is
    that of the whole matrix at once.

    Parameters
    ----------
    d_model : int
        Width of queries, keys and values.
    {n_heads}
    dropout : float
        Dropout on the scores.
    {reference_length}
    max_scores : int, default=2**24
        Most scores computed at once; larger score matrices go by blocks of query rows.
    """

    def __init__(
        self, d_model, n_heads, dropout=0.0, *, reference_length=None, max_scores=MAX_SCORES
    ):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} must be divisible by n_heads={n_heads}.")
        self.n_heads = n_heads
        self.reference_length = reference_length
        self.max_scores = max_scores
        self.query = nn.Linear(d_model, d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, key_mask):
        """Attend from each query to the real keys of its case.

        Parameters
        ----------
        queries : torch.Tensor of shape (B, N, d_model)
            The frames that attend.
        keys : torch.Tensor of shape (B, M, d_model)
            The frames attended to (the values too).
        key_mask : torch.Tensor of bool of shape (B, M)
            True on the real keys, False on the padding.

        Returns
        -------
        attended : torch.Tensor of shape (B, N, d_model)
            The attention output of each query.
        """
        q, k, v = (
            self._split(self.query(queries)),
            self._split(self.key(keys)),
            self._split(self.value(keys)),
        )
        # The scale on q and the key mask on v rather than on the (B, H, N, M) scores: the
        # same products, and two passes over the largest tensor fewer each way.
        q = q * (1.0 / math.sqrt(q.shape[-1]))
        v = v * key_mask[:, None, :, None]
        bias = None
        if self.reference_length is not None:
            # log(n / reference) per case, 0 for shorter cases: sigmoid(s - b) ~ exp(s) / e^b
            # for small weights, so a long case's sum over its frames keeps the reference's
            # scale.
            excess = key_mask.sum(1).to(q.dtype) / self.reference_length
            bias = excess.clamp(min=1.0).log()[:, None, None, None]
        batch, heads, n_queries, n_keys = *q.shape[:3], k.shape[2]
        rows = max(1, self.max_scores // (batch * heads * n_keys))
        if rows >= n_queries:
            merged = self._attend(q, k, v, bias)
        else:
            # Recompute only when a backward pass will need the blocks' scores.
            recompute = torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
            merged = torch.cat(
                [
                    checkpoint(self._attend, block, k, v, bias, use_reentrant=False)
                    if recompute
                    else self._attend(block, k, v, bias)
                    for block in q.split(rows, dim=2)
                ],
                dim=2,
            )
        return self.out(merged.transpose(1, 2).reshape(queries.shape))

    def _attend(self, q, k, v, bias):
        """Sigmoid attention of the query rows ``q`` to all keys, per head: (B, H, n, d_k)."""
        scores = q @ k.transpose(-1, -2)
        if bias is not None:
            scores.sub_(bias)
        scores = scores.sigmoid_()
        if self.training and self.dropout.p and scores.numel() > _SMALL_SCORES:
            return (scores * _dropout_factors(scores, self.dropout.p)) @ v
        return self.dropout(scores) @ v

    def _split(self, tensor):
        batch, length, width = tensor.shape
        return tensor.reshape(batch, length, self.n_heads, width // self.n_heads).transpose(1, 2)


def _dropout_factors(scores, rate):
    """Dropout's factors for ``scores``: 0 with probability ``rate``, else ``1 / (1 - rate)``.

    The distribution of :func:`torch.nn.functional.dropout`, drawn from torch's generator
    with one uniform draw and two in-place passes: torch's Bernoulli sampler costs about
    20 ns an element on the CPU, and on long cases the dropout of the scores took 14% of an
    epoch, more than half as much as the attention's matrix products.
    """
    return torch.rand_like(scores).ge_(rate).mul_(1.0 / (1.0 - rate))


@_attention_docs
class SigmoidSelfAttentionBlock(nn.Module):
    """Pre-norm residual block: sigmoid self-attention, then an MLP (ViT layout).

    Parameters
    ----------
    d_model : int
        Width of the frame vectors.
    {n_heads}
    mlp_dim : int
        Hidden width of the MLP.
    dropout : float, default=0.0
        Dropout on the attention scores and in the MLP.
    {reference_length}
    """

    def __init__(self, d_model, n_heads, mlp_dim, dropout=0.0, *, reference_length=None):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d_model)
        self.attention = SigmoidAttention(
            d_model, n_heads, dropout, reference_length=reference_length
        )
        self.mlp_norm = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, mlp_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(mlp_dim, d_model),
            nn.Dropout(dropout),
        )

    @_attention_docs
    def forward(self, frames, mask):
        """Apply the block to a batch of cases.

        Parameters
        ----------
        frames : torch.Tensor of shape (B, N, d_model)
            The frame vectors of a batch of cases, padded.
        {mask}

        Returns
        -------
        frames : torch.Tensor of shape (B, N, d_model)
            The frame vectors after the block.
        """
        normed = self.attention_norm(frames)
        frames = frames + self.attention(normed, normed, mask)
        return frames + self.mlp(self.mlp_norm(frames))
