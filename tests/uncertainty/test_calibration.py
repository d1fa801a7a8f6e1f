"""Temperature scaling: calibrated probabilities that keep every call and the ranking,
fitted on every training case by cross-fitting; and ``microts fit --calibrate`` on as few
cases as a lab has (29, the training patients of BreakHis' official fold 2)."""

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import rankdata
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_microts import SequencePooler
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.metrics import expected_calibration_error
from sklearn_microts.uncertainty import TemperatureScaledClassifier
from sklearn_microts.uncertainty._calibration import fit_temperature, scale

from ..cli.options import TINY_MODEL


def pooled_model(C=1.0):
    """A quick case classifier: each case's mean, maximum and minimum into a logistic
    regression (barely regularised with a large ``C``: sure beyond its accuracy)."""
    return make_pipeline(
        SequencePooler(statistics=("mean", "max", "min")), LogisticRegression(C=C, max_iter=500)
    )


def cases():
    """1,200 generated cases of two classes, weak enough that the model errs often."""
    return make_microscopy_sequences(n_cases=1200, n_features=6, class_sep=1.0, random_state=0)


def test_temperature_keeps_every_binary_call_and_the_ranking():
    X, y = cases()
    model = pooled_model(C=1e4).fit(X[:60], y[:60])  # overconfident
    calibrated = TemperatureScaledClassifier(FrozenEstimator(model)).fit(X[60:600], y[60:600])
    assert calibrated.temperature_ > 1.5  # softened: the probabilities below do differ
    raw, proba = model.predict_proba(X[600:]), calibrated.predict_proba(X[600:])
    assert np.abs(proba - raw).max() > 0.1
    # The order of the cases by their probability of class 1, ties included.
    np.testing.assert_array_equal(rankdata(proba[:, 1]), rankdata(raw[:, 1]))
    assert roc_auc_score(y[600:], proba[:, 1]) == roc_auc_score(y[600:], raw[:, 1])
    np.testing.assert_array_equal(proba.argmax(1), raw.argmax(1))
    np.testing.assert_array_equal(calibrated.predict(X[600:]), model.predict(X[600:]))
    before = expected_calibration_error(y[600:], raw, classes=[0, 1])
    after = expected_calibration_error(y[600:], proba, classes=[0, 1])
    assert after < before / 2, (before, after)


def test_temperature_keeps_every_call_of_three_classes_and_sharpens_a_shy_model():
    X, y = make_microscopy_sequences(
        n_cases=1200, n_features=6, n_classes=3, class_sep=2.0, random_state=0
    )
    # Standardised pooled features, strongly regularised: 64% right, 46% sure on average.
    model = make_pipeline(
        SequencePooler(statistics=("mean", "max", "min")),
        StandardScaler(),
        LogisticRegression(C=3e-3),
    ).fit(X[:300], y[:300])
    calibrated = TemperatureScaledClassifier(FrozenEstimator(model)).fit(X[300:700], y[300:700])
    assert calibrated.temperature_ < 0.5
    raw, proba = model.predict_proba(X[700:]), calibrated.predict_proba(X[700:])
    np.testing.assert_array_equal(proba.argmax(1), raw.argmax(1))
    assert log_loss(y[700:], proba) < log_loss(y[700:], raw) - 0.05


def test_cross_fitting_calibrates_on_every_case_and_refits_on_all():
    X, y = cases()
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    calibrated = TemperatureScaledClassifier(pooled_model(), cv=cv, method="temperature")
    calibrated.fit(X[:300], y[:300])
    assert calibrated.method_ == "temperature"
    assert not hasattr(calibrated, "nested_brier_")
    out_of_fold = cross_val_predict(
        pooled_model(), X[:300], y[:300], cv=cv, method="predict_proba"
    )
    assert calibrated.temperature_ == pytest.approx(fit_temperature(out_of_fold, y[:300]))
    np.testing.assert_allclose(
        calibrated.held_out_proba_, softmax(np.log(out_of_fold) / calibrated.temperature_, 1)
    )
    refit = pooled_model().fit(X[:300], y[:300])
    np.testing.assert_allclose(
        calibrated.estimator_.predict_proba(X[300:]), refit.predict_proba(X[300:])
    )
    # scikit-learn's temperature scaling, fitted the same way, gives about the same: the
    # smoothed targets barely count on 300 cases.
    theirs = CalibratedClassifierCV(pooled_model(), method="temperature", cv=cv, ensemble=False)
    theirs.fit(X[:300], y[:300])
    np.testing.assert_allclose(
        calibrated.predict_proba(X[300:]), theirs.predict_proba(X[300:]), atol=0.02
    )


