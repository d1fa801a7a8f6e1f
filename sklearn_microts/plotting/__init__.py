"""Displays of the evidence behind each decision, in scikit-learn's ``Display`` convention.

Each display has a ``from_estimator`` class method that computes what it shows from a fitted
model and plots it, and a ``plot(ax=...)`` method; the artists are attributes. matplotlib is
needed (the ``plot`` extra).
"""

from ._alignment import AlignmentDisplay
from ._case_evidence import CaseEvidenceDisplay
from ._risk_coverage import RiskCoverageDisplay
from ._strategy_comparison import StrategyComparisonDisplay

__all__ = [
    "AlignmentDisplay",
    "CaseEvidenceDisplay",
    "RiskCoverageDisplay",
    "StrategyComparisonDisplay",
]
