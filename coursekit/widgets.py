"""Interactive explorers for the lessons (ipywidgets + ipympl). Each is one line to show::

    from coursekit.widgets import GraphExplorer
    GraphExplorer()

Every explorer is an ipywidgets ``VBox``: controls on top, an ipympl figure below. A
control change recomputes with coursekit and updates the figure in place (``set_data``,
``set_text``, then ``draw_idle``); nothing is re-plotted. Errors raised while updating
are shown inside the widget (``.message``), not lost in the log console. Each explorer
records ``last_update_seconds``, the kernel time of its latest update.

- :class:`GraphExplorer`: sliders for a traced function's inputs, the graph with values and
  gradients, and a gate-by-gate step-through of the backward pass.
- :class:`GatePlayground`: add, multiply, max and copy gates: distributor, switcher, router, adder.
- :class:`ChainRuleExplorer`: the chain rule on f(x(u(t))) and the total derivative.
- :class:`JacobianExplorer`: the Jacobian of an operation as a heatmap, with its memory cost.
- :class:`ActivationExplorer`: activation functions and their derivatives side by side.
- :class:`NetworkDiagram`: an MLP drawn from its sizes, with its neuron and parameter counts.
- :class:`TrainingDashboard`: train a network live on the heart curve or a 2-D dataset.
"""

from __future__ import annotations

import html
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from . import data as datasets
from . import nn
from ._blas import single_blas_thread
from ._checks import check_callable, describe, is_real, random_generator, real_number
from .engine import Value
from .graph import Graph, format_number
from .jacobian import jacobian, jacobian_size
from .viz import (
    GRAD_COLOR,
    VALUE_COLOR,
    CachedBackground,
    GraphDrawing,
    NetworkDrawing,
    graph_figsize,
    network_counts,
    widget_figure,
)

SLIDER_STYLE = {"description_width": "initial"}

# Titles are placed with an explicit y (set_title(..., y=1.01)): matplotlib then skips measuring
# every tick label to place them, which is most of the cost of a cached frame.


