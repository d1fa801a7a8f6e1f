"""Soft-DTW forward + backward against its peers, and pairwise DTW against tslearn's.

Table 1, soft-DTW: batches of pairs with gamma = 0.1, in float32 and float64; on the CPU
B = 32 pairs of 2 channels, n = 100 vs l = 25, n = 250 vs l = 75 and ragged n ~ U[5, 250]
vs l = 75 (the shape of the loss: class probabilities against a target sequence); on a GPU
also B = 512 (full and ragged), B = 64 512x512 with 64 channels and B = 8 2000x2000.
Peers: tslearn's ``SoftDTWLossPyTorch`` (CPU only), pysdtw (CPU and CUDA) and "plain torch",
the anti-diagonal recursion differentiated by autograd, which runs wherever torch does.

Table 2, pairwise DTW: :func:`~sklearn_microts.softdtw.cdist_dtw` between 200 ragged
sequences of U[1, 250] frames with 2 channels (the ``knn`` strategy's ``y_attn`` of two
classes) against ``tslearn.metrics.cdist_dtw`` on the first 20 of the same sequences against
all 200 (CPU; tslearn returns the square root of the same DTW).

Figures are ns per real DP cell (a ragged pair counts its own cells only), the median of
repeated runs after a warm-up of a few calls (compilation excluded), one thread. A peer
that is missing, fails or runs past ``--time-limit`` seconds is reported in its cell; it
never ends the run.

    python benchmarks/bench_softdtw.py                    # CPU tables
    python benchmarks/bench_softdtw.py --soft-dtw-only    # table 1 only (--cdist-only: 2)
    python benchmarks/bench_softdtw.py --device cuda      # the same on a GPU

Peers: ``pip install tslearn pysdtw``.
"""

import argparse
import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # before numba loads: one thread everywhere

import contextlib
import platform
import signal
import time

import numpy as np
import torch
from _harness import Table, cpu_model, load_average

from sklearn_microts.softdtw import cdist_dtw, soft_dtw

GAMMA = 0.1
# name: (pairs, x frames, y frames, channels, ragged x); the GPU runs every case
CASES = {
    "B=32 100x25": (32, 100, 25, 2, False),
    "B=32 250x75": (32, 250, 75, 2, False),
    "B=32 ragged": (32, 250, 75, 2, True),
    "B=512 250x75": (512, 250, 75, 2, False),
    "B=512 ragged": (512, 250, 75, 2, True),
    "B=64 512x512 C=64": (64, 512, 512, 64, False),
    "B=8 2000x2000": (8, 2000, 2000, 2, False),
}
CPU_CASES = ("B=32 100x25", "B=32 250x75", "B=32 ragged")
TSLEARN_ROWS = 20  # tslearn's pairwise DTW takes minutes for all 200 x 200 pairs
WARM_UP_CALLS = 5  # after the first, while the warm-up is within a tenth of the time limit


class PeerError(Exception):
    """A peer that could not be timed, with the reason shown in the table."""


def make_case(name, dtype, device, seed=0):
    batch, n, m, channels, ragged = CASES[name]
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, n, channels, generator=generator, dtype=torch.float64)
    y = torch.randn(batch, m, channels, generator=generator, dtype=torch.float64)
    lengths = (
        torch.randint(5, n + 1, (batch,), generator=generator)
        if ragged
        else torch.full((batch,), n)
    )
    return x.to(device, dtype), y.to(device, dtype), lengths.to(device)


def ours(engine):
    def run(x, y, lengths):
        return soft_dtw(x, y, gamma=GAMMA, x_lengths=lengths, engine=engine)

    return run


