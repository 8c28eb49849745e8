"""Graph: the lecture's ComputationalGraph over gate objects."""

import numpy as np
import pytest

from coursekit import Graph, Value
from coursekit import gates as G


def xyz(x=-2.0, y=5.0, z=-4.0):
    return (x + y) * z


def test_trace_uses_defaults_and_labels_inputs():
    g = Graph.trace(xyz)
    assert list(g.inputs) == ["x", "y", "z"]
    assert g.output.data == -12.0 and g.output.label == "f"


def test_forward_reevaluates_without_rebuilding():
    g = Graph.trace(xyz)
    nodes = list(g.nodes)
    assert g.forward(x=1.0, y=2.0, z=3.0) == 9.0
    assert g.nodes == nodes
    assert g.backward() == {"x": 3.0, "y": 3.0, "z": 3.0}
    assert g.forward(z=-1.0) == -3.0  # inputs not given keep their values


def test_every_node_has_its_own_gate_that_keeps_its_inputs():
    g = Graph.trace(lambda a, b: a * b + a * b, a=2.0, b=3.0)
    muls = [gate for gate in g.gates.values() if isinstance(gate, G.MultiplyGate)]
    assert len(muls) == 2 and muls[0] is not muls[1]
    g.forward(a=4.0)
    assert all(m.inputs == (4.0, 3.0) for m in muls)


def test_backward_record_upstream_local_downstream():
    g = Graph.trace(xyz)
    g.backward()
    mul, add = g.steps
    assert (mul.upstream, mul.local, mul.downstream) == (1.0, (-4.0, 3.0), (-4.0, 3.0))
    assert (add.upstream, add.local, add.downstream) == (-4.0, (1.0, 1.0), (-4.0, -4.0))
    assert add.inputs == ("x", "y")
    assert "dx = local" in str(add).replace("df/", "d")


def test_branching_graph_sums_gradients():
    g = Graph.trace(lambda x: x * x + x, x=3.0)
    assert g.backward() == {"x": 7.0}


def test_graph_and_value_backward_agree_on_arrays():
    rng = np.random.default_rng(1)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    g = Graph.trace(lambda W, x: (W @ x).sigmoid().sum(), W=W, x=x)
    grads = g.backward()
    Wv, xv = Value(W), Value(x)
    (Wv @ xv).sigmoid().sum().backward()
    np.testing.assert_allclose(grads["W"], Wv.grad, rtol=1e-15)
    np.testing.assert_allclose(grads["x"], xv.grad, rtol=1e-15)
    assert all(s.local is None for s in g.steps)  # array gates have Jacobians, not numbers


def test_graph_backward_does_not_accumulate():
    g = Graph.trace(xyz)
    g.backward()
    assert g.backward()["x"] == -4.0


def test_array_output_needs_upstream():
    g = Graph.trace(lambda x: x * 2.0, x=np.ones(3))
    with pytest.raises(ValueError, match="upstream"):
        g.backward()
    np.testing.assert_array_equal(g.backward(np.arange(3.0))["x"], [0.0, 2.0, 4.0])


def test_to_dot_and_describe_name_every_node():
    g = Graph.trace(xyz)
    g.backward()
    dot = g.to_dot()
    assert dot.startswith("digraph") and dot.count("->") == 2 + 4
    for name in ("x", "y", "z", "f"):
        assert name in g.describe()


def test_unknown_input_name_lists_the_inputs():
    g = Graph.trace(xyz)
    with pytest.raises(KeyError, match="unknown input 'w'.*x, y, z"):
        g.forward(w=1.0)


def test_trace_errors_are_clear():
    with pytest.raises(TypeError, match="give a value for the input 'b'"):
        Graph.trace(lambda a, b: a * b, a=1.0)
    with pytest.raises(TypeError, match="no input"):
        Graph.trace(xyz, q=1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        Graph.trace(lambda a: 3.0, a=1.0)


def test_duplicate_input_labels_are_rejected():
    a, b = Value(1.0, "x"), Value(2.0, "x")
    with pytest.raises(ValueError, match="labelled 'x'"):
        Graph(a * b)


def test_unlabelled_constants_get_names():
    x = Value(2.0, "x")
    g = Graph(x.max(0.0))
    assert set(g.inputs) == {"x", "c0"}
