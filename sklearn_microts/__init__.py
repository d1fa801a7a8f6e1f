"""sklearn-microts: classify histopathology microscope image sequences as time series.

An implementation of Hong et al., "Towards classifying histopathological microscope images
as time series data" (ISBI 2025) as scikit-learn estimators.
"""

from ._version import __version__
from .classifiers import MicroTSClassifier
from .io import load_model, save_model
from .preprocessing import DedupTransformer, SequencePooler, WaveletTransformer

__all__ = [
    "DedupTransformer",
    "MicroTSClassifier",
    "SequencePooler",
    "WaveletTransformer",
    "__version__",
    "load_model",
    "save_model",
]
