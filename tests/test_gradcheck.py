"""Numerical gradients and the relative error."""

import numpy as np
import pytest

from coursekit.gradcheck import forward_difference, numerical_gradient, numerical_vjp, rel_error


def test_centred_difference_is_second_order_and_forward_first_order():
    f, x = np.sin, 0.7
    exact = np.cos(x)
    for h in (1e-2, 1e-3):
        assert abs(numerical_gradient(f, x, h) - exact) < h**2
        assert h / 10 < abs(forward_difference(f, x, h) - exact) < h
    # halving h quarters the centred error and halves the forward error
    e1, e2 = (abs(numerical_gradient(f, x, h) - exact) for h in (1e-2, 5e-3))
    assert 3.5 < e1 / e2 < 4.5


def test_numerical_gradient_of_an_array_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    g = numerical_gradient(lambda a: np.sum(a**2), x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-9)
    assert x[0, 0] == 1.0  # the input is not modified


def test_numerical_gradient_refuses_array_outputs():
    with pytest.raises(ValueError, match="numerical_vjp"):
        numerical_gradient(lambda a: a * 2, np.ones(3))


def test_numerical_vjp_weights_by_upstream():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = np.array([0.5, -1.0])
    up = np.array([1.0, -1.0, 2.0])
    np.testing.assert_allclose(numerical_vjp(lambda v: W @ v, x, up), W.T @ up, rtol=1e-9)
    with pytest.raises(ValueError, match="shape"):
        numerical_vjp(lambda v: W @ v, x, np.ones(2))


def test_rel_error_cs231n_definition():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-9])) == pytest.approx(0.1)  # floor 1e-8
    assert rel_error(np.array([1.0, 0.0]), np.array([1.0, 1e-12])) == 0.0  # rounding next to an exact 0
    with pytest.raises(ValueError, match="shapes"):
        rel_error(np.ones(2), np.ones(3))
