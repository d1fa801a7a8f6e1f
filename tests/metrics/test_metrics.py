"""Case-level scores: the paper's positive-class F1 beside the scores that see both classes,
and the scores of the probabilities (calibration, risk against coverage)."""

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, brier_score_loss, f1_score, roc_auc_score

from sklearn_microts.metrics import (
    MULTICLASS_SCORES,
    SCORE_NAMES,
    case_scores,
    expected_calibration_error,
    risk_at_coverage,
    risk_coverage_auc,
    risk_coverage_curve,
)

Y_TRUE = np.array(["benign", "malignant", "malignant", "malignant", "benign"])
Y_PRED = np.array(["malignant", "malignant", "malignant", "benign", "benign"])
PROBA = np.array([[0.4, 0.6], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]])


def test_binary_scores_name_the_positive_class():
    scores = case_scores(Y_TRUE, Y_PRED, PROBA, ["benign", "malignant"], pos_label="malignant")
    assert list(scores)[:5] == ["accuracy", "f1_macro", "f1_pos", "balanced_accuracy", "roc_auc"]
    assert set(scores) == set(SCORE_NAMES)
    assert scores["brier"] == pytest.approx(brier_score_loss(Y_TRUE == "malignant", PROBA[:, 1]))
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
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6], [0.0, 0.0, 1.0]])
    with_proba = case_scores([0, 1, 2, 2], [0, 2, 2, 2], proba, [0, 1, 2])
    assert set(with_proba) == set(MULTICLASS_SCORES)
    # Summed over the classes: (0.06 + 0.86 + 0.24 + 0) / 4
    assert with_proba["brier"] == pytest.approx(0.29)
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
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        case_scores(Y_TRUE, Y_PRED, PROBA * 2, ["benign", "malignant"])
    with pytest.raises(ValueError, match="NaN"):
        case_scores(Y_TRUE, Y_PRED, np.where(PROBA > 0.7, np.nan, PROBA), ["benign", "malignant"])
    with pytest.raises(ValueError, match="classes does not"):
        case_scores(Y_TRUE, Y_PRED, PROBA, ["benign", "cancer"])
    with pytest.raises(ValueError, match="'y_proba' parameter of case_scores must be"):
        case_scores(Y_TRUE, Y_PRED, 0.9)


def _calibrated_cases(n, rng, stated=None):
    """Two-class cases whose predicted class is right with the probability it states (or,
    with ``stated``, always states that whatever it is right with)."""
    truth = rng.integers(0, 2, n)
    confidence = rng.uniform(0.5, 1.0, n)
    right = rng.random(n) < confidence
    predicted = np.where(right, truth, 1 - truth)
    said = confidence if stated is None else np.full(n, stated)
    proba = np.empty((n, 2))
    proba[np.arange(n), predicted] = said
    proba[np.arange(n), 1 - predicted] = 1 - said
    return truth, proba


def test_ece_is_near_zero_when_the_stated_confidence_comes_true():
    rng = np.random.default_rng(0)
    truth, proba = _calibrated_cases(20000, rng)
    assert expected_calibration_error(truth, proba, classes=[0, 1]) < 0.015
    # Always saying 0.99 while right three times in four on average: the gap is 0.24.
    truth, proba = _calibrated_cases(20000, rng, stated=0.99)
    assert expected_calibration_error(truth, proba, classes=[0, 1]) == pytest.approx(
        0.24, abs=0.01
    )


def test_ece_by_hand_and_its_bins():
    # Predicted classes b, m, b, b: right, right, wrong, right at 0.9, 0.8, 0.7, 0.6.
    proba = [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.6, 0.4]]
    truth = ["b", "m", "m", "b"]
    assert expected_calibration_error(truth, proba, classes=["b", "m"]) == pytest.approx(0.35)
    # One bin: accuracy 0.75 against a mean confidence of 0.75.
    one_bin = expected_calibration_error(truth, proba, classes=["b", "m"], n_bins=1)
    assert one_bin == pytest.approx(0.0)
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(truth, proba, classes=["b", "m"], n_bins=0)


def test_risk_coverage_curve_decides_the_most_confident_first_and_ties_together():
    y_true = np.array([0, 1, 1, 0, 1])
    y_pred = np.array([0, 1, 0, 0, 0])
    confidence = np.array([0.9, 0.8, 0.6, 0.8, 0.1])
    coverage, risk, thresholds = risk_coverage_curve(y_true, y_pred, confidence)
    np.testing.assert_allclose(coverage, [0.2, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(risk, [0.0, 0.0, 0.25, 0.4])
    np.testing.assert_allclose(thresholds, [0.9, 0.8, 0.6, 0.1])
    assert risk_coverage_auc(y_true, y_pred, confidence) == pytest.approx(0.2 * 0.25 + 0.2 * 0.4)
    assert risk_at_coverage(y_true, y_pred, confidence, coverage=0.8) == pytest.approx(0.25)
    assert risk_at_coverage(y_true, y_pred, confidence, coverage=0.5) == pytest.approx(0.0)


def test_aurc_rewards_a_confidence_that_puts_the_errors_last():
    y_true = np.zeros(10, dtype=int)
    y_pred = np.r_[np.zeros(7, dtype=int), np.ones(3, dtype=int)]  # the last three wrong
    rising = np.linspace(1, 0, 10)
    assert risk_coverage_auc(y_true, y_pred, rising) == pytest.approx(
        sum(e / k for k, e in zip(range(8, 11), (1, 2, 3), strict=True)) / 10
    )
    falling = risk_coverage_auc(y_true, y_pred, rising[::-1])
    assert falling > risk_coverage_auc(y_true, y_pred, rising) + 0.3


@pytest.mark.parametrize("coverage", [0.0, 1.5, -0.2])
def test_bad_coverage_is_named(coverage):
    with pytest.raises(ValueError, match="coverage"):
        risk_at_coverage([0, 1], [0, 1], [0.5, 0.6], coverage=coverage)


def test_confidence_must_be_one_finite_value_a_case():
    with pytest.raises(ValueError, match="one value a case"):
        risk_coverage_curve([0, 1], [0, 1], [0.5])
    with pytest.raises(ValueError, match="NaN"):
        risk_coverage_curve([0, 1], [0, 1], [0.5, np.nan])


def test_probabilities_must_sum_to_one_and_float32_rows_pass_without_warning():
    import warnings

    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(9), size=50).astype(np.float32)
    y_true = proba.argmax(1)
    before = proba.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's "do not sum to one" among them
        scores = case_scores(y_true, y_true, proba, classes=list(range(9)))
    assert np.isfinite(scores["brier"])
    np.testing.assert_array_equal(proba, before)  # the caller's array is not rescaled
    with pytest.raises(ValueError, match="rows must sum to 1; row 3"):
        case_scores(
            y_true,
            y_true,
            np.where(np.arange(50)[:, None] == 3, proba / 2, proba),
            classes=list(range(9)),
        )
