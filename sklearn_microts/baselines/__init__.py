"""The baselines of Hong et al. (:ref:`method_baselines` in the docs), estimators of the
same family as :class:`~sklearn_microts.MicroTSClassifier`: sequence models that read the
frames in order (LSTM, GRU, Transformer) and multiple-instance learners that read them as a
bag (ABMIL, TransMIL)."""

from ._abmil import ABMILClassifier
from ._recurrent import GRUClassifier, LSTMClassifier
from ._transformer import TransformerClassifier
from ._transmil import TransMILClassifier

__all__ = [
    "ABMILClassifier",
    "GRUClassifier",
    "LSTMClassifier",
    "TransMILClassifier",
    "TransformerClassifier",
]
