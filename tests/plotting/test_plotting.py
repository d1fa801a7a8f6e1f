"""The displays, tested for their artists with the Agg backend."""

import copy

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from sklearn_microts.plotting import (  # noqa: E402
    AlignmentDisplay,
    CaseEvidenceDisplay,
    RiskCoverageDisplay,
    StrategyComparisonDisplay,
)

STRATEGIES = ["ap", "dtw", "knn", "vote"]


@pytest.fixture(scope="module")
def data():
    return make_microscopy_sequences(
        n_cases=40, n_features=8, min_length=6, max_length=14, random_state=0
    )


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    classifier = MicroTSClassifier(
        d_model=16,
        n_heads=2,
        mlp_dim=32,
        head_hidden=16,
        pool_hidden=16,
        max_epochs=3,
        random_state=0,
    )
    return make_pipeline(DedupTransformer(drop_fraction=0.3), classifier).fit(X, y)


@pytest.fixture
def figure():
    # Figures of their own, without pyplot: nothing global to switch or close.
    return Figure()


def _duplicated_case(X):
    """A case whose frames 2 and 5 repeat their predecessor: de-duplication drops them."""
    case = X[0].copy()
    case[2], case[5] = case[1], case[4]
    return case


def test_case_evidence_draws_every_frame_and_marks_the_removed(data, model, figure):
    X, y = data
    case = _duplicated_case(X)
    images = [np.full((10, 12, 3), 20 * i, np.uint8) for i in range(len(case))]
    display = CaseEvidenceDisplay.from_estimator(
        model, case, images=images, y_true=y[0], case_name="case 0", ax=figure.add_subplot()
    )
    kept = model[0].kept_indices([case])[0]
    removed = np.setdiff1d(np.arange(len(case)), kept)
    assert {2, 5} <= set(removed.tolist())
    assert len(display.thumbnails_) == len(case)
    faded = [i for i, image in enumerate(display.thumbnails_) if image.get_alpha() < 1]
    assert faded == removed.tolist()
    assert len(display.proba_lines_) == 2
    expected = model[-1].predict_frame_proba(model[:-1].transform([case]))[0]
    for c, line in enumerate(display.proba_lines_):
        np.testing.assert_array_equal(line.get_xdata(), kept)
        np.testing.assert_allclose(line.get_ydata(), expected[:, c], rtol=1e-6)
    assert [bar.get_x() + bar.get_width() / 2 for bar in display.weight_bars_] == pytest.approx(
        kept
    )
    assert len(display.removed_spans_) == 3 * len(removed)  # shaded in each of 3 panels
    assert len(display.axes_) == 3
    assert display.figure_ is figure
    title = display.axes_[0].get_title(loc="left")
    assert all(f"{name}: " in title for name in STRATEGIES)
    assert "true: " in title


def test_case_evidence_takes_matplotlib_style_keywords(data, model):
    X, _ = data
    display = CaseEvidenceDisplay.from_estimator(
        model[-1],
        X[1],
        ax=Figure().subplots(2, 1),
        line_kw={"color": "tab:red", "marker": "x"},
        bar_kw={"color": "black", "width": 0.5},
    )
    assert [line.get_color() for line in display.proba_lines_] == ["tab:red"] * 2
    assert display.proba_lines_[0].get_marker() == "x"
    assert display.proba_lines_[1].get_label().startswith("P(")  # the legend still names it
    assert {bar.get_width() for bar in display.weight_bars_} == {0.5}
    assert display.weight_bars_[0].get_facecolor() == (0.0, 0.0, 0.0, 1.0)


def test_case_evidence_leaves_the_estimator_as_it_was(data, model):
    X, _ = data
    model.set_params(microtsclassifier__strategy="dtw")
    try:
        before = model.predict_proba(X[:5])
        CaseEvidenceDisplay.from_estimator(model, X[0], ax=Figure().add_subplot())
        assert model[-1].strategy == "dtw"
        np.testing.assert_array_equal(model.predict_proba(X[:5]), before)
    finally:
        model.set_params(microtsclassifier__strategy="vote")


