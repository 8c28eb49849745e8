"""The worked examples of SYLLABUS.md sections 2-4, exactly (not the slides' rounding)."""

import math

import numpy as np
import pytest

from coursekit import Graph, Value
from coursekit import gates as G


def test_example_1_x_plus_y_times_z():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (z.grad, q.grad, x.grad, y.grad) == (3.0, -4.0, -4.0, -4.0)


def neuron_primitive(w0, x0, w1, x1, w2):
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def neuron_sigmoid_gate(w0, x0, w1, x1, w2):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()


NEURON_INPUTS = dict(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0)
S = 1 / (1 + math.exp(-1.0))  # sigma(1), the neuron's output
NEURON_GRADS = {  # dsigma/ddot = (1 - s) s, times the other factor of each product
    "w0": (1 - S) * S * -1.0,
    "x0": (1 - S) * S * 2.0,
    "w1": (1 - S) * S * -2.0,
    "x1": (1 - S) * S * -3.0,
    "w2": (1 - S) * S,
}


@pytest.mark.parametrize("fn", [neuron_primitive, neuron_sigmoid_gate])
def test_example_2_sigmoid_neuron(fn):
    g = Graph.trace(fn, **NEURON_INPUTS)
    assert g.output.data == pytest.approx(0.7310585786300049, abs=1e-15)
    grads = g.backward()
    assert grads == pytest.approx(NEURON_GRADS, abs=1e-15)
    assert [round(grads[k], 4) for k in NEURON_GRADS] == [-0.1966, 0.3932, -0.3932, -0.5898, 0.1966]


def test_neuron_primitive_gates_backward_chain():
    """The slide's chain through 1/x, +1, exp, *-1: -0.53, -0.53, -0.20, 0.20."""
    g = Graph.trace(neuron_primitive, **NEURON_INPUTS)
    g.backward()
    first = {type(s.gate).__name__: s for s in g.steps[:4]}
    assert list(first) == ["ReciprocalGate", "AddConstantGate", "ExpGate", "NegateGate"]
    d = 1 + math.exp(-1.0)  # 1.37
    expected = [-1 / d**2, -1 / d**2, math.exp(-1) * -1 / d**2, math.exp(-1) / d**2]
    got = [s.downstream[0] for s in g.steps[:4]]
    assert got == pytest.approx(expected, abs=1e-15)
    assert [round(v, 2) for v in got] == [-0.53, -0.53, -0.2, 0.2]


def test_sigmoid_gate_is_one_step_with_local_gradient_one_minus_s_times_s():
    g = Graph.trace(neuron_sigmoid_gate, **NEURON_INPUTS)
    g.backward()
    step = g.steps[0]
    assert isinstance(step.gate, G.SigmoidGate)
    assert step.local[0] == pytest.approx((1 - S) * S, abs=1e-16)
    assert len(g.gates) == 5 and len(Graph.trace(neuron_primitive, **NEURON_INPUTS).gates) == 8


def test_vectorized_example_norm_of_Wx():
    W = Value([[0.1, 0.5], [-0.3, 0.8]], "W")
    x = Value([0.2, 0.4], "x")
    q = W @ x
    f = (q * q).sum()
    f.backward()
    np.testing.assert_allclose(q.data, [0.22, 0.26], atol=1e-15)
    assert f.data == pytest.approx(0.116, abs=1e-15)
    np.testing.assert_allclose(q.grad, [0.44, 0.52], atol=1e-15)
    np.testing.assert_allclose(W.grad, [[0.088, 0.176], [0.104, 0.208]], atol=1e-15)
    np.testing.assert_allclose(x.grad, [-0.112, 0.636], atol=1e-15)
    assert W.grad.shape == W.data.shape and x.grad.shape == x.data.shape


def test_add_gate_distributes():
    assert G.AddGate().forward(3.0, -1.0) == 2.0
    gate = G.AddGate()
    gate.forward(3.0, -1.0)
    assert gate.backward(2.5) == (2.5, 2.5)


def test_max_gate_routes():
    gate = G.MaxGate()
    assert gate.forward(4.0, -1.0) == 4.0
    assert gate.backward(2.0) == (2.0, 0.0)
    gate.forward(-4.0, -1.0)
    assert gate.backward(2.0) == (0.0, 2.0)


def test_multiply_gate_switches():
    gate = G.MultiplyGate()
    gate.forward(3.0, -1.0)
    assert gate.backward(2.0) == (-2.0, 6.0)


def test_branches_add():
    x = Value(3.0)
    a, b = x * 2.0, x * 5.0  # x feeds two gates
    (a + b).backward()
    assert x.grad == 2.0 + 5.0


# --- section 1: the chain rule ------------------------------------------------------------


@pytest.mark.parametrize("t", [0.5, 1.5, 3.0])
def test_univariate_chain_is_minus_ten_t(t):
    g = Graph.trace(lambda t: 5 * (1 - t**2), t=t)
    assert g.backward()["t"] == pytest.approx(-10 * t, abs=1e-12)
    product = math.prod(step.local[0] for step in g.steps)  # (5)(-1)(2t), gate by gate
    assert product == pytest.approx(-10 * t, abs=1e-12)


@pytest.mark.parametrize("t", [0.5, 2.0, 3.0])
def test_total_derivative_is_cos_t_minus_1_times_e(t):
    def f(t):
        x, y, z = t - 1, t * t, 1 / t
        return x.sin() * (y * z * z).exp()

    assert Graph.trace(f, t=t).backward()["t"] == pytest.approx(math.cos(t - 1) * math.e, rel=1e-12)
