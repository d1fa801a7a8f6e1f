"""TransMIL (Shao et al., 2021): correlated multiple-instance learning with a Transformer.

Bags are processed on their own real frames only (bags of equal length together), so
padding in a batch can never change their output. (A popular implementation takes no mask,
and its padded-batch outputs differ from the single-bag ones.) Nystrom attention comes from
the ``nystrom-attention`` package; ``attention="exact"`` uses plain softmax attention
instead, cheaper for short bags on a CPU.
"""

import math

import torch
from torch import nn

from ..utils._docstring import Substitution
from ._bags import shuffle_bags
from ._data import MODULE_DOCS


class _ExactAttention(nn.Module):
    """Softmax self-attention with the Nystrom module's call interface (x, mask)."""

    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)

    def forward(self, x, mask):
        out, _ = self.attention(x, x, x, key_padding_mask=~mask, need_weights=False)
        return out


class _TransLayer(nn.Module):
    """Pre-norm residual attention layer: ``x + Attention(LayerNorm(x))``."""

    def __init__(self, dim, heads, dim_head, n_landmarks, pinv_iterations, dropout, attention):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        if attention == "exact":
            self.attention = _ExactAttention(dim, heads, dropout)
        else:
            try:  # a soft dependency: one baseline's default attention needs it
                from nystrom_attention import NystromAttention
            except ImportError as exc:
                raise ImportError(
                    "TransMILClassifier(attention='nystrom') needs the nystrom-attention "
                    "package: pip install 'sklearn-microts[transmil]', or pass "
                    "attention='exact'."
                ) from exc

            self.attention = NystromAttention(
                dim=dim,
                dim_head=dim_head,
                heads=heads,
                num_landmarks=n_landmarks,
                pinv_iterations=pinv_iterations,
                residual=True,
                residual_conv_kernel=33,
                dropout=dropout,
            )

    def forward(self, x):
        # The mask (all real: one bag at a time) lets the Nystrom module mask the padding it
        # adds itself up to a multiple of the landmark count.
        mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        return x + self.attention(self.norm(x), mask=mask)


class _PPEG(nn.Module):
    """Pyramid position encoding: depthwise convolutions 7, 5 and 3 plus identity, on the
    frame tokens laid out on a square grid; the class token passes through."""

    def __init__(self, dim):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(dim, dim, k, padding=k // 2, groups=dim) for k in (7, 5, 3)
        )

    def forward(self, x, side):
        cls_token, tokens = x[:, :1], x[:, 1:]
        grid = tokens.transpose(1, 2).reshape(x.shape[0], x.shape[2], side, side)
        grid = grid + sum(conv(grid) for conv in self.convs)
        return torch.cat((cls_token, grid.flatten(2).transpose(1, 2)), dim=1)


@Substitution(**MODULE_DOCS)
class TransMILModule(nn.Module):
    """TransMIL: a Transformer over the frames of each bag, read by a class token.

    Linear + ReLU to ``dim``, square padding by repeating tokens, a class token, two
    attention layers with the PPEG between them, LayerNorm, and the class token read by a
    linear classifier. :class:`~sklearn_microts.baselines.TransMILClassifier`'s defaults
    follow Shao et al. (512 wide, 8 heads of 64, 256 landmarks, 6 pseudo-inverse
    iterations, dropout 0.1). In training, the frames of each bag are shuffled.

    Parameters
    ----------
    {n_features}
    {n_classes}
    dim : int
        Token width.
    heads : int
        Attention heads.
    dim_head : int
        Width per head (Nystrom attention).
    n_landmarks : int
        Nystrom landmarks.
    pinv_iterations : int
        Iterations of the Moore-Penrose pseudo-inverse.
    dropout : float
        Attention dropout.
    attention : {"nystrom", "exact"}
        Nystrom approximation (``nystrom-attention`` package) or exact softmax attention.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        *,
        dim,
        heads,
        dim_head,
        n_landmarks,
        pinv_iterations,
        dropout,
        attention,
    ):
        super().__init__()
        self.attention = attention
        self.embed = nn.Sequential(nn.Linear(n_features, dim), nn.ReLU())
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        layer = (dim, heads, dim_head, n_landmarks, pinv_iterations, dropout, attention)
        self.layer1 = _TransLayer(*layer)
        self.ppeg = _PPEG(dim)
        self.layer2 = _TransLayer(*layer)
        self.norm = nn.LayerNorm(dim)
        self.classifier = nn.Linear(dim, n_classes)

    @Substitution(**MODULE_DOCS)
    def forward(self, x, mask):
        """Compute the case logits of a batch of cases.

        Parameters
        ----------
        {x}
        {mask}

        Returns
        -------
        {case_outputs}
        """
        if self.training:
            x = shuffle_bags(x, mask)
        # Each pass reads real frames only, so padding never enters. With exact attention,
        # bags of one length share a grid and go through together. Nystrom attention goes
        # one bag at a time: nystrom-attention's pseudo-inverse starts from a maximum taken
        # over the whole batch, which would make a bag's output depend on its neighbours
        # (measured: up to 8e-5 apart).
        lengths = mask.sum(1)
        logits = x.new_empty(len(x), self.classifier.out_features)
        if self.attention == "exact":
            groups = [(lengths == n).nonzero().squeeze(1) for n in lengths.unique().tolist()]
        else:
            groups = [torch.tensor([i], device=x.device) for i in range(len(x))]
        for group in groups:
            logits[group] = self._bags(x[group, : int(lengths[group[0]])])
        return (logits,)

    def _bags(self, frames):
        """Logits of bags of equal length, (b, n, d) -> (b, n_classes)."""
        tokens = self.embed(frames)
        side = math.ceil(math.sqrt(tokens.shape[1]))
        extra = side * side - tokens.shape[1]  # square grid: repeat the first tokens
        tokens = torch.cat((tokens, tokens[:, :extra]), dim=1)
        hidden = torch.cat((self.cls_token.expand(len(tokens), -1, -1), tokens), dim=1)
        hidden = self.layer2(self.ppeg(self.layer1(hidden), side))
        return self.classifier(self.norm(hidden)[:, 0])
