"""Lesson 3: the max gate's backward, a sigmoid gate class, a computational graph's backward."""

from __future__ import annotations

import numpy as np

from .. import gates as G
from .cases import scalars
from .exercise import Exercise, add
from .graphs import gate_vjp
from .verdict import short

L3 = "03_backward_patterns_and_modules"


class ReferenceGraph:
    """The lesson's ComputationalGraph: gates in topological order, backward in reverse."""

    def __init__(self, wires):
        self.wires = wires

    def forward(self, **inputs):
        self.values = dict(inputs)
        for gate, names, out in self.wires:
            self.values[out] = gate.forward(*(self.values[n] for n in names))
        return self.values[self.wires[-1][2]]

    def backward(self):
        grads = {self.wires[-1][2]: 1.0}
        for gate, names, out in reversed(self.wires):
            down = gate.backward(grads[out])
            down = down if len(names) > 1 else (down,)
            for n, d in zip(names, down):
                grads[n] = grads.get(n, 0.0) + d
        return grads


def _max_arrays(rng: np.random.Generator) -> list[tuple]:
    """Arrays x, y and dz, with a tie at one entry (a tie goes to x)."""
    x, y, dz = rng.normal(size=(3, 5))
    y[2] = x[2]
    return [(x, y, dz)]


def wires_neuron() -> list:
    return [
        (G.MultiplyGate(), ("w0", "x0"), "a"),
        (G.MultiplyGate(), ("w1", "x1"), "b"),
        (G.AddGate(), ("a", "b"), "c"),
        (G.AddGate(), ("c", "w2"), "dot"),
        (G.SigmoidGate(), ("dot",), "f"),
    ]


def wires_branch() -> list:  # f = x * x + x * y: x feeds three wires, its gradients add
    return [
        (G.MultiplyGate(), ("x", "x"), "a"),
        (G.MultiplyGate(), ("x", "y"), "b"),
        (G.AddGate(), ("a", "b"), "f"),
    ]


def wires_xyz() -> list:
    return [(G.AddGate(), ("x", "y"), "q"), (G.MultiplyGate(), ("q", "z"), "f")]


GRAPH_NAMES = {
    ("q", "f"): "f = (x + y) z",
    ("a", "b", "f"): "f = x x + x y",
    ("a", "b", "c", "dot", "f"): "the neuron",
}


def _describe_graph(args: tuple) -> str:
    wires, inputs = args
    outs = tuple(out for _, _, out in wires)
    name = GRAPH_NAMES.get(outs, ", ".join(type(g).__name__ for g, _, _ in wires))
    return f"the graph of {name} at {short(inputs)}"


class _OverwritingGraph(ReferenceGraph):
    def backward(self):
        grads = {self.wires[-1][2]: 1.0}
        for gate, names, out in reversed(self.wires):
            down = gate.backward(grads[out])
            for n, d in zip(names, down if len(names) > 1 else (down,)):
                grads[n] = d
        return grads


class _GateWithoutLocal:
    def forward(self, x):
        self.s = G.sigmoid(x)
        return self.s

    def backward(self, dz):
        return dz * self.s


class _GateWithoutUpstream(_GateWithoutLocal):
    def backward(self, dz):
        return (1 - self.s) * self.s + 0 * dz


def _max_to_y_on_ties(x, y, dz):
    y_wins = np.greater_equal(y, x)
    return dz * ~y_wins, dz * y_wins


def _max_to_loser(x, y, dz):
    x_wins = np.greater_equal(x, y)
    return dz * ~x_wins, dz * x_wins


SIGMOID_HINT = (
    "Use a form that never overflows: for x < 0 write sigma(x) = e^x / (1 + e^x) (and 1 / (1 + e^-x) "
    "for x >= 0), or call coursekit.gates.sigmoid."
)

add(
    Exercise(
        "max_backward",
        "the max gate's backward (dx, dy)",
        gate_vjp(G.MaxGate),
        public=lambda rng: [(3.0, -1.0, 2.0), (-4.0, 1.0, 2.0), (1.0, 1.0, 2.0), *_max_arrays(rng)],
        hidden=lambda rng: (
            [(rng.normal(size=5), rng.normal(size=5), rng.normal(size=5)) for _ in range(2)]
            + _max_arrays(rng)
        ),
        outputs=("dx", "dy"),
        hint="max routes the upstream gradient: the input that won gets all of it, the other none; a tie "
        "goes to x. It must work entry by entry on arrays, so no Python `if` on x >= y.",
        lesson=L3,
        section="1. Four patterns",
        mistakes=[
            (
                _max_to_y_on_ties,
                "a tie gives the gradient to y here, but a tie goes to x (the lesson's max gate)",
            ),
            (_max_to_loser, "the gradient went to the smaller input: max routes it to the one that won"),
        ],
    )
)
add(
    Exercise(
        "sigmoid_gate",
        "a sigmoid gate class: forward keeps s, backward returns dz (1 - s) s",
        G.SigmoidGate,
        public=lambda rng: [(1.0, 1.0), (-2.0, 0.5), (rng.normal(size=3) * 3, rng.normal(size=3))],
        hidden=lambda rng: [(rng.normal(size=4) * 3, rng.normal(size=4)), (float(rng.normal() * 5), 1.0)],
        call="gate_class",
        allowed=("coursekit.gates.sigmoid",),
        outputs=("forward(x)", "backward(dz)"),
        stable=[(-1000.0, 1.0), (1000.0, 1.0), (np.array([-1000.0, 0.0, 1000.0]), np.ones(3))],
        stable_hint=SIGMOID_HINT,
        hint="Keep s = sigmoid(x) in forward; backward multiplies dz by the local gradient written with s. "
        "Large |x| (the checks try +-1000) must not overflow.",
        lesson=L3,
        section="2. A gate is an object with `forward` and `backward`",
        mistakes=[
            (_GateWithoutLocal, "backward is missing the local gradient (1 - s) s: it returns dz s"),
            (
                _GateWithoutUpstream,
                "backward returns the local gradient alone: multiply it by the upstream dz",
            ),
        ],
    )
)
add(
    Exercise(
        "computational_graph",
        "a ComputationalGraph's forward and backward",
        ReferenceGraph,
        public=lambda rng: [
            (wires_xyz(), dict(x=-2.0, y=5.0, z=-4.0)),
            (wires_neuron(), dict(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)),
            (wires_branch(), dict(x=3.0, y=-2.0)),
            (wires_xyz(), dict(zip("xyz", scalars(rng, 3, -3, 3)))),
        ],
        hidden=lambda rng: [
            (wires_branch(), dict(zip(("x", "y"), scalars(rng, 2, -3, 3)))),
            (wires_neuron(), dict(zip(("w0", "x0", "w1", "x1", "w2"), scalars(rng, 5)))),
        ],
        call="graph_class",
        allowed=("coursekit.gates",),
        describe=_describe_graph,
        outputs=("forward's output", {"*": "the gradient for {key}"}),
        hint="Walk the wires in reverse order. A value used by several gates collects the sum of their "
        "gradients (branches add): add into the dict, do not overwrite.",
        lesson=L3,
        section="3. A computational graph runs its gates in order",
        mistakes=[
            (
                _OverwritingGraph,
                "a value used by two gates kept only one gradient: branches add, so add to "
                "grads[name] (+=) instead of overwriting it",
            ),
        ],
        advice={
            "KeyError": "A gradient was looked up before it was computed: walk the wires in reverse "
            "order, starting from d(output)/d(output) = 1."
        },
    )
)
