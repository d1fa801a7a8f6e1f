"""Case-level scores: the paper's positive-class F1 beside the scores that see both classes."""

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score

from sklearn_microts.metrics import SCORE_NAMES, case_scores

Y_TRUE = np.array(["benign", "malignant", "malignant", "malignant", "benign"])
Y_PRED = np.array(["malignant", "malignant", "malignant", "benign", "benign"])
PROBA = np.array([[0.4, 0.6], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]])


def test_binary_scores_name_the_positive_class():
    scores = case_scores(Y_TRUE, Y_PRED, PROBA, ["benign", "malignant"], pos_label="malignant")
    assert list(scores) == ["accuracy", "f1_macro", "f1_pos", "balanced_accuracy", "roc_auc"]
    assert set(scores) == set(SCORE_NAMES)
    assert scores["f1_pos"] == pytest.approx(f1_score(Y_TRUE, Y_PRED, pos_label="malignant"))
    assert scores["f1_pos"] != pytest.approx(f1_score(Y_TRUE, Y_PRED, pos_label="benign"))
    assert scores["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(Y_TRUE, Y_PRED))
    assert scores["roc_auc"] == pytest.approx(roc_auc_score(Y_TRUE == "malignant", PROBA[:, 1]))
    flipped = case_scores(Y_TRUE, Y_PRED, PROBA[:, ::-1], ["malignant", "benign"], "malignant")
    assert flipped["roc_auc"] == pytest.approx(scores["roc_auc"])


def test_all_positive_predictions_look_good_on_f1_only():
    y_true = np.array(["benign"] * 3 + ["malignant"] * 7)
    scores = case_scores(y_true, np.full(10, "malignant"), pos_label="malignant")
    assert scores["f1_pos"] > 0.8
    assert scores["balanced_accuracy"] == pytest.approx(0.5)
    assert scores["f1_macro"] < 0.45


def test_multiclass_and_one_class_cases():
    scores = case_scores([0, 1, 2, 2], [0, 2, 2, 2])
    assert set(scores) == {"accuracy", "f1_macro"}
    only_positive = case_scores(["m", "m"], ["m", "m"], [[0.2, 0.8], [0.4, 0.6]], ["b", "m"], "m")
    assert np.isnan(only_positive["roc_auc"])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="two-class"):
        case_scores([0, 1, 2], [0, 1, 2], pos_label=1)
    with pytest.raises(ValueError, match="pos_label='cancer' is not among"):
        case_scores(Y_TRUE, Y_PRED, pos_label="cancer")
    with pytest.raises(ValueError, match="needs classes"):
        case_scores(Y_TRUE, Y_PRED, PROBA, pos_label="malignant")
    with pytest.raises(ValueError, match="shape"):
        case_scores(Y_TRUE, Y_PRED, PROBA[:3], ["benign", "malignant"], pos_label="malignant")
    with pytest.raises(ValueError, match="at least one case"):
        case_scores([], [])
    with pytest.raises(ValueError, match="inconsistent"):
        case_scores([0, 1], [0])
