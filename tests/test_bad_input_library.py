"""The library under bad input: no silent wrong answer, every error names the problem.

Each test gives one odd input a student may type, the error it must raise and the words its
message must hold (the argument, its value, what was expected, what to do), or the documented
result when the input is legitimate.
"""

import math
import warnings
import zipfile

import numpy as np
import pytest

from coursekit import ShapeError, Value, nn
from coursekit import data as datasets
from coursekit import gradcheck as gc
from coursekit import jacobian as jac
from coursekit.data import heart_curve
from coursekit.widgets import (
    ActivationExplorer,
    ChainRuleExplorer,
    GatePlayground,
    GraphExplorer,
    JacobianExplorer,
    NetworkDiagram,
    TrainingDashboard,
)

NAN, INF = float("nan"), float("inf")
TWO_ONES = np.ones(2)


@pytest.fixture
def heart():
    return heart_curve(20)


def small_model():
    return nn.MLP([1, 3, 2], activation="sigmoid", output_activation="sigmoid")


def raises(exc, *words):
    """pytest.raises with every word required in the message (in any order)."""

    class Check:
        def __enter__(self):
            self.ctx = pytest.raises(exc)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *args):
            handled = self.ctx.__exit__(*args)
            if not handled:
                return handled
            message = str(self.info.value)
            for word in words:
                assert word in message, f"{word!r} not in {message!r}"
            return handled

    return Check()


# --- silent results, now errors ---------------------------------------------------------------


def test_mlp_with_a_fractional_size_is_an_error_not_rounded_down():
    with raises(ValueError, "sizes[1]", "2.7", "positive whole numbers", "[2, 8, 1]"):
        nn.MLP([3, 2.7, 2])


def test_mlp_accepts_whole_number_floats():
    assert nn.MLP([3, 2.0, 2]).sizes == [3, 2, 2]


def test_mlp_with_a_string_of_sizes_is_an_error_not_one_layer_per_digit():
    with raises(TypeError, "sizes", "'342'", "list of layer sizes"):
        nn.MLP("342")


def test_fit_with_zero_steps_is_an_error(heart):
    with raises(ValueError, "steps", "got 0", "positive whole number", "steps=1000"):
        nn.fit(small_model(), *heart, steps=0)


def test_fit_with_negative_steps_is_an_error(heart):
    with raises(ValueError, "steps", "-5", "positive whole number"):
        nn.fit(small_model(), *heart, steps=-5)


def test_fit_with_fractional_steps_is_an_error(heart):
    with raises(ValueError, "steps", "2.5", "round"):
        nn.fit(small_model(), *heart, steps=2.5)


def test_fit_with_nan_learning_rate_is_an_error(heart):
    with raises(ValueError, "learning rate lr", "nan", "positive finite", "lr=0.1"):
        nn.fit(small_model(), *heart, lr=NAN)


def test_load_rejects_nan_weights_and_keeps_the_model(tmp_path):
    model = small_model()
    np.savez(tmp_path / "nan.npz", **{k: np.full_like(v, NAN) for k, v in model.params.items()})
    before = model.flat_params.copy()
    with raises(ValueError, "W1", "NaN", "W1[0, 0]", "smaller learning rate"):
        model.load(tmp_path / "nan.npz")
    np.testing.assert_array_equal(model.flat_params, before)


def test_load_rejects_complex_weights_instead_of_dropping_the_imaginary_part(tmp_path):
    model = small_model()
    np.savez(tmp_path / "c.npz", **{k: v + 1j for k, v in model.params.items()})
    with raises(ValueError, "W1", "complex values", "real numbers"):
        model.load(tmp_path / "c.npz")


def test_numerical_gradient_with_a_step_too_small_for_x_is_an_error():
    with raises(ValueError, "h=1e-300", "too small", "rounds back to x", "h=1e-5"):
        gc.numerical_gradient(lambda x: x * x, 1.0, h=1e-300)


@pytest.mark.parametrize("h", [NAN, 0.0, -1e-5, INF])
def test_numerical_vjp_with_a_bad_step_is_an_error(h):
    with raises(ValueError, "numerical_vjp", "step h", repr(float(h)), "h=1e-5"):
        gc.numerical_vjp(lambda x: x * 2.0, np.ones(2), np.ones(2), h=h)


