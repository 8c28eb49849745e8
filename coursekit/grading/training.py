"""Lesson 6: the heart network's gradients layer by layer, and the 20-line two-layer network."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .. import gates as G
from .. import nn
from ..data import heart_curve
from .exercise import Exercise, add

L6 = "06_training_an_mlp"


def _heart_grads(params, X, Y):
    model = nn.MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid")
    for k, v in params.items():
        model.params[k][...] = v
    loss = nn.SquaredError()
    loss.forward(model.forward(X), Y)
    model.backward(loss.backward())
    return {k: g.copy() for k, g in model.grads.items()}


def _heart_ref(name: str) -> Callable:
    def reference(params, X, Y):
        return _heart_grads(params, X, Y)[name]

    reference.__name__ = f"J_{name}"
    return reference


def ref_two_layer_step(x, y, w1, w2, lr):
    """One step of the 20-line network, as the lesson writes it (the same numbers as
    ``nn.Sequential(Linear, Sigmoid, Linear)`` with a summed squared error: a test checks)."""
    h = G.sigmoid(np.dot(x, w1))
    y_pred = np.dot(h, w2)
    diff = y_pred - y
    grad_y_pred = 2.0 * diff
    grad_w2 = np.dot(h.T, grad_y_pred)
    grad_h = np.dot(grad_y_pred, w2.T)
    grad_w1 = np.dot(x.T, grad_h * h * (1.0 - h))
    return w1 - lr * grad_w1, w2 - lr * grad_w2, float(np.sum(diff * diff))


def heart_cases(rng: np.random.Generator, n_points: Iterable[int]) -> list[tuple]:
    cases = []
    for n in n_points:
        X, Y = heart_curve(n)
        model = nn.MLP(
            [1, 6, 7, 2],
            activation="sigmoid",
            output_activation="sigmoid",
            init="half",
            seed=int(rng.integers(1 << 30)),
        )
        cases.append(({k: v.copy() for k, v in model.params.items()}, X, Y))
    return cases


def _two_layer_case(rng: np.random.Generator, n: int, d_in: int, h: int, d_out: int, lr: float) -> tuple:
    """x (n, d_in), y (n, d_out), w1 (d_in, h), w2 (h, d_out) and the learning rate."""
    shapes = ((n, d_in), (n, d_out), (d_in, h), (h, d_out))
    return (*(rng.normal(size=shape) for shape in shapes), lr)


def _step_with(change: str) -> Callable:
    """One step of the two-layer network written with a known mistake."""

    def wrong(x, y, w1, w2, lr):
        h = G.sigmoid(x @ w1)
        y_pred = h @ w2
        diff = y_pred - y
        grad_y = diff if change == "no 2" else 2.0 * diff
        grad_w2 = h.T @ grad_y
        grad_w1 = x.T @ ((grad_y @ w2.T) * h * (1.0 - h))
        sign = 1.0 if change == "ascent" else -1.0
        loss = float(np.mean(diff * diff)) if change == "mean" else float(np.sum(diff * diff))
        return w1 + sign * lr * grad_w1, w2 + sign * lr * grad_w2, loss

    return wrong


def _describe_heart(args: tuple) -> str:
    params, X, Y = args
    return f"the heart network's parameters and N = {len(X)} data points"


HEART_HINT = (
    "Follow the chain rule from C back to this parameter, one factor per step of the forward pass "
    "(use `forward`); C averages over the N samples, so the gradient does too."
)
for _name in ("W3", "b3", "W2", "b2", "W1", "b1"):
    add(
        Exercise(
            f"J_{_name}",
            f"dC/d{_name} of the heart network",
            _heart_ref(_name),
            public=lambda rng: heart_cases(rng, [100, 12]),
            hidden=lambda rng: heart_cases(rng, [20, 7]),
            describe=_describe_heart,
            allowed=("coursekit.gates.sigmoid",),
            outputs=f"dC/d{_name}",
            samples=lambda args: len(args[1]),
            hint=HEART_HINT,
            lesson=L6,
            section="2. The last layer" if _name.endswith("3") else "3. Layers 2 and 1: one more factor each",
        )
    )
add(
    Exercise(
        "two_layer_step",
        "one gradient-descent step of the 20-line two-layer network",
        ref_two_layer_step,
        public=lambda rng: [_two_layer_case(rng, 8, 20, 5, 3, 1e-3)],
        hidden=lambda rng: [_two_layer_case(rng, 64, 100, 30, 10, 1e-4)],
        allowed=("coursekit.gates.sigmoid",),
        outputs=("the new w1", "the new w2", "the loss"),
        samples=lambda args: len(args[0]),
        hint="Forward (h, y_pred), the loss, then backward in the reverse order of the forward pass, then "
        "one step w - lr * dw for each weight.",
        lesson=L6,
        section="6. The 20-line two-layer network",
        mistakes=[
            (
                _step_with("no 2"),
                "the gradient of the loss sum (y_pred - y)² is 2 (y_pred - y): the 2 is missing",
            ),
            (_step_with("ascent"), "the step goes uphill: subtract lr times the gradient"),
            (_step_with("mean"), "the loss is the sum of the squared errors, not their mean"),
        ],
    )
)
