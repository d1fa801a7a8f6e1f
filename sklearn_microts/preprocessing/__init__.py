"""Transformers that prepare frame sequences: image features, de-duplication, the wavelet
split, pooling."""

from ._dedup import DedupTransformer
from ._images import ImageFeatureExtractor
from ._pooling import SequencePooler
from ._wavelet import WaveletTransformer

__all__ = ["DedupTransformer", "ImageFeatureExtractor", "SequencePooler", "WaveletTransformer"]