@pytest.mark.parametrize("h", [NAN, 0.0])
def test_numerical_jacobian_with_a_bad_step_is_an_error(h):
    with raises(ValueError, "numerical_jacobian", "step h", repr(float(h)), "h=1e-5"):
        jac.numerical_jacobian(lambda x: x * 2.0, np.ones(2), h=h)


@pytest.mark.parametrize("h", [NAN, 0.0])
def test_numerical_gradient_and_forward_difference_with_a_bad_step(h):
    with raises(ValueError, "numerical_gradient", "step h"):
        gc.numerical_gradient(lambda x: x * x, 1.0, h=h)
    with raises(ValueError, "forward_difference", "step h"):
        gc.forward_difference(lambda x: x * x, 1.0, h=h)


def test_one_hot_with_a_negative_label_is_an_error_not_the_last_column():
    with raises(ValueError, "one_hot", "-1", "position 1", "count from 0"):
        datasets.one_hot([0, -1], classes=3)


def test_one_hot_with_a_label_too_large_for_classes():
    with raises(ValueError, "label 3", "classes=3", "classes=4"):
        datasets.one_hot([0, 3], classes=3)


@pytest.mark.parametrize("n", [0, 1000, 1, 49])
def test_jacobian_explorer_size_outside_the_slider_is_an_error(n):
    with raises(ValueError, "JacobianExplorer", "n", f"got {n}", "between 2 and 48"):
        JacobianExplorer(n=n)


@pytest.mark.parametrize("lr", [-1, 1e6, 0])
def test_training_dashboard_rate_outside_the_slider_is_an_error(lr):
    with raises(ValueError, "TrainingDashboard", "lr", "between 0.001 and 31.6", repr(lr)):
        TrainingDashboard(lr=lr)


# --- unclear messages, rewritten -------------------------------------------------------------------


def test_nan_in_x_is_reported_as_data_not_as_a_learning_rate(heart):
    X, Y = heart
    X = X.copy()
    X[5, 0] = NAN
    with raises(ValueError, "data X", "1 NaN value", "X[5, 0]"):
        nn.fit(small_model(), X, Y)


def test_nan_in_y_is_reported_as_data(heart):
    X, Y = heart
    Y = Y.copy()
    Y[3, 1] = NAN
    with raises(ValueError, "targets Y", "NaN", "Y[3, 1]"):
        nn.fit(small_model(), X, Y)


def test_inf_in_x_is_reported(heart):
    X, Y = heart
    X = X.copy()
    X[0, 0] = INF
    with raises(ValueError, "data X", "infinite", "X[0, 0]"):
        nn.fit(small_model(), X, Y)


def test_infinite_learning_rate_is_an_error_not_a_suggestion_of_inf(heart):
    with raises(ValueError, "learning rate lr", "inf", "positive finite", "lr=0.1") as info:
        nn.fit(small_model(), *heart, lr=INF)
    assert "e.g. inf" not in str(info.value)


def test_batch_size_zero_names_the_argument(heart):
    with raises(ValueError, "batch_size", "got 0", "positive whole number") as info:
        nn.fit(small_model(), *heart, batch_size=0)
    assert "division" not in str(info.value)


def test_batch_size_of_n_or_more_is_documented_as_the_full_batch(heart):
    a = nn.fit(small_model(), *heart, steps=5, batch_size=1000, progress=False)
    b = nn.fit(small_model(), *heart, steps=5, progress=False)
    assert a.loss == b.loss


def test_empty_x_names_the_problem():
    with raises(ShapeError, "X has shape (0, 1)", "no samples"):
        nn.fit(small_model(), np.zeros((0, 1)), np.zeros((0, 2)))


def test_save_and_load_agree_on_the_file_name(tmp_path):
    a, b = nn.MLP([2, 4, 1], seed=1), nn.MLP([2, 4, 1], seed=2)
    written = a.save(tmp_path / "w")
    assert written.name == "w.npz" and written.exists()
    b.load(tmp_path / "w")  # the same name: load adds .npz as save did
    np.testing.assert_array_equal(a.flat_params, b.flat_params)
    b.load(str(tmp_path / "w.npz"))  # the full name works too