class Explorer(W.VBox):
    """Base class: a message area for errors, timing of updates, and a guarded refresh."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.message = W.HTML()
        self.last_update_seconds = 0.0

    def _safe(self, fn: Callable[[], None]) -> None:
        """Run an update; show any error in the widget instead of losing it.

        BLAS runs on one thread meanwhile: the explorers' matrices are small, and on a shared
        machine OpenBLAS's threads slow them down.
        """
        start = time.perf_counter()
        try:
            with single_blas_thread():
                fn()
        except Exception as exc:  # noqa: BLE001 - shown to the student, not swallowed
            self.show_error(f"<b>{type(exc).__name__}</b>: {html.escape(str(exc))}")
        else:
            if self.message.value.startswith("<span style='color"):
                self.message.value = ""
        self.last_update_seconds = time.perf_counter() - start

    def show_error(self, text: str) -> None:
        """Show a message in red inside the widget."""
        self.message.value = f"<span style='color:{GRAD_COLOR}'>{text}</span>"

    def _on_change(self, fn: Callable[[], None]) -> Callable[[Any], None]:
        return lambda change: self._safe(fn)


def _in_range(value: Any, name: str, who: str, lo: float, hi: float, example: float) -> float:
    """A number in [lo, hi] (a slider's range), or a ValueError that names the range."""
    v = real_number(value, name, who, example=example)
    if not lo <= v <= hi:
        raise ValueError(
            f"{who}: {name} must be between {lo:g} and {hi:g} (the slider's range), got {value!r}; "
            f"pass e.g. {name}={example:g}"
        )
    return v


def _slider(name: str, value: float, lo: float = -5.0, hi: float = 5.0, step: float = 0.1) -> W.FloatSlider:
    lo, hi = min(lo, value), max(hi, value)
    return W.FloatSlider(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=name,
        continuous_update=True,
        style=SLIDER_STYLE,
        layout=W.Layout(width="260px"),
    )


# ---------------------------------------------------------------------------
# Computational graphs
# ---------------------------------------------------------------------------


def _xyz(x=-2.0, y=5.0, z=-4.0):
    q = x + y
    q.label = "q"
    return q * z


def _neuron_primitive(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0):
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def _neuron_sigmoid(w0=2.0, x0=-1.0, w1=-3.0, x1=-2.0, w2=-3.0):
    return (w0 * x0 + w1 * x1 + w2).sigmoid()


EXAMPLES: dict[str, Callable[..., Value]] = {
    "(x + y) z": _xyz,
    "sigmoid neuron, primitive gates": _neuron_primitive,
    "sigmoid neuron, one sigmoid gate": _neuron_sigmoid,
}


class GraphExplorer(Explorer):
    """Move the inputs of a computational graph and step through its backward pass.

    ``GraphExplorer()`` offers the lessons' examples; ``GraphExplorer(fn, x=1, y=2)`` explores
    any Python function of named inputs (the values are the starting points of the sliders).
    """

    def __init__(self, fn: Callable[..., Value] | None = None, **inputs: Any):
        super().__init__()
        if fn is not None:
            check_callable(fn, "fn", "GraphExplorer")
        elif inputs:
            raise TypeError(
                f"GraphExplorer: inputs {', '.join(inputs)} given without a function; pass the function "
                "first, e.g. GraphExplorer(lambda x, y: x * y, x=1.0, y=2.0)"
            )
        for name, value in inputs.items():
            if not is_real(value):
                what = describe(value)
                raise TypeError(
                    f"GraphExplorer: input {name} must be a single number (the start of its slider), got "
                    f"{what}"
                    + (
                        "; explore one entry at a time, or use JacobianExplorer for vectors"
                        if isinstance(value, (np.ndarray, list, tuple))
                        else ""
                    )
                )
            real_number(value, f"input {name}", "GraphExplorer", example=1.0)
        self.fn = fn
        self.example = W.Dropdown(options=list(EXAMPLES), description="example", style=SLIDER_STYLE)
        self.example.observe(self._on_change(self._build), "value")
        self.step = W.IntSlider(value=0, min=0, max=1, description="backward step", style=SLIDER_STYLE)
        self.play = W.Play(value=0, min=0, max=1, interval=900, description="play")
        W.jslink((self.play, "value"), (self.step, "value"))
        self.next_button = W.Button(description="Next", icon="step-forward", layout=W.Layout(width="90px"))
        self.back_button = W.Button(description="Back", icon="step-backward", layout=W.Layout(width="90px"))
        self.reset_button = W.Button(description="Reset", icon="undo", layout=W.Layout(width="90px"))
        self.next_button.on_click(lambda _: self._move(+1))
        self.back_button.on_click(lambda _: self._move(-1))
        self.reset_button.on_click(lambda _: self._move(None))
        self.step.observe(self._on_change(self._show_step), "value")
        self.explanation = W.HTML()
        self.sliders_box = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.fig = widget_figure(7.0, 3.0)
        self.background = CachedBackground(self.fig, [])
        self._inputs = inputs
        with single_blas_thread():  # errors here (e.g. from tracing fn) go to the caller
            self._build()
        controls = [self.sliders_box] if fn is not None else [self.example, self.sliders_box]
        steps = W.HBox([self.back_button, self.next_button, self.play, self.reset_button, self.step])
        self.children = [*controls, steps, self.fig.canvas, self.explanation, self.message]

    # building and updating
    def _build(self) -> None:
        fn = self.fn or EXAMPLES[self.example.value]
        graph = Graph.trace(fn, **(self._inputs if self.fn is not None else {}))
        for name, v in graph.inputs.items():
            if np.ndim(v.data) != 0:
                raise TypeError(
                    f"GraphExplorer: input {name} must be a single number (the start of its slider), got "
                    f"an array of shape {np.shape(v.data)}; explore one entry at a time, or use "
                    "JacobianExplorer for vectors"
                )
        self.graph = graph
        self.sliders = {}
        for name, v in self.graph.inputs.items():
            s = _slider(name, v.data)
            s.observe(self._on_change(self._recompute), "value")
            self.sliders[name] = s
        self.sliders_box.children = list(self.sliders.values())
        self.fig.clear()
        self.fig.set_size_inches(*graph_figsize(self.graph, max_width=9.5))
        ax = self.fig.add_axes((0.01, 0.03, 0.98, 0.95))
        self.graph.backward()
        self.drawing = GraphDrawing(self.graph, ax)
        d = self.drawing
        self.background.reset([*d.value_texts.values(), *d.grad_texts.values(), d.gate_markers])
        n = len(self.graph.steps)
        self.step.max = self.play.max = n
        self.step.value = min(self.step.value, n)
        self._show_step()

    def _recompute(self) -> None:
        self.graph.forward(**{name: s.value for name, s in self.sliders.items()})
        self.graph.backward()
        self._show_step()

    def _move(self, delta: int | None) -> None:
        self.step.value = 0 if delta is None else min(max(self.step.value + delta, 0), self.step.max)

    def _show_step(self) -> None:
        k = self.step.value
        steps = self.graph.steps
        self.drawing.show_gradients_up_to(k)
        self.drawing.highlight(steps[k - 1].node if k > 0 else None)
        self.explanation.value = self._explain(k)
        self.fig.canvas.draw_idle()

    def _explain(self, k: int) -> str:
        steps, out = self.graph.steps, self.graph.names[self.graph.output]
        if k == 0:
            value = format_number(self.graph.output.data)
            return (
                f"Forward pass done: {out} = <b style='color:{VALUE_COLOR}'>{value}</b>. "
                f"Press <b>Next</b> to start the backward pass from d{out}/d{out} = 1."
            )
        s = steps[k - 1]
        lines = [
            f"<b>Step {k} of {len(steps)}</b>: gate <b>{html.escape(s.gate.symbol)}</b> computing {s.name}"
        ]
        for i, name in enumerate(s.inputs):
            down = f"<b style='color:{GRAD_COLOR}'>{format_number(s.downstream[i])}</b>"
            if s.local is not None:
                lines.append(
                    f"d{out}/d{name} = local d{s.name}/d{name} &times; upstream d{out}/d{s.name} = "
                    f"{format_number(s.local[i])} &times; {format_number(s.upstream)} = {down}"
                )
            else:
                lines.append(f"d{out}/d{name} = {down}")
        return "<br>".join(lines)


class GatePlayground(Explorer):
    """The four patterns of backward flow: pick a gate, set its inputs and the upstream gradient."""

    PATTERNS = {
        "add": "<b>distributor</b>: every input gets the upstream gradient unchanged.",
        "multiply": "<b>switcher</b>: each input gets the upstream gradient times the <i>other</i> input.",
        "max": "<b>router</b>: the larger input gets all of the upstream gradient, the other gets 0.",
        "copy (branch)": "<b>adder</b>: a value used twice gets the <i>sum</i> of the two gradients.",
    }

    def __init__(self, gate: str = "multiply", x: float = 3.0, y: float = -1.0, upstream: float = 2.0):
        super().__init__()
        if not isinstance(gate, str) or gate not in self.PATTERNS:
            raise ValueError(f"unknown gate {gate!r}; choose one of: {', '.join(self.PATTERNS)}")
        x = real_number(x, "x", "GatePlayground", example=3.0)
        y = real_number(y, "y", "GatePlayground", example=-1.0)
        upstream = real_number(upstream, "upstream", "GatePlayground", example=2.0)
        self.gate = W.ToggleButtons(options=list(self.PATTERNS), value=gate, style={"button_width": "125px"})
        self.x, self.y = _slider("x", x), _slider("y", y)
        self.upstream = _slider("upstream", upstream)
        self.upstream2 = _slider("upstream 2", -0.5)
        for w in (self.gate, self.x, self.y, self.upstream, self.upstream2):
            w.observe(self._on_change(self._update), "value")
        self.fig = widget_figure(5.6, 2.6)
        self.ax = self.fig.add_axes((0, 0, 1, 0.88))
        self._draw()
        self.pattern = W.HTML()
        self._safe(self._update)
        self.children = [
            self.gate,
            W.HBox([self.x, self.y]),
            W.HBox([self.upstream, self.upstream2]),
            self.fig.canvas,
            self.pattern,
            self.message,
        ]

    def _draw(self) -> None:
        ax = self.ax
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 5)
        ax.set_axis_off()
        (self.in_x,) = ax.plot([1, 4.6], [3.6, 2.5], color="#757575")
        (self.in_y,) = ax.plot([1, 4.6], [1.4, 2.5], color="#757575")
        (self.out1,) = ax.plot([5.4, 9], [2.5, 2.5], color="#757575")
        (self.out2,) = ax.plot([5.4, 9], [2.5, 1.2], color="#757575")
        self.circle = ax.scatter([5], [2.5], s=1400, c="#e3f2fd", edgecolors="#1565c0", zorder=3)
        self.symbol = ax.text(5, 2.5, "", ha="center", va="center", fontsize=12, zorder=4)
        kw = dict(ha="center", fontsize=11)
        self.x_label = ax.text(0.6, 3.6, "x", va="center", fontweight="bold", **kw)
        self.y_label = ax.text(0.6, 1.4, "y", va="center", fontweight="bold", **kw)
        self.x_value = ax.text(2.6, 3.35, "", color=VALUE_COLOR, va="bottom", **kw)
        self.x_grad = ax.text(2.4, 2.95, "", color=GRAD_COLOR, va="top", **kw)
        self.y_value = ax.text(2.6, 1.9, "", color=VALUE_COLOR, va="bottom", **kw)
        self.y_grad = ax.text(2.4, 1.5, "", color=GRAD_COLOR, va="top", **kw)
        self.z_value = ax.text(7.2, 2.65, "", color=VALUE_COLOR, va="bottom", **kw)
        self.z_grad = ax.text(7.2, 2.35, "", color=GRAD_COLOR, va="top", **kw)
        self.z2_value = ax.text(7.6, 1.95, "", color=VALUE_COLOR, va="bottom", **kw)
        self.z2_grad = ax.text(7.0, 1.55, "", color=GRAD_COLOR, va="top", **kw)
        ax.text(0.1, 0.1, "values (forward)", color=VALUE_COLOR, fontsize=9)
        ax.text(9.9, 0.1, "gradients (backward)", color=GRAD_COLOR, fontsize=9, ha="right")

    # where the wires and labels go: a two-input gate, or one input copied to two outputs
    GATE_LAYOUT = {
        "in_x": ([1, 4.6], [3.6, 2.5]),
        "out1": ([5.4, 9], [2.5, 2.5]),
        "x_label": (0.6, 3.6),
        "x_value": (2.6, 3.35),
        "x_grad": (2.4, 2.95),
        "z_value": (7.2, 2.65),
        "z_grad": (7.2, 2.35),
    }
    COPY_LAYOUT = {
        "in_x": ([1, 4.6], [2.5, 2.5]),
        "out1": ([5.4, 9], [2.5, 3.8]),
        "x_label": (0.6, 2.5),
        "x_value": (2.6, 2.65),
        "x_grad": (2.6, 2.35),
        "z_value": (7.6, 3.35),
        "z_grad": (7.0, 2.95),
    }

    def _place(self, layout: dict[str, Any]) -> None:
        for name, where in layout.items():
            artist = getattr(self, name)
            if name in ("in_x", "out1"):
                artist.set_data(*where)
            else:
                artist.set_position(where)

    def _update(self) -> None:
        from . import gates as G

        kind, x, y, up = self.gate.value, self.x.value, self.y.value, self.upstream.value
        copy = kind == "copy (branch)"
        self.y.layout.visibility = "hidden" if copy else "visible"
        self.upstream2.layout.visibility = "visible" if copy else "hidden"
        for artist in (self.in_y, self.y_label, self.y_value, self.y_grad):
            artist.set_visible(not copy)
        for artist in (self.out2, self.z2_value, self.z2_grad):
            artist.set_visible(copy)
        fmt = format_number
        self._place(self.COPY_LAYOUT if copy else self.GATE_LAYOUT)
        if copy:
            # x feeds two places; the engine adds the gradients flowing back from both
            xv = Value(x, "x")
            first, second = xv * 1.0, xv * 1.0
            up2 = self.upstream2.value
            (first * up + second * up2).backward()
            self.symbol.set_text("copy")
            texts = {
                "x_value": fmt(x),
                "x_grad": f"{fmt(up)} + {fmt(up2)} = {fmt(xv.grad)}",
                "z_value": fmt(x),
                "z_grad": fmt(up),
                "z2_value": fmt(x),
                "z2_grad": fmt(up2),
            }
        else:
            gate = {"add": G.AddGate, "multiply": G.MultiplyGate, "max": G.MaxGate}[kind]()
            z = gate.forward(x, y)
            dx, dy = gate.backward(up)
            self.symbol.set_text(gate.symbol)
            texts = {
                "x_value": fmt(x),
                "y_value": fmt(y),
                "x_grad": fmt(dx),
                "y_grad": fmt(dy),
                "z_value": fmt(z),
                "z_grad": fmt(up),
            }
        for name, text in texts.items():
            getattr(self, name).set_text(text)
        self.ax.set_title(f"{kind} gate", fontsize=11, y=1.01)
        self.pattern.value = f"{kind}: {self.PATTERNS[kind]}"
        self.fig.canvas.draw_idle()


