"""The torch building blocks of the method: attention, pooling, the network, its loss."""

from ._abmil import ABMILModule
from ._attention import SigmoidAttention, SigmoidSelfAttentionBlock
from ._data import FrameDropoutCollate, SequenceDataset, pad_collate
from ._embedding import FourierEmbedding
from ._loss import CrossEntropyLoss, MicroTSLoss
from ._microts import MicroTSModule
from ._pooling import GatedAttentionPooling
from ._recurrent import RecurrentModule
from ._transformer import TransformerModule
from ._transmil import TransMILModule

__all__ = [
    "ABMILModule",
    "CrossEntropyLoss",
    "FourierEmbedding",
    "FrameDropoutCollate",
    "GatedAttentionPooling",
    "MicroTSLoss",
    "MicroTSModule",
    "RecurrentModule",
    "SequenceDataset",
    "SigmoidAttention",
    "SigmoidSelfAttentionBlock",
    "TransMILModule",
    "TransformerModule",
    "pad_collate",
]
