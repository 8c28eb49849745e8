"""Lesson 4: a Jacobian by hand, the two gradients of ||W x||², and an affine layer's backward."""

from __future__ import annotations

import numpy as np

from .. import jacobian as J
from .. import nn
from .cases import scalars
from .exercise import Exercise, add

L4 = "04_jacobians_and_vectorized_gradients"


def _ref_norm_sq_grads(W, x):
    r = J.norm_sq_Wx(W, x)
    return r["grad_W"], r["grad_x"]


def _ref_affine_backward(dout, x, W):
    layer = nn.Linear(W.shape[1], W.shape[0])
    layer.params["W"][...] = W
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.grads["W"].copy(), layer.grads["b"].copy()


def _affine_case(rng: np.random.Generator, n: int, d_in: int, d_out: int) -> tuple:
    """dout (n, d_out), x (n, d_in), W (d_out, d_in)."""
    return rng.normal(size=(n, d_out)), rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in))


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
        hint="Start from df/dq_k. Then write q = W x out entry by entry for a 2 x 2 W: in which entries of q "
        "does W_ij appear, and with what factor? Which ones contain x_j? Each gradient has the shape of its "
        "variable.",
        lesson=L4,
        section="3. Backprop through $\\lVert W x \\rVert^2$ by hand",
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
        hint="No new rule is needed: each row of the batch is one sample, a product W x plus b as in the "
        "section. Apply its two results to one row, then ask what happens to W and b, which every row uses "
        "(lesson 3: branches add). Let the shapes pick the product and its transposes, and check one entry.",
        lesson=L4,
        section="5. The backward pass of a matrix product",
    )
)
