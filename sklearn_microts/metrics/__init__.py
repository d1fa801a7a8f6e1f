"""Case-level (patient-level) scores, as histopathology papers report them, and the scores
that say whether a model's confidence can be trusted: calibration and risk against coverage."""

from ._calibration import expected_calibration_error
from ._case_scores import MULTICLASS_SCORES, SCORE_NAMES, case_scores
from ._risk_coverage import risk_at_coverage, risk_coverage_auc, risk_coverage_curve

__all__ = [
    "MULTICLASS_SCORES",
    "SCORE_NAMES",
    "case_scores",
    "expected_calibration_error",
    "risk_at_coverage",
    "risk_coverage_auc",
    "risk_coverage_curve",
]