def test_load_of_a_missing_file_says_where_it_looked(tmp_path):
    with raises(FileNotFoundError, "nothere.npz", ".npz added", "model.save"):
        small_model().load(tmp_path / "nothere")


def test_random_bytes_are_not_a_saved_model(tmp_path):
    (tmp_path / "r.npz").write_bytes(np.random.default_rng(0).bytes(300))
    with raises(ValueError, "r.npz", "not a saved coursekit model", "model.save") as info:
        small_model().load(tmp_path / "r.npz")
    assert "pickle" not in str(info.value)


def test_a_truncated_file_is_not_a_saved_model(tmp_path):
    small_model().save(tmp_path / "full.npz")
    (tmp_path / "cut.npz").write_bytes((tmp_path / "full.npz").read_bytes()[:300])
    with raises(ValueError, "cut.npz", "not a saved coursekit model"):
        small_model().load(tmp_path / "cut.npz")


def test_a_single_npy_array_is_not_a_saved_model(tmp_path):
    with open(tmp_path / "a.npz", "wb") as f:
        np.save(f, np.ones(3))
    with raises(ValueError, "not a saved coursekit model", "single array"):
        small_model().load(tmp_path / "a.npz")


def test_a_zip_without_arrays_is_not_a_saved_model(tmp_path):
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("notes.txt", "hello")
    with raises(ValueError, "not a saved coursekit model", "notes.txt"):
        small_model().load(tmp_path / "z.npz")


def test_a_model_of_other_sizes_is_named(tmp_path):
    nn.MLP([2, 4, 4, 1]).save(tmp_path / "big")
    with raises(ValueError, "holds parameters", "W3", "same layer sizes"):
        nn.MLP([2, 4, 1]).load(tmp_path / "big")


def test_negative_layer_size_names_the_argument():
    with raises(ValueError, "Linear", "in_features", "-1", "positive whole number") as info:
        nn.Linear(-1, 3)
    assert "math domain" not in str(info.value)


def test_linear_accepts_a_nested_list_of_the_right_shape():
    layer = nn.Linear(3, 2)
    np.testing.assert_array_equal(layer.forward([[1, 2, 3]]), layer.forward(np.array([[1.0, 2.0, 3.0]])))


def test_linear_list_of_the_wrong_shape_says_why():
    with raises(ShapeError, "input has shape (1, 2)", "expected (N, 3)", "one sample per row"):
        nn.Linear(3, 2).forward([[1, 2]])


def test_linear_with_a_single_sample_as_a_vector_says_how_to_reshape():
    with raises(ShapeError, "input has shape (3,)", "x.reshape(1, -1)"):
        nn.Linear(3, 2).forward(np.ones(3))


def test_linear_with_text_input_names_it():
    with raises(TypeError, "Linear(3 -> 2)", "array of numbers"):
        nn.Linear(3, 2).forward([["a", "b", "c"]])


@pytest.mark.parametrize(
    "layer",
    [nn.Linear(3, 2), nn.Sigmoid(), nn.ReLU(), nn.Maxout(3, 2)],
    ids=repr,
)
def test_backward_before_forward_is_a_runtime_error(layer):
    with raises(RuntimeError, "backward called before forward", "call forward"):
        layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize("loss", [nn.SquaredError(), nn.SoftmaxCrossEntropy(), nn.MulticlassSVM()], ids=repr)
def test_loss_backward_before_forward_is_a_runtime_error(loss):
    with raises(RuntimeError, "backward called before forward"):
        loss.backward()


def test_backward_with_the_wrong_upstream_shape_names_both_shapes():
    layer = nn.Linear(3, 2)
    layer.forward(np.ones((4, 3)))
    with raises(ShapeError, "dout has shape (4, 5)", "expected (4, 2)"):
        layer.backward(np.ones((4, 5)))


def test_jacobian_of_an_empty_input():
    with raises(ValueError, "jacobian", "x is empty", "shape (0,)") as info:
        jac.jacobian(lambda v: v * 2.0, np.array([]))
    assert "stack" not in str(info.value)


def test_numerical_jacobian_of_an_empty_input():
    with raises(ValueError, "numerical_jacobian", "x is empty"):
        jac.numerical_jacobian(lambda x: x, np.array([]))