# ---------------------------------------------------------------------------
# The chain rule
# ---------------------------------------------------------------------------


def _univariate(t):
    u = t**2
    u.label = "u"
    x = 1 - u
    x.label = "x"
    return 5 * x


def _total(x, y, z):
    return x.sin() * (y * z * z).exp()


class ChainRuleExplorer(Explorer):
    """Two chain-rule examples with a t slider, the tangent of f(t), and each factor of df/dt.

    f(x(u(t))) = 5 x, x = 1 - u, u = t^2; and the total derivative of f = sin(x) e^(y z^2)
    with x = t - 1, y = t^2, z = 1/t, which is cos(t - 1) e.
    """

    MODES = ("univariate chain: f(x(u(t)))", "total derivative: f(x(t), y(t), z(t))")

    def __init__(self, mode: int = 0, t: float = 1.5):
        super().__init__()
        if isinstance(mode, str) and mode in self.MODES:
            mode = self.MODES.index(mode)
        if not is_real(mode) or mode not in (0, 1):
            raise ValueError(
                f"ChainRuleExplorer: mode must be 0 ({self.MODES[0]}) or 1 ({self.MODES[1]}), "
                f"got {describe(mode)}"
            )
        mode = int(mode)
        # z = 1/t in the total-derivative example: t stays in the slider's range, away from 0
        t = _in_range(t, "t", "ChainRuleExplorer", 0.2, 3.0, 1.5)
        self.mode = W.Dropdown(
            options=list(self.MODES), index=mode, description="example", style=SLIDER_STYLE
        )
        self.t = _slider("t", t, 0.2, 3.0, 0.05)
        self.mode.observe(self._on_change(self._rebuild), "value")
        self.t.observe(self._on_change(self._update), "value")
        self.fig = widget_figure(6.0, 3.2)
        self.ax = self.fig.add_axes((0.1, 0.15, 0.85, 0.72))
        (self.curve,) = self.ax.plot([], [], color="#1565c0", label="f(t)")
        # moving artists on top of everything (zorder 10): nothing static is drawn over them
        (self.tangent,) = self.ax.plot(
            [], [], color=GRAD_COLOR, lw=1.5, label="tangent, slope df/dt", zorder=10
        )
        (self.point,) = self.ax.plot([], [], "o", color=GRAD_COLOR, zorder=10)
        self.ax.set_xlabel("t")
        self.ax.set_ylabel("f(t)")
        self.ax.legend(loc="upper right", fontsize=8)
        self.background = CachedBackground(self.fig, [self.tangent, self.point])
        self.factors = W.HTML()
        self._safe(self._rebuild)
        self.children = [W.HBox([self.mode, self.t]), self.fig.canvas, self.factors, self.message]

    def _f(self, t: float) -> float:
        if self.mode.index == 0:
            return 5 * (1 - t * t)
        return math.sin(t - 1) * math.exp(t * t / (t * t))

    def _rebuild(self) -> None:
        # each example's graph is traced once; moving t re-runs it with Graph.forward
        self.chain_graph = Graph.trace(_univariate, t=self.t.value)
        self.partials_graph = Graph.trace(_total, x=1.0, y=1.0, z=1.0)
        ts = np.linspace(self.t.min, self.t.max, 200)
        ys = np.array([self._f(float(t)) for t in ts])
        self.curve.set_data(ts, ys)
        self.ax.set_xlim(ts[0], ts[-1])
        pad = 0.1 * (ys.max() - ys.min())
        self.ax.set_ylim(ys.min() - pad, ys.max() + pad)
        title = "f(t) = 5(1 - t²)" if self.mode.index == 0 else "f(t) = sin(t - 1) exp(t² (1/t)²)"
        self.ax.set_title(title, fontsize=10, y=1.01)
        self.background.invalidate()
        self._update()

    def _update(self) -> None:
        t = self.t.value
        if self.mode.index == 0:
            slope, html_text = self._univariate(t)
        else:
            slope, html_text = self._total(t)
        f = self._f(t)
        h = 1e-5
        numeric = (self._f(t + h) - self._f(t - h)) / (2 * h)
        self.slope, self.numeric = slope, numeric
        half = 0.4
        self.tangent.set_data([t - half, t + half], [f - half * slope, f + half * slope])
        self.point.set_data([t], [f])
        self.factors.value = (
            f"{html_text}<br>finite difference (f(t+h) - f(t-h)) / 2h = {numeric:.6f} "
            f"(difference {abs(numeric - slope):.1e})"
        )
        self.fig.canvas.draw_idle()

    def _univariate(self, t: float) -> tuple[float, str]:
        g = self.chain_graph
        g.forward(t=t)
        grads = g.backward()
        # the gates from the output back: *5, +1 (of 1 - u), *-1, **2
        local = {s.gate.symbol: s.local[0] for s in g.steps}
        df_dx, dx_du, du_dt = local["*5"], local["*-1"] * local["+1"], local["**2"]
        text = (
            f"df/dx = <b>{df_dx:g}</b>, dx/du = <b>{dx_du:g}</b>, du/dt = 2t = <b>{du_dt:.4g}</b><br>"
            f"df/dt = (df/dx)(dx/du)(du/dt) = <b style='color:{GRAD_COLOR}'>{grads['t']:.6f}</b> = -10t"
        )
        return grads["t"], text

    def _total(self, t: float) -> tuple[float, str]:
        x, y, z = t - 1, t * t, 1 / t
        self.partials_graph.forward(x=x, y=y, z=z)
        partials = self.partials_graph.backward()
        tv = Value(t, "t")
        rates = []
        for inner in (tv - 1, tv * tv, 1 / tv):
            tv.grad = 0.0
            inner.backward()
            rates.append(tv.grad)
        terms = [partials[k] * r for k, r in zip("xyz", rates)]
        total = sum(terms)
        rows = "<br>".join(
            f"&part;f/&part;{k} &times; d{k}/dt = {partials[k]:.4f} &times; {r:.4f} = {p:.4f}"
            for k, r, p in zip("xyz", rates, terms)
        )
        text = (
            f"{rows}<br>df/dt = sum = <b style='color:{GRAD_COLOR}'>{total:.6f}</b>; "
            f"cos(t - 1) e = {math.cos(t - 1) * math.e:.6f}"
        )
        return total, text


