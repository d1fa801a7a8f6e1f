"""Referral by doubt, not by class: each class's calls referred in proportion to its
errors, the least sure first; and a report whose words follow how many cases its
thresholds and probabilities rest on."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_microts import SequencePooler
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.uncertainty import ReferralClassifier
from sklearn_microts.uncertainty._referral import share_referrals


class _Given(ClassifierMixin, BaseEstimator):
    """A classifier whose probabilities are written in each case: its one frame."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.stack([np.asarray(case)[0] for case in X])


def _class_bound(n, rng):
    """``n`` held-out cases of a model that is sure by class, not by case: its calls of
    class 0 at 0.70-0.80, wrong one time in five; of class 1 at 0.85-0.95, wrong one time
    in twenty (the confidence says nothing of which call within a class is wrong)."""
    calls = rng.integers(0, 2, n)
    confidence = np.where(calls == 0, rng.uniform(0.70, 0.80, n), rng.uniform(0.85, 0.95, n))
    wrong = rng.random(n) < np.where(calls == 0, 0.2, 0.05)
    truth = np.where(wrong, 1 - calls, calls)
    proba = np.where(calls[:, None] == 1, 1 - confidence[:, None], confidence[:, None])
    proba = np.hstack([proba, 1 - proba])
    return [row[None, :] for row in proba], truth, calls


@pytest.fixture(scope="module")
def model():
    X, y, _ = _class_bound(10, np.random.default_rng(0))
    return FrozenEstimator(_Given().fit(X, y))


def test_referrals_follow_each_class_s_errors_not_its_confidence(model):
    X, y, _ = _class_bound(4000, np.random.default_rng(1))
    X_test, _, test_calls = _class_bound(4000, np.random.default_rng(2))
    shares = {}
    for by_class in (True, False):
        referral = ReferralClassifier(model, coverage=0.85, by_class=by_class).fit(X, y)
        referred = referral.refer(X_test)
        assert referred.mean() == pytest.approx(0.15, abs=0.02)
        shares[by_class] = [referred[test_calls == c].mean() for c in (0, 1)]
    # One threshold refers the calls of the class it is less sure of, and no other.
    assert shares[False][1] == 0
    assert shares[False][0] > 0.25
    # By doubt: both classes referred, class 0 about four times as much (its errors).
    zero, one = shares[True]
    assert one > 0.02
    assert 3 < zero / one < 5.5, shares


def test_held_out_records_are_kept_and_the_thresholds_rest_on_them(model):
    X, y, calls = _class_bound(500, np.random.default_rng(3))
    referral = ReferralClassifier(model, coverage=0.8).fit(X, y)
    np.testing.assert_array_equal(referral.held_out_calls_, calls)
    np.testing.assert_array_equal(referral.held_out_correct_, calls == y)
    referred = referral.held_out_confidence_ < referral.thresholds_[calls]
    assert referred.sum() == 100  # 20% of 500 held-out cases
    wrong = np.bincount(calls[calls != y], minlength=2)
    np.testing.assert_array_equal(
        np.bincount(calls[referred], minlength=2),
        share_referrals(100, wrong, np.bincount(calls, minlength=2)),
    )


@pytest.mark.parametrize(
    ("n_referred", "errors", "sizes", "expected"),
    [
        (6, [2, 1], [7, 22], [4, 2]),  # in proportion to the errors
        (10, [5, 1], [4, 22], [4, 6]),  # a class's calls all referred: the rest elsewhere
        (6, [0, 0], [7, 22], [1, 5]),  # no error: in proportion to the calls
        (26, [5, 0], [4, 22], [4, 22]),
        (7, [1, 1, 1], [4, 4, 4], [3, 2, 2]),  # whole numbers, by the largest remainder
        (0, [3, 1], [5, 5], [0, 0]),
    ],
)
def test_share_referrals(n_referred, errors, sizes, expected):
    shares = share_referrals(n_referred, np.array(errors), np.array(sizes))
    np.testing.assert_array_equal(shares, expected)


def test_thresholds_refer_all_of_a_class_or_none():
    # Ten held-out calls: two of class 0, both wrong; eight of class 1, one wrong.
    confidence = np.array([0.9, 0.95, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
    calls = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    truth = np.array([1, 1, 0, 1, 1, 1, 1, 1, 1, 1])
    proba = np.where(calls[:, None] == 1, 1 - confidence[:, None], confidence[:, None])
    X = [row[None, :] for row in np.hstack([proba, 1 - proba])]
    model = FrozenEstimator(_Given().fit(X, truth))
    referral = ReferralClassifier(model, coverage=0.7).fit(X, truth)
    # Three referred, two for class 0's two errors: all its calls; one of class 1's.
    assert referral.thresholds_[0] == np.inf
    assert referral.thresholds_[1] == pytest.approx(0.65)
    assert ReferralClassifier(model, coverage=1.0).fit(X, truth).thresholds_.tolist() == [0, 0]


# -- the report's words follow the number of cases --------------------------------------


def test_probabilities_are_read_as_frequencies_only_on_enough_cases():
    from sklearn_microts.cli._report import probability_reading

    few = probability_reading(13)
    assert "8 in 10 are right" not in few
    assert "13 calibration cases are too few" in few
    assert "from 46% to 95% (95% interval)" in few
    assert "too few" in probability_reading(49)
    many = probability_reading(200)
    assert many.startswith("Of the cases given 0.8, about 8 in 10 are right")
    assert "200 calibration cases" in many


def _opening(n_cases, seed=0):
    import pandas

    from sklearn_microts.cli._report import _trust_opening
    from sklearn_microts.cli._trust import fit_trusted

    X, y = make_microscopy_sequences(
        n_cases=n_cases, n_features=4, max_length=10, class_sep=1.0, random_state=seed
    )
    labels = np.array(["benign", "malignant"])[y]
    pooled = make_pipeline(SequencePooler(), LogisticRegression())
    _, trust = fit_trusted(pooled, X, labels, folds=3, coverage=0.8, alpha=0.2)
    calls = trust.calls(X)
    table = pandas.DataFrame({"prediction": calls["prediction"], "refer": calls["refer"]})
    return _trust_opening(table, trust), trust, table


def test_the_report_says_what_its_thresholds_rest_on_and_reads_few_cases_as_few():
    opening, trust, table = _opening(13)
    assert "What this rests on: 13 training cases" in opening
    assert "13 calibration cases are too few to read a probability as a frequency" in opening
    assert "8 in 10 are right" not in opening
    for record in trust.call_record():
        calls = table["prediction"] == record.label
        said = f"{table['refer'][calls].sum()} of its {calls.sum()} {record.label} calls"
        assert said in opening  # the share referred, class by class
        assert f"its {record.label} calls were wrong in {record.n_wrong} of " in opening
    assert opening.count("95% interval") >= 3  # the right calls, and each class's errors
    many, _, _ = _opening(300)
    assert "about 8 in 10 are right (300 calibration cases" in many
