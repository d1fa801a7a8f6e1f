"""Calls a pathologist can trust: calibrated probabilities that keep every call, referral of
the cases a model is unsure of, and prediction sets with a coverage guarantee within each
class, around any fitted or unfitted case classifier.

Each reads cases the model did not train on: out-of-fold cases of the training set
(cross-fitting, every case counts), or, for a :class:`~sklearn.frozen.FrozenEstimator`, the
cases given to ``fit``. scikit-learn's :class:`~sklearn.calibration.CalibratedClassifierCV`
takes the package's ragged cases as they are too (see the user guide, "Can I trust this
call?").
"""

from ._calibration import TemperatureScaledClassifier
from ._conformal import ConformalClassifier
from ._referral import ReferralClassifier

__all__ = ["ConformalClassifier", "ReferralClassifier", "TemperatureScaledClassifier"]
