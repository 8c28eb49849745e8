"""Lesson 4: a Jacobian by hand, and the two gradients of ||W x||²."""

from __future__ import annotations

import numpy as np

from .. import jacobian as J
from .cases import scalars
from .exercise import Exercise, add

L4 = "04_jacobians_and_vectorized_gradients"


def _ref_norm_sq_grads(W, x):
    r = J.norm_sq_Wx(W, x)
    return r["grad_W"], r["grad_x"]


add(
    Exercise(
        "jacobian_example",
        "the Jacobian of f(x, y) = (x² y, 5x + sin y)",
        J.example_jacobian,
        public=lambda rng: [(1.5, -0.5), (0.0, 0.0), tuple(scalars(rng, 2, -3, 3))],
        hidden=lambda rng: [tuple(scalars(rng, 2, -3, 3)) for _ in range(4)],
        outputs="the Jacobian",
        hint="Rows are the outputs, columns the inputs: row i holds the partial derivatives of output i "
        "with respect to x and to y.",
        lesson=L4,
        section="1. The shape of a derivative",
    )
)
add(
    Exercise(
        "norm_sq_grads",
        "the gradients of ||W x||² with respect to W and x",
        _ref_norm_sq_grads,
        public=lambda rng: [
            (np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])),
            (rng.normal(size=(3, 2)), rng.normal(size=2)),
        ],
        hidden=lambda rng: [
            (rng.normal(size=(3, 4)), rng.normal(size=4)),
            (rng.normal(size=(1, 2)), rng.normal(size=2)),
        ],
        outputs=("dW", "dx"),
        hint="Go through q = W x: first df/dq, then the index step dq_k/dW_ij = 1{k = i} x_j for W, and "
        "dq/dx = W for x. Each gradient has the shape of its variable.",
        lesson=L4,
        section="3. Backprop through $\\lVert W x \\rVert^2$ by hand",
    )
)
