"""
==============================================
Choosing the de-duplication threshold
==============================================

:class:`~sklearn_microts.DedupTransformer` drops a frame when its **squared** Euclidean
distance to the last kept frame is below ``threshold``. That number has the scale of your
features: squared distances of 1280 EfficientNet features are in the hundreds, those of
standardised features in the tens, and a threshold copied from elsewhere can be 100 times
too large (dropping almost everything) without any error. Two habits avoid it:

* look at the distances between neighbouring frames, and at the ``threshold_`` that
  ``drop_fraction`` learns from them;
* search ``drop_fraction`` (a fraction of the frames, the same scale for every dataset)
  rather than ``threshold``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, SequencePooler
from sklearn_microts.datasets import make_microscopy_sequences

X, y = make_microscopy_sequences(
    n_cases=120, n_features=16, duplicate_probability=0.3, random_state=0
)

# %%
# The squared distance of every frame to its predecessor, and the thresholds that
# ``drop_fraction`` learns: near-duplicates form the mass near zero, new views of the
# tissue the bulk on the right.
neighbour = np.concatenate([(np.diff(case, axis=0) ** 2).sum(axis=1) for case in X])
fractions = [0.05, 0.25, 0.5]
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(neighbour, bins=np.geomspace(neighbour.min() + 1e-6, neighbour.max(), 60), color="0.6")
ax.set_xscale("log")
for fraction, color in zip(fractions, ["tab:blue", "tab:orange", "tab:red"], strict=True):
    dedup = DedupTransformer(drop_fraction=fraction).fit(X)
    ax.axvline(dedup.threshold_, color=color, label=f"drop_fraction={fraction}")
    print(
        f"drop_fraction={fraction}: threshold_={dedup.threshold_:.3g}, "
        f"dropped {dedup.drop_fraction_:.1%} of the training frames"
    )
ax.set_xlabel("squared distance to the previous frame")
ax.set_ylabel("frames")
ax.legend()
fig.tight_layout()

# %%
# A threshold given directly is taken as it is; ``drop_fraction_`` tells what it did. One
# 100 times the median distance drops nearly every frame but the first of each case:
too_large = DedupTransformer(threshold=100 * np.median(neighbour)).fit(X)
print(f"threshold={too_large.threshold_:.3g} drops {too_large.drop_fraction_:.1%} of the frames")

# %%
# The documented way to tune de-duplication: a grid over ``drop_fraction`` in the pipeline.
# A pooling floor keeps this example fast; with
# :class:`~sklearn_microts.MicroTSClassifier` the grid is the same.
pipe = make_pipeline(DedupTransformer(), SequencePooler(), LogisticRegression(max_iter=500))
search = GridSearchCV(pipe, {"deduptransformer__drop_fraction": [0.0, 0.05, 0.25, 0.5]}, cv=3)
search.fit(X, y)
for fraction, score in zip(
    search.cv_results_["param_deduptransformer__drop_fraction"],
    search.cv_results_["mean_test_score"],
    strict=True,
):
    print(f"drop_fraction={fraction}: cross-validated accuracy {score:.3f}")
best = search.best_estimator_[0]
print(f"best: drop_fraction={best.drop_fraction}, threshold_={best.threshold_:.3g}")
plt.show()
