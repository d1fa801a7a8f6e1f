"""The methods compared: ours, the paper's baselines, sktime's peers and two floors."""

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_microts import DedupTransformer, MicroTSClassifier, SequencePooler
from sklearn_microts.baselines import (
    ABMILClassifier,
    GRUClassifier,
    LSTMClassifier,
    TransformerClassifier,
    TransMILClassifier,
)

from .sktime_adapter import SktimePeer

# The name of our pipeline in the model list; its rows are named "MicroTS (<strategy>)".
OURS = "MicroTS"


def microts_pipeline(classifier):
    """Ours as the benchmarks run it: ``classifier`` behind a ``DedupTransformer`` that
    drops the 5% most repetitive frames of the training cases."""
    return make_pipeline(DedupTransformer(drop_fraction=0.05), classifier)


def pooling_floor(statistics):
    """Each case pooled to one vector (``SequencePooler``), standardised, into a logistic
    regression: an order-free bag-of-frames model."""
    return make_pipeline(
        SequencePooler(statistics=statistics), StandardScaler(), LogisticRegression(max_iter=5000)
    )


def mean_pooling_floor():
    """The floor every method must beat: each case's mean frame, standardised, into a
    logistic regression."""
    return pooling_floor(("mean",))


def statistics_floor(seed):
    """The second floor: each case's statistics (per feature: mean, standard deviation,
    extremes, quartiles; and its length) into a random forest, order-free as well."""
    return make_pipeline(
        SequencePooler(statistics=("mean", "std", "min", "max", "q25", "median", "q75", "length")),
        RandomForestClassifier(n_estimators=300, random_state=seed),
    )


def epochs_param(epochs):
    """Every neural model trains at its defaults, but for the epochs of a quick run."""
    return {} if epochs is None else {"max_epochs": epochs}


def series_peers(seed):
    """sktime's MiniRocket and 1-NN DTW, on series padded to the longest training case."""
    from sktime.classification.distance_based import KNeighborsTimeSeriesClassifier
    from sktime.classification.kernel_based import RocketClassifier

    return {
        "MiniRocket": SktimePeer(
            RocketClassifier(rocket_transform="minirocket", random_state=seed)
        ),
        "1-NN DTW": SktimePeer(KNeighborsTimeSeriesClassifier(n_neighbors=1)),
    }


def methods(quick, epochs, seed):
    """name -> unfitted model; ours is a pipeline whose strategies are read after one fit."""
    train = {"random_state": seed, **epochs_param(epochs)}
    models = {
        OURS: microts_pipeline(MicroTSClassifier(**train)),
        "LSTM": LSTMClassifier(**train),
        "GRU": GRUClassifier(**train),
        "Transformer": TransformerClassifier(lr=1e-3, **train),
        "ABMIL": ABMILClassifier(**train),
        # Exact attention: these bags are short (tens of frames), where Nystrom approximates
        # nothing worth its cost; Nystrom bags also go one at a time (~0.15 s each on a CPU
        # with 64 landmarks), which made one JapaneseVowels fit take tens of minutes.
        "TransMIL": TransMILClassifier(attention="exact", **train),
        "mean LR (floor)": mean_pooling_floor(),
        "mean+max LR": pooling_floor(("mean", "max")),
    }
    models |= series_peers(seed)
    if not quick:
        from sktime.classification.feature_based import Catch22Classifier
        from sktime.classification.interval_based import TimeSeriesForestClassifier

        models["Catch22"] = SktimePeer(Catch22Classifier(random_state=seed))
        models["TimeSeriesForest"] = SktimePeer(
            TimeSeriesForestClassifier(random_state=seed), concatenate=True
        )
    return models


# The floors of the suite, by the names its tables give them.
MEAN_FLOOR, STATISTICS_FLOOR = "mean-pool LR (floor)", "statistics RF (floor)"
# Ours at the paper's ViT-Tiny widths, the vote: what the narrower defaults are held against.
PAPER_WIDTHS = "MicroTS, paper widths (vote)"


def suite_methods(seed, ordered, quick):
    """name -> unfitted model of the benchmark suite: every method at its own defaults (the
    suite judges defaults), but the seed, and ours at the paper's widths beside them;
    sktime's peers only where ``ordered`` cases are series (not bags). ``quick``: ours,
    ABMIL, the floors and the peers."""
    train = {"random_state": seed}
    models = {OURS: microts_pipeline(MicroTSClassifier(**train))}
    if not quick:
        models |= {
            PAPER_WIDTHS: microts_pipeline(
                MicroTSClassifier(
                    d_model=192, n_heads=3, mlp_dim=768, head_hidden=192, pool_hidden=128, **train
                )
            ),
            "LSTM": LSTMClassifier(**train),
            "GRU": GRUClassifier(**train),
            "Transformer": TransformerClassifier(**train),
            "TransMIL": TransMILClassifier(**train),
        }
    models |= {
        "ABMIL": ABMILClassifier(**train),
        MEAN_FLOOR: mean_pooling_floor(),
        STATISTICS_FLOOR: statistics_floor(seed),
    }
    if ordered:
        models |= series_peers(seed)
    return models
