"""
========================================================
Quick start: a pipeline on generated microscope sessions
========================================================

Cases of a microscope session are sequences of frame features of different lengths with
one weak label each. This example builds such a dataset with
:func:`~sklearn_microts.datasets.make_microscopy_sequences`, removes near-duplicate frames
with :class:`~sklearn_microts.DedupTransformer`, splits each case into stable and rapid
parts with :class:`~sklearn_microts.WaveletTransformer`, pools every case to one vector and
scores a logistic regression by cross-validation.
"""

# %%
# Generated microscope sessions
# -----------------------------
# 300 cases of 5 to 60 frames with 32 features. Only the frames of a few regions carry the
# class signal, and mostly after the first frames of a case.
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_microts import DedupTransformer, SequencePooler, WaveletTransformer
from sklearn_microts.datasets import make_microscopy_sequences

X, y = make_microscopy_sequences(n_cases=300, n_features=32, random_state=0)
lengths = [len(x) for x in X]
print(f"{len(X)} cases, {min(lengths)}..{max(lengths)} frames, {X[0].shape[1]} features")

# %%
# The pipeline
# ------------
# ``DedupTransformer`` learns the threshold that drops 5% of the training frames (the
# paper's choice for BreakHis); ``WaveletTransformer`` doubles the features into the stable
# and rapid parts; ``SequencePooler`` keeps the mean and maximum of every feature.
pipeline = make_pipeline(
    DedupTransformer(drop_fraction=0.05),
    WaveletTransformer(wavelet="haar", level=1),
    SequencePooler(statistics=("mean", "max")),
    LogisticRegression(max_iter=2000),
)
scores = cross_val_score(pipeline, X, y, cv=5)
print(f"accuracy: {scores.mean():.3f} +/- {scores.std():.3f} (5-fold CV, chance 0.5)")

# %%
# What de-duplication removed
# ---------------------------
# The fitted transformer tells which frames it kept, to map back to image files.
pipeline.fit(X, y)
dedup = pipeline.named_steps["deduptransformer"]
print(f"threshold_ = {dedup.threshold_:.4f}, dropped {dedup.drop_fraction_:.1%} of frames")
kept = dedup.kept_indices(X[:1])[0]
print(f"case 0 keeps frames {kept.tolist()} of {len(X[0])}")
print(f"most frames dropped from one case: {np.max(dedup.n_dropped_)}")