def test_case_evidence_of_a_bare_classifier_on_given_axes(data, model):
    X, _ = data
    axes = Figure().subplots(2, 1)
    display = CaseEvidenceDisplay.from_estimator(model[-1], X[1], strategies=["ap"], ax=axes)
    assert list(display.axes_) == list(axes)  # drawn where told, nothing removed
    assert display.removed_spans_ == []
    assert display.thumbnails_ == []
    assert len(display.weight_bars_) == len(X[1])
    assert display.predictions.keys() == {"ap"}


def test_case_evidence_rejects_bad_input(data, model):
    X, _ = data
    with pytest.raises(ValueError, match="images has 2 entries"):
        CaseEvidenceDisplay.from_estimator(model, X[0], images=[None, None])
    with pytest.raises(ValueError, match="must be one case"):
        CaseEvidenceDisplay.from_estimator(model, X[:3])
    with pytest.raises(ValueError, match="sequence of 2 Axes"):
        CaseEvidenceDisplay.from_estimator(model[-1], X[0], ax=Figure().subplots(3, 1))
    with pytest.raises(ValueError, match="Unknown strategies"):
        CaseEvidenceDisplay.from_estimator(model, X[0], strategies=["best"])


def test_alignment_joins_the_case_to_the_target(data, model, figure):
    X, _ = data
    display = AlignmentDisplay.from_estimator(model, X[3], label=1, ax=figure.add_subplot())
    seen = model[:-1].transform([X[3]])
    frame_proba = model[-1].predict_frame_proba(seen)[0]
    path = np.asarray(display.path)
    assert path[0].tolist() == [0, 0]
    assert path[-1].tolist() == [len(frame_proba) - 1, model[-1].target_length - 1]
    assert len(display.path_lines_.get_segments()) == len(path)
    np.testing.assert_allclose(display.frame_line_.get_ydata(), frame_proba[:, 1], rtol=1e-6)
    target = display.target_line_.get_ydata()
    assert len(target) == model[-1].target_length
    assert target[-1] > 0.99
    with pytest.raises(ValueError, match="not a class"):
        AlignmentDisplay.from_estimator(model, X[3], label="tumour")


def test_alignment_from_predictions_computes_the_path_and_styles_the_case(figure):
    # A case whose class-1 probability rises late is aligned with a target rising late:
    # the path starts and ends at both ends, and never goes back.
    rise = np.array([0.1, 0.1, 0.2, 0.9, 1.0])
    frame_proba = np.column_stack([1 - rise, rise])
    target = np.column_stack([1 - np.linspace(0, 1, 4) ** 3, np.linspace(0, 1, 4) ** 3])
    display = AlignmentDisplay.from_predictions(
        frame_proba,
        target,
        class_index=1,
        classes=["benign", "malignant"],
        ax=figure.add_subplot(),
        color="black",
        linestyle=":",
    )
    path = np.asarray(display.path)
    assert path[0].tolist() == [0, 0]
    assert path[-1].tolist() == [4, 3]
    assert np.all(np.diff(path, axis=0) >= 0)
    np.testing.assert_allclose(display.frame_line_.get_ydata(), rise)
    assert display.frame_line_.get_color() == "black"
    assert display.frame_line_.get_linestyle() == ":"
    assert "malignant" in display.frame_line_.get_label()
    with pytest.raises(ValueError, match="2 classes but target has 3"):
        AlignmentDisplay.from_predictions(frame_proba, np.full((4, 3), 0.3), class_index=0)
    with pytest.raises(ValueError, match="class_index must be in"):
        AlignmentDisplay.from_predictions(frame_proba, target, class_index=2)
    with pytest.raises(ValueError, match="probabilities in"):
        AlignmentDisplay.from_predictions(frame_proba * np.nan, target, class_index=0)


