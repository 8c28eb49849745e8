"""Scalar-engine speed: coursekit.Value against micrograd on micrograd's own demo workload.

Workload (micrograd's demo.ipynb): MLP 2-16-16-1 with ReLU, 100 two-moons points,
max-margin loss + 1e-4 L2; one step = build the graph + backward + SGD update, full batch.
Both engines start from the same weights and run the same arithmetic, so their losses
must agree to 1e-9 at every step. The two engines' steps alternate, and the median step
time of each is reported, so machine load affects both alike.

Also: nodes per second, and time and peak memory of backprop through a 1,000,000-node chain,
with ``Value.backward`` and with ``coursekit.Graph`` (the lecture's ComputationalGraph built
over the same Values, then its backward pass). The Value backward is the baseline, measured in
the same run: Graph must cost at most 2x its time and 2x its peak memory.

    python benchmarks/bench_engine.py [--steps 15]
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import coursekit  # noqa: E402

try:
    import micrograd.engine
    import micrograd.nn
except ImportError:  # pragma: no cover
    sys.exit("micrograd is needed for this benchmark: pip install micrograd==0.1.0")


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[float]]:
    """sklearn's make_moons(n, noise), written out so the benchmark needs no sklearn; labels -1/+1."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, np.pi, n // 2)
    upper = np.c_[np.cos(t), np.sin(t)]
    lower = np.c_[1 - np.cos(t), 0.5 - np.sin(t)]
    X = np.r_[upper, lower] + rng.normal(0, noise, (n, 2))
    y = np.r_[-np.ones(n // 2), np.ones(n // 2)]
    return X.tolist(), y.tolist()


class ScalarMLP:
    """The same network as micrograd.nn.MLP, for any Value class, with micrograd's weights copied in."""

    def __init__(self, value_cls: type, reference: micrograd.nn.MLP):
        self.layers = []
        for layer in reference.layers:
            neurons = [
                ([value_cls(w.data) for w in n.w], value_cls(n.b.data), n.nonlin) for n in layer.neurons
            ]
            self.layers.append(neurons)

    def __call__(self, x: list) -> object:
        for neurons in self.layers:
            out = []
            for w, b, nonlin in neurons:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act.relu() if nonlin else act)
            x = out
        return x[0]

    def parameters(self) -> list:
        return [p for neurons in self.layers for w, b, _ in neurons for p in (*w, b)]


def loss(model, value_cls, X, y):
    """micrograd demo's loss: SVM max-margin + 1e-4 L2, full batch."""
    inputs = [list(map(value_cls, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def step(model, value_cls, X, y, k, zero_grad):
    total = loss(model, value_cls, X, y)
    zero_grad(model)
    total.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * p.grad
    return total


def count_nodes(out) -> int:
    return len(out.graph_nodes())


def chain(n: int, graph: bool = False) -> tuple[float, float, float]:
    """Build y = x * 1.0 * 1.0 ... (n gates) and backprop, with Value.backward or with
    Graph(y).backward(); return the seconds of the whole, of the backward part (for a Graph:
    building it and its backward pass) and the gradient."""
    t0 = time.perf_counter()
    x = coursekit.Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0
    t1 = time.perf_counter()
    if graph:
        grad = coursekit.Graph(y).backward()["c0"]
    else:
        y.backward()
        grad = x.grad
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1, grad


def peak_memory(n: int, graph: bool) -> int:
    """Peak traced memory of chain(n, graph), in bytes."""
    gc.collect()
    tracemalloc.start()
    chain(n, graph)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=15, help="training steps per engine (default 15)")
    parser.add_argument("--chain", type=int, default=1_000_000, help="nodes in the chain (default 1e6)")
    args = parser.parse_args()

    X, y = two_moons()
    random.seed(1337)
    reference = micrograd.nn.MLP(2, [16, 16, 1])
    mg_model = ScalarMLP(micrograd.engine.Value, reference)
    ck_model = ScalarMLP(coursekit.Value, reference)

    def mg_zero(m):
        for p in m.parameters():
            p.grad = 0

    def ck_zero(m):
        for p in m.parameters():
            p.grad = 0.0

    nodes = count_nodes(loss(ck_model, coursekit.Value, X, y))
    mg_times, ck_times, worst = [], [], 0.0
    for k in range(args.steps):
        # Only the loss's number is kept: each engine's graph is freed before the other
        # engine runs, so neither pays the garbage collector for the other's objects.
        t0 = time.perf_counter()
        mg_loss = step(mg_model, micrograd.engine.Value, X, y, k, mg_zero).data
        t1 = time.perf_counter()
        ck_loss = step(ck_model, coursekit.Value, X, y, k, ck_zero).data
        t2 = time.perf_counter()
        if k > 0:  # the first step warms caches
            mg_times.append(t1 - t0)
            ck_times.append(t2 - t1)
        worst = max(worst, abs(mg_loss - ck_loss))
    mg_t, ck_t = statistics.median(mg_times), statistics.median(ck_times)
    ratio = mg_t / ck_t

    print("Scalar engine on micrograd's demo (MLP 2-16-16-1, 100 moons, max-margin + L2, full batch)")
    print(f"  graph size per step           {nodes:,} nodes")
    print(f"  micrograd  median step        {mg_t * 1e3:8.1f} ms")
    print(f"  coursekit  median step        {ck_t * 1e3:8.1f} ms")
    print(f"  speed-up (micrograd/coursekit) {ratio:7.2f}x   (target >= 5x)")
    print(f"  coursekit nodes per second    {nodes / ck_t:,.0f} (build + backward + update)")
    print(f"  largest loss difference       {worst:.2e} over {args.steps} steps   (target <= 1e-9)")

    n = args.chain
    runs = {False: [], True: []}
    for _ in range(3):  # alternate, and keep the fastest of each: load affects both alike
        for graph in (False, True):
            runs[graph].append(chain(n, graph))
            gc.collect()
    best = {k: min(r, key=lambda run: run[1]) for k, r in runs.items()}
    (v_total, v_back, grad), (g_total, g_back, g_grad) = best[False], best[True]
    v_peak, g_peak = peak_memory(n, False), peak_memory(n, True)
    time_ratio, memory_ratio = g_back / v_back, g_peak / v_peak
    print(f"{n:,}-node chain y = x * 1.0 * ... * 1.0 (best of 3)")
    print(
        f"  Value: build + backward {v_total:.2f} s (backward {v_back:.2f} s), "
        f"peak traced memory {v_peak / 2**20:.0f} MiB ({v_peak / n:.0f} bytes per node), grad {grad}"
    )
    print(
        f"  Graph: build + Graph(y) + backward {g_total:.2f} s (Graph(y) + backward {g_back:.2f} s), "
        f"peak traced memory {g_peak / 2**20:.0f} MiB ({g_peak / n:.0f} bytes per node), grad {g_grad}"
    )
    print(f"  Graph / Value time   (Graph(y) + backward vs y.backward) {time_ratio:5.2f}x   (target <= 2x)")
    print(f"  Graph / Value memory (peak, chain included)              {memory_ratio:5.2f}x   (target <= 2x)")

    ok = (
        ratio >= 5
        and worst <= 1e-9
        and math.isclose(grad, 1.0)
        and math.isclose(g_grad, 1.0)
        and time_ratio <= 2
        and memory_ratio <= 2
    )
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
