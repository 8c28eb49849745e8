"""The Value engine: operations, gradient rules, broadcasting, big graphs."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit import Value, maximum
from coursekit.gradcheck import numerical_gradient, rel_error

reals = st.floats(-2, 2, allow_nan=False)


def grads_of(fn, *xs):
    """Analytic gradients of a scalar Value function at the floats or arrays xs."""
    vs = [Value(x) for x in xs]
    out = fn(*vs)
    out.backward()
    return [v.grad for v in vs]


def numerical_grads_of(fn, *xs):
    result = []
    for i, x in enumerate(xs):

        def f(xi, i=i):
            args = [Value(a) for a in xs]
            args[i] = Value(xi)
            return fn(*args).data

        result.append(numerical_gradient(f, x))
    return result


COMPOSITES = {
    "reflected": lambda a, b: 2 * a + 1 / b.exp() - 3 - (10.0 / (b * b + 1)) + 5 - a,
    "powers": lambda a, b: (a * a + 1) ** 0.5 * b**2 - (b * b + 2) ** -1.5,
    "activations": lambda a, b: (a * b).tanh() + (a - b).sigmoid() + (a * 3).relu() * b,
    "log_exp": lambda a, b: ((a * a + 1).log() * b.exp()) / (b * b + 2),
    "max": lambda a, b: a.max(b) * a + maximum(b, 0.5) * b - maximum(1.0, a),
    "branches": lambda a, b: (a * b) * (a * b) + (a * b).exp() - a * a * a,
}


@pytest.mark.parametrize("name", COMPOSITES)
@given(a=reals, b=reals)
def test_composites_match_numerical_gradients(name, a, b):
    fn = COMPOSITES[name]
    if name == "max" and (abs(a - b) < 1e-3 or abs(b - 0.5) < 1e-3 or abs(a - 1) < 1e-3):
        return  # kinks of max
    if name == "activations" and abs(a) < 1e-3:
        return  # kink of relu
    analytic = grads_of(fn, a, b)
    numerical = numerical_grads_of(fn, a, b)
    for g, n in zip(analytic, numerical):
        assert abs(g - n) <= 1e-6 * max(1.0, abs(n)), (g, n)


@given(data=st.data())
def test_array_expression_with_broadcasting(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2, max_side=3))
    x = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=reals))
    y = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=reals))

    def fn(a, b):
        return ((a * b + a).sigmoid() * (b - 1.5).exp() + (a / (b * b + 1)).tanh()).sum()

    for g, n, inp in zip(grads_of(fn, x, y), numerical_grads_of(fn, x, y), (x, y)):
        assert g.shape == inp.shape
        assert rel_error(g, n) < 1e-7


def test_matmul_mean_transpose_and_sum_axis():
    rng = np.random.default_rng(0)
    W, X, b = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(3)

    def fn(w, x, bias):
        h = (x @ w.T + bias).relu()  # (5, 3), bias broadcast over rows
        return (h.sum(axis=0) * h.mean(axis=1).sum()).mean()

    for g, n in zip(grads_of(fn, W, X, b), numerical_grads_of(fn, W, X, b)):
        assert rel_error(g, n) < 1e-7


def test_scalar_times_array_sums_the_gradient_back():
    s, a = Value(2.0), Value(np.arange(3.0))
    (s * a).sum().backward()
    assert s.grad == 3.0  # 0 + 1 + 2
    np.testing.assert_array_equal(a.grad, [2.0, 2.0, 2.0])


def test_a_value_on_several_branches_gets_the_sum():
    x = Value(3.0)
    y = x * x + x  # x feeds three places
    y.backward()
    assert x.grad == 2 * 3.0 + 1


def test_backward_twice_accumulates_in_the_inputs_only():
    x, y = Value(2.0), Value(-1.0)
    q = x * y
    f = q + x
    f.backward()
    assert (x.grad, q.grad) == (0.0, 1.0)  # df/dx = y + 1 = 0
    f.backward()
    assert y.grad == 4.0  # 2 + 2: inputs accumulate like PyTorch's leaves
    assert q.grad == 1.0  # intermediate values show the latest pass
    f.zero_grad()
    assert (x.grad, y.grad, q.grad, f.grad) == (0.0, 0.0, 0.0, 0.0)


def test_in_place_add_builds_a_new_node():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a
    c += b
    c *= 3
    c -= a
    c /= 2
    c.backward()
    assert a.data == 1.0 and c.data == 4.0
    assert a.grad == 1.0 and b.grad == 1.5  # c = (3(a + b) - a) / 2


def test_numpy_scalars_and_ints_work_on_either_side():
    x = Value(2)
    assert isinstance(x.data, float)
    y = np.float64(3.0) * x + np.int64(1)
    assert isinstance(y, Value) and y.data == 7.0
    y.backward()
    assert x.grad == 3.0


def test_non_scalar_backward_with_upstream():
    x = Value(np.array([1.0, -2.0, 3.0]))
    y = x * x
    y.backward(np.array([1.0, 0.5, 0.0]))
    np.testing.assert_array_equal(x.grad, [2.0, -2.0, 0.0])


def test_value_copies_the_array_it_is_given():
    arr = np.ones(3)
    v = Value(arr)
    arr[0] = 5.0
    assert v.data[0] == 1.0


def test_graph_nodes_are_in_topological_order():
    x = Value(1.0)
    y = (x * 2).exp() + x
    order = {v: i for i, v in enumerate(y.graph_nodes())}
    for v in order:
        for p in v.parents:
            assert order[p] < order[v]


def test_exp_overflow_gives_inf_with_a_warning_naming_the_gate():
    from coursekit import NumericalWarning

    with pytest.warns(NumericalWarning, match="ExpGate"):
        y = Value(1000.0).exp()
    assert y.data == math.inf


def test_million_node_chain_backprops_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
