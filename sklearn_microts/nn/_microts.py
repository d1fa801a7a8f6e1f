"""The network of Hong et al. (Eqs. 2-5 of the paper; :ref:`method_network` in the docs) as a
torch module."""

from torch import nn

from ..utils._docstring import Substitution
from ._attention import SigmoidAttention, SigmoidSelfAttentionBlock
from ._data import MODULE_DOCS
from ._embedding import FRAME_EMBEDDINGS
from ._length_groups import by_length_groups
from ._pooling import GatedAttentionPooling


@Substitution(**MODULE_DOCS)
class MicroTSModule(nn.Module):
    """The network of Hong et al.: frame-wise and pooled class logits of each case.

    Embedding, sigmoid self-attention, cross-attention to the wavelet parts, gated
    attention pooling, and one classification head shared by frames and the pooled case.

    Parameters
    ----------
    {n_features}
    {n_classes}
    d_model, n_heads, mlp_dim : int
        Width, heads and MLP width of the attention blocks (ViT-Tiny: 192, 3, 768).
    head_hidden : int
        Hidden width of the shared head ``f_theta`` (Linear, ReLU, Linear).
    pool_hidden : int
        Width of the gated attention pooling.
    dropout : float
        Dropout in the attention blocks.
    input_dropout : float
        Dropout on the input features of ``x``, ``stable`` and ``rapid`` (training only).
    attention_length : int or None
        Sigmoid attention keeps the output scale of a case of this many frames on longer
        cases (``reference_length`` of :class:`SigmoidAttention`).
    attention : bool
        Build the self- and cross-attention branch (ablation v removes it).
    cross_attention : bool
        Attend to the stable and rapid parts (ablation i, no wavelet, skips it).
    pooling : bool
        Build the attention pooling branch (ablation vi removes it).
    frame_embedding : {"linear", "fourier"}
        The first layer, shared by ``x``, ``stable`` and ``rapid``: the paper's linear map,
        or :class:`FourierEmbedding`.

    Notes
    -----
    :meth:`forward` returns ``(frame_logits, case_logits, pooling_weights)``; a removed
    branch returns ``None`` in their place.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        *,
        d_model,
        n_heads,
        mlp_dim,
        head_hidden,
        pool_hidden,
        dropout,
        input_dropout,
        attention_length,
        attention,
        cross_attention,
        pooling,
        frame_embedding,
    ):
        super().__init__()
        self.input_dropout = nn.Dropout(input_dropout)
        # Shared by X, X_stb and X_rpd.
        self.embed = FRAME_EMBEDDINGS[frame_embedding](n_features, d_model)
        self.head = nn.Sequential(  # f_theta, shared by frames and the pooled case
            nn.Linear(d_model, head_hidden), nn.ReLU(), nn.Linear(head_hidden, n_classes)
        )
        self.self_attention = (
            SigmoidSelfAttentionBlock(
                d_model, n_heads, mlp_dim, dropout, reference_length=attention_length
            )
            if attention
            else None
        )
        self.cross_norm = nn.LayerNorm(d_model) if attention and cross_attention else None
        self.stable_attention, self.rapid_attention = (
            (
                SigmoidAttention(d_model, n_heads, dropout, reference_length=attention_length)
                if self.cross_norm
                else None
            )
            for _ in range(2)
        )
        self.pooling = GatedAttentionPooling(d_model, pool_hidden) if pooling else None

    @Substitution(**MODULE_DOCS)
    def forward(self, x, stable, rapid, mask):
        """Compute the frame and case logits of a batch of cases.

        Parameters
        ----------
        {x}
        stable, rapid : torch.Tensor of shape (B, N, n_features)
            The wavelet stable and rapid parts of ``x``, padded alike.
        {mask}

        Returns
        -------
        frame_logits : torch.Tensor of shape (B, N, n_classes) or None
            ``y_attn`` before the softmax; ``None`` without the attention branch.
        case_logits : torch.Tensor of shape (B, n_classes) or None
            ``y_ap`` before the softmax; ``None`` without the pooling branch.
        pooling_weights : torch.Tensor of shape (B, N) or None
            Each frame's weight in its case's pooled vector (0 on padding); ``None``
            without the pooling branch.
        """
        x, stable, rapid = (self.input_dropout(part) for part in (x, stable, rapid))
        embedded = self.embed(x)
        frame_logits = case_logits = weights = None
        if self.self_attention is not None:
            # Attention costs the square of a case's frames: on groups of similar length, a
            # batch costs its real frames rather than its longest case's padding.
            frame_logits = by_length_groups(self._frame_logits, mask, embedded, stable, rapid)
        if self.pooling is not None:
            pooled, weights = self.pooling(embedded, mask)  # over the embedded X (Eqs. 4-5)
            case_logits = self.head(pooled)
        return frame_logits, case_logits, weights

    def _frame_logits(self, embedded, stable, rapid, mask):
        """``y_attn`` before the softmax: self-attention, cross-attention, the head."""
        hidden = self.self_attention(embedded, mask)
        if self.cross_norm is not None:
            # Eq. 3 with l_stb = l_rpd = 1: queries from SA, keys/values from each part.
            queries = self.cross_norm(hidden)
            hidden = hidden + self.stable_attention(queries, self.embed(stable), mask)
            hidden = hidden + self.rapid_attention(queries, self.embed(rapid), mask)
        return self.head(hidden)
