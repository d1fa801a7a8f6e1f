"""Gated attention-based multiple-instance learning (Ilse et al., 2018)."""

from torch import nn

from ..utils._docstring import Substitution
from ._bags import shuffle_bags
from ._data import MODULE_DOCS
from ._pooling import GatedAttentionPooling


@Substitution(**MODULE_DOCS)
class ABMILModule(nn.Module):
    """Gated attention-based multiple-instance learning over the frames of each case.

    Instance embedding ``ReLU(W x)``, gated attention pooling over the real frames of each
    bag, a linear classifier to the classes (multi-class, not only binary). In training,
    the frames of each bag are shuffled.

    Parameters
    ----------
    {n_features}
    {n_classes}
    embed_dim : int
        Instance embedding width M (Ilse et al.: 500).
    attention_dim : int
        Attention width L (Ilse et al.: 128).
    dropout : float
        Dropout after the embedding.
    """

    def __init__(self, n_features, n_classes, *, embed_dim, attention_dim, dropout):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Linear(n_features, embed_dim), nn.ReLU(), nn.Dropout(dropout)
        )
        self.pooling = GatedAttentionPooling(embed_dim, attention_dim)
        self.classifier = nn.Linear(embed_dim, n_classes)

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
        pooled, _ = self.pooling(self.embed(x), mask)
        return (self.classifier(pooled),)
