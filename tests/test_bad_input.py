"""Bad input gets a clear error or warning that names the problem."""

import numpy as np
import pytest

from coursekit import Graph, NumericalWarning, ShapeError, Value
from coursekit import gates as G


@pytest.mark.parametrize("bad", ["3", None, 1 + 2j, {"a": 1}, ["a", "b"], np.array(["x"])])
def test_non_numeric_data_is_rejected(bad):
    with pytest.raises(TypeError, match="expected"):
        Value(bad)


def test_non_numeric_operand_is_rejected():
    with pytest.raises(TypeError, match="got str"):
        Value(1.0) + "2"


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "AddGate"),
        (lambda a, b: a * b, "MultiplyGate"),
        (lambda a, b: a - b, "SubtractGate"),
        (lambda a, b: a / b, "DivideGate"),
        (lambda a, b: a.max(b), "MaxGate"),
    ],
)
def test_mismatched_shapes_name_the_gate_and_both_shapes(op, name):
    a, b = Value(np.ones((2, 3))), Value(np.ones((4,)))
    with pytest.raises(ShapeError, match=rf"{name}.*\(2, 3\) and \(4,\)"):
        op(a, b)


def test_matmul_shape_mismatch():
    with pytest.raises(ShapeError, match=r"MatMulGate: shapes \(2, 3\) and \(2,\) do not align"):
        Value(np.ones((2, 3))) @ Value(np.ones(2))
    with pytest.raises(ShapeError, match="1-D or 2-D"):
        Value(1.0) @ Value(np.ones(2))


@pytest.mark.parametrize("x", [0.0, -1.0, np.array([1.0, -2.0])])
def test_log_of_non_positive_numbers(x):
    with pytest.raises(ValueError, match="LogGate: log of a non-positive number"):
        Value(x).log()


def test_division_by_zero_names_the_gate():
    with pytest.raises(ZeroDivisionError, match="DivideGate"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError, match="ReciprocalGate"):
        1 / Value(0.0)


def test_negative_base_with_fractional_power():
    with pytest.raises(ValueError, match="PowerGate: a negative base"):
        Value(-4.0) ** 0.5


def test_power_needs_a_number_exponent():
    with pytest.raises(TypeError, match="exponent must be a number"):
        Value(2.0) ** Value(3.0)


@pytest.mark.parametrize(
    "make, gate",
    [
        (lambda: Value(1000.0).exp(), "ExpGate"),
        (lambda: Value(1e200) * Value(1e200), "MultiplyGate"),
        (lambda: Value(np.array([1.0, 0.0])) / Value(np.array([0.0, 0.0])), "DivideGate"),
        (lambda: Value(np.array([800.0])).exp(), "ExpGate"),
    ],
)
def test_nan_or_inf_warns_naming_the_gate(make, gate):
    with pytest.warns(NumericalWarning, match=gate):
        make()


def test_nan_inputs_do_not_warn_again_downstream():
    import warnings

    with pytest.warns(NumericalWarning):
        y = Value(1000.0).exp()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y * 2.0  # already infinite: no second warning


def test_unknown_input_name_in_graph_forward():
    g = Graph.trace(lambda x, y: x * y, x=1.0, y=2.0)
    with pytest.raises(KeyError, match="'z'"):
        g.forward(z=3.0)


def test_backward_on_non_scalar_without_upstream():
    y = Value(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"non-scalar Value of shape \(2, 3\) needs the upstream"):
        y.backward()


def test_backward_with_wrong_upstream_shape():
    y = Value(np.ones((2, 3))) * 2.0
    with pytest.raises(ShapeError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))


def test_truth_value_and_iteration_are_refused():
    with pytest.raises(TypeError, match="compare v.data"):
        bool(Value(1.0))
    with pytest.raises(TypeError, match="not iterable"):
        list(Value(np.ones(2)))


def test_sum_axis_out_of_range():
    with pytest.raises(ShapeError, match="axis 2"):
        Value(np.ones((2, 2))).sum(axis=2)


def test_gate_forward_validates_like_value():
    with pytest.raises(ShapeError, match="AddGate"):
        G.AddGate().forward(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="AddGate"):
        G.AddGate().forward("a", 1.0)
