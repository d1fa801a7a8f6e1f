"""Calls a pathologist can trust: calibration on ragged cases, referral, conformal sets
(class by class and over all cases)."""

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
from sklearn_microts.uncertainty import (
    ConformalClassifier,
    ReferralClassifier,
    TemperatureScaledClassifier,
)
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


def test_conformal_puts_a_class_it_cannot_certify_in_every_set_and_says_so(cases):
    X, y = cases
    model = FrozenEstimator(pooled_model().fit(X[:200], y[:200]))
    calibrate = np.concatenate([200 + np.flatnonzero(y[200:] == c)[:20] for c in range(3)])
    conformal = ConformalClassifier(model).fit([X[i] for i in calibrate], y[calibrate])
    assert conformal.classes_always_in_set() == {}
    assert not conformal.set_params(alpha=0.1).predict_set(X[:50]).all()  # needs 9 a class
    with pytest.warns(UserWarning, match=r"alpha=0\.04 needs at least 24 calibration cases"):
        sets = conformal.set_params(alpha=0.04).predict_set(X[:50])
    assert sets.all()  # no class can be ruled out: each set is every class, as in crepes
    assert conformal.classes_always_in_set() == {0: 20, 1: 20, 2: 20}
    # One quantile for all 60 scores certifies what 20 a class cannot.
    conformal.set_params(conditional="marginal")
    assert conformal.classes_always_in_set() == {}
    assert not conformal.predict_set(X[:50]).all()


def _unbalanced_coverage(conditional, alpha, seeds):
    """Per class, the mean share of test cases whose set holds their class: a model fitted
    once on 1,000 cases of a 90/10 problem, then, for each seed, 2,000 others split at
    random into calibration and test halves."""
    X, y = make_microscopy_sequences(
        n_cases=3000, n_features=6, class_sep=0.8, weights=[0.9, 0.1], random_state=1
    )
    model = FrozenEstimator(pooled_model().fit(X[:1000], y[:1000]))
    coverage = []
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(np.arange(1000, 3000))
        calibrate, test = order[:1000], order[1000:]
        conformal = ConformalClassifier(model, alpha=alpha, conditional=conditional)
        sets = conformal.fit([X[i] for i in calibrate], y[calibrate]).predict_set(
            [X[i] for i in test]
        )
        held = sets[np.arange(len(test)), y[test]]
        coverage.append([held[y[test] == c].mean() for c in (0, 1)])
    return np.mean(coverage, axis=0)


@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_class_conditional_sets_cover_each_class_of_an_unbalanced_problem(alpha):
    coverage = _unbalanced_coverage("class", alpha, seeds=range(8))
    np.testing.assert_allclose(coverage, 1 - alpha, atol=0.02)


def test_marginal_sets_undercover_the_rare_class():
    # What the class-conditional sets are for: one quantile for all cases covers the
    # common class more and the rare one (10% of the cases) well below 1 - alpha.
    common, rare = _unbalanced_coverage("marginal", 0.1, seeds=range(3))
    assert rare < 0.8 < 0.9 < common


def test_cross_fitted_conformal_calibrates_on_every_case(cases):
    X, y = cases
    conformal = ConformalClassifier(pooled_model(), cv=4).fit(X[:400], y[:400])
    assert len(conformal.calibration_scores_) == 400
    out_of_fold = cross_val_predict(pooled_model(), X[:400], y[:400], cv=4, method="predict_proba")
    np.testing.assert_allclose(
        conformal.calibration_scores_, 1 - out_of_fold[np.arange(400), y[:400]]
    )
    sets = conformal.predict_set(X[2000:])
    held = sets[np.arange(2000), y[2000:]]
    # No guarantee (the model that predicts is not the folds'), but the model fitted on all
    # the cases errs less than those of the folds, which wrote the scores: sets err wide.
    for c in range(3):
        assert held[y[2000:] == c].mean() > 0.88


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
    one = ReferralClassifier(_Recorder(), coverage=0.7, cv=4, by_class=False)
    one.fit(X_train, y_train)
    np.testing.assert_allclose(one.thresholds_, np.sort(out_of_fold)[::-1][209])  # 0.7 x 300


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
        (lambda: ConformalClassifier(pooled_model(), conditional="both"), "conditional"),
        (lambda: ReferralClassifier(pooled_model(), by_class="yes"), "by_class"),
        (lambda: TemperatureScaledClassifier(pooled_model(), cv=1.5), "cv"),
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
        ConformalClassifier(pooled_model(), alpha=0.3, conditional="marginal", cv=2),
        TemperatureScaledClassifier(pooled_model(), cv=3),
    ]
)
def test_sequence_checks(estimator, check):
    check(estimator)
