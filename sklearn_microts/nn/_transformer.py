"""A Transformer encoder sequence classifier, with positional encodings and masked pooling."""

import math

import torch
from torch import nn

from ..utils._docstring import Substitution
from ._data import MODULE_DOCS


def sinusoidal_positions(length, width, device):
    """The fixed sine/cosine positional encodings of Vaswani et al., (length, width)."""
    position = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    frequency = torch.exp(
        torch.arange(0, width, 2, device=device, dtype=torch.float32) * (-math.log(1e4) / width)
    )
    encoding = torch.zeros(length, width, device=device)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency[: width // 2])
    return encoding


@Substitution(**MODULE_DOCS)
class TransformerModule(nn.Module):
    """A Transformer encoder over the frames of each case, their mean classified.

    Embedding plus sinusoidal positions, a pre-norm Transformer encoder with the padding
    masked out of attention, and the mean of the real frames classified.

    Parameters
    ----------
    {n_features}
    {n_classes}
    d_model : int
        Model width.
    n_heads : int
        Attention heads; must divide ``d_model``.
    num_layers : int
        Encoder layers.
    dim_feedforward : int
        Width of the feed-forward blocks.
    dropout : float
        Dropout in the encoder.
    """

    def __init__(
        self,
        n_features,
        n_classes,
        *,
        d_model,
        n_heads,
        num_layers,
        dim_feedforward,
        dropout,
    ):
        super().__init__()
        self.embed = nn.Linear(n_features, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward, dropout, batch_first=True, norm_first=True
        )
        # No nested-tensor fast path: it would make padded and unpadded cases differ.
        self.encoder = nn.TransformerEncoder(
            layer, num_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.classifier = nn.Linear(d_model, n_classes)

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
        hidden = self.embed(x)
        hidden = hidden + sinusoidal_positions(x.shape[1], hidden.shape[-1], x.device)
        hidden = self.encoder(hidden, src_key_padding_mask=~mask)
        weights = mask[..., None].to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1)
        return (self.classifier(pooled),)
