"""Lesson 2: the multiply gate's backward, and the sigmoid neuron by hand."""

from __future__ import annotations

import math
from collections.abc import Callable

from .. import gates as G
from ..graph import Graph
from .cases import scalars
from .exercise import Exercise, add

L2 = "02_computational_graphs"


def gate_vjp(gate_class: type) -> Callable:
    """The backward of a two-input gate as a function (x, y, dz) -> (dx, dy)."""

    def backward(x, y, dz):
        g = gate_class()
        g.forward(x, y)
        return g.backward(dz)

    backward.__name__ = f"{gate_class.__name__}_backward"
    return backward


def _neuron_without_sigmoid(w0, x0, w1, x1, w2):
    dot = w0 * x0 + w1 * x1 + w2
    f = 1 / (1 + math.exp(-dot))
    return f, (x0, w0, x1, w1, 1.0)


def _ref_neuron(w0, x0, w1, x1, w2):
    g = Graph.trace(
        lambda w0, x0, w1, x1, w2: (w0 * x0 + w1 * x1 + w2).sigmoid(), w0=w0, x0=x0, w1=w1, x1=x1, w2=w2
    )
    grads = g.backward()
    return (g.output.data, tuple(grads[k] for k in ("w0", "x0", "w1", "x1", "w2")))


add(
    Exercise(
        "multiply_backward",
        "the multiply gate's backward (dx, dy)",
        gate_vjp(G.MultiplyGate),
        public=lambda rng: [(3.0, -4.0, 2.0), (-2.0, 5.0, 1.0), tuple(rng.normal(size=(3, 3)))],
        hidden=lambda rng: [(rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)) for _ in range(3)],
        outputs=("dx", "dy"),
        hint="Each input's downstream gradient is its local gradient times the upstream dz; for a "
        "product, the local gradient of one input is the value of the other.",
        lesson=L2,
        section="3. The one rule: downstream = local × upstream",
        mistakes=[
            (lambda x, y, dz: (y, x), "the upstream gradient dz is missing: downstream = local × upstream"),
            (lambda x, y, dz: (dz * x, dz * y), "dx and dy are swapped: the local gradient of x is y"),
        ],
    )
)
add(
    Exercise(
        "sigmoid_neuron",
        "the sigmoid neuron: f and (dw0, dx0, dw1, dx1, dw2)",
        _ref_neuron,
        public=lambda rng: [(2.0, -1.0, -3.0, -2.0, -3.0), tuple(scalars(rng, 5))],
        hidden=lambda rng: [tuple(scalars(rng, 5)) for _ in range(4)],
        outputs=("f", ("dw0", "dx0", "dw1", "dx1", "dw2")),
        hint="Run the forward pass and keep f; the sigmoid's local gradient is (1 - f) f; each weight's "
        "gradient is that times the input it multiplies (and each input's, times its weight).",
        lesson=L2,
        section="4. A neuron, gate by gate",
        mistakes=[
            (
                _neuron_without_sigmoid,
                "the gradients miss the sigmoid's local gradient (1 - f) f: multiply each one by it",
            ),
        ],
    )
)
