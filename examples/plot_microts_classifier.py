"""
=================================================
MicroTSClassifier: which frames drove the call
=================================================

:class:`~sklearn_microts.MicroTSClassifier` learns from one weak label per case. Besides the
prediction it gives, for every frame, class probabilities (``predict_frame_proba``) and the
weight of the frame in the pooled decision (``pooling_weights``): what a pathologist wants
to look at. The displays of :mod:`sklearn_microts.plotting` draw them. On generated sessions
we know which frames carry the class signal (shaded) and can see whether the network found
them.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences
from sklearn_microts.plotting import (
    AlignmentDisplay,
    CaseEvidenceDisplay,
    StrategyComparisonDisplay,
)

X, y, signal = make_microscopy_sequences(
    n_cases=260,
    n_features=16,
    class_sep=4.0,
    signal_probability=0.15,
    min_length=20,
    max_length=60,
    return_frame_signal=True,
    random_state=1,
)
train, test = slice(0, 200), slice(200, None)

# %%
# A small network trains in seconds on a CPU; every strategy predicts from the same fit.
clf = MicroTSClassifier(
    d_model=32,
    n_heads=2,
    mlp_dim=64,
    head_hidden=32,
    pool_hidden=32,
    max_epochs=30,
    lr=1e-3,
    random_state=0,
)
clf.fit(X[train], y[train])
for strategy in ("ap", "dtw", "knn", "vote"):
    score = clf.set_params(strategy=strategy).score(X[test], y[test])
    print(f"{strategy:>4}: accuracy {score:.2f}")

# %%
# Loss terms along training (``history_`` keeps each one).
epochs = [row["epoch"] for row in clf.history_]
fig, ax = plt.subplots(figsize=(6, 3))
for term in ("train_dtw", "train_ap", "train_align", "valid_loss"):
    ax.plot(epochs, [row[term] for row in clf.history_], label=term)
ax.set_xlabel("epoch")
ax.set_yscale("log")
ax.legend()
fig.tight_layout()

# %%
# The four strategies side by side on the test cases: confusion matrices and scores.
StrategyComparisonDisplay.from_estimator(clf, X[test], y[test])

# %%
# A test case where few frames carry the signal: its per-frame class probabilities, its
# pooling weights and every strategy's call. We shade the frames that carry the class
# signal (known here because the data are generated) on the display's own axes.
case = next(i for i in range(200, len(X)) if signal[i].mean() < 1 / 3)
display = CaseEvidenceDisplay.from_estimator(
    clf, X[case], y_true=y[case], case_name=f"case {case}"
)
for ax in display.axes_:
    for t in np.flatnonzero(signal[case]):
        ax.axvspan(t - 0.5, t + 0.5, color="tab:orange", alpha=0.15, lw=0)

# %%
# What the ``"dtw"`` strategy compares: the case's probability of its class along the case,
# aligned by DTW with the target sequence of that class.
AlignmentDisplay.from_estimator(clf, X[case], label=y[case])
plt.show()