def test_jacobian_size_with_a_string_shows_it_is_a_string():
    with raises(TypeError, "n_in", "'4'", "(a str)", "n_in=4096"):
        jac.jacobian_size("4", 3)


@pytest.mark.parametrize("bad", [0, -2, 2.5, NAN, INF])
def test_jacobian_size_with_bad_numbers(bad):
    with raises((ValueError, TypeError), "batch", "positive whole number"):
        jac.jacobian_size(4, 3, batch=bad)


def test_moons_with_a_negative_size_reports_the_given_value():
    with raises(ValueError, "moons", "n", "got -5") as info:
        datasets.moons(-5)
    assert "-3" not in str(info.value)


def test_xor_with_a_negative_size():
    with raises(ValueError, "xor", "n", "got -1", "positive whole number") as info:
        datasets.xor(-1)
    assert "negative dimensions" not in str(info.value)


def test_dashboard_unknown_activation_lists_the_choices():
    with raises(ValueError, "activation 'swish'", "sigmoid, tanh, relu, leaky_relu, elu"):
        TrainingDashboard(activation="swish")


def test_chain_rule_explorer_unknown_mode_lists_the_choices():
    with raises(ValueError, "mode", "0 (univariate", "1 (total", "got 5"):
        ChainRuleExplorer(mode=5)


def test_chain_rule_explorer_accepts_a_mode_name():
    w = ChainRuleExplorer(mode=ChainRuleExplorer.MODES[1])
    assert w.mode.index == 1 and w.message.value == ""


def test_chain_rule_explorer_t_zero_is_outside_the_range():
    with raises(ValueError, "t", "between 0.2 and 3", "got 0") as info:
        ChainRuleExplorer(mode=1, t=0)
    assert "division" not in str(info.value)


def test_graph_explorer_with_an_array_input():
    with raises(TypeError, "input x", "single number", "shape (3,)") as info:
        GraphExplorer(lambda x: x * 2, x=np.ones(3))
    assert "ambiguous" not in str(info.value)


def test_graph_explorer_with_an_array_default():
    with raises(TypeError, "input x", "single number", "shape (2,)"):
        GraphExplorer(lambda x=TWO_ONES: x * 2)


def test_graph_explorer_missing_input_raises_to_the_caller():
    with raises(TypeError, "give a value for the input 'x'"):
        GraphExplorer(lambda x: x * 2)


def test_graph_explorer_inputs_without_a_function():
    with raises(TypeError, "inputs x given without a function"):
        GraphExplorer(x=1.0)


def test_network_diagram_with_a_model_that_is_not_one():
    with raises(TypeError, "model must be an nn.MLP", "'x' (a str)", "NetworkDiagram(model="):
        NetworkDiagram(model="x")


