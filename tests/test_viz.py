"""Static drawings: graph layout and numbers, network diagrams, the cached background."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from coursekit import Graph, Value
from coursekit.viz import (
    CachedBackground,
    draw_graph,
    draw_network,
    graph_layout,
    network_counts,
    widget_figure,
)


def neuron(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0):
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def test_layout_columns_follow_the_graph():
    g = Graph.trace(neuron)
    layout = graph_layout(g)
    for p, v in g.edges():
        assert layout[p][0] < layout[v][0]  # every wire goes left to right
    assert layout[g.output][0] == max(x for x, _ in layout.values())
    rows = {}
    for v, (x, y) in layout.items():
        assert (x, y) not in rows, "two nodes in one place"
        rows[(x, y)] = v


def test_graph_drawing_shows_values_and_wire_gradients():
    g = Graph.trace(neuron)
    g.backward()
    d = draw_graph(g)
    values = {t.get_text() for t in d.value_texts.values()}
    grads = {t.get_text() for t in d.grad_texts.values()}
    assert {"2", "-1", "0.368", "1.37", "0.731"} <= values
    assert {"-0.197", "0.393", "-0.534", "1"} <= grads
    g.forward(w0=0.0)
    g.backward()
    d.update()
    assert "0" in {t.get_text() for t in d.value_texts.values()}


def test_branch_wires_carry_their_own_gradient():
    x = Value(3.0, "x")
    g = Graph(x * x)  # x feeds the gate twice: each wire carries x * upstream
    g.backward()
    d = draw_graph(g)
    wires = [t.get_text() for (v, i), t in d.grad_texts.items() if i >= 0]
    assert wires == ["3", "3"] and x.grad == 6.0


def test_step_visibility_and_highlight():
    g = Graph.trace(lambda x, y, z: (x + y) * z, x=-2, y=5, z=-4)
    g.backward()
    d = draw_graph(g)
    d.show_gradients_up_to(1)
    visible = [(v.gate.symbol, i) for (v, i), t in d.grad_texts.items() if t.get_visible() and i >= 0]
    assert visible == [("*", 0), ("*", 1)]
    d.highlight(g.steps[0].node)
    widths = d.gate_markers.get_linewidths()
    assert max(widths) > min(widths)


def test_network_counts_and_drawing():
    assert network_counts([3, 4, 2]) == {"neurons": 6, "weights": 20, "biases": 6, "parameters": 26}
    assert network_counts([3, 4, 4, 1])["parameters"] == 41
    d = draw_network([3, 40, 2])  # wide layers are drawn with a count
    assert len(d.lines.get_segments()) == 3 * 12 + 12 * 2


def render(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.get_renderer().buffer_rgba()).copy()


def make_figure(cached):
    fig = Figure(figsize=(4, 3), dpi=72)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="gray")
    ax.set_title("static title")
    (line,) = ax.plot([0, 1], [1, 0], color="red", zorder=5)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    bg = CachedBackground(fig, [line]) if cached else None
    return fig, ax, line, bg


def test_cached_background_renders_the_same_pixels():
    fig, ax, line, bg = make_figure(cached=True)
    plain, pax, pline, _ = make_figure(cached=False)
    for y in (0.2, 0.5, 0.9):
        line.set_data([0, 1], [y, 1 - y])
        pline.set_data([0, 1], [y, 1 - y])
        np.testing.assert_array_equal(render(fig), render(plain))
    assert bg.renders == 1  # the static part was rendered once
    ax.set_xlim(0, 2)
    pax.set_xlim(0, 2)
    np.testing.assert_array_equal(render(fig), render(plain))
    assert bg.renders == 2  # limits changed: rendered again
    fig.set_size_inches(5, 3)
    plain.set_size_inches(5, 3)
    np.testing.assert_array_equal(render(fig), render(plain))
    assert bg.renders == 3


def test_widget_figure_is_an_ipympl_canvas():
    pytest.importorskip("ipympl")
    fig = widget_figure(3, 2)
    assert type(fig.canvas).__name__ == "Canvas" and fig.canvas.toolbar_visible is False


def test_widget_figures_leave_pyplots_backend_alone():
    """Creating a widget figure must not turn a lesson's plt figures into widgets."""
    import subprocess
    import sys

    probe = (
        "import matplotlib, matplotlib.pyplot as plt\n"
        "before = matplotlib.get_backend()\n"
        "from coursekit.viz import widget_figure\n"
        "widget_figure(2, 2)\n"
        "fig, ax = plt.subplots()\n"
        "print(before == matplotlib.get_backend(), type(fig.canvas).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "FigureCanvasAgg"]


def test_wire_numbers_never_cross_a_wire():
    """Values above and gradients below each wire, beside it rather than across it (sloped wires too)."""
    from coursekit.widgets.base import display_points, points_inside

    g = Graph.trace(neuron)
    g.backward()
    d = draw_graph(g)
    fig = d.ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    wires = d.ax.collections[0]  # the wires: one line collection
    segments = [d.ax.transData.transform(s) for s in wires.get_segments()]
    points = np.concatenate(
        [a + t * (b - a) for a, b in segments for t in np.linspace(0, 1, 200)[:, None]]
    ).reshape(-1, 2)
    assert display_points([]).shape == (0, 2)
    sloped = 0
    for key in d.value_texts:
        for text in (d.value_texts[key], d.grad_texts[key]):
            box = text.get_window_extent(r)
            assert points_inside(box, points, margin=0.0) == 0, f"{text.get_text()!r} crosses a wire"
        sloped += d.value_texts[key].get_horizontalalignment() != "center"
    assert sloped >= 4  # the neuron has sloped wires, placed diagonally off them


@pytest.mark.parametrize("a, b", [((0, 0), (1, 1)), ((0, 1), (1, 0)), ((1, 1), (0, 0)), ((0, 0), (1, 0))])
def test_wire_label_style_puts_values_above_and_gradients_below(a, b):
    from coursekit.viz import wire_label_style

    above, below = wire_label_style(a, b, above=True), wire_label_style(a, b, above=False)
    assert above["va"] == "bottom" and above["xytext"][1] > 0
    assert below["va"] == "top" and below["xytext"][1] < 0
    if a[1] != b[1]:  # sloped: on opposite sides, each aligned by the corner next to the wire
        assert above["ha"] != below["ha"] and above["xytext"][0] == -below["xytext"][0]


def test_hidden_gradients_show_a_placeholder():
    g = Graph.trace(lambda x, y, z: (x + y) * z, x=-2, y=5, z=-4)
    g.backward()
    d = draw_graph(g)
    d.show_gradients_up_to(1, placeholder="?")
    shown = {(v.gate.symbol, i): t.get_text() for (v, i), t in d.grad_texts.items() if t.get_visible()}
    assert shown[("*", 0)] == "-4" and shown[("+", 0)] == shown[("+", 1)] == "?"
    d.show_gradients_up_to(2, placeholder="?")
    assert "?" not in {t.get_text() for t in d.grad_texts.values()}
