"""The explorers, driven from Python: set controls, click buttons, read the drawn data and text."""

import math
import time

import numpy as np
import pytest

from coursekit import nn
from coursekit.widgets import (
    ActivationExplorer,
    ChainRuleExplorer,
    GatePlayground,
    GraphExplorer,
    JacobianExplorer,
    NetworkDiagram,
    TrainingDashboard,
    activation_and_derivative,
)


def texts(drawing, kind="value"):
    store = drawing.value_texts if kind == "value" else drawing.grad_texts
    return sorted(t.get_text() for t in store.values())


# --- GraphExplorer ------------------------------------------------------------------------


def test_graph_explorer_defaults_to_x_plus_y_times_z():
    w = GraphExplorer()
    assert list(w.sliders) == ["x", "y", "z"] and w.step.max == 2
    assert w.graph.output.data == -12.0
    assert "f = <b" in w.explanation.value and "-12" in w.explanation.value
    assert w.message.value == ""


def test_moving_a_slider_recomputes_and_redraws_in_place():
    w = GraphExplorer()
    drawing, before = w.drawing, texts(w.drawing)
    w.sliders["x"].value = 1.0
    assert w.drawing is drawing  # same artists, new text
    assert w.graph.output.data == (1.0 + 5.0) * -4.0
    assert texts(w.drawing) != before and "-24" in texts(w.drawing)


def test_step_through_the_backward_pass():
    w = GraphExplorer()
    assert all(not t.get_visible() for (v, i), t in w.drawing.grad_texts.items() if i >= 0)
    w.next_button.click()
    assert w.step.value == 1
    assert "Step 1 of 2" in w.explanation.value and "local" in w.explanation.value
    mul = w.graph.steps[0].node
    assert w.drawing.gate_markers.get_linewidths()[w.drawing.gates.index(mul)] > 2  # highlighted
    w.next_button.click()
    w.next_button.click()  # already at the end: stays
    assert w.step.value == 2 and "dx = local dq/dx" in w.explanation.value.replace("df/", "d")
    assert all(t.get_visible() for t in w.drawing.grad_texts.values())
    w.back_button.click()
    assert w.step.value == 1
    w.reset_button.click()
    assert w.step.value == 0


def test_switching_to_the_neuron_example():
    w = GraphExplorer()
    w.example.value = "sigmoid neuron, primitive gates"
    assert list(w.sliders) == ["w0", "x0", "w1", "x1", "w2"] and w.step.max == 8
    w.step.value = 8
    assert "0.197" in texts(w.drawing, "grad") and "-0.534" in texts(w.drawing, "grad")
    w.example.value = "sigmoid neuron, one sigmoid gate"
    assert w.step.max == 5


def test_custom_function_and_errors_shown_in_the_widget():
    w = GraphExplorer(lambda x: (x + 2.0).log(), x=1.0)
    assert w.message.value == ""
    w.sliders["x"].value = -3.0
    assert "LogGate" in w.message.value and "non-positive" in w.message.value
    w.sliders["x"].value = 0.5
    assert w.message.value == ""


# --- GatePlayground ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "gate, dx, dy",
    [("multiply", "-2", "6"), ("add", "2", "2"), ("max", "2", "0")],
)
def test_gate_patterns(gate, dx, dy):
    w = GatePlayground(gate=gate, x=3.0, y=-1.0, upstream=2.0)
    assert (w.x_grad.get_text(), w.y_grad.get_text()) == (dx, dy)
    assert {"multiply": "switcher", "add": "distributor", "max": "router"}[gate] in w.pattern.value


def test_copy_gate_adds_the_branch_gradients():
    w = GatePlayground(gate="copy (branch)", x=3.0, upstream=2.0)
    w.upstream2.value = -0.5
    assert w.x_grad.get_text().endswith("= 1.5")
    assert not w.y_label.get_visible() and w.out2.get_visible()
    w.gate.value = "multiply"
    assert w.y_label.get_visible() and not w.out2.get_visible()


# --- ChainRuleExplorer ---------------------------------------------------------------------


