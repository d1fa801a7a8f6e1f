"""Case-level (patient-level) scores, as histopathology papers report them."""

from ._case_scores import SCORE_NAMES, case_scores

__all__ = ["SCORE_NAMES", "case_scores"]
