"""Calls a pathologist can trust: calibration on ragged cases, referral, conformal sets."""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, MicroTSClassifier, SequencePooler
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.metrics import expected_calibration_error
from sklearn_microts.uncertainty import ConformalClassifier, ReferralClassifier
from sklearn_microts.utils.estimator_checks import parametrize_with_sequence_checks


def pooled_model():
    """A quick case classifier: each case's mean and maximum into a logistic regression."""
    return make_pipeline(SequencePooler(statistics=("mean", "max")), LogisticRegression())


@pytest.fixture(scope="module")
def cases():
    """4,000 generated cases of three classes, weak enough that the model errs often."""
    return make_microscopy_sequences(
        n_cases=4000, n_features=6, n_classes=3, class_sep=1.0, random_state=0
    )


# -- calibration: scikit-learn's, on our inputs ------------------------------------------


def test_calibration_works_on_ragged_cases_through_a_pipeline_and_keeps_the_ranking():
    X, y = make_microscopy_sequences(n_cases=90, n_features=6, max_length=20, random_state=0)
    small = {"d_model": 12, "n_heads": 3, "mlp_dim": 16, "head_hidden": 8, "pool_hidden": 8}
    pipeline = make_pipeline(
        DedupTransformer(), MicroTSClassifier(max_epochs=3, random_state=0, **small)
    ).fit(X[:40], y[:40])
    raw = pipeline.set_params(microtsclassifier__strategy="ap").predict_proba(X[70:])
    calibrated = CalibratedClassifierCV(FrozenEstimator(pipeline), method="sigmoid")
    proba = calibrated.fit(X[40:70], y[40:70]).predict_proba(X[70:])
    assert proba.shape == raw.shape
    np.testing.assert_allclose(proba.sum(1), 1.0)
    # A sigmoid of the score is monotone: the order of the cases, so the ROC AUC, stays.
    assert roc_auc_score(y[70:], proba[:, 1]) == pytest.approx(roc_auc_score(y[70:], raw[:, 1]))
    # And cross-validated calibration fits the pipeline on the ragged cases itself.
    cv = CalibratedClassifierCV(pipeline, cv=3, method="sigmoid").fit(X[:60], y[:60])
    assert cv.predict_proba(X[60:]).shape == (30, 2)


def test_calibration_lowers_the_ece_of_an_overconfident_model(cases):
    X, y = cases
    # Barely regularised on few cases: confident beyond its accuracy.
    model = make_pipeline(
        SequencePooler(statistics=("mean", "max", "min")), LogisticRegression(C=1e4)
    ).fit(X[:150], y[:150])
    calibrated = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid")
    calibrated.fit(X[150:1150], y[150:1150])
    before = expected_calibration_error(y[2000:], model.predict_proba(X[2000:]), classes=[0, 1, 2])
    after = expected_calibration_error(
        y[2000:], calibrated.predict_proba(X[2000:]), classes=[0, 1, 2]
    )
    assert after < before / 2, (before, after)


# -- conformal prediction sets -----------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_conformal_sets_hold_the_true_class_as_often_as_promised(cases, alpha):
    # The model fitted once on 1,000 cases; 1,000 others calibrate, 2,000 test, in five
    # random draws of which cases calibrate and which test (exchangeable by construction).
    X, y = cases
    model = FrozenEstimator(pooled_model().fit(X[:1000], y[:1000]))
    rest = np.arange(1000, 4000)
    coverages = []
    for seed in range(5):
        order = np.random.default_rng(seed).permutation(rest)
        calibrate, test = order[:1000], order[1000:]
        conformal = ConformalClassifier(model, alpha=alpha).fit(
            [X[i] for i in calibrate], y[calibrate]
        )
        sets = conformal.predict_set([X[i] for i in test])
        coverages.append(sets[np.arange(len(test)), y[test]].mean())
    assert abs(np.mean(coverages) - (1 - alpha)) < 0.02, coverages
    assert min(coverages) > 1 - alpha - 0.04, coverages


def test_conformal_alpha_is_read_at_prediction_and_nests_the_sets(cases):
    X, y = cases
    conformal = ConformalClassifier(pooled_model(), random_state=0).fit(X[:600], y[:600])
    loose = conformal.set_params(alpha=0.3).predict_set(X[600:800])
    tight = conformal.set_params(alpha=0.05).predict_set(X[600:800])
    assert np.all(tight >= loose)  # a smaller alpha, a superset
    assert tight.sum() > loose.sum()
    assert len(conformal.calibration_scores_) == 150  # a quarter of the 600, held out


