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
    wires = [t for (v, i), t in w.drawing.grad_texts.items() if i >= 0]
    assert all(t.get_visible() and t.get_text() not in ("", "?") for t in wires)  # every gradient shown
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


def wire_grads(w):
    """{(gate symbol, input index): shown text} of the wires into gates."""
    return {(v.gate.symbol, i): t.get_text() for (v, i), t in w.drawing.grad_texts.items() if i >= 0}


def test_hidden_gradients_are_revealed_one_gate_per_next():
    w = GraphExplorer(hide_gradients=True)
    assert set(wire_grads(w).values()) == {"?"}
    assert "Predict" in w.explanation.value
    w.next_button.click()  # the multiply gate: its two input wires revealed, the add gate's still hidden
    shown = wire_grads(w)
    assert shown[("*", 0)] == "-4" and shown[("*", 1)] == "3"
    assert shown[("+", 0)] == shown[("+", 1)] == "?"
    w.sliders["x"].value = 1.0  # new numbers: revealed gradients follow, hidden ones stay hidden
    assert wire_grads(w)[("+", 0)] == "?" and wire_grads(w)[("*", 1)] == "6"
    w.next_button.click()
    assert "?" not in wire_grads(w).values() and "Predict" not in w.explanation.value
    w.back_button.click()
    w.hide.value = False  # off: every gradient, at any step
    assert "?" not in wire_grads(w).values()


def test_switching_the_example_resets_the_backward_step():
    w = GraphExplorer()
    w.next_button.click()
    w.next_button.click()
    assert w.step.value == 2
    w.example.value = "sigmoid neuron, one sigmoid gate"
    assert w.step.value == 0 and w.play.value == 0 and w.step.max == 5
    assert "Forward pass done" in w.explanation.value and "Step" not in w.explanation.value
    w.hide.value = True
    assert set(wire_grads(w).values()) == {"?"}  # nothing revealed in the new example


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
    assert w.boundary.get_array().shape == (120, 120, 3)
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
    background = getattr(widget, "background", None)
    if background is not None:
        background._capturing = True  # every artist draws itself
    try:
        renderer.clear()
        widget.fig.draw(renderer)
    finally:
        if background is not None:
            background._capturing = False
    return np.array_equal(cached, np.asarray(renderer.buffer_rgba()))


@pytest.mark.parametrize(
    "make, change",
    [
        (lambda: GraphExplorer(), lambda w: setattr(w.sliders["x"], "value", 1.0)),
        (lambda: GraphExplorer(), lambda w: w.next_button.click()),
        (lambda: ChainRuleExplorer(), lambda w: setattr(w.t, "value", 2.0)),
        (lambda: GatePlayground(), lambda w: setattr(w.x, "value", 1.0)),
        (lambda: GatePlayground(), lambda w: setattr(w.gate, "value", "copy (branch)")),
        (lambda: GatePlayground(hide_gradients=True), lambda w: w.reveal_button.click()),
        (lambda: JacobianExplorer(), lambda w: setattr(w.op, "value", "||W x||²")),
        (lambda: ActivationExplorer(), lambda w: setattr(w.x, "value", -2.0)),
        (lambda: TrainingDashboard(), lambda w: w.step()),
        (
            lambda: TrainingDashboard(dataset="moons", hidden="8", activation="tanh", lr=0.5),
            lambda w: w.step(),
        ),
    ],
    ids=[
        "graph-slider",
        "graph-step",
        "chain-rule",
        "gate-slider",
        "gate-copy",
        "gate-reveal",
        "jacobian-row",
        "activation",
        "dashboard",
        "dashboard-moons",
    ],
)
def test_cached_backgrounds_draw_exactly_what_a_full_render_draws(make, change):
    w = make()
    assert cached_equals_full_render(w)
    change(w)
    assert cached_equals_full_render(w)
    assert getattr(w, "background", None) is None or w.background.renders >= 1


# --- figures: layout, legends, limits (rendered with the Agg canvas) -------------------------

