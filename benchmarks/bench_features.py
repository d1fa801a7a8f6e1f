"""Images per second of ImageFeatureExtractor against the bare backbone forward pass.

Both run on the same BreakHis images in the same batches: the extractor end to end (read,
resize, normalise, forward, pool, split per case), the floor the backbone's forward pass on
batches already in memory. Goal: overhead <= 1.1x.

    python benchmarks/bench_features.py /path/to/breakhis        # or SKLEARN_MICROTS_BREAKHIS
"""

import argparse
import platform
import time

import numpy as np
import torch
from _harness import Table, add_image_root, require_image_root

from sklearn_microts.datasets import load_breakhis
from sklearn_microts.preprocessing import ImageFeatureExtractor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_image_root(parser, "BreakHis folder")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-images", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()
    require_image_root(parser, args)

    cases = load_breakhis(args.root, magnification=200).data
    if args.max_images:
        kept, total = [], 0
        for case in cases:
            if total >= args.max_images:
                break
            kept.append(case[: args.max_images - total])
            total += len(kept[-1])
        cases = kept
    frames = [image for case in cases for image in case]
    extractor = ImageFeatureExtractor(batch_size=args.batch_size).fit()
    extractor.transform([frames[: args.batch_size]])  # warm-up

    batches = [
        extractor._network_input(
            extractor._read_pixels(frames[i : i + args.batch_size]),
            frames[i : i + args.batch_size],
        )
        for i in range(0, len(frames), args.batch_size)
    ]
    # Alternate the two, and keep medians: this machine's speed drifts between runs.
    end_to_end, bare = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        extractor.transform(cases)
        end_to_end.append(time.perf_counter() - start)
        start = time.perf_counter()
        for batch in batches:
            extractor._features(batch)
        bare.append(time.perf_counter() - start)
    end_to_end, bare = float(np.median(end_to_end)), float(np.median(bare))

    Table(args.output).add(
        f"{len(frames)} BreakHis 200X images (224x224), batch {args.batch_size}, "
        f"efficientnet-lite0, {torch.get_num_threads()} torch threads, median of "
        f"{args.repeat}, {platform.machine()}",
        "",
        "| | seconds | images/s |",
        "|---|---:|---:|",
        f"| ImageFeatureExtractor.transform | {end_to_end:.2f} | {len(frames) / end_to_end:.1f} |",
        f"| bare backbone forward | {bare:.2f} | {len(frames) / bare:.1f} |",
        "",
        f"overhead: {end_to_end / bare:.3f}x",
    )


if __name__ == "__main__":
    main()