# --- beyond the list: wrong types, shapes, empties, NaN, inf, zero and negative sizes ---------


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: nn.MLP(3), TypeError, ["sizes", "list of layer sizes"]),
        (lambda: nn.MLP([3]), ValueError, ["at least two layer sizes"]),
        (lambda: nn.MLP([3, 0, 1]), ValueError, ["sizes[1]", "0"]),
        (lambda: nn.MLP([3, NAN, 1]), ValueError, ["sizes[1]", "nan"]),
        (lambda: nn.MLP([3, "4", 1]), TypeError, ["sizes[1]", "'4'"]),
        (lambda: nn.MLP([2, 2], seed="a"), TypeError, ["seed", "'a'"]),
        (lambda: nn.MLP([2, 2], seed=-1), TypeError, ["seed", "-1"]),
        (lambda: nn.MLP([2, 2], output_activation="swish"), ValueError, ["output_activation 'swish'"]),
        (lambda: nn.Linear(2.5, 3), ValueError, ["in_features", "2.5"]),
        (lambda: nn.Linear(3, 0), ValueError, ["out_features", "got 0"]),
        (lambda: nn.Linear("3", 2), TypeError, ["in_features", "'3'"]),
        (lambda: nn.Maxout(2, 2, pieces=1), ValueError, ["pieces", "got 1"]),
        (lambda: nn.LeakyReLU(NAN), ValueError, ["slope", "nan"]),
        (lambda: nn.LeakyReLU(1.5), ValueError, ["slope", "[0, 1)"]),
        (lambda: nn.ELU(-1), ValueError, ["alpha", "-1"]),
        (lambda: nn.MulticlassSVM(margin=NAN), ValueError, ["margin", "nan"]),
        (lambda: nn.init_weights((3,)), ShapeError, ["shape", "two sizes"]),
        (lambda: nn.init_weights((3, -2)), ValueError, ["-2"]),
        (lambda: nn.Sequential([nn.Linear(2, 2)]), TypeError, ["Sequential(*layers)"]),
        (lambda: nn.Sequential("relu"), TypeError, ["expected layers", "'relu'"]),
        (lambda: nn.count_parameters("x"), TypeError, ["count_parameters", "'x'"]),
        (lambda: nn.make_loss(nn.SquaredError), TypeError, ["SquaredError()"]),
        (lambda: nn.make_loss(["mse"]), ValueError, ["unknown loss"]),
        (lambda: nn.make_activation(["relu"]), ValueError, ["unknown activation"]),
        (lambda: nn.SGD(small_model(), lr=0), ValueError, ["lr", "got 0"]),
        (lambda: nn.SGD(small_model(), lr="0.1"), TypeError, ["lr", "'0.1'"]),
        (lambda: nn.SGD(small_model(), momentum=NAN), ValueError, ["momentum", "nan"]),
        (lambda: nn.SGD(nn.Sigmoid()), ValueError, ["no parameters to train"]),
        (lambda: nn.softmax(np.zeros((2, 0))), ShapeError, ["no classes"]),
        (lambda: nn.softmax("abc"), TypeError, ["softmax", "numbers"]),
        (lambda: nn.SquaredError().forward(np.ones((3, 1)), np.ones(3)), ShapeError, ["Y.reshape(-1, 1)"]),
        (lambda: nn.SquaredError().forward([[1.0]], [[1.0, 2.0]]), ShapeError, ["(1, 1)", "(1, 2)"]),
        (lambda: nn.SquaredError().forward(np.ones((0, 2)), np.ones((0, 2))), ShapeError, ["no samples"]),
        (
            lambda: nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([0.0, 1.0])),
            ShapeError,
            ["astype(int)"],
        ),
        (
            lambda: nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.array([0, 3])),
            ValueError,
            ["0..2", "from 0 to 3", "one neuron per class"],
        ),
    ],
)
def test_nn_constructors_and_functions(call, exc, words):
    with raises(exc, *words):
        call()


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        ({"X": np.ones(20)}, ShapeError, ["X.reshape(-1, 1)"]),
        ({"X": np.ones((20, 3))}, ShapeError, ["3 features", "Linear(1 -> 3)", "MLP([3, ...])"]),
        ({"X": "abc"}, TypeError, ["X", "numbers"]),
        ({"X": [[1.0], [2.0, 3.0]]}, ValueError, ["X", "ragged"]),
        ({"X": np.ones((20, 1)) + 1j}, TypeError, ["X", "complex"]),
        ({"Y": np.ones((19, 2))}, ShapeError, ["20 samples", "19"]),
        ({"Y": np.ones((20, 2)) * 1j}, TypeError, ["Y", "complex"]),
        ({"Y": np.ones((20, 3))}, ShapeError, ["(20, 2)", "(20, 3)", "one neuron per target column"]),
        ({"lr": "0.1"}, TypeError, ["lr", "'0.1'"]),
        ({"lr": -1.0}, ValueError, ["lr", "-1.0"]),
        ({"lr": True}, TypeError, ["lr", "True"]),
        ({"steps": "10"}, TypeError, ["steps", "'10'"]),
        ({"steps": True}, TypeError, ["steps", "True"]),
        ({"momentum": 1.0}, ValueError, ["momentum", "[0, 1)"]),
        ({"momentum": "0.9"}, TypeError, ["momentum", "'0.9'"]),
        ({"batch_size": -3}, ValueError, ["batch_size", "-3"]),
        ({"batch_size": 2.5}, ValueError, ["batch_size", "2.5"]),
        ({"callback_every": 0}, ValueError, ["callback_every", "got 0"]),
        ({"callback": "print"}, TypeError, ["callback", "function"]),
        ({"progress": "yes"}, TypeError, ["progress", "True or False"]),
        ({"seed": 1.5}, TypeError, ["seed", "1.5"]),
        ({"loss": "l1"}, ValueError, ["unknown loss 'l1'"]),
        ({"model": "mlp"}, TypeError, ["model", "nn.MLP"]),
        ({"model": nn.Sigmoid()}, ValueError, ["no parameters to train"]),
    ],
    ids=lambda v: str(v)[:40] if isinstance(v, dict) else None,
)
def test_fit_arguments(heart, kwargs, exc, words):
    X, Y = heart
    args = {"model": small_model(), "X": X, "Y": Y, "steps": 3, "progress": False, **kwargs}
    with raises(exc, *words):
        nn.fit(**args)


