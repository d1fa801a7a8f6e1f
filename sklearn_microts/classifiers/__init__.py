"""Neural sequence classifiers: the method of Hong et al., on a base its baselines share."""

from ._microts import STRATEGIES, MicroTSClassifier

__all__ = ["STRATEGIES", "MicroTSClassifier"]