def _nested_by_hand(X, y, splits, proba):
    """The nested Brier scores, computed the long way: for each part, a temperature from
    models that trained on neither it nor the part they predict."""
    parts = [test for _, test in splits]
    everyone = np.arange(len(y))
    scaled = np.empty_like(proba)
    for j, held_out in enumerate(parts):
        inner, truth = [], []
        for i, part in enumerate(parts):
            if i != j:
                train = np.setdiff1d(everyone, np.concatenate([part, held_out]))
                model = pooled_model(C=1e4).fit([X[c] for c in train], y[train])
                inner.append(model.predict_proba([X[c] for c in part]))
                truth.append(y[part])
        temperature = fit_temperature(np.vstack(inner), np.concatenate(truth))
        log_p = np.log(np.clip(proba[held_out], 1e-12, 1))  # a 0 counts as 1e-12
        scaled[held_out] = softmax(log_p / temperature, axis=1)
    one_hot = np.eye(2)[y]
    return {
        "none": np.mean(np.sum((proba - one_hot) ** 2, 1)),
        "temperature": np.mean(np.sum((scaled - one_hot) ** 2, 1)),
    }


def test_whether_to_scale_is_chosen_by_nested_cross_fitting():
    X, y = cases()
    X, y = X[:90], y[:90]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    calibrated = TemperatureScaledClassifier(pooled_model(C=1e4), cv=cv).fit(X, y)
    splits = list(cv.split(X, y))
    out_of_fold = cross_val_predict(pooled_model(C=1e4), X, y, cv=splits, method="predict_proba")
    expected = _nested_by_hand(X, y, splits, out_of_fold)
    assert calibrated.nested_brier_ == pytest.approx(expected)
    # An overconfident model, whose folds' models are too: scaling helps, one level down.
    assert calibrated.nested_brier_["temperature"] < calibrated.nested_brier_["none"]
    assert calibrated.method_ == "temperature"
    assert calibrated.temperature_ == pytest.approx(fit_temperature(out_of_fold, y))
    # Where it does not help, the raw probabilities stay.
    calibrated._fit_held_out(
        calibrated.estimator_, out_of_fold, y, nested={"none": 0.1, "temperature": 0.1}
    )
    assert (calibrated.method_, calibrated.temperature_) == ("none", 1.0)
    np.testing.assert_allclose(calibrated.predict_proba(X), calibrated.estimator_.predict_proba(X))
    with pytest.raises(ValueError, match="needs at least 3 folds; cv gives 2"):
        TemperatureScaledClassifier(pooled_model(), cv=2).fit(X, y)


def test_held_out_calls_all_right_leave_the_probabilities_short_of_certainty():
    X, y = make_microscopy_sequences(n_cases=80, n_features=6, class_sep=8.0, random_state=0)
    model = pooled_model().fit(X[:40], y[:40])
    calibrated = TemperatureScaledClassifier(FrozenEstimator(model)).fit(X[40:], y[40:])
    assert (calibrated.held_out_proba_.argmax(1) == y[40:]).all()  # nothing to learn T from
    # Plain likelihood would drive T to 0 and every probability to 1; the targets smoothed
    # by the rule of succession, (n + 1) / (n + 2), keep T finite.
    assert calibrated.temperature_ > 0.05
    assert calibrated.held_out_proba_.max() < 1 - 1e-6


def test_too_few_cases_of_a_class_for_the_folds_is_an_error_that_names_them():
    X, y = cases()
    keep = np.concatenate([np.flatnonzero(y == 0)[:20], np.flatnonzero(y == 1)[:3]])
    with pytest.raises(ValueError, match=r"needs at least 5 cases of each class; 1 has 3\."):
        TemperatureScaledClassifier(pooled_model()).fit([X[i] for i in keep], y[keep])


