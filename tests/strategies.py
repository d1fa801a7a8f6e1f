"""Hypothesis strategies for datasets of cases."""

import numpy as np
from hypothesis import strategies as st


@st.composite
def sessions(draw, max_length=300, max_features=64, max_cases=8):
    """Cases with runs of near-duplicates and exact repeats, like microscope sessions."""
    lengths = draw(st.lists(st.integers(1, max_length), min_size=1, max_size=max_cases))
    n_features = draw(st.integers(1, max_features))
    seed = draw(st.integers(0, 2**32 - 1))
    duplicate_probability = draw(st.floats(0.0, 0.9))
    rng = np.random.default_rng(seed)
    X = []
    for n in lengths:
        fresh = rng.normal(size=(n, n_features))
        repeat = rng.uniform(size=n) < duplicate_probability
        repeat[0] = False
        source = np.maximum.accumulate(np.where(repeat, 0, np.arange(n)))
        jitter = rng.choice([0.0, 1e-3], size=(n, 1))  # some exact, some near repeats
        X.append(fresh[source] + jitter * rng.normal(size=(n, n_features)))
    return X
