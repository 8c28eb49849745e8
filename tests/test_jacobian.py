"""coursekit.jacobian: layout, the lessons' analytic Jacobians, VJPs and sizes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit import Value
from coursekit import jacobian as J

reals = st.floats(-3, 3, allow_nan=False)


@given(x=reals, y=reals)
def test_example_jacobian_matches_numerical(x, y):
    numerical = J.numerical_jacobian(lambda v: J.example_f(v[0], v[1]), [x, y])
    np.testing.assert_allclose(J.example_jacobian(x, y), numerical, atol=1e-8)


def test_layout_rows_are_outputs():
    W = np.arange(6.0).reshape(3, 2)  # R^2 -> R^3
    Jx = J.numerical_jacobian(lambda x: W @ x, np.ones(2))
    assert Jx.shape == (3, 2)
    np.testing.assert_allclose(Jx, J.matvec_jacobian_x(W), atol=1e-9)


@pytest.mark.parametrize(
    "fn, analytic",
    [
        (lambda v: v.relu(), J.relu_jacobian),
        (lambda v: v.sigmoid(), J.sigmoid_jacobian),
        (lambda v: v.exp() / v.exp().sum(), J.softmax_jacobian),
    ],
    ids=["relu", "sigmoid", "softmax"],
)
def test_engine_jacobians_match_the_formulas(fn, analytic):
    x = np.array([0.7, -1.2, 2.0, -0.1])
    exact = J.jacobian(fn, x)
    np.testing.assert_allclose(exact, analytic(x), atol=1e-12)
    numerical = J.numerical_jacobian(lambda a: fn(Value(a)), x)
    np.testing.assert_allclose(numerical, exact, atol=1e-8)


def test_elementwise_jacobians_are_diagonal():
    x = np.array([0.5, -1.0, 2.0])
    for Jm in (J.relu_jacobian(x), J.sigmoid_jacobian(x)):
        assert np.count_nonzero(Jm - np.diag(np.diag(Jm))) == 0
    assert np.count_nonzero(J.softmax_jacobian(x) - np.diag(np.diag(J.softmax_jacobian(x)))) == 6


def test_jacobian_of_Wx_with_respect_to_W():
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    numerical = J.numerical_jacobian(lambda w: w @ x, W)  # W flattened row-major
    np.testing.assert_allclose(J.matvec_jacobian_W(W, x), numerical, atol=1e-9)
    assert J.matvec_jacobian_W(W, x).shape == (3, 6)


def test_norm_sq_Wx_syllabus_numbers():
    r = J.norm_sq_Wx([[0.1, 0.5], [-0.3, 0.8]], [0.2, 0.4])
    np.testing.assert_allclose(r["q"], [0.22, 0.26], atol=1e-15)
    assert r["f"] == pytest.approx(0.116, abs=1e-15)
    np.testing.assert_allclose(r["grad_q"], [0.44, 0.52], atol=1e-15)
    np.testing.assert_allclose(r["grad_W"], [[0.088, 0.176], [0.104, 0.208]], atol=1e-15)
    np.testing.assert_allclose(r["grad_x"], [-0.112, 0.636], atol=1e-15)


def test_vjp_is_upstream_times_jacobian():
    rng = np.random.default_rng(1)
    x, up = rng.standard_normal(4), rng.standard_normal(4)
    fn = lambda v: v.tanh() * 2.0  # noqa: E731
    np.testing.assert_allclose(J.vjp(fn, x, up), up @ J.jacobian(fn, x), rtol=1e-14)


def test_jacobian_sizes_of_the_lesson():
    one = J.jacobian_size(4096, 4096)
    assert (one.rows, one.cols, one.entries) == (4096, 4096, 16_777_216)
    batch = J.jacobian_size(4096, 4096, batch=100)
    assert (batch.rows, batch.cols) == (409_600, 409_600)
    assert batch.entries == 409_600**2 and batch.bytes == 8 * 409_600**2
    assert batch.vjp_entries == 409_600 and batch.diagonal_entries == 409_600
    assert "1.34 TB" in str(batch) and "3.28 MB" in str(batch)
    with pytest.raises(ValueError, match="batch"):
        J.jacobian_size(10, 10, batch=0)
