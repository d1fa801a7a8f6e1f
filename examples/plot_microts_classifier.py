"""
=================================================
MicroTSClassifier: which frames drove the call
=================================================

:class:`~sklearn_microts.MicroTSClassifier` learns from one weak label per case. Besides the
prediction it gives, for every frame, class probabilities (``predict_frame_proba``) and the
weight of the frame in the pooled decision (``pooling_weights``): what a pathologist wants
to look at. On generated sessions we know which frames carry the class signal (shaded) and
can see whether the network found them.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from sklearn_microts import MicroTSClassifier
from sklearn_microts.datasets import make_microscopy_sequences

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
# A test case where few frames carry the signal: per-frame probability of its true class,
# and the pooling weights.
case = next(i for i in range(200, len(X)) if signal[i].mean() < 1 / 3)
frame_proba = clf.predict_frame_proba([X[case]])[0][:, y[case]]
weights = clf.pooling_weights([X[case]])[0]
frames = np.arange(len(X[case]))
fig, axes = plt.subplots(2, 1, figsize=(7, 4), sharex=True)
for ax in axes:
    for t in np.flatnonzero(signal[case]):
        ax.axvspan(t - 0.5, t + 0.5, color="tab:orange", alpha=0.15, lw=0)
axes[0].plot(frames, frame_proba, ".-")
axes[0].set_ylabel("P(true class)")
axes[0].set_title(f"case {case}, label {y[case]}; shaded: frames with the class signal")
axes[1].bar(frames, weights)
axes[1].set_ylabel("pooling weight")
axes[1].set_xlabel("frame")
fig.tight_layout()
plt.show()
