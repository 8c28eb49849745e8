"""coursekit.nn: every layer and loss against numerical gradients, models, training, bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from coursekit import ShapeError, Value, nn
from coursekit.data import heart_curve
from coursekit.gradcheck import numerical_vjp, rel_error

TOL = 1e-7  # CS231n's bar in float64


def layer_errors(layer, x, rng):
    """Relative errors of dx and of every parameter gradient of ``layer`` at x."""
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    analytic = {name: g.copy() for name, g in layer.grads.items()}
    errors = {"x": rel_error(dx, numerical_vjp(layer.forward, x, dout))}
    for name, p in layer.params.items():
        original = p.copy()

        def f(value, p=p):
            p[...] = value
            return layer.forward(x)

        errors[name] = rel_error(analytic[name], numerical_vjp(f, original, dout))
        p[...] = original
    return errors


def away_from_zero(rng, shape, margin=0.05):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, margin * np.sign(x + 1e-12) * 2, x)


LAYERS = {
    "linear": lambda d, o, rng: nn.Linear(d, o, rng=rng),
    "sigmoid": lambda d, o, rng: nn.Sigmoid(),
    "tanh": lambda d, o, rng: nn.Tanh(),
    "relu": lambda d, o, rng: nn.ReLU(),
    "leaky_relu": lambda d, o, rng: nn.LeakyReLU(0.1),
    "elu": lambda d, o, rng: nn.ELU(1.0),
    "maxout": lambda d, o, rng: nn.Maxout(d, o, pieces=3, rng=rng),
}


@pytest.mark.parametrize("kind", LAYERS)
@given(n=st.integers(1, 5), d=st.integers(1, 4), o=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_layer_gradients(kind, n, d, o, seed):
    rng = np.random.default_rng(seed)
    layer = LAYERS[kind](d, o, rng)
    x = away_from_zero(rng, (n, d))  # ReLU-like kinks sit at 0
    errors = layer_errors(layer, x, rng)
    assert max(errors.values()) <= TOL, errors


# Step sizes: the cross-entropy is O(1) while its smallest gradient entries (p_j / N for an
# unlikely class) reach 1e-5, so at h = 1e-5 the rounding error of the loss (1e-16 / h) would
# dominate; h = 1e-4 balances it against truncation (h^2 f''' / 6, about 1e-9 here). The SVM is
# piecewise linear (no truncation error, but kinks): it keeps the small step. The squared error
# is quadratic, so the centred difference has no truncation error at all: a larger step only
# cuts the rounding error.
@pytest.mark.parametrize(
    "loss, targets, h",
    [
        (nn.SquaredError(), lambda rng, n, c: rng.standard_normal((n, c)), 1e-3),
        (nn.SoftmaxCrossEntropy(), lambda rng, n, c: rng.integers(0, c, n), 1e-4),
        (nn.MulticlassSVM(), lambda rng, n, c: rng.integers(0, c, n), 1e-5),
    ],
    ids=repr,
)
@given(n=st.integers(1, 6), c=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_loss_gradients(loss, targets, h, n, c, seed):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((n, c))
    y = targets(rng, n, c)
    if isinstance(loss, nn.MulticlassSVM):  # the hinge has a kink where a margin is 0
        margins = scores - scores[np.arange(n), y][:, None] + loss.margin
        margins[np.arange(n), y] = 1.0
        assume(np.all(np.abs(margins) > 1e-3))
    loss.forward(scores, y)
    analytic = loss.backward()
    numerical = numerical_vjp(lambda s: np.array(loss.forward(s, y)), scores, 1.0, h=h)
    assert rel_error(analytic, numerical) <= TOL


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout"])
def test_whole_mlp_gradient_check(activation):
    """Every parameter gradient of a 3-layer MLP, from the loss's upstream gradient dL/d(output).

    The network's outputs are differenced before weighting by dL/d(output) (CS231n's
    eval_numerical_gradient_array), which keeps the finite difference's rounding error
    small next to the smallest gradient entries.
    """
    rng = np.random.default_rng(0)
    model = nn.MLP([3, 5, 4, 2], activation=activation, output_activation="sigmoid", seed=0)
    X, Y = away_from_zero(rng, (6, 3)), rng.uniform(0, 1, (6, 2))
    loss = nn.SquaredError()
    loss.forward(model.forward(X), Y)
    upstream = loss.backward()
    model.backward(upstream)
    analytic = {k: g.copy() for k, g in model.grads.items()}
    for name, p in model.params.items():
        original = p.copy()

        def outputs(value, p=p):
            p[...] = value
            return model.forward(X)

        assert rel_error(analytic[name], numerical_vjp(outputs, original, upstream)) <= TOL, name
        p[...] = original


def test_value_engine_network_gives_identical_gradients():
    X, Y = heart_curve(20)
    model = nn.MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid", init="half", seed=4)
    loss = nn.SquaredError()
    loss.forward(model.forward(X), Y)
    model.backward(loss.backward())

    params = {k: Value(p, k) for k, p in model.params.items()}
    a = Value(X)
    for k in (1, 2, 3):
        a = (a @ params[f"W{k}"].T + params[f"b{k}"]).sigmoid()
    cost = ((a - Y) * (a - Y)).sum() * (1.0 / len(X))
    cost.backward()
    assert cost.data == pytest.approx(loss.forward(model.forward(X), Y), rel=1e-14)
    for k, v in params.items():
        np.testing.assert_allclose(v.grad, model.grads[k], rtol=1e-12, atol=1e-15, err_msg=k)


def test_parameter_counts():
    heart = nn.MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid")
    assert nn.count_parameters(heart) == 77
    assert nn.count_parameters(nn.MLP([3, 4, 2])) == 26
    assert nn.count_parameters(nn.MLP([3, 4, 4, 1])) == 41
    assert list(heart.parameters()) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    # W2 has one row per neuron of layer 2 and one column per neuron of layer 1
    assert heart.params["W2"].shape == (7, 6)
    assert heart.params["b2"].shape == (7,)


def test_heart_network_trains_below_0005():
    X, Y = heart_curve()
    model = nn.MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid", init="half", seed=0)
    history = nn.fit(model, X, Y, loss="mse", lr=7.0, steps=10_000, progress=False)
    assert history.steps == 10_000 and history.stopped == ""
    assert history.final_loss < 0.005
    assert history.loss[0] > 10 * history.final_loss


def test_classifier_learns_a_spiral():
    from coursekit.data import spiral

    X, y = spiral(60, 3, seed=1)
    model = nn.MLP([2, 32, 3], activation="relu", seed=0)
    history = nn.fit(model, X, y, loss="softmax", lr=1.0, steps=1500, momentum=0.9, progress=False)
    accuracy = np.mean(model.forward(X).argmax(axis=1) == y)
    assert history.final_loss < 0.3 and accuracy > 0.9


def test_parameters_are_writable_in_place_and_grads_are_views():
    model = nn.MLP([2, 3, 1], activation="tanh", seed=0)
    x = np.ones((1, 2))
    before = model.forward(x).copy()
    model.parameters()["b2"][...] += 1.0
    np.testing.assert_allclose(model.forward(x), before + 1.0)
    assert np.shares_memory(model.params["W1"], model.flat_params)
    model.backward(np.ones((1, 1)))
    assert np.any(model.grads["W1"] != 0)
    model.zero_grad()
    assert all(np.all(g == 0) for g in model.gradients().values())


def test_sgd_with_momentum_matches_the_formula():
    model = nn.Sequential(nn.Linear(2, 1, rng=0))
    p0 = model.flat_params.copy()
    model.flat_grads[:] = [1.0, -2.0, 0.5]
    opt = nn.SGD(model, lr=0.1, momentum=0.9)
    opt.step()
    opt.step()
    v1 = -0.1 * model.flat_grads
    v2 = 0.9 * v1 - 0.1 * model.flat_grads
    np.testing.assert_allclose(model.flat_params, p0 + v1 + v2, rtol=1e-15)


def test_save_and_load_roundtrip(tmp_path):
    a = nn.MLP([2, 4, 1], seed=1)
    b = nn.MLP([2, 4, 1], seed=2)
    a.save(tmp_path / "w.npz")
    b.load(tmp_path / "w.npz")
    x = np.random.default_rng(0).standard_normal((3, 2))
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    with pytest.raises(ValueError, match="holds parameters"):
        nn.MLP([2, 4, 4, 1]).load(tmp_path / "w.npz")
    with pytest.raises(ShapeError, match="W1"):
        nn.MLP([2, 5, 1]).load(tmp_path / "w.npz")


def test_fit_callback_can_stop_and_minibatches_work():
    X, Y = heart_curve(40)
    model = nn.MLP([1, 6, 2], activation="sigmoid", output_activation="sigmoid")
    seen = []
    history = nn.fit(
        model,
        X,
        Y,
        lr=1.0,
        steps=100,
        batch_size=10,
        progress=False,
        callback=lambda step, loss, m: seen.append(step) or step < 30,
        callback_every=10,
    )
    assert seen == [10, 20, 30] and history.stopped == "callback" and history.steps == 30


def test_diverging_training_stops_with_one_warning():
    X, Y = heart_curve(50)
    model = nn.MLP([1, 8, 2], activation="relu", init="normal", seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = nn.fit(model, X * 100, Y * 100, lr=50.0, steps=500, progress=False)
    assert history.stopped == "diverged" and history.steps < 500
    assert len(caught) == 1 and issubclass(caught[0].category, nn.TrainingWarning)
    assert "smaller learning rate" in str(caught[0].message)


def test_stable_for_huge_scores():
    z = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 999.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = nn.Sigmoid().forward(z)
        p = nn.softmax(z)
        logp = nn.log_softmax(z)
        ce = nn.SoftmaxCrossEntropy().forward(z, np.array([0, 1]))
        svm = nn.MulticlassSVM().forward(z, np.array([0, 1]))
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(p)) and np.all(np.isfinite(logp))
    assert ce == pytest.approx((2000.0 + 1.0 + np.log1p(np.exp(-1.0))) / 2)
    assert svm == pytest.approx((1001.0 + 2001.0 + 2.0) / 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ShapeError, match=r"Linear\(3 -> 2\): input has shape \(4, 5\); expected \(N, 3\)"):
        nn.Linear(3, 2).forward(np.ones((4, 5)))
    with pytest.raises(ShapeError, match=r"one sample per row"):
        nn.Linear(3, 2).forward(np.ones(3))
    with pytest.raises(ShapeError, match="SquaredError"):
        nn.SquaredError().forward(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ShapeError, match="integer class labels"):
        nn.SoftmaxCrossEntropy().forward(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ShapeError, match="X has 3 samples but Y has 2"):
        nn.fit(nn.MLP([1, 2]), np.ones((3, 1)), np.ones((2, 2)), progress=False)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*sigmoid, tanh, relu"):
        nn.MLP([2, 3, 1], activation="swish")
    with pytest.raises(ValueError, match="unknown loss 'l1'.*mse, softmax, svm"):
        nn.make_loss("l1")
    with pytest.raises(ValueError, match="unknown init 'glorot'.*xavier"):
        nn.Linear(2, 2, init="glorot")


def test_progress_bar_shows_step_and_loss():
    """fit's bar is tqdm's (tqdm.auto: a widget in notebooks, text in a terminal), with the loss."""
    bar = nn._Progress(100)
    bar.update(10, 0.5)
    assert bar.bar.n == 10 and "loss 0.5" in bar.bar.postfix
    bar.update(20, 0.25)  # within 0.1 s of the last redraw: skipped
    assert bar.bar.n == 10
    bar.update(100, 0.125, force=True)
    assert bar.bar.n == 100 and "loss 0.125" in bar.bar.postfix
    bar.close()


def test_fit_shows_a_progress_bar_on_request(capsys):
    X, Y = heart_curve(10)
    history = nn.fit(nn.MLP([1, 3, 2]), X, Y, lr=0.1, steps=5, progress=True)
    assert history.steps == 5
    err = capsys.readouterr().err  # outside a notebook tqdm draws a text bar on stderr
    assert "training" in err and "5/5" in err and "loss" in err


def test_fit_shows_no_progress_bar_outside_notebooks_by_default(capsys):
    X, Y = heart_curve(10)
    nn.fit(nn.MLP([1, 3, 2]), X, Y, lr=0.1, steps=5)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