# ---------------------------------------------------------------------------
# Jacobians
# ---------------------------------------------------------------------------


class JacobianExplorer(Explorer):
    """The Jacobian (rows = outputs, columns = inputs) of an operation as a heatmap, and its cost."""

    OPS = ("ReLU (elementwise)", "sigmoid (elementwise)", "W x", "softmax", "||W x||²")

    def __init__(self, op: str = "sigmoid (elementwise)", n: int = 8, seed: int = 0):
        super().__init__()
        if not isinstance(op, str) or op not in self.OPS:
            raise ValueError(f"unknown operation {op!r}; choose one of: {', '.join(self.OPS)}")
        if not is_real(n) or not math.isfinite(n) or n != int(n) or not 2 <= n <= 48:
            raise (ValueError if is_real(n) else TypeError)(
                "JacobianExplorer: n must be a whole number between 2 and 48 (the slider's range), "
                f"got {describe(n)}; pass e.g. n=8"
            )
        n = int(n)
        random_generator(seed, "JacobianExplorer")  # a valid seed, or an error naming it
        self.op = W.Dropdown(options=list(self.OPS), value=op, description="operation", style=SLIDER_STYLE)
        self.n = W.IntSlider(value=n, min=2, max=48, description="size n", continuous_update=False)
        self.seed = seed
        self.op.observe(self._on_change(self._update), "value")
        self.n.observe(self._on_change(self._update), "value")
        self.fig = widget_figure(4.6, 4.0)
        self.ax = self.fig.add_axes((0.14, 0.1, 0.72, 0.8))
        self.image = self.ax.imshow(np.zeros((2, 2)), cmap="RdBu_r", interpolation="nearest")
        self.colorbar = self.fig.colorbar(self.image, ax=self.ax, fraction=0.046, pad=0.04)
        self.colorbar.locator = MaxNLocator(4)  # few tick labels: each one costs render time
        for axis in (self.ax.xaxis, self.ax.yaxis):
            axis.set_major_locator(MaxNLocator(5, integer=True))
        self.ax.set_xlabel("input j")
        self.ax.set_ylabel("output i")
        self.info = W.HTML()
        self._safe(self._update)
        self.children = [W.HBox([self.op, self.n]), self.fig.canvas, self.info, self.message]

    def _function(self) -> tuple[Callable[[Value], Value], np.ndarray, str]:
        n, rng = self.n.value, np.random.default_rng(self.seed)
        x = rng.normal(0, 1.5, n)
        Wm = rng.normal(0, 1, (n, n)) / math.sqrt(n)
        op = self.op.value
        if op.startswith("ReLU"):
            return (lambda v: v.relu()), x, "diagonal: output i depends on input i only"
        if op.startswith("sigmoid"):
            return (lambda v: v.sigmoid()), x, "diagonal: output i depends on input i only"
        if op == "W x":
            return (lambda v: Value(Wm) @ v), x, "J = W: every output depends on every input"
        if op == "softmax":
            return (lambda v: v.exp() / v.exp().sum()), x, "J = diag(p) - p pᵀ: dense"
        return (lambda v: ((Value(Wm) @ v) ** 2).sum()), x, "one output: the Jacobian is the gradient, a row"

    def _update(self) -> None:
        fn, x, note = self._function()
        J = jacobian(fn, x)
        self.J = J
        m, n = J.shape
        self.image.set_data(J)
        self.image.set_extent((-0.5, n - 0.5, m - 0.5, -0.5))
        limit = float(np.abs(J).max()) or 1.0
        self.image.set_clim(-limit, limit)
        self.ax.set_aspect("equal" if m > 1 else "auto")
        self.ax.set_title(f"Jacobian of {self.op.value}: {m} × {n}", fontsize=10, y=1.01)
        nonzero = int(np.count_nonzero(np.abs(J) > 1e-15))
        here = jacobian_size(n, m)
        lecture = jacobian_size(4096, 4096, batch=100)
        self.info.value = (
            f"{note}. Shape {m} × {n}: {J.size} entries, {nonzero} non-zero.<br>"
            f"Here: {here}.<br>The lecture's layer: {lecture}."
        )
        self.fig.canvas.draw_idle()


