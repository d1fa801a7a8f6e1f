"""scikit-learn's estimator checks and our own sequence checks on every estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_microts import (
    DedupTransformer,
    MicroTSClassifier,
    SequencePooler,
    WaveletTransformer,
)
from sklearn_microts.utils.estimator_checks import parametrize_with_sequence_checks

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
