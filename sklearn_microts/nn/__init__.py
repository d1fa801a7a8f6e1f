"""The torch building blocks of the method: attention, pooling, the network, its loss."""

from ._attention import SigmoidAttention, SigmoidSelfAttentionBlock
from ._data import SequenceDataset, pad_collate
from ._loss import MicroTSLoss
from ._microts import MicroTSModule
from ._pooling import GatedAttentionPooling

__all__ = [
    "GatedAttentionPooling",
    "MicroTSLoss",
    "MicroTSModule",
    "SequenceDataset",
    "SigmoidAttention",
    "SigmoidSelfAttentionBlock",
    "pad_collate",
]