def test_fit_softmax_with_one_hot_targets_says_argmax():
    X, y = datasets.spiral(10, 3)
    with raises(ShapeError, "Y.argmax(axis=1)"):
        nn.fit(nn.MLP([2, 4, 3]), X, datasets.one_hot(y), loss="softmax", steps=2)


def test_fit_softmax_with_too_few_outputs_says_one_neuron_per_class():
    X, y = datasets.spiral(10, 3)
    with raises(ValueError, "labels from 0 to 2", "one neuron per class"):
        nn.fit(nn.MLP([2, 4, 2]), X, y, loss="softmax", steps=2)


def test_fit_restores_the_blas_threads_after_an_error(heart):
    from coursekit._blas import blas_threads

    before = blas_threads()
    with pytest.raises(ShapeError):
        nn.fit(small_model(), heart[0], np.ones((20, 3)), steps=2)  # fails inside the loop
    assert blas_threads() == before


def test_diverging_with_a_finite_rate_still_suggests_a_smaller_one():
    X, Y = heart_curve(50)
    model = nn.MLP([1, 8, 2], activation="relu", init="normal", seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.fit(model, X * 100, Y * 100, lr=50.0, steps=500, progress=False)
    assert "e.g. 5" in str(caught[0].message)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: datasets.heart_curve(0), ValueError, ["heart_curve", "n", "got 0"]),
        (lambda: datasets.heart_curve(2.5), ValueError, ["n", "2.5"]),
        (lambda: datasets.heart_curve("100"), TypeError, ["n", "'100'"]),
        (lambda: datasets.spiral(0), ValueError, ["n_per_class", "got 0"]),
        (lambda: datasets.spiral(10, classes=0), ValueError, ["classes", "got 0"]),
        (lambda: datasets.spiral(10, noise=-0.1), ValueError, ["noise", "-0.1"]),
        (lambda: datasets.spiral(10, noise=NAN), ValueError, ["noise", "nan"]),
        (lambda: datasets.moons(1), ValueError, ["moons", "n", ">= 2"]),
        (lambda: datasets.moons(10, seed="x"), TypeError, ["seed", "'x'"]),
        (lambda: datasets.circles(-4), ValueError, ["circles", "n"]),
        (lambda: datasets.circles(10, factor=NAN), ValueError, ["factor", "nan"]),
        (lambda: datasets.circles(10, factor=1.5), ValueError, ["factor", "between 0 and 1"]),
        (lambda: datasets.xor(10.5), ValueError, ["n", "10.5"]),
        (lambda: datasets.gauss(0), ValueError, ["gauss", "n"]),
        (lambda: datasets.gauss(10, spread=INF), ValueError, ["spread", "inf"]),
        (lambda: datasets.two_layer_problem(N=0), ValueError, ["N", "got 0"]),
        (lambda: datasets.two_layer_problem(H=-1), ValueError, ["H", "-1"]),
        (lambda: datasets.load(["spiral"]), TypeError, ["load", "dataset name"]),
        (lambda: datasets.one_hot(np.array([0.0, 1.0])), ValueError, ["astype(int)"]),
        (lambda: datasets.one_hot(np.array([[0], [1]])), ValueError, ["ravel()"]),
        (lambda: datasets.one_hot(np.array([], int)), ValueError, ["classes=K"]),
        (lambda: datasets.one_hot([0, 1], classes=0), ValueError, ["classes", "got 0"]),
    ],
)
def test_datasets(call, exc, words):
    with raises(exc, *words):
        call()


