"""Where class evidence starts in a case: the prior of the implicit target (Hong et al.,
2025, Fig. 3), which the data generator draws its signal from as well, and the relative time
of a case's frames on which the targets and their plots are drawn.

It lives here, below both, so that generating data does not import the network (or torch).
"""

import numpy as np
from scipy.stats import beta

# Class evidence builds up along a case like the CDF of Beta(3, 20), as experts rarely see
# the diagnostic region in the first frames.
SIGNAL_ONSET = beta(3, 20)


def relative_times(length):
    """``t_j = j / (length - 1)``; a single step sits at the end of the profile, t = 1."""
    return np.linspace(0.0, 1.0, length) if length > 1 else np.ones(1)
