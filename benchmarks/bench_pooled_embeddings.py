"""Which embedding of a single feature lets attention pooling read a case's values?

A diagnostic of the pooled branch of :class:`~sklearn_microts.MicroTSClassifier` on its own:
an embedding of each frame, the package's :class:`~sklearn_microts.nn.GatedAttentionPooling`
(or a plain mean), and the shared head (Linear, ReLU, Linear), trained with cross-entropy
(Adam at 1e-3, batches of 32, one torch thread) on PLAID (537 training and 537 test cases of
one feature, 11 classes). It found why ``"ap"`` stayed at the majority class on PLAID with
the paper's linear embedding, and chose the default ``frame_embedding`` for frames of one
feature (docs: "Long univariate series of many classes").

Embeddings: ``linear`` (the paper's); ``mlp`` (Linear-GELU-Linear); ``bins`` (a
piecewise-linear encoding over 32 quantile bins of the training values, then Linear);
``fourier`` (:class:`~sklearn_microts.nn.FourierEmbedding`). Scalings: ``standard`` (one
mean and deviation) or ``quantile`` (to a standard normal).

    python benchmarks/bench_pooled_embeddings.py
    python benchmarks/bench_pooled_embeddings.py --epochs 10 --configs fourier/quantile
"""

import argparse
import time

import numpy as np
import torch
from _harness import Table, cpu_model
from bench_long_series import load
from sklearn.preprocessing import QuantileTransformer, StandardScaler
from torch import nn

from sklearn_microts.nn import FourierEmbedding, GatedAttentionPooling
from sklearn_microts.utils import pad_sequences

WIDTH = 192  # d_model and head_hidden of the defaults
CONFIGS = (
    "linear/standard",
    "linear/quantile",
    "mlp/quantile",
    "bins/standard",
    "fourier/standard",
    "fourier/quantile",
    "fourier/quantile/mean",
)


class PiecewiseLinear(nn.Module):
    """Each value's position within each of the bins between ``edges``, clipped to [0, 1]."""

    def __init__(self, edges):
        super().__init__()
        self.register_buffer("low", edges[:-1])
        self.register_buffer("width", (edges[1:] - edges[:-1]).clamp(min=1e-6))
        self.linear = nn.Linear(len(edges) - 1, WIDTH)

    def forward(self, frames):
        return self.linear(((frames - self.low) / self.width).clamp(0, 1))


class PooledBranch(nn.Module):
    """Embedding, attention (or mean) pooling over the real frames, head."""

    def __init__(self, embedding, n_classes, mean):
        super().__init__()
        self.embedding = embedding
        self.pooling = None if mean else GatedAttentionPooling(WIDTH, 128)
        self.head = nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, n_classes))

    def forward(self, frames, mask):
        embedded = self.embedding(frames)
        if self.pooling is None:
            weights = mask / mask.sum(1, keepdim=True)
            return self.head((weights[..., None] * embedded).sum(1))
        return self.head(self.pooling(embedded, mask)[0])


def embedding(kind, train_values):
    if kind == "linear":
        return nn.Linear(1, WIDTH)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(1, WIDTH), nn.GELU(), nn.Linear(WIDTH, WIDTH))
    if kind == "bins":
        return PiecewiseLinear(torch.quantile(train_values, torch.linspace(0, 1, 33)).unique())
    return FourierEmbedding(1, WIDTH)


def padded(X, scaler):
    frames, lengths = pad_sequences([scaler.transform(x) for x in X], fill_value=0.0)
    mask = np.arange(frames.shape[1]) < lengths[:, None]
    return torch.from_numpy(frames).float(), torch.from_numpy(mask)


def run(config, data, epochs, seed):
    """Test accuracy after each tenth of the epochs, and the seconds taken."""
    kind, scaling, *pool = config.split("/")
    X_train, y_train, X_test, y_test = data
    classes, train_labels = np.unique(y_train, return_inverse=True)
    test_labels = np.searchsorted(classes, y_test)
    scaler = (
        QuantileTransformer(output_distribution="normal", subsample=None)
        if scaling == "quantile"
        else StandardScaler()
    ).fit(np.concatenate(X_train))
    (frames, mask), (test_frames, test_mask) = padded(X_train, scaler), padded(X_test, scaler)
    torch.manual_seed(seed)
    generator = np.random.default_rng(seed)
    model = PooledBranch(embedding(kind, frames[mask][:, 0]), len(classes), mean=pool == ["mean"])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    labels = torch.from_numpy(train_labels)
    start = time.perf_counter()
    for _ in range(epochs):
        for batch in np.array_split(generator.permutation(len(labels)), len(labels) // 32):
            length = int(mask[batch].sum(1).max())  # pad to the batch's longest case
            logits = model(frames[batch, :length], mask[batch, :length])
            loss = nn.functional.cross_entropy(logits, labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        predicted = model(test_frames, test_mask).argmax(1).numpy()
    return np.mean(predicted == test_labels), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--epochs", type=int, default=40, help="training epochs (default: 40)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load("plaid")
    table = Table(args.output)
    table.add(
        f"PLAID, the pooled branch alone: {args.epochs} epochs, seed {args.seed}, 1 torch "
        f"thread; {cpu_model()}",
        "",
        "| embedding | scaling | pooling | test accuracy | seconds |",
        "|---|---|---|---:|---:|",
    )
    for config in args.configs:
        kind, scaling, *pool = config.split("/")
        accuracy, seconds = run(config, data, args.epochs, args.seed)
        table.add(
            f"| {kind} | {scaling} | {pool[0] if pool else 'attention'} | {accuracy:.3f} | "
            f"{seconds:.0f} |"
        )


if __name__ == "__main__":
    main()
