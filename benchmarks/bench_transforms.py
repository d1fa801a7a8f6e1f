"""Throughput of DedupTransformer and WaveletTransformer against the bare NumPy/pywt floor.

The floor is the same arithmetic done once on the concatenated frames, ignoring case
boundaries and validation: ``np.diff`` plus squared norms for de-duplication, one
``pywt.mra`` call over all frames for the wavelet split. Our transformers add input
validation, case boundaries, the threshold rule and the per-case output list.

    python benchmarks/bench_transforms.py                      # 1,000 cases, 1..250 frames, d=1280
    python benchmarks/bench_transforms.py --n-cases 200 --dtype float32
"""

import argparse
import platform
import time

import numpy as np
import pywt
from _harness import Table

from sklearn_microts import DedupTransformer, WaveletTransformer
from sklearn_microts.datasets import make_microscopy_sequences


def median_seconds(function, repeat):
    # One untimed run first: the first touch of fresh memory on a virtual machine can cost
    # several times the computation, and is not what this benchmark measures.
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def dedup_floor(frames):
    diff = np.diff(frames, axis=0)
    return np.einsum("ij,ij->i", diff, diff)


def wavelet_floor(frames):
    return pywt.mra(frames, "haar", level=1, axis=0, transform="dwt")


def wavelet_floor_contiguous(frames_t):
    return pywt.mra(frames_t, "haar", level=1, axis=-1, transform="dwt")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-cases", type=int, default=1000)
    parser.add_argument("--n-features", type=int, default=1280)
    parser.add_argument("--max-length", type=int, default=250)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()

    X, _ = make_microscopy_sequences(
        n_cases=args.n_cases,
        n_features=args.n_features,
        min_length=1,
        max_length=args.max_length,
        random_state=0,
    )
    X = [x.astype(args.dtype) for x in X]
    frames = np.concatenate(X)
    n_frames = len(frames)

    dedup = DedupTransformer(drop_fraction=0.05).fit(X)
    dedup_previous = DedupTransformer(drop_fraction=0.05, compare="previous").fit(X)
    wavelet = WaveletTransformer().fit(X)
    frames_t = np.ascontiguousarray(frames.T)  # time on the contiguous axis, not timed
    # (name, function, group); a group's floor is its fastest row marked "floor".
    rows = [
        ("floor: np.diff + squared norms", lambda: dedup_floor(frames), "dedup"),
        ("DedupTransformer.transform (last_kept)", lambda: dedup.transform(X), "dedup"),
        ("DedupTransformer.transform (previous)", lambda: dedup_previous.transform(X), "dedup"),
        ("DedupTransformer.fit (learn threshold)", lambda: DedupTransformer().fit(X), "dedup"),
        ("floor: one pywt.mra, time axis 0", lambda: wavelet_floor(frames), "wavelet"),
        (
            "floor: one pywt.mra, time contiguous",
            lambda: wavelet_floor_contiguous(frames_t),
            "wavelet",
        ),
        ("WaveletTransformer.transform (haar, 1)", lambda: wavelet.transform(X), "wavelet"),
    ]
    header = (
        f"{args.n_cases} cases, lengths 1..{args.max_length} ({n_frames} frames), "
        f"{args.n_features} features, {args.dtype}; median of {args.repeat} runs; "
        f"{platform.processor() or platform.machine()}, numpy {np.__version__}, "
        f"pywt {pywt.__version__}"
    )
    table = Table(args.output)
    table.add(header, "", "| operation | seconds | frames/s | x floor |", "|---|---:|---:|---:|")
    floors = {}
    for name, function, group in rows:
        seconds = median_seconds(function, args.repeat)
        if name.startswith("floor"):
            floors[group] = min(seconds, floors.get(group, np.inf))
        ratio = seconds / floors[group]
        table.add(f"| {name} | {seconds:.3f} | {n_frames / seconds:,.0f} | {ratio:.2f} |")
    table.add(
        "", f"dropped at the learned threshold: {dedup.drop_fraction_:.3f} of training frames"
    )


if __name__ == "__main__":
    main()
