"""Transformers that prepare frame sequences: de-duplication and the wavelet split."""

from ._dedup import DedupTransformer
from ._wavelet import WaveletTransformer

__all__ = ["DedupTransformer", "WaveletTransformer"]
