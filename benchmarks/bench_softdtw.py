"""Soft-DTW, forward + backward, against tslearn and pysdtw on the same inputs.

Batches of 32 pairs with 2 channels and gamma = 0.1: n = 100 vs l = 25, n = 250 vs l = 75,
and ragged n ~ U[5, 250] vs l = 75, in float32 and float64. One thread; the median of
repeated runs after a warm-up (compilation excluded); figures in ns per real DP cell, the
ratio is the fastest peer's time over ours.

    python benchmarks/bench_softdtw.py                    # CPU table
    python benchmarks/bench_softdtw.py --device cuda      # the same on a GPU, against pysdtw

Peers: ``pip install tslearn pysdtw``; a missing one is reported and skipped.
"""

import argparse
import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # before numba loads: one thread everywhere

import platform
import time

import numpy as np
import torch

from sklearn_microts.softdtw import soft_dtw

GAMMA = 0.1
CHANNELS = 2


def make_case(name, dtype, device, seed=0):
    generator = torch.Generator().manual_seed(seed)
    batch, n, m = 32, *{"100x25": (100, 25), "250x75": (250, 75), "ragged": (250, 75)}[name]
    x = torch.randn(batch, n, CHANNELS, generator=generator, dtype=torch.float64)
    y = torch.randn(batch, m, CHANNELS, generator=generator, dtype=torch.float64)
    lengths = (
        torch.randint(5, n + 1, (batch,), generator=generator)
        if name == "ragged"
        else torch.full((batch,), n)
    )
    return x.to(device, dtype), y.to(device, dtype), lengths.to(device)


def ours(engine):
    def run(x, y, lengths):
        return soft_dtw(x, y, gamma=GAMMA, x_lengths=lengths, engine=engine)

    return run


def tslearn_loss():
    from tslearn.metrics import SoftDTWLossPyTorch

    loss = SoftDTWLossPyTorch(gamma=GAMMA)

    def run(x, y, lengths):
        if bool((lengths == x.shape[1]).all()):
            return loss(x, y)
        # no ragged support: one call per pair on its real frames
        return torch.cat([loss(x[b : b + 1, :n], y[b : b + 1]) for b, n in enumerate(lengths)])

    return run


def pysdtw_loss(device):
    import pysdtw

    loss = pysdtw.SoftDTW(
        gamma=GAMMA,
        dist_func=pysdtw.distance.pairwise_l2_squared,
        use_cuda=device == "cuda",
    )

    def run(x, y, lengths):
        if bool((lengths == x.shape[1]).all()):
            return loss(x, y)
        packed_x = torch.nn.utils.rnn.pack_padded_sequence(
            x, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        packed_y = torch.nn.utils.rnn.pack_padded_sequence(
            y, torch.full_like(lengths.cpu(), y.shape[1]), batch_first=True, enforce_sorted=False
        )
        return loss(packed_x, packed_y)

    return run


def seconds(method, x, y, lengths, repeat, device):
    def once():
        x_ = x.detach().requires_grad_(True)
        method(x_, y, lengths).sum().backward()
        if device == "cuda":
            torch.cuda.synchronize()

    once()  # warm-up: compilation, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--output", help="also write the table to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)

    methods = {"ours (numba)": ours("numba"), "ours (torch)": ours("torch")}
    if args.device == "cuda":
        methods = {"ours (triton)": ours("triton"), "ours (torch)": ours("torch")}
    peers = {}
    for name, build in [("tslearn", tslearn_loss), ("pysdtw", lambda: pysdtw_loss(args.device))]:
        if name == "tslearn" and args.device == "cuda":
            continue  # CPU only: it copies GPU tensors to the host
        try:
            peers[name] = build()
        except ImportError as exc:
            print(f"skipping {name}: {exc}")
    columns = list(methods) + list(peers)
    header = "| case | dtype | " + " | ".join(columns) + " | best peer / ours |"
    lines = [
        f"soft-DTW forward + backward, ns per real DP cell, B = 32, C = {CHANNELS}, "
        f"gamma = {GAMMA}, 1 thread, median of {args.repeat}; {args.device}, "
        f"{platform.machine()}, torch {torch.__version__}",
        "",
        header,
        "|" + "---|" * (len(columns) + 3),
    ]
    print("\n".join(lines), flush=True)
    for case in ("100x25", "250x75", "ragged"):
        for dtype in (torch.float32, torch.float64):
            x, y, lengths = make_case(case, dtype, args.device)
            cells = float(lengths.sum()) * y.shape[1]
            timing = {}
            for name, method in {**methods, **peers}.items():
                slow = name == "ours (torch)" and args.device == "cpu"
                repeat = max(1, args.repeat // 4) if slow else args.repeat
                timing[name] = seconds(method, x, y, lengths, repeat, args.device) / cells * 1e9
            ours_best = min(timing[name] for name in methods)
            best_peer = min((timing[name] for name in peers), default=float("nan"))
            row = " | ".join(f"{timing[name]:.1f}" for name in columns)
            dtype_name = str(dtype).removeprefix("torch.")
            lines.append(f"| {case} | {dtype_name} | {row} | {best_peer / ours_best:.1f}x |")
            print(lines[-1], flush=True)
    if args.output:
        with open(args.output, "w") as file:
            file.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
