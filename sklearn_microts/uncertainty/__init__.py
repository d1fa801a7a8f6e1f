"""Calls a pathologist can trust: referral of the cases a model is unsure of, and prediction
sets with a coverage guarantee, around any fitted or unfitted case classifier.

Calibrated probabilities come from scikit-learn's
:class:`~sklearn.calibration.CalibratedClassifierCV`, which takes the package's ragged cases
as they are (see the user guide, "Can I trust this call?").
"""

from ._conformal import ConformalClassifier
from ._referral import ReferralClassifier

__all__ = ["ConformalClassifier", "ReferralClassifier"]