import re  # noqa: E402

from matplotlib.colors import to_rgb  # noqa: E402

from coursekit.widgets.base import display_points, points_inside  # noqa: E402
from coursekit.widgets.jacobian_explorer import lecture_size_line  # noqa: E402
from coursekit.widgets.training_dashboard import CLASS_COLORS, DATASET_DEFAULTS, GRID  # noqa: E402


def renderer_of(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def assert_no_clipped_text(fig):
    """Everything drawn (tick labels, axis labels, titles, legends, texts) lies inside the figure."""
    r = renderer_of(fig)
    width, height = fig.get_size_inches()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        b = ax.get_tightbbox(r).transformed(fig.dpi_scale_trans.inverted())
        assert b.x0 >= -0.01 and b.y0 >= -0.01 and b.x1 <= width + 0.01 and b.y1 <= height + 0.01, (
            f"{ax.get_title() or ax}: drawn at {b.bounds} (inches), outside the figure {width} x {height}"
        )
    for t in fig.texts:
        if t.get_visible() and t.get_text():
            b = t.get_window_extent(r)
            assert fig.bbox.x0 - 1 <= b.x0 and b.x1 <= fig.bbox.x1 + 1, t.get_text()


def assert_legend_clear(ax, avoid):
    """The axes' legend lies inside the axes and covers no point of the given lines."""
    r = renderer_of(ax.figure)
    legend = ax.get_legend()
    assert legend is not None
    lb, axb = legend.get_window_extent(r), ax.get_window_extent(r)
    assert axb.x0 - 1 <= lb.x0 and lb.x1 <= axb.x1 + 1 and axb.y0 - 1 <= lb.y0 and lb.y1 <= axb.y1 + 1
    assert points_inside(lb, display_points(avoid), margin=1.0) == 0, "the legend covers the data"


def figure_states():
    j = JacobianExplorer()
    yield "jacobian", j
    j.op.value = "||W x||²"
    yield "jacobian row", j
    a = ActivationExplorer()
    yield "activation", a
    a.activation.value = "relu"
    yield "activation relu", a
    yield "chain", ChainRuleExplorer()
    yield "chain total", ChainRuleExplorer(mode=1)
    g = GraphExplorer()
    g.example.value = "sigmoid neuron, primitive gates"
    yield "graph neuron", g
    yield "gate", GatePlayground()
    yield "network", NetworkDiagram((3, 4, 4, 1))
    d = TrainingDashboard()
    yield "dashboard", d
    d.dataset.value = "spiral"
    yield "dashboard spiral", d


def test_no_text_is_clipped_in_any_figure():
    for name, w in figure_states():
        assert_no_clipped_text(w.fig), name


def test_a_one_row_jacobian_is_a_strip_not_a_square():
    w = JacobianExplorer("||W x||²", n=8)
    r = renderer_of(w.fig)
    box = w.ax.get_window_extent(r)
    assert w.J.shape == (1, 8)
    assert box.width / box.height == pytest.approx(8.0, rel=0.05)  # cells stay square: 8 wide, 1 tall
    assert list(w.ax.get_yticks()) == [0.0]  # one output, one tick (no -0.4 ... 0.4)
    assert [t.get_text() for t in w.ax.get_yticklabels()] == ["f"]
    w.n.value = 48
    box = w.ax.get_window_extent(renderer_of(w.fig))
    assert box.width / box.height > 10  # still a strip when the cells get too thin to be square
    w.op.value = "W x"
    box = w.ax.get_window_extent(renderer_of(w.fig))
    assert box.width / box.height == pytest.approx(1.0, rel=0.05)
    assert len(w.ax.get_yticks()) > 2
    assert_no_clipped_text(w.fig)


def test_the_lecture_size_line_depends_on_the_operation():
    lines = {op: lecture_size_line(op) for op in JacobianExplorer.OPS}
    assert len(set(lines.values()) - {lines["ReLU (elementwise)"]}) == 3  # ReLU and sigmoid alike
    assert "409,600 &times; 409,600" in lines["sigmoid (elementwise)"] and "1.34 TB" in lines["W x"]
    scalar = lines["||W x||²"]
    assert "409,600 &times; 409,600" not in scalar and "1 &times; 409,600" in scalar and "3.28 MB" in scalar
    w = JacobianExplorer("||W x||²")
    assert scalar in w.info.value and "1.34 TB" not in w.info.value
    w.op.value = "softmax"
    assert lines["softmax"] in w.info.value


def test_jacobian_entries_in_a_table_and_on_hover():
    from matplotlib.backend_bases import MouseEvent

    w = JacobianExplorer("W x", n=4)
    cells = re.findall(r"<td[^>]*>([^<]+)</td>", w.table.value)
    assert len(cells) == 16
    np.testing.assert_allclose([float(c) for c in cells], w.J.ravel(), rtol=5e-3, atol=1e-12)
    renderer_of(w.fig)
    x, y = w.ax.transData.transform((3, 1))  # the cell of output 1, input 3
    w.fig.canvas.callbacks.process(
        "motion_notify_event", MouseEvent("motion_notify_event", w.fig.canvas, x, y)
    )
    assert "J[1, 3]" in w.hover.value and f"{w.J[1, 3]:.4g}" in w.hover.value
    w.n.value = 20
    assert w.table.value == ""  # 400 entries: hover only


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu"])
def test_activation_legend_is_clear_of_the_curve_and_the_zero_line(name):
    w = ActivationExplorer(name)
    assert w.shading
    assert_legend_clear(w.ax_d, [w.d_line, w.zero_lines[1]])


@pytest.mark.parametrize("mode", [0, 1])
def test_chain_rule_legend_is_clear_of_the_curve(mode):
    w = ChainRuleExplorer(mode=mode)
    assert_legend_clear(w.ax, [w.curve])


def parenthesised(text):
    return [float(v) for v in re.findall(r"\((-?[\d.]+(?:e-?\d+)?)\)", text)]


def test_chain_rule_product_shows_the_current_numbers():
    w = ChainRuleExplorer(mode=0, t=1.5)
    assert "= (5)(-1)(2&middot;1.5) = <b style='color:#c62828'>-15</b>" in w.factors.value
    w.t.value = 0.5
    assert "(5)(-1)(2&middot;0.5)" in w.factors.value and ">-5</b>" in w.factors.value
    w = ChainRuleExplorer(mode=1, t=2.0)
    line = w.factors.value.split("<br>")[-2]
    factors = parenthesised(re.search(r"\(dz/dt\) = (.*?) = <b", line).group(1))
    assert len(factors) == 6
    total = sum(a * b for a, b in zip(factors[::2], factors[1::2]))
    assert total == pytest.approx(w.slope, rel=1e-3)


def test_gate_formula_is_local_times_upstream():
    w = GatePlayground("multiply", x=3.0, y=-1.0, upstream=2.0)
    rows = w.formula.value.split("<br>")[1:]
    assert "(-1) &times; (2) = " in rows[0] and ">-2</b>" in rows[0]
    assert "(3) &times; (2) = " in rows[1] and ">6</b>" in rows[1]
    w.gate.value = "max"
    local, up = parenthesised(w.formula.value.split("<br>")[2])[:2]
    assert local * up == w.grads["y"] == 0.0
    w.upstream.value = -1.5
    w.gate.value = "add"
    for row, name in zip(w.formula.value.split("<br>")[1:], "xy"):
        local, up = parenthesised(row)[:2]
        assert local * up == w.grads[name] == -1.5


def test_gate_gradients_hidden_until_revealed_one_input_at_a_time():
    w = GatePlayground("multiply", x=3.0, y=-1.0, upstream=2.0, hide_gradients=True)
    assert (w.x_grad.get_text(), w.y_grad.get_text()) == ("?", "?")
    assert w.z_grad.get_text() == "2"  # the upstream gradient is given
    assert "-2" not in w.formula.value and "Reveal" in w.pattern.value
    w.reveal_button.click()
    assert (w.x_grad.get_text(), w.y_grad.get_text()) == ("-2", "?")
    w.reveal_button.click()
    assert (w.x_grad.get_text(), w.y_grad.get_text()) == ("-2", "6")
    w.x.value = 2.0  # new numbers: predict again
    assert (w.x_grad.get_text(), w.y_grad.get_text()) == ("?", "?")
    w.hide.value = False
    assert (w.x_grad.get_text(), w.y_grad.get_text()) == ("-2", "4")
    assert w.reveal_button.layout.visibility == "hidden"


def assert_text_off_its_wire(text, wire, renderer):
    box = text.get_window_extent(renderer)
    assert points_inside(box, display_points([wire], per_segment=200), margin=0.0) == 0, (
        f"{text.get_text()!r} crosses its wire"
    )


@pytest.mark.parametrize("gate", ["multiply", "add", "copy (branch)"])
def test_gate_numbers_do_not_cross_the_wires(gate):
    w = GatePlayground(gate)
    r = renderer_of(w.fig)
    wires = [w.in_x, w.in_y, w.out1] if gate != "copy (branch)" else [w.in_x, w.out1, w.out2]
    for name in ("x_value", "x_grad", "y_value", "y_grad", "z_value", "z_grad", "z2_value", "z2_grad"):
        text = getattr(w, name)
        if text.get_visible():
            for wire in wires:
                assert_text_off_its_wire(text, wire, r)


def test_dashboard_before_training_is_empty_but_labelled():
    w = TrainingDashboard()
    assert w.history == [] and len(w.loss_line.get_xdata()) == 0
    assert w.ax_loss.get_yscale() == "log" and w.ax_loss.get_xlim() == (0.0, 1000.0)
    lo, hi = w.ax_loss.get_ylim()
    assert 0 < lo < w.initial_loss < hi and math.log10(hi / lo) == pytest.approx(3)
    assert len(w.fit_line.get_xdata()) == 0  # no stray dot: the untrained network is not drawn
    assert w.waiting.get_visible() and "Play" in w.waiting.get_text()
    assert "untrained" in w.status.value
    w.step()
    assert not w.waiting.get_visible() and len(w.fit_line.get_xdata()) == len(w.X)


def test_switching_dataset_applies_its_defaults_and_they_can_be_changed():
    w = TrainingDashboard()
    assert (w.hidden.value, w.activation.value, w.lr.value) == ("6, 7", "sigmoid", 7.0)
    assert w.model.sizes == [1, 6, 7, 2]
    w.dataset.value = "spiral"
    hidden, activation, lr = DATASET_DEFAULTS["spiral"]
    assert (w.hidden.value, w.activation.value) == (hidden, activation) and w.lr.value == pytest.approx(lr)
    assert activation in ("tanh", "relu") and w.model.sizes == [2, 32, 32, 3]
    w.hidden.value = "20"
    w.activation.value = "tanh"
    assert w.model.sizes == [2, 20, 3] and w.hidden.value == "20"  # the student's choice stays
    w.reset_button.click()
    assert w.model.sizes == [2, 20, 3]
    w.dataset.value = "heart"
    assert w.model.sizes == [1, 6, 7, 2] and w.activation.value == "sigmoid" and w.lr.value == 7.0
    for name, (hidden, activation, lr) in DATASET_DEFAULTS.items():
        w.dataset.value = name
        assert w.hidden.value == hidden and w.activation.value == activation
        assert w.lr.value == pytest.approx(lr, rel=0.01)


def test_dashboard_explicit_settings_override_the_dataset_defaults():
    w = TrainingDashboard(dataset="moons", hidden="4", lr=0.1)
    assert w.model.sizes == [2, 4, 2] and w.activation.value == DATASET_DEFAULTS["moons"][1]


def test_decision_regions_are_smooth_and_every_class_has_its_own_colour_and_marker():
    w = TrainingDashboard(dataset="spiral")
    for _ in range(4):
        w.step()
    image = np.asarray(w.boundary.get_array())
    assert image.shape == (GRID, GRID, 3) and GRID >= 100 and w.boundary.get_interpolation() == "bilinear"
    assert len(np.unique(image.reshape(-1, 3).round(3), axis=0)) > 500  # shades, not three flat blocks
    # neighbouring grid points differ little: no staircase of flat cells
    assert np.abs(np.diff(image, axis=0)).max() < 0.5
    rgb = np.array([to_rgb(c) for c in CLASS_COLORS[:3]])
    spread = rgb.max(axis=1) - rgb.min(axis=1)
    assert spread.min() > 0.3  # saturated: no class is grey
    assert min(np.linalg.norm(a - b) for i, a in enumerate(rgb) for b in rgb[i + 1 :]) > 0.25
    markers = {p.get_paths()[0].vertices.tobytes() for p in w.class_points}
    assert len(w.class_points) == 3 and len(markers) == 3
    faces = [tuple(np.round(p.get_facecolors()[0][:3], 3)) for p in w.class_points]
    assert len(set(faces)) == 3
    # each class's region tint is its own colour: the most confident pixels match the class order
    predicted = w.model.forward(w.grid).argmax(axis=1)
    for c in range(3):
        region = image.reshape(-1, 3)[predicted == c].mean(axis=0)
        assert np.argmin(np.linalg.norm(w.colors - region, axis=1)) == c


# --- what reaches the browser ----------------------------------------------------------------


class BrowserLog:
    """What a figure's canvas sends to the browser: events (draw requests, cursors) and images."""

    def __init__(self, fig, attached: bool = True):
        self.events, self.images = [], 0
        canvas = fig.canvas
        if attached:  # what JupyterLab tells the canvas once the figure is on screen
            canvas._handle_message(canvas, {"type": "initialized"}, [])
        send_event = canvas.send_event

        def record(name, **kwargs):
            self.events.append(name)
            return send_event(name, **kwargs)

        canvas.send_event = record
        canvas.send_binary = lambda data: setattr(self, "images", self.images + 1)


@pytest.mark.parametrize(
    "make, change",
    [
        (GraphExplorer, lambda w: setattr(w.sliders["x"], "value", 1.0)),
        (GatePlayground, lambda w: setattr(w.x, "value", 1.0)),
        (ChainRuleExplorer, lambda w: setattr(w.t, "value", 2.0)),
        (JacobianExplorer, lambda w: setattr(w.n, "value", 12)),
        (ActivationExplorer, lambda w: setattr(w.x, "value", 2.5)),
        (TrainingDashboard, lambda w: w.step()),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_with_a_browser_attached_the_new_image_is_sent_within_the_update(make, change):
    """No draw request for the browser to answer: the image goes out with the update itself."""
    widget = make()
    log = BrowserLog(widget.fig)
    time.sleep(1.1)  # matplotlib shows a "wait" cursor for a draw after a second of rest
    change(widget)
    assert widget.message.value == ""
    assert log.images >= 1
    assert "draw" not in log.events
    assert "cursor" not in log.events  # no toolbar: cursor messages would only cost time


def test_without_a_browser_the_figure_waits_to_be_asked():
    widget = GraphExplorer()
    log = BrowserLog(widget.fig, attached=False)  # e.g. nbval, nbconvert: nobody to send to
    widget.sliders["x"].value = 1.0
    assert log.images == 0 and log.events == ["draw"]


def test_playing_leaves_rendering_to_the_browsers_requests():
    """The training thread asks the browser to ask (requests coalesce) instead of rendering each frame."""
    dash = TrainingDashboard()
    log = BrowserLog(dash.fig)
    dash.play()
    time.sleep(0.6)
    dash.pause()
    assert dash.frames >= 3
    assert log.events.count("draw") >= 3
