"""The wrappers refuse the labels the classifiers refuse, with the same error: one check of
the labels for the whole package (``check_case_labels``), not a copy per module."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_microts import MicroTSClassifier, SequencePooler
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.uncertainty import (
    ConformalClassifier,
    ReferralClassifier,
    TemperatureScaledClassifier,
)

X, _ = make_microscopy_sequences(n_cases=12, n_features=3, max_length=6, random_state=0)

BAD_LABELS = {
    # numpy cannot sort these: before, the wrappers passed on its "'<' not supported".
    "str-None": ["a", None] * 6,
    "str-int": np.array(["a", 1] * 6, dtype=object),
    "None": [None] * 12,
    "int-float-str": np.array([0, 1.5, "b"] * 4, dtype=object),
    # scikit-learn's own refusals, and the count of labels
    "continuous": np.linspace(0.0, 1.0, 12),
    "multilabel": [[0, 1]] * 12,
    "too few": ["a", "b"] * 5,
}

WRAPPERS = {
    "referral": lambda model: ReferralClassifier(model, cv=2),
    "conformal": lambda model: ConformalClassifier(model, cv=2),
    "conformal split": lambda model: ConformalClassifier(model, cv=None, random_state=0),
    "temperature": lambda model: TemperatureScaledClassifier(model, cv=2),
}


def _raised(fit, y):
    with pytest.raises((ValueError, TypeError)) as caught:
        fit(X, y)
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize("y", BAD_LABELS.values(), ids=BAD_LABELS.keys())
@pytest.mark.parametrize("wrap", WRAPPERS.values(), ids=WRAPPERS.keys())
def test_wrappers_refuse_bad_labels_as_the_classifiers_do(wrap, y):
    expected = _raised(MicroTSClassifier().fit, y)
    # Around a model that checks no label of its own: the wrapper's check is all there is.
    model = make_pipeline(SequencePooler(), LogisticRegression())
    assert _raised(wrap(model).fit, y) == expected


def test_labels_of_mixed_kinds_are_named():
    with pytest.raises(TypeError, match=r"y holds labels of kinds \['NoneType', 'strings'\]"):
        ReferralClassifier(MicroTSClassifier(), cv=2).fit(X, ["a", None] * 6)
