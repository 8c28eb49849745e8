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

import bisect
import copy
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import Value, _backprop_node, _by_id
from .gates import Data, Gate, ShapeError, as_data, reduce_to_shape, shape_of


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
    (name -> input Value); ``names`` (Value -> name); ``gates`` (Value -> its own gate
    object); ``steps`` (the last backward pass, gate by gate).

    Big graphs are cheap: a node's name, its gate object and its backward step are made
    when first asked for, so building a Graph over a million-node Value graph and running
    its backward pass costs about as much as ``Value.backward`` does.
    """

    def __init__(self, output: Value):
        if not isinstance(output, Value):
            raise TypeError(
                f"Graph needs an output Value (e.g. Graph(f) for f = (x + y) * z, or "
                f"Graph.trace(fn, x=...)), got {type(output).__name__} {output!r:.40}"
            )
        self.output = output
        self.nodes: list[Value] = output.graph_nodes()
        self.inputs: dict[str, Value] = {}
        input_names: dict[Value, str] = {}
        unnamed = 0
        for v in [v for v in self.nodes if v._gate is None]:
            name = v.label
            if not name:
                name, unnamed = f"c{unnamed}", unnamed + 1
            if name in self.inputs:
                raise ValueError(
                    f"two inputs of the graph are labelled {name!r}; give each input a unique label"
                )
            self.inputs[name] = v
            input_names[v] = name
        self.names: _Names = _Names(self, input_names)
        self.gates: _Gates = _Gates(self)
        self.steps: Sequence[BackwardStep] = _Steps(self, [], [])

    def _position(self, v: Any) -> int:
        """The index of node ``v`` in ``nodes`` (nodes are sorted by creation), or KeyError."""
        nodes = self.nodes
        if type(v) is Value:
            i = bisect.bisect_left(nodes, v._id, key=_by_id)
            if i < len(nodes) and nodes[i] is v:
                return i
        raise KeyError(f"{v!r:.60} is not a node of this graph")

    @classmethod
    def trace(cls, fn: Callable[..., Value], **inputs: Any) -> Graph:
        """Call ``fn`` on Values named after its parameters and record the graph.

        Inputs not given take the parameter's default value.
        """
        if not callable(fn):
            raise TypeError(f"Graph.trace: fn must be a function of named inputs, got {type(fn).__name__}")
        values = {}
        for name, p in inspect.signature(fn).parameters.items():
            if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise TypeError(
                    f"Graph.trace: {_fn_name(fn)} takes *{name}; give it one named parameter per input"
                )
            if name in inputs:
                data = inputs.pop(name)
            elif p.default is not inspect.Parameter.empty:
                data = p.default
            else:
                raise TypeError(f"Graph.trace: give a value for the input {name!r} of {_fn_name(fn)}")
            try:
                values[name] = Value(data, label=name)
            except TypeError as e:
                raise TypeError(f"Graph.trace: input {name!r}: {e}") from None
        if inputs:
            raise TypeError(
                f"Graph.trace: {_fn_name(fn)} has no input(s) {', '.join(map(repr, inputs))}; "
                f"its inputs are {', '.join(values) or '(none)'}"
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
        for name in inputs:
            if name not in self.inputs:
                raise KeyError(f"unknown input {name!r}; this graph's inputs are {', '.join(self.inputs)}")
        new = {name: as_data(data, f"Graph.forward({name}=...)") for name, data in inputs.items()}
        self.steps.freeze()  # the last backward pass's records keep the values they saw
        for name, data in new.items():
            self.inputs[name].data = data
        gate_of = self.gates.own
        for v in self.nodes:
            if v._gate is not None:
                v.data = gate_of(v).forward(*[p.data for p in v.parents])
        return self.output.data

    def backward(self, upstream: Any = None) -> dict[str, Data]:
        """Apply every gate's backward in reverse order; return d(output)/d(input) by name.

        Sets ``.grad`` of every node to this pass's gradient (no accumulation) and
        records ``steps``. Each gate's vector-Jacobian product is applied to the values the
        graph's nodes hold (those its gate object's ``forward`` kept).
        """
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
        if type(out.data) is float:
            upstream = float(upstream)
        nodes = self.nodes
        for v in nodes:  # this pass's gradients only: every node starts from zero
            v.grad = 0.0 if type(v.data) is float else np.zeros_like(v.data)
        out.grad = upstream if type(upstream) is float else np.array(upstream)
        step_nodes: list[Value] = []
        ups: list[Data] = []
        keep_node, keep_up = step_nodes.append, ups.append
        for v in reversed(nodes):
            a = v._x
            if a is None:
                continue
            g = v.grad
            keep_node(v)
            keep_up(g)
            if type(g) is float and g == 0.0:
                continue  # nothing flows back through this node
            _backprop_node(v, a, g)
        self.steps = _Steps(self, step_nodes, ups)
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


class _Names(Mapping):
    """Value -> name: inputs by label (or c0, c1, ...), gate nodes by label or n1, n2, ...
    in topological order. Made on demand, so a big graph keeps no million strings."""

    def __init__(self, graph: Graph, input_names: dict[Value, str]):
        self._graph = graph
        self._inputs = input_names
        self._interior: np.ndarray | None = None  # gate nodes up to each position

    def __getitem__(self, v: Any) -> str:
        name = self._inputs.get(v) if type(v) is Value else None
        if name is not None:
            return name
        i = self._graph._position(v)
        if v.label:
            return v.label
        if self._interior is None:
            nodes = self._graph.nodes
            is_gate = np.fromiter((u._gate is not None for u in nodes), dtype=bool, count=len(nodes))
            self._interior = np.cumsum(is_gate)
        return f"n{self._interior[i]}"

    def __iter__(self) -> Iterator[Value]:
        return iter(self._graph.nodes)

    def __len__(self) -> int:
        return len(self._graph.nodes)


class _Gates(Mapping):
    """Value -> the node's own gate object (a copy of the Value's gate), for the gate nodes.

    A gate is made when first asked for, holding the node's current inputs and output, as
    if its ``forward`` had just run; :meth:`Graph.forward` runs every gate's ``forward``."""

    def __init__(self, graph: Graph):
        self._graph = graph
        self._own: dict[Value, Gate] = {}
        self._count = len(graph.nodes) - len(graph.inputs)

    def own(self, v: Value) -> Gate:
        gate = self._own.get(v)
        if gate is None:
            gate = copy.copy(v._gate)
            gate.inputs = tuple(p.data for p in v.parents)
            gate.output = v.data
            self._own[v] = gate
        return gate

    def __getitem__(self, v: Any) -> Gate:
        gate = self._own.get(v) if type(v) is Value else None
        if gate is not None:
            return gate
        self._graph._position(v)
        if v._gate is None:
            raise KeyError(f"{v!r:.60} is an input of the graph: it has no gate")
        return self.own(v)

    def __iter__(self) -> Iterator[Value]:
        return (v for v in self._graph.nodes if v._gate is not None)

    def __len__(self) -> int:
        return self._count


