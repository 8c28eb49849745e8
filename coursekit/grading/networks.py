"""Lesson 5: the leaky ReLU's derivative."""

from __future__ import annotations

import numpy as np

from .. import gates as G
from .exercise import Exercise, add

L5 = "05_neural_networks_and_activations"


def _ref_leaky_relu_derivative(x, slope=0.1):
    gate = G.LeakyReLUGate(slope)
    return gate.vjp(np.ones_like(x), gate.compute(x), x)


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
