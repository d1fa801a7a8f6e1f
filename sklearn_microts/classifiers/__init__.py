"""Neural sequence classifiers: the method of Hong et al. (and, to come, its baselines)."""

from ._microts import MicroTSClassifier

__all__ = ["MicroTSClassifier"]
