"""What a fitted model says about each case, and why: the one reading of a model that the
displays, the command line and its report share.

A model is a bare classifier or a :class:`~sklearn.pipeline.Pipeline` ending in one; its
preprocessing steps may drop frames (:class:`~sklearn_microts.DedupTransformer`), so every
frame the classifier sees is mapped back to its position in the original case.
"""

from ._evidence import CaseEvidence, case_evidence, strategy_proba

__all__ = ["CaseEvidence", "case_evidence", "strategy_proba"]
