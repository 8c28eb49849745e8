"""Training speed of coursekit.nn against baselines measured in the same run.

Heart workload (the training lesson): MLP 1-6-7-2, sigmoid on every layer, N = 100, full
batch, squared-error cost, learning rate 7, 10,000 steps.
- coursekit ``fit`` against the numpy floor: the same numpy calls that coursekit makes, written
  out with no layers in between (the least time per step any layered design on numpy can
  reach). Target: at most 1.15x its time per step;
- against a hand-fused numpy loop (target: at most 1.2x its time per step: the plain forms,
  such as the bias gradient as ``dout.sum(axis=0)``, must not cost more);
- against the seed's algorithm, six Jacobian functions that each redo the forward pass, as in
  the Coursera assignment (target: at least 4x faster);
- against PyTorch, CPU, float64, one thread: reported, no target (the numpy floor of this
  workload is itself 7-10x PyTorch, whose per-operation overhead dominates at this size);
- the full 10,000 steps (target: under one second).
Two-layer problem (64 x 1000 -> 100 -> 10, sigmoid hidden layer, no biases, summed squared
error, rate 1e-4, 2,000 steps): coursekit against the fused numpy loop (target: at most 1.2x).
Memory: peak traced memory of fit over 2,000 and 10,000 steps (no growth beyond the loss history).
BLAS threads: 300 steps of the 20-line two-layer network with BLAS's default threads and with
one (threadpoolctl), idle and with a background load this script starts (one busy process per
core, each ending by itself after at most a minute, and stopped as soon as the measurement is
done); coursekit's fit limits BLAS to one thread itself (target: fit at most 1.2x the one-thread
loop, idle and loaded).

Timings alternate between the implementations and report medians, so machine load affects all
of them alike. Outside the threads section, BLAS runs on one thread for everyone. Exit status:
0 when every target holds, 1 otherwise.

    python benchmarks/bench_nn.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from coursekit import nn  # noqa: E402
from coursekit.data import heart_curve, two_layer_problem  # noqa: E402

LR = 7.0


def heart_model() -> nn.MLP:
    return nn.MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid", init="half", seed=0)


def weights(model: nn.MLP) -> list[np.ndarray]:
    return [model.params[k].copy() for k in ("W1", "b1", "W2", "b2", "W3", "b3")]


# --- the implementations -----------------------------------------------------------------


def coursekit_fit(X, Y, steps: int) -> list[float]:
    return nn.fit(heart_model(), X, Y, loss="mse", lr=LR, steps=steps, progress=False).loss


def fused_numpy(X, Y, steps: int) -> list[float]:
    """One forward, one backward, in-place updates: the loop one writes by hand."""
    W1, b1, W2, b2, W3, b3 = weights(heart_model())
    n = len(X)
    losses = []
    for _ in range(steps):
        a1 = X @ W1.T
        a1 += b1
        a1 = 1 / (1 + np.exp(-a1))
        a2 = a1 @ W2.T
        a2 += b2
        a2 = 1 / (1 + np.exp(-a2))
        a3 = a2 @ W3.T
        a3 += b3
        a3 = 1 / (1 + np.exp(-a3))
        d = a3 - Y
        flat = d.reshape(-1)
        losses.append(float(flat @ flat) / n)
        d3 = d * (2.0 / n) * a3 * (1 - a3)
        d2 = (d3 @ W3) * a2 * (1 - a2)
        d1 = (d2 @ W2) * a1 * (1 - a1)
        W3 -= LR * (d3.T @ a2)
        b3 -= LR * d3.sum(axis=0)
        W2 -= LR * (d2.T @ a1)
        b2 -= LR * d2.sum(axis=0)
        W1 -= LR * (d1.T @ X)
        b1 -= LR * d1.sum(axis=0)
    return losses


def numpy_floor(X, Y, steps: int) -> list[float]:
    """coursekit's own numpy calls for a step, one after another with no layers in between.

    Same calls as coursekit (the sigmoid gate's e^x / (1 + e^x) with the cap, its (1 - z) z dz in
    one buffer, the bias gradient as dout.sum(axis=0), 0-d constants, one flat SGD update), so the
    same losses: its time is the least any layered design on these numpy calls can take per step.
    """
    model = heart_model()
    W1, b1, W2, b2, W3, b3 = (model.params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    gW1, gb1, gW2, gb2, gW3, gb3 = (model.grads[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    flat_p, flat_g, scratch = model.flat_params, model.flat_grads, np.empty_like(model.flat_grads)
    one, cap, factor = np.array(1.0), np.array(709.0), np.array(2.0 / len(X))
    n, losses = len(X), []

    def sigmoid(z):
        t = np.exp(np.minimum(z, cap))
        return t / (t + one)

    for _ in range(steps):
        z = np.dot(X, W1.T)
        z += b1
        a1 = sigmoid(z)
        z = np.dot(a1, W2.T)
        z += b2
        a2 = sigmoid(z)
        z = np.dot(a2, W3.T)
        z += b3
        a3 = sigmoid(z)
        diff = np.subtract(a3, Y)
        flat = diff.reshape(-1)
        losses.append(float(np.dot(flat, flat)) / n)
        d = np.multiply(diff, factor)
        for a, below, W, gW, gb in ((a3, a2, W3, gW3, gb3), (a2, a1, W2, gW2, gb2), (a1, X, W1, gW1, gb1)):
            local = np.subtract(one, a)
            local *= a
            local *= d
            np.dot(local.T, below, out=gW)
            gb[...] = local.sum(axis=0)
            if W is not W1:
                d = np.dot(local, W)
        np.multiply(flat_g, LR, out=scratch)
        flat_p -= scratch
    return losses


def seed_algorithm(X, Y, steps: int) -> list[float]:
    """The Coursera assignment's training: six Jacobian functions, each with its own forward pass.

    Column layout as in the assignment: x (1, N), y (2, N), W (out, in), b (out, 1).
    """
    W1, b1, W2, b2, W3, b3 = weights(heart_model())
    b1, b2, b3 = b1[:, None], b2[:, None], b3[:, None]
    x, y = X.T.copy(), Y.T.copy()

    def sigma(z):
        return 1 / (1 + np.exp(-z))

    def d_sigma(z):
        return np.cosh(z / 2) ** (-2) / 4

    def network_function(a0):
        z1 = W1 @ a0 + b1
        a1 = sigma(z1)
        z2 = W2 @ a1 + b2
        a2 = sigma(z2)
        z3 = W3 @ a2 + b3
        a3 = sigma(z3)
        return a0, z1, a1, z2, a2, z3, a3

    def J_W3(x, y):
        a0, z1, a1, z2, a2, z3, a3 = network_function(x)
        J = 2 * (a3 - y) * d_sigma(z3)
        return J @ a2.T / x.size

    def J_b3(x, y):
        a0, z1, a1, z2, a2, z3, a3 = network_function(x)
        J = 2 * (a3 - y) * d_sigma(z3)
        return np.sum(J, axis=1, keepdims=True) / x.size

    def J_W2(x, y):
        a0, z1, a1, z2, a2, z3, a3 = network_function(x)
        J = 2 * (a3 - y) * d_sigma(z3)
        J = (J.T @ W3).T * d_sigma(z2)
        return J @ a1.T / x.size

    def J_b2(x, y):
        a0, z1, a1, z2, a2, z3, a3 = network_function(x)
        J = 2 * (a3 - y) * d_sigma(z3)
        J = (J.T @ W3).T * d_sigma(z2)
        return np.sum(J, axis=1, keepdims=True) / x.size

    def J_W1(x, y):
        a0, z1, a1, z2, a2, z3, a3 = network_function(x)
        J = 2 * (a3 - y) * d_sigma(z3)
        J = (J.T @ W3).T * d_sigma(z2)
        J = (J.T @ W2).T * d_sigma(z1)
        return J @ a0.T / x.size

    def J_b1(x, y):
        a0, z1, a1, z2, a2, z3, a3 = network_function(x)
        J = 2 * (a3 - y) * d_sigma(z3)
        J = (J.T @ W3).T * d_sigma(z2)
        J = (J.T @ W2).T * d_sigma(z1)
        return np.sum(J, axis=1, keepdims=True) / x.size

    def cost(x, y):
        return np.linalg.norm(network_function(x)[-1] - y) ** 2 / x.size

    losses = []
    for _ in range(steps):
        losses.append(cost(x, y))
        j_W1, j_b1 = J_W1(x, y) * LR, J_b1(x, y) * LR
        j_W2, j_b2 = J_W2(x, y) * LR, J_b2(x, y) * LR
        j_W3, j_b3 = J_W3(x, y) * LR, J_b3(x, y) * LR
        W1 -= j_W1
        b1 -= j_b1
        W2 -= j_W2
        b2 -= j_b2
        W3 -= j_W3
        b3 -= j_b3
    return losses


def make_torch(X, Y):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # and numpy's BLAS is on one thread in the sections that compare
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    start = weights(heart_model())

    def run(steps: int) -> list[float]:
        layers = []
        for k in range(3):
            lin = torch.nn.Linear(start[2 * k].shape[1], start[2 * k].shape[0]).double()
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(start[2 * k]))
                lin.bias.copy_(torch.tensor(start[2 * k + 1]))
            layers += [lin, torch.nn.Sigmoid()]
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        n = len(X)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = ((model(Xt) - Yt) ** 2).sum() / n
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def two_layer_fused(p, steps: int, lr: float = 1e-4) -> list[float]:
    w1, w2 = p.w1.copy(), p.w2.copy()
    x, y = p.x, p.y
    losses = []
    for _ in range(steps):
        h = 1 / (1 + np.exp(-x @ w1))
        y_pred = h @ w2
        d = y_pred - y
        flat = d.reshape(-1)
        losses.append(float(flat @ flat))
        grad_y_pred = 2.0 * d
        grad_w2 = h.T @ grad_y_pred
        grad_h = grad_y_pred @ w2.T
        grad_w1 = x.T @ (grad_h * h * (1 - h))
        w1 -= lr * grad_w1
        w2 -= lr * grad_w2
    return losses


def two_layer_coursekit(p, steps: int, lr: float = 1e-4) -> list[float]:
    D_in, H = p.w1.shape
    D_out = p.w2.shape[1]
    model = nn.Sequential(nn.Linear(D_in, H, bias=False), nn.Sigmoid(), nn.Linear(H, D_out, bias=False))
    model.params["W1"][...] = p.w1.T
    model.params["W2"][...] = p.w2.T
    loss = nn.SquaredError(reduction="sum")
    return nn.fit(model, p.x, p.y, loss=loss, lr=lr, steps=steps, progress=False).loss


# --- measuring ------------------------------------------------------------------------------


def per_step(fn, steps: int) -> tuple[float, list[float]]:
    t0 = time.perf_counter()
    losses = fn(steps)
    return (time.perf_counter() - t0) / steps, losses


def alternate(fns: dict, steps: int, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(per_step(fn, steps)[0])
    return {name: statistics.median(t) for name, t in times.items()}


def blas_threads() -> int:
    return max((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"), default=1)


class BackgroundLoad:
    """One busy Python process per core, each ending by itself after ``limit`` seconds at most;
    stopped (terminated, then killed) when the ``with`` block ends."""

    def __init__(self, limit: float = 60.0):
        self.limit = limit
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> BackgroundLoad:
        code = f"import time\nend = time.monotonic() + {self.limit}\nwhile time.monotonic() < end: pass"
        for _ in range(os.cpu_count() or 1):
            self.procs.append(subprocess.Popen([sys.executable, "-c", code]))
        time.sleep(0.3)  # let them start spinning
        return self

    def __exit__(self, *exc: object) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()


def thread_timings(p, steps: int, repeats: int) -> dict[str, float]:
    """Seconds for ``steps`` steps of the two-layer network: default threads, one, and coursekit's fit."""

    def default_threads() -> None:
        two_layer_fused(p, steps)

    def one_thread() -> None:
        with threadpool_limits(1, user_api="blas"):
            two_layer_fused(p, steps)

    def coursekit() -> None:
        two_layer_coursekit(p, steps)  # fit limits BLAS to one thread itself

    fns = {"default": default_threads, "one": one_thread, "coursekit": coursekit}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def fit_memory(X, Y, steps: int) -> int:
    tracemalloc.start()
    nn.fit(heart_model(), X, Y, lr=LR, steps=steps, progress=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    X, Y = heart_curve(100)
    results = []
    default_blas = blas_threads()
    one_thread = threadpool_limits(1, user_api="blas")  # for everyone, until the threads section

    def report(label: str, value: str, ok: bool | None = None) -> None:
        mark = "" if ok is None else ("  ok" if ok else "  MISSED")
        print(f"  {label:<46}{value}{mark}")
        if ok is not None:
            results.append(ok)

    # parity first: the same weights give the same losses
    ck, fused, seed = coursekit_fit(X, Y, 50), fused_numpy(X, Y, 50), seed_algorithm(X, Y, 50)
    floor = numpy_floor(X, Y, 50)
    torch_run = make_torch(X, Y)
    parity = max(max(abs(a - b), abs(a - c), abs(a - d)) for a, b, c, d in zip(ck, fused, seed, floor))
    if torch_run is not None:
        parity = max(parity, max(abs(a - b) for a, b in zip(ck, torch_run(50))))

    print("Heart workload: MLP 1-6-7-2, sigmoid, N = 100, full batch, lr 7")
    report("largest loss difference over 50 steps", f"{parity:.1e} (same weights, every implementation)")
    fast = alternate(
        {
            "coursekit": lambda s: coursekit_fit(X, Y, s),
            "fused": lambda s: fused_numpy(X, Y, s),
            "floor": lambda s: numpy_floor(X, Y, s),
        },
        steps=2000,
        repeats=repeats,
    )
    slow_fns = {"seed": lambda s: seed_algorithm(X, Y, s)}
    if torch_run is not None:
        slow_fns["torch"] = torch_run
    slow = alternate(slow_fns, steps=300, repeats=max(3, repeats // 2))
    ck_step = fast["coursekit"]

    def target(label: str, value: float, unit: str, goal: str) -> None:
        """A measured value against a goal such as '<= 1.2' or '>= 4'."""
        op, limit = goal.split()
        ok = value <= float(limit) if op == "<=" else value >= float(limit)
        report(label, f"{value:7.2f}{unit}  (target {op} {limit}{unit})", ok)

    report("coursekit fit, per step", f"{ck_step * 1e6:7.1f} us")
    report("numpy floor (same calls, no layers), per step", f"{fast['floor'] * 1e6:7.1f} us")
    target("coursekit / numpy floor", ck_step / fast["floor"], "x", "<= 1.15")
    report("hand-fused numpy, per step", f"{fast['fused'] * 1e6:7.1f} us")
    target("coursekit / fused numpy", ck_step / fast["fused"], "x", "<= 1.2")
    report("seed algorithm, per step", f"{slow['seed'] * 1e6:7.1f} us")
    target("speed-up over the seed algorithm", slow["seed"] / ck_step, "x", ">= 4")
    if torch_run is not None:
        report("PyTorch (CPU, float64, 1 thread), per step", f"{slow['torch'] * 1e6:7.1f} us")
        report("speed-up over PyTorch (reported, no target)", f"{slow['torch'] / ck_step:7.2f}x")
        report("  the numpy floor against PyTorch", f"{slow['torch'] / fast['floor']:7.2f}x")
    else:
        report("PyTorch", "not installed: comparison skipped")
    full = []
    for _ in range(3):
        t0 = time.perf_counter()
        history = nn.fit(heart_model(), X, Y, lr=LR, steps=10_000, progress=False)
        full.append(time.perf_counter() - t0)
    target("10,000 steps of fit (median of 3)", statistics.median(full), " s", "<= 1")
    final = history.final_loss
    report("final cost after 10,000 steps", f"{final:.5f}  (target < 0.005)", final < 0.005)

    small, large = fit_memory(X, Y, 2000), fit_memory(X, Y, 10_000)
    growth = (large - small) / 8000
    report("peak traced memory, 2,000 / 10,000 steps", f"{small / 1024:.0f} / {large / 1024:.0f} KiB")
    report("growth per step", f"{growth:.0f} bytes (the loss history: a float and a list slot)", growth <= 40)

    p = two_layer_problem()
    f_losses, c_losses = two_layer_fused(p, 20), two_layer_coursekit(p, 20)
    print("Two-layer problem: 64 x 1000 -> 100 -> 10, sigmoid hidden, summed squared error, lr 1e-4")
    worst = max(abs(a - b) / a for a, b in zip(f_losses, c_losses))
    report("largest relative loss difference over 20 steps", f"{worst:.1e}")
    two = alternate(
        {"coursekit": lambda s: two_layer_coursekit(p, s), "fused": lambda s: two_layer_fused(p, s)},
        steps=2000 if not args.quick else 500,
        repeats=2,
    )
    report("coursekit fit, per step", f"{two['coursekit'] * 1e6:7.1f} us")
    report("hand-fused numpy, per step", f"{two['fused'] * 1e6:7.1f} us")
    target("coursekit / fused numpy", two["coursekit"] / two["fused"], "x", "<= 1.2")

    one_thread.restore_original_limits()
    steps = 300
    print(
        f"BLAS threads: {steps} steps of the two-layer network, seconds (median); "
        f"default {default_blas} BLAS thread(s), {os.cpu_count()} cores"
    )
    for label, load in (("idle", None), ("loaded", BackgroundLoad(limit=60.0))):
        if load is None:
            t = thread_timings(p, steps, repeats=3)
        else:
            with load:
                t = thread_timings(p, steps, repeats=3)
        report(
            f"{label}: default threads / one thread",
            f"{t['default']:6.3f} s / {t['one']:6.3f} s = {t['default'] / t['one']:.2f}x",
        )
        report(f"{label}: coursekit fit (one thread inside)", f"{t['coursekit']:6.3f} s")
        target(f"{label}: coursekit fit / one-thread loop", t["coursekit"] / t["one"], "x", "<= 1.2")
    print("PASS" if all(results) else "FAIL")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
