"""Lesson 5: the leaky ReLU's derivative, and an affine layer's backward."""

from __future__ import annotations

import numpy as np

from .. import gates as G
from .. import nn
from .exercise import Exercise, add

L5 = "05_neural_networks_and_activations"


def _ref_affine_backward(dout, x, W):
    layer = nn.Linear(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.grads["W"].copy(), layer.grads["b"].copy()


def _ref_leaky_relu_derivative(x, slope=0.1):
    gate = G.LeakyReLUGate(slope)
    return gate.vjp(np.ones_like(x), gate.compute(x), x)


def _affine_case(rng: np.random.Generator, n: int, d_in: int, d_out: int) -> tuple:
    """dout (n, d_out), x (n, d_in), W (d_out, d_in)."""
    return rng.normal(size=(n, d_out)), rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in))


add(
    Exercise(
        "leaky_relu_derivative",
        "the derivative of the leaky ReLU max(slope x, x)",
        _ref_leaky_relu_derivative,
        public=lambda rng: [
            (np.array([-2.0, -0.5, 0.5, 3.0]),),
            (rng.normal(size=5), float(rng.uniform(0.01, 0.3))),
        ],
        hidden=lambda rng: [
            (rng.normal(size=7), float(rng.uniform(0.01, 0.3))),
            (rng.normal(size=(2, 3)), 0.01),
        ],
        outputs="f'(x)",
        hint="The function has two pieces; its derivative at x is the slope of the piece x is on. Use the "
        "slope you are given, and work on whole arrays.",
        lesson=L5,
        section="4. Activation functions",
        mistakes=[
            (
                lambda x, slope=0.1: np.where(x > 0, 1.0, 0.1),
                "the slope is fixed at 0.1: use the slope you are given",
            ),
            (
                lambda x, slope=0.1: np.maximum(slope * x, x),
                "this is the leaky ReLU itself, not its derivative",
            ),
        ],
    )
)
add(
    Exercise(
        "affine_backward",
        "an affine layer's backward (dx, dW, db)",
        _ref_affine_backward,
        public=lambda rng: [_affine_case(rng, 4, 2, 3), _affine_case(rng, 6, 3, 2)],
        hidden=lambda rng: [_affine_case(rng, 1, 3, 5), _affine_case(rng, 6, 4, 2)],
        outputs=("dx", "dW", "db"),
        samples=lambda args: len(args[1]),
        hint="Each gradient has the shape of its variable: match the shapes to find which product (and "
        "which transpose) gives it. The bias is added to every sample.",
        lesson=L5,
        section="5. Notation and counting",
    )
)