def test_conformal_refuses_an_alpha_its_calibration_cannot_give(cases):
    X, y = cases
    conformal = ConformalClassifier(pooled_model(), calibration_size=12, random_state=0)
    conformal.fit(X[:100], y[:100])
    conformal.set_params(alpha=0.1).predict_set(X[:3])  # needs 9 calibration cases
    with pytest.raises(ValueError, match=r"alpha=0\.05 needs at least 19 calibration cases"):
        conformal.set_params(alpha=0.05).predict_set(X[:3])


# -- referral ----------------------------------------------------------------------------


class _Recorder(LogisticRegression):
    """A logistic regression on pooled cases that records every case it reads."""

    seen = []  # noqa: RUF012 (a test spy, shared by the clones on purpose)

    def fit(self, X, y):
        _Recorder.seen.extend(int(case[0, 0] * 1e6) for case in X)
        return super().fit(np.stack([case.mean(0) for case in X]), y)

    def predict_proba(self, X):
        _Recorder.seen.extend(int(case[0, 0] * 1e6) for case in X)
        return super().predict_proba(np.stack([case.mean(0) for case in X]))


def test_the_referral_threshold_comes_from_out_of_fold_training_cases_only(cases):
    X, y = cases
    X_train, y_train, X_test = X[:300], y[:300], X[300:600]
    _Recorder.seen = []
    referral = ReferralClassifier(_Recorder(), coverage=0.7, cv=4).fit(X_train, y_train)
    training_keys = {int(case[0, 0] * 1e6) for case in X_train}
    assert set(_Recorder.seen) <= training_keys
    referral.predict(X_test)  # predicting reads test cases but changes nothing fitted
    out_of_fold = cross_val_predict(
        _Recorder(), X_train, y_train, cv=4, method="predict_proba"
    ).max(1)
    np.testing.assert_allclose(referral.held_out_confidence_, out_of_fold)
    assert referral.threshold_ == pytest.approx(np.sort(out_of_fold)[::-1][209])  # 0.7 x 300


def test_referral_decides_the_share_asked_and_errs_less_on_what_it_decides(cases):
    X, y = cases
    referral = ReferralClassifier(pooled_model(), coverage=0.6).fit(X[:1500], y[:1500])
    calls = referral.predict(X[1500:])
    decided = calls != "refer"
    assert abs(decided.mean() - 0.6) < 0.05
    np.testing.assert_array_equal(referral.refer(X[1500:]), ~decided)
    errors = referral.estimator_.predict(X[1500:]) != y[1500:]
    assert np.mean(calls[decided] != y[1500:][decided]) < errors.mean() - 0.05


def test_referral_of_a_frozen_model_reads_the_cases_given_as_held_out(cases):
    X, y = cases
    model = pooled_model().fit(X[:500], y[:500])
    referral = ReferralClassifier(FrozenEstimator(model), coverage=0.5).fit(X[500:900], y[500:900])
    assert referral.estimator_.estimator is model  # not refit
    np.testing.assert_allclose(
        referral.held_out_confidence_, model.predict_proba(X[500:900]).max(1)
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ReferralClassifier(pooled_model(), coverage=0.0), "coverage"),
        (lambda: ReferralClassifier(pooled_model(), coverage=1.5), "coverage"),
        (lambda: ReferralClassifier(pooled_model(), refer_label=1), "refer_label"),
        (lambda: ConformalClassifier(pooled_model(), alpha=0.0), "alpha"),
        (lambda: ConformalClassifier(pooled_model(), alpha=1.0), "alpha"),
        (lambda: ConformalClassifier(pooled_model(), calibration_size=1.5), "calibration_size"),
        (
            lambda: ConformalClassifier(LogisticRegression().fit([[0], [1]], [0, 1]).predict),
            "estimator",
        ),
    ],
)
def test_bad_parameters_are_named(cases, make, message):
    X, y = cases
    with pytest.raises((ValueError, TypeError), match=message):
        make().fit(X[:60], y[:60])


def test_a_referral_label_that_is_a_class_is_refused():
    X, y = make_microscopy_sequences(n_cases=40, n_features=4, random_state=0)
    labels = np.where(y == 1, "refer", "benign")
    with pytest.raises(ValueError, match="refer_label='refer' is one of the classes"):
        ReferralClassifier(pooled_model(), cv=2).fit(X, labels)


def test_conformal_names_labels_a_frozen_model_never_saw(cases):
    X, y = cases
    model = pooled_model().fit(X[:200], np.where(y[:200] == 2, 1, y[:200]))  # classes 0, 1
    with pytest.raises(ValueError, match=r"not trained on: \[2\]"):
        ConformalClassifier(FrozenEstimator(model)).fit(X[200:300], y[200:300])


@parametrize_with_sequence_checks(
    [
        ReferralClassifier(pooled_model(), cv=2),
        ConformalClassifier(pooled_model(), alpha=0.3, random_state=0),
    ]
)
def test_sequence_checks(estimator, check):
    check(estimator)