def test_one_hot_of_no_labels_with_classes_is_an_empty_matrix():
    assert datasets.one_hot(np.array([], int), classes=3).shape == (0, 3)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: gc.numerical_gradient("f", 1.0), TypeError, ["f must be a function", "'f'"]),
        (lambda: gc.numerical_gradient(lambda x: None, 1.0), TypeError, ["returned None", "return"]),
        (lambda: gc.numerical_gradient(lambda x: "a", 1.0), TypeError, ["real number", "'a'"]),
        (lambda: gc.numerical_gradient(lambda x: x * x, NAN), ValueError, ["x has", "NaN"]),
        (lambda: gc.numerical_gradient(lambda x: x * x, np.array([1.0, INF])), ValueError, ["infinite"]),
        (lambda: gc.numerical_gradient(lambda x: x * x, 1e12, h=1e-6), ValueError, ["too small", "1e+12"]),
        (lambda: gc.numerical_gradient(lambda x: x, 1.0, h="1e-5"), TypeError, ["step h", "'1e-5'"]),
        (lambda: gc.forward_difference(lambda x: x, np.ones(3)), ValueError, ["single number", "(3,)"]),
        (lambda: gc.numerical_vjp(lambda x: None, np.ones(2), np.ones(2)), TypeError, ["returned None"]),
        (lambda: gc.numerical_vjp(lambda x: x, np.ones(2), np.ones(3)), ValueError, ["(2,)", "(3,)"]),
        (lambda: gc.check_gate("mul", 1.0, 2.0), TypeError, ["check_gate", "'mul'"]),
        (lambda: gc.check_gate(__import__("coursekit").gates.MultiplyGate(), 1.0), TypeError, ["2 input"]),
        (
            lambda: gc.check_gate(__import__("coursekit").gates.AddGate(), 1.0, 2.0, tol=0),
            ValueError,
            ["tol", "0"],
        ),
    ],
)
def test_gradcheck(call, exc, words):
    with raises(exc, *words):
        call()


def test_rel_error_with_nan_is_documented_as_nan_which_fails_every_tolerance():
    e = gc.rel_error(np.array([1.0, NAN]), np.array([1.0, 2.0]))
    assert math.isnan(e) and not e <= 1e-7


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: jac.jacobian("f", np.ones(2)), TypeError, ["fn must be a function"]),
        (lambda: jac.jacobian(lambda v: 3.0, np.ones(2)), TypeError, ["must return a Value", "3.0"]),
        (lambda: jac.jacobian(lambda v: v, "abc"), TypeError, ["jacobian", "expected"]),
        (lambda: jac.numerical_jacobian(lambda x: None, np.ones(2)), TypeError, ["returned None"]),
        (lambda: jac.numerical_jacobian(lambda x: x[:0], np.ones(2)), ValueError, ["empty array"]),
        (lambda: jac.vjp(lambda v: v * 2.0, np.ones(3), np.ones(2)), ShapeError, ["(2,)", "(3,)"]),
        (lambda: jac.vjp(lambda v: 1.0, np.ones(3), 1.0), TypeError, ["must return a Value"]),
        (lambda: jac.relu_jacobian(np.ones((2, 2))), ShapeError, ["vector (1-D)", "(2, 2)", "ravel()"]),
        (lambda: jac.sigmoid_jacobian(np.ones((2, 2))), ShapeError, ["vector"]),
        (lambda: jac.softmax_jacobian("abc"), TypeError, ["softmax_jacobian", "expected"]),
        (lambda: jac.matvec_jacobian_x(np.ones(3)), ShapeError, ["matrix", "(3,)"]),
        (lambda: jac.matvec_jacobian_W(np.ones((2, 3)), np.ones(2)), ShapeError, ["(2, 3)", "2 entries"]),
        (lambda: jac.norm_sq_Wx(np.ones((2, 3)), np.ones(4)), ShapeError, ["length 3"]),
        (lambda: jac.example_jacobian(np.ones(2), 1.0), TypeError, ["single numbers"]),
        (lambda: jac.format_bytes(-1), ValueError, ["format_bytes", "-1"]),
        (lambda: jac.format_bytes(NAN), ValueError, ["format_bytes", "nan"]),
        (lambda: jac.jacobian_size(4, 3, itemsize=0), ValueError, ["itemsize", "got 0"]),
    ],
)
def test_jacobians(call, exc, words):
    with raises(exc, *words):
        call()