class _Steps(Sequence):
    """The records of a backward pass, from the output back: made when first read."""

    def __init__(self, graph: Graph, nodes: list[Value], upstreams: list[Data]):
        self._graph = graph
        self._nodes = nodes
        self._upstreams = upstreams
        self._made: dict[int, BackwardStep] = {}

    def __len__(self) -> int:
        return len(self._nodes)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self._nodes)))]
        n = len(self._nodes)
        if not -n <= k < n:
            raise IndexError(f"step {k} out of range: the last backward pass has {n} steps")
        k %= n
        step = self._made.get(k)
        if step is None:
            step = self._made[k] = self._make(k)
        return step

    def freeze(self) -> None:
        """Make every record now (before a forward pass changes the values they read)."""
        for k in range(len(self._nodes)):
            self[k]

    def _make(self, k: int) -> BackwardStep:
        graph, v, g = self._graph, self._nodes[k], self._upstreams[k]
        parents = v.parents
        inputs = [p.data for p in parents]
        gate = graph.gates.own(v)
        vjp = v._gate.vjp(g, v.data, *inputs)
        down = (vjp,) if len(parents) == 1 else tuple(vjp)
        down = tuple(reduce_to_shape(d, x) for d, x in zip(down, inputs))
        local = None
        if all(not isinstance(d, np.ndarray) for d in (g, v.data, *inputs)):
            loc = v._gate.vjp(1.0, v.data, *inputs)
            local = (loc,) if len(parents) == 1 else tuple(loc)
        names = graph.names
        return BackwardStep(
            v, names[v], names[graph.output], gate, tuple(names[p] for p in parents), g, local, down
        )

    def __repr__(self) -> str:
        return f"<{len(self)} backward steps>"


def _dot_escape(text: str) -> str:
    for ch in '\\"{}<>':
        text = text.replace(ch, "\\" + ch)
    return text


def _fn_name(fn: Callable) -> str:
    return getattr(fn, "__name__", "the function")


__all__ = ["Graph", "BackwardStep", "format_number"]
