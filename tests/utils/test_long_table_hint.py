"""A "one row per image" table passed where cases are expected points to the converter."""

import numpy as np
import pytest

from sklearn_microts import DedupTransformer, MicroTSClassifier
from sklearn_microts.utils import check_sequences, from_long_dataframe

pandas = pytest.importorskip("pandas")


@pytest.fixture
def long_table():
    return pandas.DataFrame(
        {
            "patient": ["patient06"] * 3 + ["patient07"] * 2,
            "order": [0, 1, 2, 0, 1],
            "f0": np.arange(5.0),
            "f1": np.ones(5),
        }
    )


@pytest.mark.parametrize(
    "fit", [DedupTransformer().fit, MicroTSClassifier(max_epochs=1).fit, check_sequences]
)
def test_long_table_error_names_the_converter(long_table, fit):
    args = (long_table, [0, 0, 0, 1, 1]) if fit is not check_sequences else (long_table,)
    with pytest.raises(ValueError, match=r"from_long_dataframe\(df, case_col, order_col"):
        fit(*args)


def test_the_converter_reads_it_and_numeric_tables_still_pass(long_table):
    X, _, ids = from_long_dataframe(long_table, "patient", "order")
    assert [len(x) for x in X] == [3, 2]
    assert ids.tolist() == ["patient06", "patient07"]
    numeric = check_sequences(long_table[["f0", "f1"]])  # one-frame cases, as before
    assert len(numeric) == 5