# ---------------------------------------------------------------------------
# Activation functions
# ---------------------------------------------------------------------------


MAXOUT_PIECES = ((1.0, 0.0), (-0.5, -1.0))  # max(w1 x + b1, w2 x + b2) for a 1-D input


def activation_and_derivative(name: str, x: np.ndarray, slope: float = 0.1, alpha: float = 1.0):
    """f(x) and f'(x) of an activation, computed by coursekit's gates (derivative = vjp of ones)."""
    from . import gates as G

    if name == "maxout":
        pieces = np.stack([w * x + b for w, b in MAXOUT_PIECES])
        winner = pieces.argmax(axis=0)
        return pieces.max(axis=0), np.choose(winner, [w for w, _ in MAXOUT_PIECES])
    gate = {
        "sigmoid": G.SigmoidGate(),
        "tanh": G.TanhGate(),
        "relu": G.ReLUGate(),
        "leaky_relu": G.LeakyReLUGate(slope),
        "elu": G.ELUGate(alpha),
    }[name]
    y = gate.compute(x)
    return y, gate.vjp(np.ones_like(x), y, x)


class ActivationExplorer(Explorer):
    """An activation function and its derivative side by side; saturated and dead regions shaded."""

    NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout")

    def __init__(self, activation: str = "sigmoid", x: float = 1.0):
        super().__init__()
        if not isinstance(activation, str) or activation not in self.NAMES:
            raise ValueError(f"unknown activation {activation!r}; choose one of: {', '.join(self.NAMES)}")
        x = _in_range(x, "x", "ActivationExplorer", -5.0, 5.0, 1.0)
        self.activation = W.ToggleButtons(
            options=list(self.NAMES), value=activation, style={"button_width": "95px"}
        )
        self.x = _slider("input x", x, -5, 5)
        self.slope = _slider("leaky slope", 0.1, 0.0, 0.5, 0.01)
        self.alpha = _slider("ELU alpha", 1.0, 0.1, 2.0, 0.05)
        for w in (self.activation, self.x, self.slope, self.alpha):
            w.observe(self._on_change(self._update), "value")
        self.fig = widget_figure(8.0, 3.0)
        self.ax_f = self.fig.add_axes((0.07, 0.16, 0.4, 0.72))
        self.ax_d = self.fig.add_axes((0.57, 0.16, 0.4, 0.72))
        self.grid = np.linspace(-5, 5, 401)
        (self.f_line,) = self.ax_f.plot([], [], color="#1565c0")
        (self.d_line,) = self.ax_d.plot([], [], color=GRAD_COLOR)
        (self.f_point,) = self.ax_f.plot([], [], "o", color="#1565c0", zorder=10)
        (self.d_point,) = self.ax_d.plot([], [], "o", color=GRAD_COLOR, zorder=10)
        self.shades = [ax.axvspan(-5, -5, color="#9e9e9e", alpha=0.25, lw=0) for ax in (self.ax_f, self.ax_d)]
        self.shades += [ax.axvspan(5, 5, color="#9e9e9e", alpha=0.25, lw=0) for ax in (self.ax_f, self.ax_d)]
        for ax, label in ((self.ax_f, "f(x)"), (self.ax_d, "f'(x)")):
            ax.set_xlim(-5, 5)
            ax.set_xlabel("x")
            ax.set_ylabel(label)
            ax.axhline(0, color="#bdbdbd", lw=0.8)
            ax.axvline(0, color="#bdbdbd", lw=0.8)
        self.background = CachedBackground(self.fig, [self.f_point, self.d_point])
        self._shown: tuple = ()
        self.readout = W.HTML()
        self._safe(self._update)
        self.children = [
            self.activation,
            W.HBox([self.x, self.slope, self.alpha]),
            self.fig.canvas,
            self.readout,
            self.message,
        ]

    def _span(self, patch: Any, lo: float, hi: float) -> None:
        patch.set_x(lo)
        patch.set_width(hi - lo)

    def _update(self) -> None:
        name = self.activation.value
        shown = (name, self.slope.value, self.alpha.value)
        if shown != self._shown:  # the function changed: new curves and a new background
            self._shown = shown
            self._draw_curves(*shown)
        x = np.array([self.x.value])
        fx, dfx = activation_and_derivative(name, x, self.slope.value, self.alpha.value)
        self.f_point.set_data(x, fx)
        self.d_point.set_data(x, dfx)
        self.readout.value = f"f({x[0]:.2f}) = {fx[0]:.4f}, f'({x[0]:.2f}) = <b>{dfx[0]:.4f}</b>" + (
            " : the gradient is (almost) zero here: this unit learns nothing from this input."
            if abs(dfx[0]) < 0.05
            else ""
        )
        self.fig.canvas.draw_idle()

    def _draw_curves(self, name: str, slope: float, alpha: float) -> None:
        """The function and its derivative over the whole range, shading, limits and titles."""
        self.slope.layout.visibility = "visible" if name == "leaky_relu" else "hidden"
        self.alpha.layout.visibility = "visible" if name == "elu" else "hidden"
        y, dy = activation_and_derivative(name, self.grid, slope, alpha)
        self.f_line.set_data(self.grid, y)
        self.d_line.set_data(self.grid, dy)
        for ax, values in ((self.ax_f, y), (self.ax_d, dy)):
            lo, hi = float(values.min()), float(values.max())
            pad = 0.1 * (hi - lo or 1.0)
            ax.set_ylim(lo - pad, hi + pad)
        left, right, label = self._regions(dy)
        for patch in self.shades[:2]:
            self._span(patch, -5, left)
        for patch in self.shades[2:]:
            self._span(patch, right, 5)
        self.shading = label  # in a legend placed clear of the curve ("best")
        if label:
            self.ax_d.legend([self.shades[1]], [label], loc="best", fontsize=8, frameon=False)
        elif self.ax_d.get_legend() is not None:
            self.ax_d.get_legend().remove()
        self.ax_f.set_title(name, fontsize=10, y=1.01)
        self.ax_d.set_title(f"derivative of {name}", fontsize=10, y=1.01)
        self.background.invalidate()

    def _regions(self, dy: np.ndarray) -> tuple[float, float, str]:
        """x-ranges to shade: where the derivative is 0 (dead) or below 5% of its peak in size
        (saturated). A negative slope (maxout's left piece) passes gradient as well as a positive one."""
        size = np.abs(dy)
        mask = size <= 0.05 * size.max()
        left = self.grid[mask & (self.grid < 0)]
        right = self.grid[mask & (self.grid > 0)]
        lo = float(left.max()) if left.size else -5.0
        hi = float(right.min()) if right.size else 5.0
        if not (left.size or right.size):
            return lo, hi, ""
        dead = np.any(dy[mask] == 0)
        return lo, hi, "shaded: dead, f' = 0" if dead else "shaded: saturated, f' < 5% of its peak"


