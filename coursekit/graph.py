"""The lecture's ComputationalGraph: gates run forward in topological order, backward in reverse.

Build one from an output ``Value`` or trace a Python function of named inputs::

    g = Graph.trace(lambda x, y, z: (x + y) * z, x=-2, y=5, z=-4)
    g.forward(x=1, y=2, z=3)     # new inputs, same graph: no rebuilding
    g.backward()                 # {'x': 3.0, 'y': 3.0, 'z': 3.0}
    for step in g.steps: print(step)   # upstream x local = downstream, gate by gate

Every node gets its own gate object, whose ``forward`` keeps what its
``backward`` needs, exactly as in the lecture's modular API. The Values of the
graph are updated in place, so anything drawn from them (``.data``, ``.grad``)
follows each forward and backward pass.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import Value
from .gates import Data, Gate, ShapeError, as_data, shape_of


def format_number(x: Any, digits: int = 4, max_entries: int = 4) -> str:
    """A one-line text for a float or array (its shape when it has more than ``max_entries`` entries)."""
    if x is None:
        return "-"
    if isinstance(x, np.ndarray):
        if x.size <= max_entries:
            text = np.array2string(x, precision=digits, suppress_small=True, separator=", ")
            return " ".join(text.split())
        return f"array{x.shape}"
    return f"{x:.{digits}g}"


@dataclass(frozen=True)
class BackwardStep:
    """One gate of the backward pass: downstream = local x upstream, per input."""

    node: Value
    name: str
    output: str  # the name of the graph's output, the "L" in dL/dx
    gate: Gate
    inputs: tuple[str, ...]
    upstream: Data
    local: tuple[Data, ...] | None  # d(node)/d(input); None for array gates (a Jacobian)
    downstream: tuple[Data, ...]

    def __str__(self) -> str:
        n, L = self.name, self.output
        head = f"{n} = {self.gate.symbol}({', '.join(self.inputs)})"
        parts = [f"{head}: upstream d{L}/d{n} = {format_number(self.upstream)}"]
        for i, name in enumerate(self.inputs):
            if self.local is not None:
                parts.append(
                    f"  d{L}/d{name} = local d{n}/d{name} x upstream = "
                    f"{format_number(self.local[i])} x {format_number(self.upstream)} = "
                    f"{format_number(self.downstream[i])}"
                )
            else:
                parts.append(f"  d{L}/d{name} = {format_number(self.downstream[i])}")
        return "\n".join(parts)


class Graph:
    """A computational graph over the Values that an output depends on.

    Attributes: ``output``; ``nodes`` (topological order, inputs first); ``inputs``
    (name -> input Value); ``steps`` (the last backward pass, gate by gate).
    """

    def __init__(self, output: Value):
        if not isinstance(output, Value):
            raise TypeError(f"Graph needs an output Value, got {type(output).__name__}")
        self.output = output
        self.nodes: list[Value] = output.graph_nodes()
        self.inputs: dict[str, Value] = {}
        self.names: dict[Value, str] = {}
        self.gates: dict[Value, Gate] = {}
        unnamed = interior = 0
        for v in self.nodes:
            if v.gate is None:
                name = v.label
                if not name:
                    name, unnamed = f"c{unnamed}", unnamed + 1
                if name in self.inputs:
                    raise ValueError(
                        f"two inputs of the graph are labelled {name!r}; give each input a unique label"
                    )
                self.inputs[name] = v
            else:
                interior += 1
                name = v.label or f"n{interior}"
                self.gates[v] = copy.copy(v.gate)
            self.names[v] = name
        self.steps: list[BackwardStep] = []

    @classmethod
    def trace(cls, fn: Callable[..., Value], **inputs: Any) -> Graph:
        """Call ``fn`` on Values named after its parameters and record the graph.

        Inputs not given take the parameter's default value.
        """
        values = {}
        for name, p in inspect.signature(fn).parameters.items():
            if name in inputs:
                data = inputs.pop(name)
            elif p.default is not inspect.Parameter.empty:
                data = p.default
            else:
                raise TypeError(f"Graph.trace: give a value for the input {name!r} of {_fn_name(fn)}")
            values[name] = Value(data, label=name)
        if inputs:
            raise TypeError(
                f"Graph.trace: {_fn_name(fn)} has no input(s) {', '.join(map(repr, inputs))}; "
                f"its inputs are {', '.join(values)}"
            )
        out = fn(**values)
        if not isinstance(out, Value):
            raise TypeError(
                f"Graph.trace: {_fn_name(fn)} must return a Value computed from its inputs, "
                f"got {type(out).__name__}"
            )
        if not out.label and out.gate is not None:
            out.label = "f"
        graph = cls(out)
        graph.function = fn
        return graph

    # --- passes -----------------------------------------------------------------
    def forward(self, **inputs: Any) -> Data:
        """Set the named inputs (others keep their values) and recompute every node."""
        for name, data in inputs.items():
            if name not in self.inputs:
                raise KeyError(f"unknown input {name!r}; this graph's inputs are {', '.join(self.inputs)}")
            self.inputs[name].data = as_data(data, f"Graph.forward({name}=...)")
        for v in self.nodes:
            gate = self.gates.get(v)
            if gate is not None:
                v.data = gate.forward(*(p.data for p in v.parents))
        return self.output.data

    def backward(self, upstream: Any = None) -> dict[str, Data]:
        """Run every gate's backward in reverse order; return d(output)/d(input) by name.

        Sets ``.grad`` of every node to this pass's gradient (no accumulation) and
        records ``steps``. The gates must have run ``forward`` first (done on demand).
        """
        if any(not hasattr(g, "output") for g in self.gates.values()):
            self.forward()
        out = self.output
        if upstream is None:
            if isinstance(out.data, np.ndarray):
                raise ValueError(
                    f"Graph.backward() on an output of shape {out.data.shape} needs the upstream "
                    f"gradient, an array of that shape"
                )
            upstream = 1.0
        upstream = as_data(upstream, "Graph.backward")
        if shape_of(upstream) != shape_of(out.data):
            raise ShapeError(
                f"Graph.backward: upstream gradient has shape {shape_of(upstream)}, "
                f"the output has shape {shape_of(out.data)}"
            )
        grads: dict[Value, Data] = {out: upstream}
        self.steps = []
        for v in reversed(self.nodes):
            gate = self.gates.get(v)
            g = grads.get(v)
            if g is None:
                g = 0.0 if not isinstance(v.data, np.ndarray) else np.zeros_like(v.data)
            v.grad = g
            if gate is None:
                continue
            down = gate.backward(g)
            down = (down,) if gate.arity == 1 else down
            parents = v.parents
            local = None
            if all(not isinstance(d, np.ndarray) for d in (g, *gate.inputs)):
                local = gate.local_gradients()
            for p, d in zip(parents, down):
                grads[p] = d if p not in grads else grads[p] + d
            self.steps.append(
                BackwardStep(
                    v,
                    self.names[v],
                    self.names[out],
                    gate,
                    tuple(self.names[p] for p in parents),
                    g,
                    local,
                    tuple(down),
                )
            )
        return {name: v.grad for name, v in self.inputs.items()}

    # --- reading the graph --------------------------------------------------------
    def values(self) -> dict[str, Data]:
        """Every node's current value, by name."""
        return {self.names[v]: v.data for v in self.nodes}

    def gradients(self) -> dict[str, Data]:
        """Every node's gradient from the last backward pass, by name."""
        return {self.names[v]: v.grad for v in self.nodes}

    def edges(self) -> list[tuple[Value, Value]]:
        """(input, node) pairs, one per wire of the graph."""
        return [(p, v) for v in self.nodes for p in v.parents]

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return (
            f"Graph({len(self.nodes)} nodes, {len(self.gates)} gates, "
            f"inputs: {', '.join(self.inputs)}; output {self.names[self.output]} = "
            f"{format_number(self.output.data)})"
        )

    def describe(self) -> str:
        """A table of the nodes in topological order: name, operation, value, gradient."""
        rows = [f"{'node':<8}{'operation':<22}{'value':>14}{'gradient':>14}"]
        for v in self.nodes:
            name = self.names[v]
            op = (
                "input"
                if v.gate is None
                else f"{v.gate.symbol}({', '.join(self.names[p] for p in v.parents)})"
            )
            rows.append(f"{name:<8}{op:<22}{format_number(v.data):>14}{format_number(v.grad):>14}")
        return "\n".join(rows)

    def to_dot(self) -> str:
        """The graph in Graphviz's DOT language (render with the ``dot`` program)."""
        lines = ["digraph G {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
        ids = {v: f"v{i}" for i, v in enumerate(self.nodes)}
        for v in self.nodes:
            name = self.names[v]
            text = f"{name} | data {format_number(v.data)} | grad {format_number(v.grad)}"
            lines.append(f'  {ids[v]} [shape=record, label="{{ {_dot_escape(text)} }}"];')
            if v.gate is not None:
                lines.append(f'  {ids[v]}_op [shape=circle, label="{_dot_escape(v.gate.symbol)}"];')
                lines.append(f"  {ids[v]}_op -> {ids[v]};")
        for p, v in self.edges():
            lines.append(f"  {ids[p]} -> {ids[v]}_op;")
        lines.append("}")
        return "\n".join(lines)


def _dot_escape(text: str) -> str:
    for ch in '\\"{}<>':
        text = text.replace(ch, "\\" + ch)
    return text


def _fn_name(fn: Callable) -> str:
    return getattr(fn, "__name__", "the function")


__all__ = ["Graph", "BackwardStep", "format_number"]