# -- microts fit --calibrate on few cases -------------------------------------------------


@pytest.fixture(scope="module")
def fold_two(tmp_path_factory):
    """A feature table of 29 cases, 6 benign and 23 malignant (BreakHis' fold 2 has as
    many training patients), and a model fitted on it with and without --calibrate."""
    from sklearn_microts.cli import main
    from sklearn_microts.cli._data import Cases, cases_to_table

    X, y = make_microscopy_sequences(n_cases=80, n_features=4, max_length=12, random_state=0)
    keep = np.concatenate([np.flatnonzero(y == 0)[:6], np.flatnonzero(y == 1)[:23]])
    names = np.array([f"case{i:02d}" for i in range(len(keep))])
    labels = np.array(["benign", "malignant"])[y[keep]]
    table = cases_to_table(
        Cases(names=names, X=[X[i] for i in keep], y=labels, images=None, patients=names)
    )
    tmp = tmp_path_factory.mktemp("fold_two")
    table.to_csv(tmp / "f.csv", index=False)
    assert (
        main([str(a) for a in ["fit", tmp / "f.csv", "--model", tmp / "raw.microts", *TINY_MODEL]])
        == 0
    )
    return tmp


def test_fit_calibrate_runs_on_29_cases_and_changes_no_call(fold_two, capsys):
    import pandas

    from sklearn_microts.cli import main
    from sklearn_microts.cli._data import read_table, table_to_cases
    from sklearn_microts.cli._model import load_model

    tmp = fold_two
    capsys.readouterr()
    fit = ["fit", tmp / "f.csv", "--model", tmp / "cal.microts", "--calibrate", *TINY_MODEL]
    assert main([str(a) for a in fit]) == 0
    out = capsys.readouterr().out
    assert "calibrated on all 29 cases" in out
    # 6 benign cases cannot certify leaving benign out at alpha=0.1 (9 needed): it says so.
    assert "every set holds benign (its 6 cases are too few: 9 needed)" in out
    assert out.splitlines()[-1].startswith("29 cases, 2 epochs")
    for name in ("raw", "cal"):
        predict = ["predict", tmp / f"{name}.microts", tmp / "f.csv", "--out", tmp / f"{name}.csv"]
        assert main([str(a) for a in predict]) == 0
    raw = pandas.read_csv(tmp / "raw.csv", keep_default_na=False)
    calibrated = pandas.read_csv(tmp / "cal.csv", keep_default_na=False)
    # The same model, fitted on all 29 cases either way: the same calls.
    assert calibrated["prediction"].tolist() == raw["prediction"].tolist()
    assert all("benign" in cell for cell in calibrated["prediction_set"])
    model, _, trust = load_model(tmp / "cal.microts")
    assert trust.n_held_out == 29
    assert len(trust.referral.held_out_confidence_) == 29
    # The confidence is the raw one at the temperature chosen (1 where none helped).
    cases = table_to_cases(read_table(tmp / "f.csv"), source="f.csv")
    expected = scale(model.predict_proba(cases.X), trust.calibrated.temperature_).max(1)
    np.testing.assert_allclose(calibrated["confidence"], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--calibration-folds", "7"],
            "--calibration-folds 7: Cross-fitting in 7 folds needs at least 7 cases of each "
            "class; benign has 6.",
        ),
        (["--calibration-folds", "2"], "'2' folds: the calibration needs at least 3"),
        (["--alpha", "0.02"], "--alpha 0.02 needs at least 49 calibration cases of a class"),
    ],
)
def test_fit_calibrate_refuses_what_the_cases_cannot_give_before_fitting(
    fold_two, capsys, option, message
):
    from sklearn_microts.cli import main

    tmp = fold_two
    fit = [
        "fit",
        tmp / "f.csv",
        "--model",
        tmp / "bad.microts",
        "--calibrate",
        *option,
        *TINY_MODEL,
    ]
    try:
        status = main([str(a) for a in fit])
    except SystemExit as exit_info:  # argparse's own errors
        status = exit_info.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp / "bad.microts").exists()
