"""Small network settings, and torch modules and losses built the way their estimator builds
them, shared by the tests of every family.

A network's settings have no defaults of their own: each default is written once, in the
estimator. Tests that exercise a module or a loss directly build it from an estimator
configured as the test needs.
"""

import copy

import numpy as np

# Small and quick: these tests check behaviour, not the paper's accuracy.
SMALL = {
    "d_model": 12,
    "n_heads": 3,
    "mlp_dim": 16,
    "head_hidden": 8,
    "pool_hidden": 8,
    "max_epochs": 4,
    "batch_size": 16,
    "lr": 1e-3,
    "validation_fraction": 0.15,  # held out even on these few cases: the history has valid_*
    "random_state": 0,
}


def network(estimator, n_features, n_classes, lengths=(10, 20)):
    """``estimator``'s torch module, as ``fit`` builds it on cases of ``lengths`` frames."""
    estimator._before_training(np.asarray(lengths), n_features)
    return estimator._module_class(**estimator._module_params(n_features, n_classes))


def loss(estimator, n_classes, class_weight=None):
    """``estimator``'s training loss; ``class_weight`` one weight per class, or None."""
    return estimator._criterion_class(**estimator._criterion_params(n_classes, class_weight))


def with_params(clf, **params):
    """The fitted classifier with other inference parameters, the shared fixture intact."""
    return copy.copy(clf).set_params(**params)
