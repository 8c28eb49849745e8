"""The engine (Value, gates, Graph) under bad input: no silent wrong answer, every error names the problem.

One test per case: the input, the error type and words its message must contain, or the
documented result. The property tests at the end check the gradients of indexing, slicing,
stack and concatenate against numerical gradients.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import coursekit
from coursekit import Graph, ShapeError, Value, concatenate, maximum, stack
from coursekit import gates as G
from coursekit.gradcheck import check_gate, numerical_gradient, rel_error

nan, inf = math.nan, math.inf


# --- a scalar Value with a numpy array operand ------------------------------------------------

ARRAY_OPS = {
    "v * a": (lambda v, a: v * a, lambda s, a: s * a),
    "v + a": (lambda v, a: v + a, lambda s, a: s + a),
    "v - a": (lambda v, a: v - a, lambda s, a: s - a),
    "v / a": (lambda v, a: v / a, lambda s, a: s / a),
    "a * v": (lambda v, a: a * v, lambda s, a: a * s),
    "a + v": (lambda v, a: a + v, lambda s, a: a + s),
    "a - v": (lambda v, a: a - v, lambda s, a: a - s),
    "a / v": (lambda v, a: a / v, lambda s, a: a / s),
}


@pytest.mark.parametrize("name", ARRAY_OPS)
def test_scalar_value_with_an_array_operand_broadcasts(name):
    op, reference = ARRAY_OPS[name]
    a = np.array([1.0, 2.0, 4.0])
    v = Value(2.0)
    out = op(v, a)
    assert type(out) is Value and out.shape == (3,)  # one array Value, not an object array
    np.testing.assert_allclose(out.data, reference(2.0, a))
    out.sum().backward()
    assert type(v.grad) is float  # reduced to the scalar's shape
    expected = numerical_gradient(lambda s: float(np.sum(reference(s, a))), 2.0)
    assert v.grad == pytest.approx(expected, rel=1e-8)


def test_scalar_value_with_a_2d_array_and_a_0d_array():
    v = Value(3.0)
    out = np.ones((2, 3)) * v
    assert out.shape == (2, 3)
    out.sum().backward()
    assert v.grad == 6.0
    assert type(Value(3.0) * np.array(2.0)).__name__ == "Value"
    assert (Value(3.0) * np.array(2.0)).data == 6.0


def test_array_value_with_an_array_operand_keeps_working():
    x = Value(np.ones(3))
    y = np.arange(3.0) * x + np.ones(3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 2.0])


def test_array_operand_with_mismatched_shape_names_both_shapes():
    with pytest.raises(ShapeError, match=r"MultiplyConstantGate.*\(2, 3\) and \(4,\)"):
        Value(np.ones((2, 3))) * np.ones(4)


def test_division_by_an_array_with_a_zero_gives_inf_with_a_warning():
    with pytest.warns(coursekit.NumericalWarning, match="produced NaN or infinity"):
        out = Value(1.0) / np.array([0.0, 2.0])
    assert out.data[0] == inf and out.data[1] == 0.5


def test_rpow_with_a_positive_number():
    x = Value(3.0)
    y = 2**x
    assert y.data == pytest.approx(8.0)
    y.backward()
    assert x.grad == pytest.approx(8.0 * math.log(2.0))


@pytest.mark.parametrize("base", [-2.0, 0.0])
def test_rpow_with_a_non_positive_base(base):
    with pytest.raises(ValueError, match="positive number c"):
        base ** Value(2.0)


# --- NaN, the same for numbers and arrays, following numpy ----------------------------------


@pytest.mark.parametrize(
    "op",
    [
        lambda v: v.exp(),
        lambda v: v.relu(),
        lambda v: v.sigmoid(),
        lambda v: v.tanh(),
        lambda v: v.leaky_relu(0.1),
        lambda v: v.elu(1.0),
        lambda v: v.max(1.0),
        lambda v: Value(1.0).max(v) if v.shape == () else Value(np.ones(1)).max(v),
        lambda v: maximum(v, 0.0),
    ],
    ids=["exp", "relu", "sigmoid", "tanh", "leaky_relu", "elu", "max(nan, 1)", "max(1, nan)", "maximum"],
)
def test_nan_gives_nan_for_numbers_and_arrays(op):
    assert math.isnan(op(Value(nan)).data)
    assert np.isnan(op(Value(np.array([nan]))).data).all()


UNARY = ["sin", "cos", "exp", "log", "tanh", "sigmoid", "relu", "elu", "leaky_relu"]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("x", [inf, -inf, nan], ids=["inf", "-inf", "nan"])
def test_numbers_and_arrays_agree_on_nan_and_inf(op, x):
    if op == "log" and x == -inf:
        return  # an error for both, tested in test_bad_input.py
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v, w = Value(x), Value(np.array([x]))
        y, z = getattr(v, op)(), getattr(w, op)()
        y.backward()
        z.backward(np.ones(1))
    np.testing.assert_array_equal([y.data, v.grad], [z.data[0], w.grad[0]])  # NaN == NaN here


def test_sin_of_inf_is_nan_not_a_math_domain_error():
    x = Value(inf)
    y = x.sin()
    assert math.isnan(y.data) and math.isnan(Value(-inf).cos().data)
    y.backward()
    assert math.isnan(x.grad)  # cos(inf) is NaN too


def test_exp_of_nan_is_nan_not_inf():
    assert math.isnan(Value(nan).exp().data)
    assert Value(inf).exp().data == inf
    assert Value(-inf).exp().data == 0.0


def test_relu_of_nan_is_nan_like_np_maximum():
    assert math.isnan(Value(nan).relu().data)
    assert np.isnan(np.maximum(nan, 0.0))


@pytest.mark.parametrize("x, y", [(nan, 1.0), (1.0, nan), (nan, nan)])
def test_max_propagates_nan_both_ways(x, y):
    assert math.isnan(Value(x).max(y).data)
    assert np.isnan(Value(np.array([x])).max(np.array([y])).data).all()


@pytest.mark.parametrize("x, y, to_x", [(nan, 1.0, True), (1.0, nan, False), (nan, nan, True)])
def test_max_routes_the_gradient_to_the_nan_input(x, y, to_x):
    for a, b in ((Value(x), Value(y)), (Value(np.array([x])), Value(np.array([y])))):
        out = a.max(b)
        out.backward(np.ones(out.shape) if out.shape else None)
        assert float(np.sum(a.grad)) == (1.0 if to_x else 0.0)
        assert float(np.sum(b.grad)) == (0.0 if to_x else 1.0)


def test_relu_passes_the_gradient_where_the_input_is_nan():
    for x in (Value(nan), Value(np.array([nan, -1.0, 2.0]))):
        out = x.relu()
        out.backward(np.ones(out.shape) if out.shape else None)
        np.testing.assert_array_equal(np.atleast_1d(x.grad), [1.0, 0.0, 1.0][: np.size(x.data)])


def test_nan_input_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Value(nan).exp()
        Value(np.array([nan])).log()


# --- equality and ordering ----------------------------------------------------------------------


def test_value_equals_only_itself_and_hashes_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and not (a == b)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


@pytest.mark.parametrize("other", [1.0, 1, np.float64(1.0), np.ones(2), True])
def test_value_equals_a_number_is_a_type_error_saying_compare_data(other):
    with pytest.raises(TypeError, match=r"compare its data.*v\.data =="):
        Value(1.0) == other  # noqa: B015
    with pytest.raises(TypeError, match="compare its data"):
        other == Value(1.0)  # noqa: B015 - reflected, numpy arrays too
    with pytest.raises(TypeError, match="compare its data"):
        Value(1.0) != other  # noqa: B015


def test_value_equals_other_objects_is_false():
    assert (Value(1.0) == None) is False  # noqa: E711
    assert Value(1.0) != "x"
    assert Value(1.0) not in [None, "a"]


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_ordering_is_refused_with_a_hint(op):
    with pytest.raises(TypeError, match=rf"Value \{op} float.*compare v\.data"):
        eval(f"Value(1.0) {op} 2.0")
    with pytest.raises(TypeError, match="cannot be ordered"):
        eval(f"Value(1.0) {op} Value(2.0)")


def test_float_of_a_value_says_use_data():
    with pytest.raises(TypeError, match=r"use v\.data"):
        float(Value(1.0))
    with pytest.raises(TypeError, match=r"v\.exp\(\)"):
        math.exp(Value(1.0))


# --- constructors and conversions ---------------------------------------------------------------


def test_value_of_a_value_says_use_it_or_its_data():
    with pytest.raises(TypeError, match=r"got a Value.*v\.data"):
        Value(Value(1.0))


def test_ragged_list_is_a_shape_error_with_row_lengths():
    with pytest.raises(ShapeError, match=r"rectangular.*different lengths \(2, 1\)"):
        Value([[1.0, 2.0], [3.0]])


def test_list_of_values_points_to_stack():
    with pytest.raises(TypeError, match=r"list of Values.*stack"):
        Value([Value(1.0), Value(2.0)])


@pytest.mark.parametrize("label", [3, None, b"x"])
def test_label_must_be_a_string(label):
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label)


def test_complex_array_is_rejected():
    with pytest.raises(TypeError, match="dtype complex128"):
        Value(np.ones(2, dtype=complex))


def test_nan_and_inf_data_are_accepted_as_numbers():
    assert math.isnan(Value(nan).data) and Value(-inf).data == -inf


# --- empty inputs -------------------------------------------------------------------------------


def test_mean_of_an_empty_array_names_the_operation_and_shape():
    message = r"MeanGate: mean over all entries of an empty array of shape \(0, 3\)"
    with pytest.raises(ValueError, match=message):
        Value(np.ones((0, 3))).mean()


def test_mean_over_an_empty_axis():
    with pytest.raises(ValueError, match=r"MeanGate: mean over axis 0 of an empty array of shape \(0, 3\)"):
        Value(np.ones((0, 3))).mean(axis=0)


def test_mean_over_a_non_empty_axis_of_an_empty_array_is_empty():
    assert Value(np.ones((0, 3))).mean(axis=1).shape == (0,)


def test_sum_of_an_empty_array_is_zero_like_numpy():
    out = Value(np.ones((0, 3))).sum()
    assert out.data == 0.0
    out.backward()


def test_mean_gate_forward_on_an_empty_array():
    with pytest.raises(ValueError, match="empty array"):
        G.MeanGate().forward(np.ones(0))


def test_empty_matmul_is_zeros():
    np.testing.assert_array_equal((Value(np.ones((3, 0))) @ Value(np.ones(0))).data, np.zeros(3))


# --- axes and parameters ------------------------------------------------------------------------


def test_sum_with_an_axis_on_a_number():
    with pytest.raises(ShapeError, match=r"axis 0 is out of range for shape \(\).*only None"):
        Value(1.0).sum(axis=0)


@pytest.mark.parametrize("axis", ["a", 1.5, True, (0,)])
def test_sum_axis_must_be_an_int(axis):
    with pytest.raises(TypeError, match="SumGate: axis must be an int or None"):
        Value(np.ones((2, 2))).sum(axis=axis)


def test_mean_axis_out_of_range_lists_the_valid_axes():
    with pytest.raises(ShapeError, match=r"MeanGate: axis -3 .*\(2, 2\); valid axes: -2 to 1"):
        Value(np.ones((2, 2))).mean(axis=-3)


@pytest.mark.parametrize("p", [nan, inf, -inf])
def test_power_needs_a_finite_exponent(p):
    with pytest.raises(ValueError, match="exponent must be a finite number"):
        Value(2.0) ** p


@pytest.mark.parametrize(
    "slope, error", [("a", TypeError), (nan, ValueError), (1.0, ValueError), (-0.1, ValueError)]
)
def test_leaky_relu_slope(slope, error):
    with pytest.raises(error, match="LeakyReLUGate: slope must be"):
        Value(1.0).leaky_relu(slope)


@pytest.mark.parametrize(
    "alpha, error", [("a", TypeError), (nan, ValueError), (0.0, ValueError), (-1, ValueError)]
)
def test_elu_alpha(alpha, error):
    with pytest.raises(error, match="ELUGate: alpha must be"):
        Value(1.0).elu(alpha)


def test_backward_with_a_0d_upstream_on_a_number_keeps_a_float_gradient():
    x = Value(2.0)
    (x * 3.0).backward(np.array(1.0))
    assert type(x.grad) is float and x.grad == 3.0


def test_backward_with_a_non_numeric_upstream():
    with pytest.raises(TypeError, match="Value.backward: expected a number"):
        (Value(1.0) * 2.0).backward("1")


# --- gates: the lecture API -------------------------------------------------------------------

ALL_GATES = [
    G.AddGate(),
    G.MultiplyGate(),
    G.DivideGate(),
    G.MaxGate(),
    G.MatMulGate(),
    G.AddConstantGate(1.0),
    G.PowerGate(2),
    G.ExpGate(),
    G.ReLUGate(),
    G.SumGate(0),
    G.MeanGate(),
    G.IndexGate(0),
    G.StackGate(3),
    G.ConcatenateGate(2),
]


@pytest.mark.parametrize("gate", ALL_GATES, ids=repr)
def test_backward_before_forward_is_a_runtime_error(gate):
    with pytest.raises(RuntimeError, match=rf"{gate.name}.backward called before forward"):
        gate.backward(1.0)


@pytest.mark.parametrize("gate", ALL_GATES, ids=repr)
def test_local_gradients_before_forward_is_a_runtime_error(gate):
    with pytest.raises(RuntimeError, match="local_gradients called before forward"):
        gate.local_gradients()


def test_local_gradients_of_an_array_gate_points_to_backward():
    gate = G.MatMulGate()
    gate.forward(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ShapeError, match=r"Jacobian.*backward\(upstream\)"):
        gate.local_gradients()


def test_gate_forward_with_the_wrong_number_of_inputs():
    with pytest.raises(TypeError, match="StackGate.forward takes 3 input"):
        G.StackGate(3).forward(1.0, 2.0)


def test_gate_forward_with_a_string():
    with pytest.raises(TypeError, match="ExpGate: expected a number"):
        G.ExpGate().forward("1")


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_stack_gate_needs_a_positive_number_of_inputs(n):
    with pytest.raises(ValueError, match="StackGate: needs at least one input"):
        G.StackGate(n)


def test_constant_gate_with_a_string():
    with pytest.raises(TypeError, match="AddConstantGate: expected a number"):
        G.AddConstantGate("1")


# --- indexing -------------------------------------------------------------------------------------


def test_index_an_entry_gives_a_number_and_scatters_the_gradient():
    x = Value(np.arange(6.0).reshape(2, 3))
    y = x[1, 2]
    assert type(y.data) is float and y.data == 5.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [0, 0, 1]])


def test_repeated_indices_add_their_gradients():
    x = Value(np.arange(3.0))
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_mask_and_column_indexing():
    x = Value(np.array([[1.0, -2.0], [3.0, -4.0]]))
    (x[x.data > 0].sum() + 10 * x[:, 1].sum()).backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 10.0], [1.0, 10.0]])


def test_index_result_is_a_copy():
    x = Value(np.arange(3.0))
    y = x[:2]
    x.data[0] = 100.0
    assert y.data[0] == 0.0


def test_index_out_of_range_names_the_index_and_shape():
    with pytest.raises(IndexError, match=r"IndexGate: index \[3\] does not fit shape \(3,\).*out of bounds"):
        Value(np.ones(3))[3]


def test_index_negative_out_of_range():
    with pytest.raises(IndexError, match=r"index \[-4\] does not fit shape \(3,\)"):
        Value(np.ones(3))[-4]


def test_too_many_indices():
    with pytest.raises(IndexError, match=r"index \[0, 0\] does not fit shape \(3,\).*too many indices"):
        Value(np.ones(3))[0, 0]


def test_mask_of_the_wrong_length():
    with pytest.raises(IndexError, match=r"index \[mask\(2,\)\] does not fit shape \(3,\)"):
        Value(np.ones(3))[np.array([True, False])]


def test_indexing_a_number():
    with pytest.raises(TypeError, match=r"IndexGate: cannot index a number \(shape \(\)\)"):
        Value(1.0)[0]


@pytest.mark.parametrize("index", [1.0, "a", {0}])
def test_index_of_a_wrong_type(index):
    with pytest.raises(TypeError, match="IndexGate: an index must be an int, a slice"):
        Value(np.ones(3))[index]


def test_float_index_array():
    with pytest.raises(TypeError, match=r"dtype float64 \(convert with .astype\(int\)\)"):
        Value(np.ones(3))[np.array([0.0])]


def test_value_as_an_index():
    with pytest.raises(TypeError, match="a Value cannot be an index"):
        Value(np.ones(3))[Value(1.0)]


def test_bare_boolean_index():
    with pytest.raises(TypeError, match="bare True/False"):
        Value(np.ones(3))[True]


def test_empty_index_list_gives_an_empty_value():
    x = Value(np.ones(3))
    y = x[[]]
    assert y.shape == (0,)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3))


def test_graph_records_indexing_as_a_step():
    g = Graph.trace(lambda x: (x[0] * x[[1, 1]]).sum(), x=np.array([2.0, 3.0]))
    np.testing.assert_array_equal(g.backward()["x"], [6.0, 4.0])
    assert any(isinstance(s.gate, G.IndexGate) for s in g.steps)
    assert "[1,1]" in g.describe().replace(" ", "")


# --- stack and concatenate ----------------------------------------------------------------------


def test_stack_numbers_into_an_array():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    s = stack([a, b, c])
    assert s.shape == (3,)
    (s * np.array([1.0, 10.0, 100.0])).sum().backward()
    assert (a.grad, b.grad, c.grad) == (1.0, 10.0, 100.0)


def test_stack_accepts_numbers_and_arrays_with_values():
    s = stack([Value(np.ones(2)), np.zeros(2)], axis=1)
    assert s.shape == (2, 2)


def test_stack_of_different_shapes_names_both():
    with pytest.raises(ShapeError, match=r"StackGate.*input 0 has shape \(2,\), input 1 has shape \(3,\)"):
        stack([Value(np.ones(2)), Value(np.ones(3))])


def test_stack_of_an_empty_list():
    with pytest.raises(ValueError, match="stack: needs at least one value"):
        stack([])


@pytest.mark.parametrize("values", [Value(np.ones(2)), np.ones(2), (v for v in [Value(1.0)])])
def test_stack_needs_a_list(values):
    with pytest.raises(TypeError, match="stack: values must be a list or tuple"):
        stack(values)


def test_stack_of_a_string_names_its_position():
    with pytest.raises(TypeError, match=r"stack: values\[1\]: Value: expected a number"):
        stack([Value(1.0), "x"])


def test_stack_axis_out_of_range():
    with pytest.raises(ShapeError, match=r"StackGate: axis 2 is out of range.*valid axes: -2 to 1"):
        stack([Value(np.ones(2))], axis=2)


def test_stack_axis_must_be_an_int():
    with pytest.raises(TypeError, match="StackGate: axis must be an int"):
        stack([Value(1.0)], axis="0")


def test_concatenate_numbers_points_to_stack():
    with pytest.raises(ShapeError, match="ConcatenateGate: input 0 is a number.*use stack"):
        concatenate([Value(1.0), Value(2.0)])


def test_concatenate_mismatched_shapes():
    with pytest.raises(ShapeError, match=r"input 0 has shape \(2, 3\), input 1 has shape \(2, 2\).*axis 0"):
        concatenate([Value(np.ones((2, 3))), Value(np.ones((2, 2)))])


def test_concatenate_different_ndim():
    with pytest.raises(ShapeError, match=r"input 1 has shape \(3,\)"):
        concatenate([Value(np.ones((2, 3))), Value(np.ones(3))])


def test_concatenate_axis_out_of_range():
    with pytest.raises(ShapeError, match=r"ConcatenateGate: axis 2 is out of range.*-2 to 1"):
        concatenate([Value(np.ones((2, 3)))], axis=2)


def test_graph_records_stack_and_concatenate_as_steps():
    def fn(a, b, c):
        return (stack([a, b, c]).sum() + concatenate([a, b, c]).sum() * 2) * 1.0

    g = Graph.trace(fn, a=np.ones(2), b=np.ones(2), c=np.ones(2))
    grads = g.backward()
    for name in "abc":
        np.testing.assert_array_equal(grads[name], [3.0, 3.0])
    kinds = {type(s.gate) for s in g.steps}
    assert {G.StackGate, G.ConcatenateGate} <= kinds
    stack_step = next(s for s in g.steps if isinstance(s.gate, G.StackGate))
    assert stack_step.inputs == ("a", "b", "c") and len(stack_step.downstream) == 3
    # 7 gates to their nodes, and 12 wires: 3 into stack, 3 into concatenate
    assert g.to_dot().count("->") == 7 + 12


def test_stack_and_concatenate_are_exported():
    assert coursekit.stack is stack and coursekit.concatenate is concatenate
    assert "stack" in coursekit.__all__ and "concatenate" in coursekit.__all__


# --- Graph --------------------------------------------------------------------------------------


def test_graph_of_a_number():
    with pytest.raises(TypeError, match="Graph needs an output Value.*got float"):
        Graph(3.0)


def test_trace_of_a_non_function():
    with pytest.raises(TypeError, match="fn must be a function"):
        Graph.trace(3)


def test_trace_of_a_function_with_star_args():
    with pytest.raises(TypeError, match=r"takes \*xs; give it one named parameter per input"):
        Graph.trace(lambda *xs: xs[0])


def test_trace_with_a_string_input_names_the_input():
    with pytest.raises(TypeError, match=r"Graph.trace: input 'x': Value: expected a number"):
        Graph.trace(lambda x: x * 2, x="1")


def test_graph_forward_with_a_string():
    g = Graph.trace(lambda x: x * 2, x=1.0)
    with pytest.raises(TypeError, match=r"Graph.forward\(x=...\): expected a number"):
        g.forward(x="1")


def test_graph_forward_unknown_input_changes_nothing():
    g = Graph.trace(lambda x, y: x * y, x=1.0, y=2.0)
    with pytest.raises(KeyError, match="unknown input 'z'"):
        g.forward(x=5.0, z=1.0)
    assert g.inputs["x"].data == 1.0


def test_graph_backward_with_a_wrong_upstream_shape():
    g = Graph.trace(lambda x: x * 2, x=1.0)
    with pytest.raises(ShapeError, match=r"Graph.backward: upstream gradient has shape \(2,\)"):
        g.backward(np.ones(2))


def test_graph_names_and_gates_of_a_foreign_value():
    g = Graph.trace(lambda x: x * 2, x=1.0)
    with pytest.raises(KeyError, match="not a node of this graph"):
        g.names[Value(1.0)]
    with pytest.raises(KeyError, match="is an input of the graph: it has no gate"):
        g.gates[g.inputs["x"]]


def test_graph_step_out_of_range():
    g = Graph.trace(lambda x: x * 2, x=1.0)
    with pytest.raises(IndexError, match="step 0 out of range: the last backward pass has 0 steps"):
        g.steps[0]


def test_graph_steps_keep_the_pass_they_recorded():
    g = Graph.trace(lambda x: x * x, x=3.0)
    g.backward()
    g.forward(x=5.0)
    (step,) = g.steps
    assert step.upstream == 1.0 and step.downstream == (3.0, 3.0)


def test_graph_names_follow_the_lecture():
    g = Graph.trace(lambda x: (x * 2).exp() + 1.0, x=0.5)
    assert [g.names[v] for v in g.nodes] == ["x", "n1", "n2", "f"]
    assert len(g.gates) == 3 and len(g.names) == 4


def test_graph_backward_on_a_nan_input():
    g = Graph.trace(lambda x: (x * 2.0).relu(), x=nan)
    assert g.backward() == {"x": 2.0}  # relu routes the gradient to the NaN input


# --- property tests: gradients of indexing, stack, concatenate -------------------------------

# Magnitudes in [0.1, 3], as in test_gates.py: a finite difference cannot judge a gradient
# entry far smaller than the function's value. Weights are positive, so the gradients of
# repeated picks (sums of weights) do not cancel to rounding residue either.
reals = st.one_of(st.floats(-3, -0.1), st.floats(0.1, 3))
positive = st.floats(0.1, 3)


def arrays(shape, elements=reals):
    return hnp.arrays(np.float64, shape, elements=elements)


def check_value_gradient(fn, x, weights):
    """d sum(weights * fn(x)) / dx by the engine against centred differences."""
    v = Value(x)
    out = fn(v)
    (out * weights).sum().backward() if out.shape else (out * float(weights)).backward()
    numerical = numerical_gradient(lambda xi: float(np.sum(fn(Value(xi)).data * weights)), x)
    assert v.grad.shape == x.shape
    assert rel_error(v.grad, numerical) < 1e-7


@st.composite
def array_and_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    x = draw(arrays(shape))
    kind = draw(st.sampled_from(["basic", "ints", "mask"]))
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    elif kind == "ints":
        n = draw(st.integers(0, 6))  # repeats are likely: up to 6 picks from at most 4 rows
        rows = st.integers(-shape[0], shape[0] - 1)
        index = np.array(draw(st.lists(rows, min_size=n, max_size=n)), dtype=int)
    else:
        index = draw(hnp.arrays(bool, shape))
    return x, index


@given(case=array_and_index(), data=st.data())
def test_indexing_gradient_matches_numerical(case, data):
    x, index = case
    out_shape = np.shape(x[index])
    weights = data.draw(arrays(out_shape, positive))
    check_value_gradient(lambda v: v[index], x, weights)


@given(data=st.data())
def test_repeated_integer_indices_gradient_counts_repeats(data):
    n = data.draw(st.integers(1, 4))
    x = data.draw(arrays((n, 2)))
    idx = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8)))
    v = Value(x)
    v[idx].sum().backward()
    counts = np.bincount(idx, minlength=n).astype(float)
    np.testing.assert_array_equal(v.grad, np.repeat(counts[:, None], 2, axis=1))
    check_value_gradient(lambda w: w[idx] * w[idx], x, np.ones((len(idx), 2)))


@given(data=st.data())
def test_index_gate_check_gate(data):
    x, index = data.draw(array_and_index())
    report = check_gate(G.IndexGate(index), x)
    assert report.passed, str(report)


@given(data=st.data())
def test_stack_gradient_matches_numerical(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    n = data.draw(st.integers(1, 4))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    xs = [data.draw(arrays(shape)) for _ in range(n)]
    xs = [float(x) if x.ndim == 0 else x for x in xs]
    report = check_gate(G.StackGate(n, axis), *xs)
    assert report.passed, str(report)
    # and through the engine, one input at a time
    weights = data.draw(arrays(np.stack(xs, axis=axis).shape, positive))
    for i in range(n):
        x = np.asarray(xs[i], dtype=float)

        def fn(v, i=i):
            return stack([v if j == i else Value(xs[j]) for j in range(n)], axis=axis)

        check_value_gradient(fn, x, weights) if x.ndim else None


@given(data=st.data())
def test_concatenate_gradient_matches_numerical(data):
    base = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.integers(-len(base), len(base) - 1))
    n = data.draw(st.integers(1, 4))
    xs = []
    for _ in range(n):
        shape = list(base)
        shape[axis] = data.draw(st.integers(0, 3))  # empty slabs too
        xs.append(data.draw(arrays(tuple(shape))))
    report = check_gate(G.ConcatenateGate(n, axis), *xs)
    assert report.passed, str(report)
    weights = data.draw(arrays(np.concatenate(xs, axis=axis).shape, positive))
    for i in range(n):

        def fn(v, i=i):
            return concatenate([v if j == i else Value(xs[j]) for j in range(n)], axis=axis)

        check_value_gradient(fn, xs[i], weights)


@given(data=st.data())
def test_stack_of_numbers_through_value_backward(data):
    n = data.draw(st.integers(1, 5))
    xs = [data.draw(reals) for _ in range(n)]
    w = np.array(data.draw(st.lists(reals, min_size=n, max_size=n)))
    vs = [Value(x) for x in xs]
    ((stack(vs) * w).sum() + stack(vs).mean()).backward()
    np.testing.assert_allclose([v.grad for v in vs], w + 1.0 / n, rtol=1e-12)