def test_univariate_chain_is_minus_ten_t():
    w = ChainRuleExplorer(mode=0, t=1.5)
    assert w.slope == pytest.approx(-15.0, abs=1e-12)
    assert abs(w.numeric - w.slope) < 1e-6
    assert "df/dx = <b>5</b>" in w.factors.value and "dx/du = <b>-1</b>" in w.factors.value
    w.t.value = 0.5
    assert w.slope == pytest.approx(-5.0, abs=1e-12)
    (tx, ty) = w.point.get_data()
    assert tx[0] == 0.5 and ty[0] == pytest.approx(5 * (1 - 0.25))


def test_total_derivative_is_cos_t_minus_1_times_e():
    w = ChainRuleExplorer(mode=1, t=2.0)
    assert w.slope == pytest.approx(math.cos(1.0) * math.e, rel=1e-12)
    assert abs(w.numeric - w.slope) < 1e-6
    xs, ys = w.tangent.get_data()
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(w.slope)


# --- JacobianExplorer ---------------------------------------------------------------------


def test_jacobian_of_elementwise_ops_is_diagonal():
    w = JacobianExplorer("ReLU (elementwise)", n=6)
    off_diagonal = w.J - np.diag(np.diag(w.J))
    assert w.J.shape == (6, 6) and not off_diagonal.any()
    assert np.array_equal(w.image.get_array(), w.J)
    assert "1.34 TB" in w.info.value  # the lecture's 409,600 x 409,600


def test_jacobian_explorer_operations_and_sizes():
    w = JacobianExplorer("W x", n=5)
    assert np.count_nonzero(w.J) == 25
    w.n.value = 9
    assert w.J.shape == (9, 9)
    w.op.value = "||W x||²"
    assert w.J.shape == (1, 9) and "gradient" in w.info.value
    w.op.value = "softmax"
    np.testing.assert_allclose(w.J.sum(axis=0), 0.0, atol=1e-12)  # softmax sums to 1


# --- ActivationExplorer ------------------------------------------------------------------


def test_activation_curves_come_from_the_gates():
    w = ActivationExplorer("sigmoid", x=0.0)
    xs, ys = w.f_line.get_data()
    _, dys = w.d_line.get_data()
    np.testing.assert_allclose(ys, 1 / (1 + np.exp(-xs)), rtol=1e-12)
    np.testing.assert_allclose(dys, ys * (1 - ys), rtol=1e-12)
    assert "0.2500" in w.readout.value
    assert "saturated" in w.shading
    assert w.ax_d.get_legend().get_texts()[0].get_text() == w.shading


def test_relu_shows_the_dead_region_and_leaky_slope_control():
    w = ActivationExplorer("relu", x=-1.0)
    assert "dead" in w.shading and "learns nothing" in w.readout.value
    assert w.slope.layout.visibility == "hidden"
    w.activation.value = "leaky_relu"
    assert w.slope.layout.visibility == "visible"
    w.slope.value = 0.2
    assert w.d_point.get_data()[1][0] == pytest.approx(0.2)
    assert w.shading == "" and w.ax_d.get_legend() is None  # nothing shaded, nothing to explain


def test_a_negative_slope_is_not_shaded_as_saturated():
    w = ActivationExplorer("maxout", x=-3.0)
    assert w.d_point.get_data()[1][0] < -0.1  # maxout's left piece: the gradient flows, reversed
    assert w.shading == "" and w.ax_d.get_legend() is None
    assert "learns nothing" not in w.readout.value


@pytest.mark.parametrize("name", ActivationExplorer.NAMES)
def test_every_activation_derivative_matches_finite_differences(name):
    x = np.linspace(-4, 4, 81)
    x = x[np.abs(x) > 0.05]  # away from kinks
    if name == "maxout":
        x = x[np.abs(x + 2 / 3) > 0.05]  # the two pieces cross at x = -2/3
    _, d = activation_and_derivative(name, x)
    h = 1e-6
    numeric = (activation_and_derivative(name, x + h)[0] - activation_and_derivative(name, x - h)[0]) / (
        2 * h
    )
    np.testing.assert_allclose(d, numeric, atol=1e-7)


# --- NetworkDiagram ----------------------------------------------------------------------


def test_network_counts():
    w = NetworkDiagram((3, 4, 2))
    assert "<b>6</b> neurons" in w.counts.value and "<b>26</b> parameters" in w.counts.value
    w.sizes.value = "3, 4, 4, 1"
    assert "<b>9</b> neurons" in w.counts.value and "<b>41</b> parameters" in w.counts.value
    w.sizes.value = "3, four"
    assert "whole numbers" in w.message.value