def plain_torch(x, y, lengths):
    """The anti-diagonal recursion in torch, differentiated by autograd: no custom kernel."""
    cost = torch.cdist(x, y) ** 2
    batch, n, m = cost.shape
    inf = torch.full((batch, 1), torch.inf, dtype=cost.dtype, device=cost.device)
    zero = torch.zeros_like(inf)
    # diagonal k holds cells (i, k - i) for i = 0..n of the 1-based table, +inf off the grid
    before = torch.cat([zero, inf.expand(batch, n)], 1)  # k = 0: R[0, 0] = 0
    last = torch.cat([inf, inf.expand(batch, n)], 1)  # k = 1: the border only
    rows = torch.arange(n + 1, device=cost.device)
    values = torch.zeros(batch, dtype=cost.dtype, device=cost.device)
    for k in range(2, n + m + 1):
        cols = k - rows
        real = (rows >= 1) & (cols >= 1) & (cols <= m)
        options = torch.stack(
            [torch.roll(before, 1, 1), torch.roll(last, 1, 1), last]
        )  # (i-1, j-1), (i-1, j), (i, j-1)
        softmin = -GAMMA * torch.logsumexp(-options / GAMMA, dim=0)
        c = cost[:, (rows - 1).clamp(0, n - 1), (cols - 1).clamp(0, m - 1)]
        current = torch.where(real, c + softmin, torch.inf)
        values = torch.where(lengths + m == k, current.gather(1, lengths[:, None])[:, 0], values)
        before, last = last, current
    return values


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