# ---------------------------------------------------------------------------
# Networks and training
# ---------------------------------------------------------------------------


def _parse_sizes(text: str, at_least: int = 2, what: str = "layer sizes") -> list[int]:
    """'3, 4, 2' -> [3, 4, 2]: at least ``at_least`` positive whole numbers."""
    example = "3, 4, 2" if at_least > 1 else "6, 7"
    try:
        sizes = [int(s) for s in text.replace(",", " ").split()]
    except ValueError:
        raise ValueError(
            f"{what} must be whole numbers separated by commas, e.g. {example}; got {text!r}"
        ) from None
    if len(sizes) < at_least or (sizes and min(sizes) < 1):
        count = "two" if at_least == 2 else "one"
        raise ValueError(f"give at least {count} positive {what}, e.g. {example} (got {text!r})")
    return sizes


class NetworkDiagram(Explorer):
    """An MLP drawn from its layer sizes with its counts; weights coloured when given a model."""

    def __init__(self, sizes: Any = None, model: nn.MLP | None = None):
        super().__init__()
        if model is not None and not isinstance(model, nn.MLP):
            raise TypeError(
                "NetworkDiagram: model must be an nn.MLP (it is drawn from its sizes), "
                f"got {describe(model)}; "
                "pass e.g. NetworkDiagram(model=nn.MLP([3, 4, 1]))"
            )
        if isinstance(sizes, str):
            text = sizes
        elif sizes is None:
            text = ", ".join(map(str, model.sizes if model is not None else (3, 4, 4, 1)))
        else:
            if not hasattr(sizes, "__iter__"):
                raise TypeError(
                    "NetworkDiagram: sizes must be a list of layer sizes such as (3, 4, 1), "
                    f"got {describe(sizes)}"
                )
            sizes = list(sizes)
            for i, v in enumerate(sizes):
                if not is_real(v) or v != int(v) or v < 1:
                    raise ValueError(
                        f"NetworkDiagram: layer sizes must be positive whole numbers, but sizes[{i}] is "
                        f"{describe(v)} in {sizes}; pass e.g. (3, 4, 1)"
                    )
            text = ", ".join(str(int(v)) for v in sizes)
        parsed = _parse_sizes(text)  # raises here, for the caller, rather than inside the widget
        if model is not None and sizes is not None and parsed != model.sizes:
            raise ValueError(
                f"NetworkDiagram: sizes {parsed} differ from the model's {model.sizes}; pass one or the other"
            )
        self.model = model
        self.sizes = W.Text(value=text, description="layer sizes", style=SLIDER_STYLE)
        self.sizes.observe(self._on_change(self._update), "value")
        self.fig = widget_figure(6.0, 3.4)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.counts = W.HTML()
        self._safe(self._update)
        self.children = [self.sizes, self.fig.canvas, self.counts, self.message]

    def _update(self) -> None:
        sizes = _parse_sizes(self.sizes.value)
        params = self.model.params if self.model is not None and sizes == self.model.sizes else None
        self.ax.clear()  # the structure changed: a new drawing, not new numbers
        self.drawing = NetworkDrawing(sizes, self.ax, params)
        c = network_counts(sizes)
        self.counts.value = (
            f"{len(sizes) - 1}-layer network: <b>{c['neurons']}</b> neurons (inputs not counted), "
            f"{c['weights']} weights + {c['biases']} biases = <b>{c['parameters']}</b> parameters"
            + (" · connections: blue positive, red negative, width by size" if params is not None else "")
        )
        self.fig.canvas.draw_idle()


