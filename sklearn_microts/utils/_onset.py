"""Where class evidence starts in a case: the prior of the implicit target (Hong et al.,
2025, Fig. 3), which the data generator draws its signal from as well.

It lives here, below both, so that generating data does not import the network (or torch).
"""

from scipy.stats import beta

# Class evidence builds up along a case like the CDF of Beta(3, 20), as experts rarely see
# the diagnostic region in the first frames.
SIGNAL_ONSET = beta(3, 20)