def test_network_diagram_colours_weights_of_a_model():
    model = nn.MLP([2, 3, 1], seed=0)
    w = NetworkDiagram(model=model)
    colours = {tuple(np.round(c, 3)) for c in w.drawing.lines.get_colors()}
    assert len(colours) == 2  # blue and red: the model has weights of both signs
    assert len(w.drawing.lines.get_segments()) == 2 * 3 + 3 * 1
    widths = np.asarray(w.drawing.lines.get_linewidths())
    assert widths.max() == pytest.approx(3.3)  # the largest |weight| gets the widest line


# --- TrainingDashboard ---------------------------------------------------------------------


def test_dashboard_step_trains_and_redraws():
    w = TrainingDashboard()
    first = w.model.forward(w.X).copy()
    w.step()
    assert len(w.history) == w.steps_per_chunk
    xs, _ = w.fit_line.get_data()
    assert not np.allclose(xs, first[:, 0])
    w.step()
    assert len(w.history) == 2 * w.steps_per_chunk
    assert f"step {2 * w.steps_per_chunk}" in w.status.value
    assert w.loss_line.get_data()[1][-1] == w.history[-1]


def test_dashboard_play_and_pause():
    w = TrainingDashboard()
    w.frame_interval = 0.02
    w.play()
    assert w.playing
    time.sleep(0.6)
    w.pause()
    assert not w.playing
    trained = len(w.history)
    assert trained > 0 and w.frames > 3
    time.sleep(0.1)
    assert len(w.history) == trained  # really stopped


def test_dashboard_classification_and_reset():
    w = TrainingDashboard(dataset="moons", hidden="16", activation="tanh", lr=0.5)
    for _ in range(5):
        w.step()
    accuracy = np.mean(w.model.forward(w.X).argmax(axis=1) == w.Y)
    assert accuracy > 0.8
    assert w.boundary.get_array().shape == (60, 60)
    w.reset_button.click()
    assert w.history == [] and "step 0" in w.status.value


def test_dashboard_divergence_is_reported():
    w = TrainingDashboard(dataset="spiral", hidden="32, 32", activation="leaky_relu", lr=31.6)
    w.step()
    w.step()
    assert "diverged" in w.message.value


def test_bad_arguments_list_the_choices():
    with pytest.raises(ValueError, match="choose one of: heart, spiral"):
        TrainingDashboard(dataset="iris")
    with pytest.raises(ValueError, match="choose one of: sigmoid"):
        ActivationExplorer("swish")
    with pytest.raises(ValueError, match="choose one of: add"):
        GatePlayground("divide")


def cached_equals_full_render(widget):
    """The figure drawn with its cached background equals a full render of every artist."""
    canvas = widget.fig.canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    cached = np.asarray(renderer.buffer_rgba()).copy()
    widget.background._capturing = True  # every artist draws itself
    try:
        renderer.clear()
        widget.fig.draw(renderer)
    finally:
        widget.background._capturing = False
    return np.array_equal(cached, np.asarray(renderer.buffer_rgba()))


@pytest.mark.parametrize(
    "make, change",
    [
        (lambda: GraphExplorer(), lambda w: setattr(w.sliders["x"], "value", 1.0)),
        (lambda: GraphExplorer(), lambda w: w.next_button.click()),
        (lambda: ChainRuleExplorer(), lambda w: setattr(w.t, "value", 2.0)),
        (lambda: ActivationExplorer(), lambda w: setattr(w.x, "value", -2.0)),
        (lambda: TrainingDashboard(), lambda w: w.step()),
        (
            lambda: TrainingDashboard(dataset="moons", hidden="8", activation="tanh", lr=0.5),
            lambda w: w.step(),
        ),
    ],
    ids=["graph-slider", "graph-step", "chain-rule", "activation", "dashboard", "dashboard-moons"],
)
def test_cached_backgrounds_draw_exactly_what_a_full_render_draws(make, change):
    w = make()
    assert cached_equals_full_render(w)
    change(w)
    assert cached_equals_full_render(w)
    assert w.background.renders >= 1
