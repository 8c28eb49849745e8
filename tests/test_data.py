"""coursekit.data: the heart curve's points, seeded datasets, shapes."""

import numpy as np
import pytest

from coursekit import data


def test_heart_curve_points():
    X, Y = data.heart_curve(100)
    assert X.shape == (100, 1) and Y.shape == (100, 2)
    np.testing.assert_allclose(Y[0], [0.5, 0.625], atol=1e-15)
    np.testing.assert_allclose(Y[25], [0.9, 0.6], atol=1e-15)
    np.testing.assert_allclose(Y[50], [0.5, 0.075], atol=1e-15)
    assert X[1, 0] == pytest.approx(0.01) and X[-1, 0] == pytest.approx(0.99)


@pytest.mark.parametrize("name", list(data.CLASSIFICATION))
def test_classification_sets_are_seeded_and_shaped(name):
    X1, y1 = data.load(name, seed=3)
    X2, y2 = data.load(name, seed=3)
    X3, _ = data.load(name, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.ndim == 2 and X1.shape[1] == 2 and y1.shape == (len(X1),)
    assert y1.dtype.kind == "i" and set(np.unique(y1)) == set(range(y1.max() + 1))


def test_two_layer_problem_shapes():
    p = data.two_layer_problem()
    assert (p.x.shape, p.y.shape, p.w1.shape, p.w2.shape) == ((64, 1000), (64, 10), (1000, 100), (100, 10))


def test_one_hot_and_unknown_dataset():
    np.testing.assert_array_equal(data.one_hot(np.array([2, 0])), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="unknown dataset 'iris'.*spiral"):
        data.load("iris")