def _nice_ceiling(n: int) -> int:
    """The smallest of 1000, 10000, 100000, ... that is at least n."""
    limit = 1000
    while limit < n:
        limit *= 10
    return limit


class TrainingDashboard(Explorer):
    """Train an MLP live: the heart curve (regression) or a 2-D classification set.

    Play trains in a background thread and redraws about ten times a second; Pause stops it,
    Step trains one chunk, Reset starts again from new weights.
    """

    DATASETS = ("heart", "spiral", "moons", "circles", "xor")

    def __init__(
        self, dataset: str = "heart", hidden: str = "6, 7", activation: str = "sigmoid", lr: float = 7.0
    ):
        super().__init__()
        if not isinstance(dataset, str) or dataset not in self.DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(self.DATASETS)}")
        if not isinstance(activation, str) or activation not in nn.ACTIVATIONS:
            raise ValueError(
                f"TrainingDashboard: unknown activation {activation!r}; "
                f"choose one of: {', '.join(nn.ACTIVATIONS)}"
            )
        if not isinstance(hidden, str):
            if isinstance(hidden, (list, tuple)) and all(is_real(h) for h in hidden):
                hidden = ", ".join(str(h) for h in hidden)
            else:
                raise TypeError(
                    f"TrainingDashboard: hidden must be text such as '6, 7', got {describe(hidden)}"
                )
        _parse_sizes(hidden, at_least=1, what="hidden sizes")  # raises here, not inside the widget
        lr = _in_range(lr, "lr", "TrainingDashboard", 10**-3, 10**1.5, 0.5)
        self.dataset = W.Dropdown(options=list(self.DATASETS), value=dataset, description="data")
        self.hidden = W.Text(value=hidden, description="hidden sizes", style=SLIDER_STYLE)
        self.activation = W.Dropdown(options=list(nn.ACTIVATIONS), value=activation, description="activation")
        self.lr = W.FloatLogSlider(
            value=lr,
            base=10,
            min=-3,
            max=1.5,
            step=0.05,
            description="learning rate",
            continuous_update=False,
            style=SLIDER_STYLE,
        )
        self.play_button = W.Button(description="Play", icon="play", button_style="success")
        self.pause_button = W.Button(description="Pause", icon="pause")
        self.step_button = W.Button(description="Step", icon="step-forward")
        self.reset_button = W.Button(description="Reset", icon="undo")
        self.play_button.on_click(lambda _: self.play())
        self.pause_button.on_click(lambda _: self.pause())
        self.step_button.on_click(lambda _: self._safe(self.step))
        self.reset_button.on_click(lambda _: self._safe(self.reset))
        for w in (self.dataset, self.hidden, self.activation):
            w.observe(self._on_change(self.reset), "value")
        self.status = W.HTML()
        self.fig = widget_figure(8.4, 3.3, dpi=80)
        self.ax_loss = self.fig.add_axes((0.1, 0.14, 0.36, 0.74))
        self.ax_fit = self.fig.add_axes((0.55, 0.14, 0.4, 0.74))
        self.background = CachedBackground(self.fig, [])
        self.steps_per_chunk = 200
        self.frame_interval = 0.095  # seconds between redraws while playing: about 10.5 a second
        self.frames = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.RLock()  # the training thread redraws while holding it
        self._safe(self.reset)
        controls = W.HBox([self.play_button, self.pause_button, self.step_button, self.reset_button])
        self.children = [
            W.HBox([self.dataset, self.activation]),
            W.HBox([self.hidden, self.lr]),
            controls,
            self.fig.canvas,
            self.status,
            self.message,
        ]

    # --- model and data ---------------------------------------------------------
    def reset(self) -> None:
        """New weights, empty history, fresh plots."""
        self.pause()
        name = self.dataset.value
        hidden = _parse_sizes(self.hidden.value, at_least=1, what="hidden sizes")
        if name == "heart":
            self.X, self.Y = datasets.heart_curve()
            sizes, out, loss = [1, *hidden, 2], "sigmoid", "mse"
        else:
            self.X, self.Y = datasets.load(name, seed=0)
            sizes, out, loss = [2, *hidden, int(self.Y.max()) + 1], None, "softmax"
        init = "half" if name == "heart" else None
        self.model = nn.MLP(sizes, activation=self.activation.value, output_activation=out, init=init, seed=0)
        self.loss_name = loss
        self.history: list[float] = []
        self._draw_axes()
        self._redraw()

    def _draw_axes(self) -> None:
        for ax in (self.ax_loss, self.ax_fit):
            ax.clear()
        (self.loss_line,) = self.ax_loss.plot([], [], color=GRAD_COLOR, zorder=10)
        self.ax_loss.set_yscale("log")
        self.ax_loss.yaxis.set_minor_locator(NullLocator())  # few tick labels: each costs render time
        self.ax_loss.xaxis.set_major_locator(MaxNLocator(4))
        self.ax_loss.set_xlabel("step")
        self.ax_loss.set_ylabel("loss")
        self.ax_loss.set_title("training loss", fontsize=10, y=1.01)
        if self.dataset.value == "heart":
            self.ax_fit.plot(self.Y[:, 0], self.Y[:, 1], ".", color="#9e9e9e")
            (self.fit_line,) = self.ax_fit.plot([], [], color="#1565c0", lw=2, zorder=10)
            self.ax_fit.set_xlim(0, 1)
            self.ax_fit.set_ylim(0, 1)
            self.ax_fit.set_aspect("equal")
            self.ax_fit.set_title("target (grey dots) and network (blue)", fontsize=10, y=1.01)
        else:
            lo, hi = self.X.min(axis=0) - 0.3, self.X.max(axis=0) + 0.3
            gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60))
            self.grid = np.c_[gx.ravel(), gy.ravel()]
            self.boundary = self.ax_fit.imshow(
                np.zeros(gx.shape),
                origin="lower",
                extent=(lo[0], hi[0], lo[1], hi[1]),
                cmap="coolwarm",
                vmin=0,
                vmax=max(1, int(self.Y.max())),
                alpha=0.45,
                aspect="auto",
                interpolation="bilinear",
                zorder=1,  # above the axis ticks (zorder 0.5 with axisbelow), below the points
            )
            self.ax_fit.set_axisbelow(True)
            self.ax_fit.scatter(
                self.X[:, 0], self.X[:, 1], c=self.Y, cmap="coolwarm", s=10, edgecolors="k", lw=0.3, zorder=2
            )
            self.ax_fit.set_title("decision regions", fontsize=10, y=1.01)
        self.ax_fit.set_xlabel("x1" if self.dataset.value != "heart" else "y1")
        self.ax_fit.set_ylabel("x2" if self.dataset.value != "heart" else "y2")
        moving = self.fit_line if self.dataset.value == "heart" else self.boundary
        self.background.reset([self.loss_line, moving])

    def _redraw(self) -> None:
        with self._lock, np.errstate(all="ignore"):  # a diverged model may overflow; it is reported
            n = len(self.history)
            every = max(1, n // 1000)  # at most ~1000 points on screen, however long the run
            losses = np.array(self.history[every - 1 :: every])
            if self.dataset.value == "heart":
                out = self.model.forward(self.X)
            else:
                out = self.model.forward(self.grid).argmax(axis=1)
        if n:
            self.loss_line.set_data(np.arange(every, every * len(losses) + 1, every), losses)
            # limits move in decades (of steps and of loss), so the axes are
            # re-rendered only now and then, not on every frame
            self.ax_loss.set_xlim(0, _nice_ceiling(n))
            finite = losses[np.isfinite(losses) & (losses > 0)]
            if finite.size:
                decades = np.clip(np.log10([finite.min(), finite.max()]), -300, 300)
                self.ax_loss.set_ylim(10.0 ** math.floor(decades[0]), 10.0 ** math.ceil(decades[1]))
        if self.dataset.value == "heart":
            self.fit_line.set_data(out[:, 0], out[:, 1])
        else:
            self.boundary.set_data(out.reshape(60, 60))
        last = f"{self.history[-1]:.5g}" if n else "-"
        self.status.value = f"step {n} · loss {last}"
        self.frames += 1
        self.fig.canvas.draw_idle()

    # --- training -----------------------------------------------------------------
    def _train(self, steps: int, until_stopped: bool) -> None:
        next_frame = time.perf_counter() + self.frame_interval

        def callback(step: int, loss: float, model: Any) -> bool:
            nonlocal next_frame
            now = time.perf_counter()
            if now >= next_frame:  # frames on a fixed schedule: ten a second
                next_frame = max(next_frame + self.frame_interval, now)
                self._redraw()
            return not self._stop.is_set()

        while True:
            with self._lock:
                history = nn.fit(
                    self.model,
                    self.X,
                    self.Y,
                    loss=self.loss_name,
                    lr=self.lr.value,
                    steps=steps,
                    callback=callback,
                    callback_every=100,  # about every 4 ms: fine-grained enough to keep the frame rate
                    progress=False,
                    warn=False,  # the dashboard reports divergence itself
                )
                self.history.extend(history.loss)
            if history.stopped == "diverged":
                self.show_error("The loss diverged: lower the learning rate and press Reset.")
                break
            if not until_stopped or self._stop.is_set():
                break
        self._redraw()

    def step(self) -> None:
        """Train one chunk of steps now (in this thread) and redraw."""
        self.pause()
        self._stop.clear()
        self._train(self.steps_per_chunk, until_stopped=False)

    def play(self) -> None:
        """Train in a background thread until paused."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._safe,
            args=(lambda: self._train(self.steps_per_chunk * 10, until_stopped=True),),
            daemon=True,
        )
        self._thread.start()

    def pause(self) -> None:
        """Stop training (waits for the current callback)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    @property
    def playing(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


__all__ = [
    "GraphExplorer",
    "GatePlayground",
    "ChainRuleExplorer",
    "JacobianExplorer",
    "ActivationExplorer",
    "NetworkDiagram",
    "TrainingDashboard",
    "activation_and_derivative",
    "EXAMPLES",
]