@contextlib.contextmanager
def time_limit(seconds):
    """Raise PeerError in the main thread past ``seconds`` (between Python operations)."""

    def expire(signum, frame):
        raise PeerError(f"> {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def median_seconds(run, repeat, device, limit):
    """Median time of ``run()`` after a warm-up, within ``limit`` seconds in all."""
    return float(np.median(seconds_per_call(run, repeat, device, limit)))


def seconds_per_call(run, repeat, device, limit):
    """Times of up to ``repeat`` calls of ``run()`` after a warm-up, within ``limit``
    seconds in all (fewer calls where ``repeat`` would not fit)."""

    def once():
        start = time.perf_counter()
        run()
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    with time_limit(limit):
        first = once()  # warm-up: compilation, caches
        # and a few more calls: the first ones after a compilation run up to 2x slower
        # (measured: 1.2, 1.0, 0.8, 0.6 ms, then 0.55 ms for ours at 100x25)
        warm_up = first
        for _ in range(WARM_UP_CALLS):
            if warm_up > 0.1 * limit:
                break
            warm_up += once()
        repeat = max(1, min(repeat, int(0.5 * limit / max(first, 1e-9))))
        return [once() for _ in range(repeat)]


def measured(run, repeat, device, limit):
    """Seconds, or the reason there are none (a peer's failure is a result, not the end)."""
    try:
        return median_seconds(run, repeat, device, limit)
    except PeerError as error:
        return str(error)
    except Exception as error:  # any failure of a peer is a result
        return f"failed ({type(error).__name__})"


def build_peers(device):
    builders = {"plain torch": lambda: plain_torch, "pysdtw": lambda: pysdtw_loss(device)}
    if device == "cpu":
        builders = {"tslearn": tslearn_loss, **builders}
    peers = {}
    for name, build in builders.items():
        try:
            peers[name] = build()
        except Exception as error:  # e.g. numba-cuda's AttributeError under numpy 2.5
            peers[name] = f"failed to import ({type(error).__name__}: {error})"[:80]
    return peers


def soft_dtw_table(args, table):
    cuda = args.device == "cuda"
    methods = {"ours (triton)" if cuda else "ours (numba)": ours("triton" if cuda else "numba")}
    methods["ours (torch)"] = ours("torch")
    peers = build_peers(args.device)
    columns = list(methods) + list(peers)
    table.add(
        f"soft-DTW forward + backward, ns per real DP cell, gamma = {GAMMA}, 1 thread, median "
        f"of up to {args.repeat}, {args.time_limit:.0f} s per cell at most; {args.device}",
        "",
        "| case | dtype | " + " | ".join(columns) + " | best peer / ours |",
        "|" + "---|" * (len(columns) + 3),
    )
    for case in CASES if cuda else CPU_CASES:
        for dtype in (torch.float32, torch.float64):
            x, y, lengths = make_case(case, dtype, args.device)
            cells = float(lengths.sum()) * y.shape[1]
            timing = {}
            for name, method in {**methods, **peers}.items():
                if isinstance(method, str):
                    timing[name] = "-"
                    continue
                slow = name in ("ours (torch)", "plain torch") and not cuda
                repeat = max(1, args.repeat // 4) if slow else args.repeat

                def run(method=method, x=x, y=y, lengths=lengths):
                    x_ = x.detach().requires_grad_(True)
                    method(x_, y, lengths).sum().backward()

                seconds = measured(run, repeat, args.device, args.time_limit)
                timing[name] = seconds / cells * 1e9 if isinstance(seconds, float) else seconds
            table.add(table_row([case, str(dtype).removeprefix("torch.")], timing, methods))
    table.add("", *[f"{name}: {why}" for name, why in peers.items() if isinstance(why, str)])


def table_row(labels, timing, methods):
    ours_best = min((t for n, t in timing.items() if n in methods and isinstance(t, float)))
    peers = [t for n, t in timing.items() if n not in methods and isinstance(t, float)]
    ratio = f"{min(peers) / ours_best:.1f}x" if peers else "-"
    cells = [f"{t:.2f}" if isinstance(t, float) else t for t in timing.values()]
    return "| " + " | ".join([*labels, *cells, ratio]) + " |"


def cdist_table(args, table):
    rng = np.random.default_rng(0)
    n_sequences, longest = 200, 250
    lengths = rng.integers(1, longest + 1, size=n_sequences)
    sequences = [rng.random((n, 2)) for n in lengths]
    padded = np.zeros((n_sequences, longest, 2))
    for i, sequence in enumerate(sequences):
        padded[i, : len(sequence)] = sequence
    x = torch.from_numpy(padded).to(args.device)
    cells = float(lengths.sum()) ** 2

    # name: (run, cells); the symmetric call computes each pair once but fills them all
    methods = {
        "ours, cdist_dtw(x, x)": (
            lambda: cdist_dtw(x, x, x_lengths=lengths, y_lengths=lengths),
            cells,
        ),
        "ours, cdist_dtw(x) (symmetric)": (lambda: cdist_dtw(x, x_lengths=lengths), cells),
    }
    if args.device == "cpu":
        try:
            from tslearn.metrics import cdist_dtw as tslearn_cdist_dtw
            from tslearn.utils import to_time_series_dataset

            # the first TSLEARN_ROWS sequences against all: its time per pair is the same
            dataset = to_time_series_dataset(sequences)
            methods[f"tslearn.metrics.cdist_dtw(x[:{TSLEARN_ROWS}], x)"] = (
                lambda: tslearn_cdist_dtw(dataset[:TSLEARN_ROWS], dataset),
                float(lengths[:TSLEARN_ROWS].sum()) * float(lengths.sum()),
            )
        except Exception as error:
            methods[f"tslearn: failed to import ({type(error).__name__})"] = (None, cells)
    table.add(
        "",
        f"pairwise DTW, {n_sequences} x {n_sequences} sequences of U[1, {longest}] frames, "
        f"2 channels, ns per real DP cell ({cells:.3g} cells), median of up to "
        f"{args.repeat}; {args.device}",
        "",
        "| method | seconds | ns per real cell |",
        "|---|---:|---:|",
    )
    for name, (run, pair_cells) in methods.items():
        seconds = "-" if run is None else measured(run, 3, args.device, args.time_limit)
        if isinstance(seconds, float):
            table.add(f"| {name} | {seconds:.3f} | {seconds / pair_cells * 1e9:.2f} |")
        else:
            table.add(f"| {name} | {seconds} | - |")


def machine_line(device):
    """CPU model, cores, load, library versions: absolute figures depend on all of them."""
    return (
        f"{cpu_model()}, {os.cpu_count()} logical CPUs, {load_average()}; "
        f"{platform.machine()}, torch {torch.__version__}, numpy {np.__version__}"
        + (f", {torch.cuda.get_device_name()}" if device == "cuda" else "")
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per table cell, at most"
    )
    parser.add_argument("--output", help="also write the tables to this file, row by row")
    tables = parser.add_mutually_exclusive_group()
    tables.add_argument("--soft-dtw-only", action="store_true", help="table 1 only")
    tables.add_argument("--cdist-only", action="store_true", help="table 2 only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    table = Table(args.output)
    table.add(machine_line(args.device), "")
    if not args.cdist_only:
        soft_dtw_table(args, table)
    if not args.soft_dtw_only:
        cdist_table(args, table)
    table.add("", f"At the end: {load_average()}.")


if __name__ == "__main__":
    main()
