"""Torch modules and losses built the way their estimator builds them.

A network's settings have no defaults of their own: each default is written once, in the
estimator. Tests that exercise a module or a loss directly build it from an estimator
configured as the test needs.
"""

import numpy as np


def network(estimator, n_features, n_classes, lengths=(10, 20)):
    """``estimator``'s torch module, as ``fit`` builds it on cases of ``lengths`` frames."""
    estimator._before_training(np.asarray(lengths), n_features)
    return estimator._module_class(**estimator._module_params(n_features, n_classes))


def loss(estimator, n_classes, class_weight=None):
    """``estimator``'s training loss; ``class_weight`` one weight per class, or None."""
    return estimator._criterion_class(**estimator._criterion_params(n_classes, class_weight))
