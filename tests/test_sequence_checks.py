"""scikit-learn's estimator checks and our own sequence checks on every estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_microts import (
    DedupTransformer,
    MicroTSClassifier,
    SequencePooler,
    WaveletTransformer,
)
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)
from sklearn_microts.utils.estimator_checks import (
    check_sequence_estimator,
    parametrize_with_sequence_checks,
)

ESTIMATORS = [
    DedupTransformer(),
    DedupTransformer(threshold=0.5, compare="previous"),
    WaveletTransformer(),
    WaveletTransformer(wavelet="db2", level=2, method="swt", output="rapid"),
    SequencePooler(),
    SequencePooler(statistics=["min"]),
    # Small and briefly trained, but enough to pass check_classifiers_train's accuracy bar.
    MicroTSClassifier(
        d_model=12,
        n_heads=3,
        mlp_dim=16,
        head_hidden=8,
        pool_hidden=8,
        max_epochs=12,
        lr=1e-2,
        batch_size=32,
        validation_fraction=0.0,
        random_state=0,
    ),
    *(
        baseline.set_params(max_epochs=12, batch_size=32, validation_fraction=0.0, random_state=0)
        for baseline in (
            LSTMClassifier(hidden_size=8, lr=1e-2),
            GRUClassifier(hidden_size=8, lr=1e-2),
            TransformerClassifier(d_model=8, n_heads=2, dim_feedforward=16, lr=1e-2),
            ABMILClassifier(embed_dim=16, attention_dim=8, lr=1e-2),
            # Exact attention: sklearn's checks fit hundreds of one-frame bags, which Nystrom
            # attention must take one at a time (tests/baselines/test_baselines.py covers it).
            TransMILClassifier(dim=8, heads=2, attention="exact", lr=1e-2),
        )
    ),
]

# Our transformers return a list of per-case arrays (cases may change length), which has no
# ``shape`` or ``dtype``: the checks below read those attributes off the output.
_LIST_OUTPUT = (
    "transform returns a list of (n_frames_i, n_features) arrays, one per case, not a 2-D "
    "array: the check reads .shape/.dtype of the output"
)
LIST_OUTPUT_FAILURES = {
    "check_transformer_general": _LIST_OUTPUT,
    "check_transformer_general(readonly_memmap=True)": _LIST_OUTPUT,
    "check_transformer_preserve_dtypes": _LIST_OUTPUT,
    "check_transformer_data_not_an_array": _LIST_OUTPUT,
}


def expected_failed_checks(estimator):
    if isinstance(estimator, DedupTransformer | WaveletTransformer):
        return LIST_OUTPUT_FAILURES
    return {}


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@parametrize_with_sequence_checks(ESTIMATORS)
def test_sequence_estimator(estimator, check):
    check(estimator)


class _BatchCentredPooler(SequencePooler):
    """Pools each case minus the batch's mean: a case's output depends on the others."""

    def transform(self, X):
        pooled = super().transform(X)
        return pooled - pooled.mean(0)


def test_check_sequence_estimator_runs_the_checks():
    check_sequence_estimator(SequencePooler())
    # Fails at the fourth check only: the checks before it are run and passed first.
    with pytest.raises(AssertionError, match="a case transformed alone"):
        check_sequence_estimator(_BatchCentredPooler())


@pytest.mark.parametrize(
    "transformer", [DedupTransformer(), WaveletTransformer(), SequencePooler()]
)
def test_transformers_take_3d_arrays_and_keep_float32(transformer):
    tags = transformer.__sklearn_tags__()
    assert tags.input_tags.three_d_array
    assert tags.transformer_tags.preserves_dtype == ["float64", "float32"]
