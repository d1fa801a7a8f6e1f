"""Transformers that prepare frame sequences: de-duplication, the wavelet split, pooling."""

from ._dedup import DedupTransformer
from ._pooling import SequencePooler
from ._wavelet import WaveletTransformer

__all__ = ["DedupTransformer", "SequencePooler", "WaveletTransformer"]
