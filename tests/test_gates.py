"""Every gate's backward against numerical gradients, for scalars, arrays and broadcasting.

Inputs are drawn with magnitudes in [0.1, 3]. A finite difference is only as accurate as
the rounding error of the function's value allows (about 1e-16 |f| / h); a gradient entry
far smaller than |f| (say a product's derivative y when |y| = 1e-9) cannot be judged at
CS231n's relative-error bar by any finite difference. Kinks (ReLU at 0, max at a tie) are
avoided for the same reason. Inside this range, the bar is 1e-7 everywhere.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit import gates as G
from coursekit.gradcheck import check_gate

TOL = 1e-7  # CS231n's bar for float64

reals = st.one_of(st.floats(-3, -0.1), st.floats(0.1, 3))
positive = st.floats(0.2, 5, allow_nan=False)
away_from_zero = st.one_of(st.floats(-4, -0.3), st.floats(0.3, 4))


def arrays(shape, elements=reals):
    return hnp.arrays(np.float64, shape, elements=elements)


small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)  # 0-d arrays too


def far_from(x, kink, margin=1e-3):
    return np.all(np.abs(np.asarray(x) - kink) > margin)


def assert_passes(gate, *inputs, **kw):
    report = check_gate(gate, *inputs, **kw)
    assert report.passed, str(report)
    return report


def checkable(gate, x):
    """False where the finite difference itself is too inaccurate to judge the gate.

    d(x^3)/dx = 3x^2 vanishes at 0, where the centred difference's own error
    (h^2 f'''/6 = 1e-10) exceeds the gradient: a limit of the check, not of the gate.
    """
    if isinstance(gate, G.PowerGate) and gate.p == 3:
        return far_from(x, 0.0, 0.05)
    return True


# --- scalars -------------------------------------------------------------------

BINARY = [G.AddGate(), G.SubtractGate(), G.MultiplyGate()]
UNARY_SMOOTH = [
    G.SinGate(),
    G.CosGate(),
    G.NegateGate(),
    G.ExpGate(),
    G.TanhGate(),
    G.SigmoidGate(),
    G.AddConstantGate(1.5),
    G.MultiplyConstantGate(-2.0),
    G.PowerGate(2),
    G.PowerGate(3),
    G.TransposeGate(),
    G.SumGate(),
    G.MeanGate(),
]


@pytest.mark.parametrize("gate", BINARY, ids=repr)
@given(x=reals, y=reals)
def test_binary_gates_scalars(gate, x, y):
    assert_passes(gate, x, y)


@pytest.mark.parametrize("gate", UNARY_SMOOTH, ids=repr)
@given(x=reals)
def test_smooth_unary_gates_scalars(gate, x):
    assume(checkable(gate, x))
    assert_passes(gate, x)


@given(x=reals, y=away_from_zero)
def test_divide_gate_scalars(x, y):
    assert_passes(G.DivideGate(), x, y)


@given(x=away_from_zero)
def test_reciprocal_gate_scalars(x):
    assert_passes(G.ReciprocalGate(), x)


@given(x=positive)
def test_log_gate_scalars(x):
    assert_passes(G.LogGate(), x)


# |p| >= 0.1: for p near 0 the gradient p x^(p-1) is so much smaller than x^p that the
# rounding error of the finite difference (about 1e-16 |f| / h) dominates it.
@given(x=positive, p=st.one_of(st.floats(-3, -0.1), st.floats(0.1, 3)))
def test_power_gate_real_exponents(x, p):
    assert_passes(G.PowerGate(p), x)


@given(x=reals, y=reals)
def test_max_gate_scalars(x, y):
    assume(abs(x - y) > 1e-3)  # the max has a kink where x == y
    report = assert_passes(G.MaxGate(), x, y)
    # the router: the whole upstream gradient to the larger input, none to the other
    winner = 0 if x > y else 1
    assert report.analytic[1 - winner] == 0.0


@pytest.mark.parametrize(
    "gate", [G.ReLUGate(), G.LeakyReLUGate(0.1), G.ELUGate(1.0), G.ELUGate(0.5)], ids=repr
)
@given(x=reals)
def test_piecewise_gates_scalars(gate, x):
    assume(abs(x) > 1e-3)  # the kink at 0
    assert_passes(gate, x)


@pytest.mark.parametrize("gate", [G.LeakyReLUGate(0.2), G.ELUGate(1.0)], ids=repr)
@given(data=st.data())
def test_piecewise_gates_arrays(gate, data):
    x = data.draw(arrays(data.draw(small_shapes)))
    assume(far_from(x, 0.0))
    assert_passes(gate, x)


# --- arrays ---------------------------------------------------------------------


@pytest.mark.parametrize("gate", BINARY + [G.MaxGate()], ids=repr)
@given(data=st.data())
def test_binary_gates_broadcasting(gate, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4))
    x = data.draw(arrays(shapes.input_shapes[0]))
    y = data.draw(arrays(shapes.input_shapes[1]))
    if isinstance(gate, G.MaxGate):
        assume(far_from(np.subtract(x, y), 0.0))
    x = x if np.ndim(x) else float(x)
    y = y if np.ndim(y) else float(y)
    report = assert_passes(gate, x, y)
    for grad, inp in zip(report.analytic, (x, y)):
        assert np.shape(grad) == np.shape(inp)  # the gradient has the shape of the variable


@given(data=st.data())
def test_divide_gate_broadcasting(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=4))
    x = data.draw(arrays(shapes.input_shapes[0]))
    y = data.draw(arrays(shapes.input_shapes[1], away_from_zero))
    assert_passes(G.DivideGate(), x, y)


@pytest.mark.parametrize("gate", UNARY_SMOOTH, ids=repr)
@given(data=st.data())
def test_smooth_unary_gates_arrays(gate, data):
    x = data.draw(arrays(data.draw(small_shapes)))
    assume(checkable(gate, x))
    assert_passes(gate, x)


@pytest.mark.parametrize(
    "gate", [G.LogGate(), G.ReciprocalGate(), G.PowerGate(-1.5), G.PowerGate(0.5)], ids=repr
)
@given(data=st.data())
def test_positive_domain_gates_arrays(gate, data):
    x = data.draw(arrays(data.draw(small_shapes), positive))
    assert_passes(gate, x)


@given(data=st.data())
def test_relu_gate_arrays(data):
    x = data.draw(arrays(data.draw(small_shapes)))
    assume(far_from(x, 0.0))
    report = assert_passes(G.ReLUGate(), x)
    assert np.all(report.analytic[0][x < 0] == 0)


@given(data=st.data())
def test_sum_and_mean_over_an_axis(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays(shape))
    assert_passes(G.SumGate(axis), x)
    assert_passes(G.MeanGate(axis), x)


@given(data=st.data())
def test_matmul_gate_all_ranks(data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    left = data.draw(st.sampled_from([(n, k), (k,)]))
    right = data.draw(st.sampled_from([(k, m), (k,)]))
    x, y = data.draw(arrays(left)), data.draw(arrays(right))
    report = assert_passes(G.MatMulGate(), x, y)
    assert report.analytic[0].shape == x.shape and report.analytic[1].shape == y.shape


# --- the lecture API itself ---------------------------------------------------------


def test_multiply_gate_keeps_its_inputs_for_backward():
    gate = G.MultiplyGate()
    assert gate.forward(3.0, -4.0) == -12.0
    assert gate.inputs == (3.0, -4.0)
    assert gate.backward(2.0) == (-8.0, 6.0)


def test_unary_backward_returns_one_gradient_and_binary_a_pair():
    s = G.SigmoidGate()
    out = s.forward(0.0)
    assert out == 0.5
    assert s.backward(1.0) == 0.25
    assert isinstance(G.AddGate().forward(1.0, 2.0), float)


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        G.ExpGate().backward(1.0)


def test_backward_with_a_wrong_upstream_shape_names_both_shapes():
    gate = G.ExpGate()
    gate.forward(np.zeros((2, 3)))
    with pytest.raises(G.ShapeError, match=r"\(3,\).*\(2, 3\)"):
        gate.backward(np.ones(3))


def test_forward_checks_the_number_of_inputs():
    with pytest.raises(TypeError, match="takes 2 input"):
        G.AddGate().forward(1.0)


def test_check_gate_catches_a_wrong_derivative():
    class WrongSigmoid(G.SigmoidGate):
        @staticmethod
        def vjp(dz, z, x):
            return dz * z  # forgot the (1 - z) factor

    report = check_gate(WrongSigmoid(), np.linspace(-2, 2, 5))
    assert not report.passed
    assert "FAILED" in str(report)


def test_sigmoid_is_stable_for_huge_inputs():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert G.sigmoid(-1000.0) == 0.0 and G.sigmoid(1000.0) == 1.0
        out = G.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert 0.0 <= out[0] < 1e-300 and out[1] == 0.5 and out[2] == 1.0  # e^-1000 underflows
    x = np.array([-700.0, -30.0, -1.0])
    np.testing.assert_allclose(G.sigmoid(x), np.exp(x) / (1 + np.exp(x)), rtol=1e-15)  # exact in the tail
    assert G.sigmoid(-745.0) > 0  # e^-745 is the smallest subnormal; the naive form gives 0/inf


def test_reduce_to_shape_undoes_broadcasting():
    g = np.ones((4, 2, 3))
    assert G.reduce_to_shape(g, np.zeros((2, 1))).shape == (2, 1)
    np.testing.assert_array_equal(G.reduce_to_shape(g, np.zeros((1, 3))), np.full((1, 3), 8.0))
    assert G.reduce_to_shape(g, 0.0) == 24.0