def test_strategy_comparison_scores_each_strategy(data, model, figure):
    X, y = data
    display = StrategyComparisonDisplay.from_estimator(model, X, y, ax=figure.add_subplot())
    assert list(display.confusion_matrices) == STRATEGIES
    assert len(display.axes_) == 4
    for name in STRATEGIES:
        matrix = display.confusion_matrices[name]
        assert matrix.sum() == len(X)
        # On a copy: the module's fitted model stays as the other tests expect it.
        expected = copy.deepcopy(model).set_params(microtsclassifier__strategy=name).score(X, y)
        assert display.scores[name]["accuracy"] == pytest.approx(expected)
        assert display.scores[name]["accuracy"] == pytest.approx(np.trace(matrix) / len(X))
        texts = display.confusion_matrix_displays_[name].text_
        assert texts.shape == (2, 2)


def test_strategy_comparison_takes_matplotlib_style_keywords():
    display = StrategyComparisonDisplay.from_predictions(
        [0, 1, 1],
        {"ap": [0, 1, 0], "dtw": [1, 1, 1]},
        ax=Figure().subplots(1, 2),
        cmap="Greens",
        im_kw={"alpha": 0.5},
        text_kw={"fontsize": 7},
    )
    for inner in display.confusion_matrix_displays_.values():
        assert inner.im_.get_alpha() == 0.5
        assert inner.im_.get_cmap().name == "Greens"
        assert {text.get_fontsize() for text in inner.text_.ravel()} == {7}


def test_strategy_comparison_per_patient(data, model):
    X, y = data
    groups = np.arange(len(X)) // 2
    same_label = y[groups * 2]  # each patient's two cases carry the first case's label
    display = StrategyComparisonDisplay.from_estimator(
        model, X, same_label, groups=groups, strategies=["ap"], ax=Figure().add_subplot()
    )
    assert display.confusion_matrices["ap"].sum() == len(X) // 2
    proba = copy.deepcopy(model).set_params(microtsclassifier__strategy="ap").predict_proba(X)
    patient_pred = model[-1].classes_[((proba[0::2] + proba[1::2]) / 2).argmax(1)]
    expected = np.mean(patient_pred == same_label[0::2])
    assert display.scores["ap"]["accuracy"] == pytest.approx(expected)
    mixed = y.copy()
    mixed[:2] = [0, 1]
    with pytest.raises(ValueError, match="several labels"):
        StrategyComparisonDisplay.from_estimator(model, X, mixed, groups=groups)


def test_strategy_comparison_from_predictions_checks_lengths():
    with pytest.raises(ValueError, match="has 1 labels"):
        StrategyComparisonDisplay.from_predictions([0, 1], {"ap": [0]})
    with pytest.raises(TypeError, match="dict"):
        StrategyComparisonDisplay.from_predictions([0, 1], [0, 1])


def test_risk_coverage_display_draws_the_curve_of_the_model(model, data):
    X, y = data
    display = RiskCoverageDisplay.from_estimator(model, X, y, name="ours")
    proba = model.predict_proba(X)
    predicted = model.classes_[proba.argmax(1)]
    confidence = proba.max(1)
    # The last point decides every case: the model's error rate over all of them.
    assert display.coverage[-1] == 1.0
    assert display.risk[-1] == pytest.approx(np.mean(predicted != y))
    # The first decides the most confident cases only.
    first = confidence >= confidence.max()
    assert display.coverage[0] == pytest.approx(first.mean())
    x, y_drawn = display.line_.get_data()
    np.testing.assert_allclose(x, display.coverage)
    np.testing.assert_allclose(y_drawn, display.risk)
    assert "ours (AURC" in display.ax_.get_legend().get_texts()[0].get_text()
    assert isinstance(display.figure_, Figure)


def test_risk_coverage_curves_on_one_axes_all_fit():
    y_true = np.array([0, 1, 0, 1, 0, 1])
    confidence = np.linspace(1.0, 0.5, 6)
    low = RiskCoverageDisplay.from_predictions(y_true, y_true, confidence, name="right")
    # A worse model on the same axes: its curve reaches 1, above the first one's limits.
    high = RiskCoverageDisplay.from_predictions(
        y_true, 1 - y_true, confidence, name="wrong", ax=low.ax_
    )
    assert high.ax_.get_ylim()[0] == 0
    assert high.ax_.get_ylim()[1] >= high.risk.max()
