"""Gated attention-based multiple-instance learning (Ilse et al., 2018)."""

from torch import nn

from ._bags import shuffle_bags
from ._pooling import GatedAttentionPooling


class ABMILModule(nn.Module):
    """Instance embedding ``ReLU(W x)``, gated attention pooling over the real frames of each
    bag, a linear classifier to the classes (multi-class, not only binary).

    Parameters follow Ilse et al.: ``embed_dim`` M = 500, ``attention_dim`` L = 128.
    """

    def __init__(self, n_features, n_classes, *, embed_dim, attention_dim, dropout):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Linear(n_features, embed_dim), nn.ReLU(), nn.Dropout(dropout)
        )
        self.pooling = GatedAttentionPooling(embed_dim, attention_dim)
        self.classifier = nn.Linear(embed_dim, n_classes)

    def forward(self, x, mask):
        if self.training:
            x = shuffle_bags(x, mask)
        pooled, _ = self.pooling(self.embed(x), mask)
        return (self.classifier(pooled),)
