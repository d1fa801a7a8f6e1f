"""
=============================================
What de-duplication and the wavelet split see
=============================================

One generated microscope session, seen through its first principal component: the frames
:class:`~sklearn_microts.DedupTransformer` drops, and the stable and rapid parts that
:class:`~sklearn_microts.WaveletTransformer` separates. Shaded spans are the frames that
carry the class signal.
"""

# %%
# The projection is linear, so the stable and rapid parts still add up to the frames.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from sklearn_microts import DedupTransformer, WaveletTransformer
from sklearn_microts.datasets import make_microscopy_sequences

X, y, signal = make_microscopy_sequences(
    n_cases=50,
    n_features=16,
    min_length=40,
    max_length=60,
    duplicate_probability=0.4,
    return_frame_signal=True,
    random_state=3,
)
case = 0
pca = PCA(n_components=1).fit(np.concatenate(X))

# %%
# Drop 25% of the frames, as the paper does on its own data, then split what is left.
dedup = DedupTransformer(drop_fraction=0.25).fit(X)
kept = dedup.kept_indices(X[case : case + 1])[0]
X_kept = dedup.transform(X[case : case + 1])
parts = WaveletTransformer(output="both").fit(X_kept).transform(X_kept)[0]
d = X[case].shape[1]
stable, rapid = parts[:, :d], parts[:, d:]

# %%
time = np.arange(len(X[case]))
dropped = np.setdiff1d(time, kept)
component = pca.components_[0]

fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
for ax in axes:
    for t in np.flatnonzero(signal[case]):
        ax.axvspan(t - 0.5, t + 0.5, color="tab:orange", alpha=0.15, lw=0)
axes[0].plot(time, X[case] @ component, ".-", color="0.6", label="all frames")
axes[0].plot(dropped, X[case][dropped] @ component, "x", color="tab:red", label="dropped")
axes[0].set_ylabel("PC 1")
axes[0].set_title(f"case {case} (label {y[case]}): {len(dropped)} of {len(time)} frames dropped")
axes[0].legend(loc="upper right")
axes[1].plot(kept, stable @ component, ".-", label="stable part")
axes[1].plot(kept, rapid @ component, ".-", label="rapid part")
axes[1].set_xlabel("frame")
axes[1].set_ylabel("PC 1")
axes[1].legend(loc="upper right")
fig.tight_layout()
plt.show()