def test_relu_jacobian_of_a_number_is_one_by_one():
    assert jac.relu_jacobian(2.0).shape == (1, 1)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: GraphExplorer("x * 2"), TypeError, ["fn must be a function"]),
        (lambda: GraphExplorer(lambda x: x * 2, x="1"), TypeError, ["input x", "'1'"]),
        (lambda: GraphExplorer(lambda x: x * 2, x=NAN), ValueError, ["input x", "nan"]),
        (lambda: GraphExplorer(lambda x: 3, x=1.0), TypeError, ["must return a Value"]),
        (lambda: GatePlayground(x="a"), TypeError, ["x", "'a'"]),
        (lambda: GatePlayground(upstream=INF), ValueError, ["upstream", "inf"]),
        (lambda: GatePlayground(gate=["add"]), ValueError, ["choose one of: add"]),
        (lambda: ChainRuleExplorer(mode="x"), ValueError, ["mode", "'x'"]),
        (lambda: ChainRuleExplorer(t=NAN), ValueError, ["t", "nan"]),
        (lambda: ChainRuleExplorer(t=5.0), ValueError, ["between 0.2 and 3"]),
        (lambda: JacobianExplorer(op="tanh"), ValueError, ["choose one of"]),
        (lambda: JacobianExplorer(n=2.5), ValueError, ["n", "2.5"]),
        (lambda: JacobianExplorer(n="8"), TypeError, ["n", "'8'"]),
        (lambda: JacobianExplorer(seed="a"), TypeError, ["seed", "'a'"]),
        (lambda: ActivationExplorer(x=10.0), ValueError, ["x", "between -5 and 5"]),
        (lambda: ActivationExplorer(x=NAN), ValueError, ["x", "nan"]),
        (lambda: ActivationExplorer(5), ValueError, ["choose one of"]),
        (lambda: NetworkDiagram((3, 2.5, 1)), ValueError, ["sizes[1]", "2.5"]),
        (lambda: NetworkDiagram((3,)), ValueError, ["at least two"]),
        (lambda: NetworkDiagram("3, x"), ValueError, ["whole numbers", "'3, x'"]),
        (lambda: NetworkDiagram(3), TypeError, ["sizes", "list of layer sizes"]),
        (
            lambda: NetworkDiagram((3, 5, 1), model=nn.MLP([3, 4, 1])),
            ValueError,
            ["[3, 5, 1]", "[3, 4, 1]", "one or the other"],
        ),
        (lambda: TrainingDashboard(dataset=3), ValueError, ["choose one of: heart"]),
        (lambda: TrainingDashboard(hidden="a, b"), ValueError, ["hidden sizes", "'a, b'", "6, 7"]),
        (lambda: TrainingDashboard(hidden=""), ValueError, ["at least one", "hidden sizes"]),
        (lambda: TrainingDashboard(hidden="0"), ValueError, ["positive hidden sizes"]),
        (lambda: TrainingDashboard(hidden=6), TypeError, ["hidden", "6"]),
        (lambda: TrainingDashboard(lr="1"), TypeError, ["lr", "'1'"]),
        (lambda: TrainingDashboard(lr=NAN), ValueError, ["lr", "nan"]),
    ],
)
def test_widget_constructors(call, exc, words):
    with raises(exc, *words):
        call()


def test_network_diagram_takes_sizes_as_text_and_a_model_alone():
    assert NetworkDiagram("3, 4, 2").sizes.value == "3, 4, 2"
    assert NetworkDiagram(model=nn.MLP([3, 5, 1])).sizes.value == "3, 5, 1"


def test_dashboard_takes_hidden_sizes_as_a_list():
    w = TrainingDashboard(hidden=[6, 7])
    assert w.model.sizes == [1, 6, 7, 2] and w.message.value == ""


def test_explorer_updates_run_blas_on_one_thread_and_restore_it():
    from coursekit._blas import blas_threads

    before = blas_threads()
    seen = []
    w = ActivationExplorer()
    w._safe(lambda: seen.append(blas_threads()))
    assert seen == [1] and blas_threads() == before


def test_value_input_is_not_an_explorer_number():
    with raises(TypeError, "input x"):
        GraphExplorer(lambda x: x * 2, x=Value(1.0))
