"""GraphExplorer: sliders for a traced function's inputs, its computational graph with values and
gradients, and a gate-by-gate step-through of the backward pass ("Hide gradients" to predict them).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import numpy as np

from .._blas import single_blas_thread
from .._checks import check_callable, describe, is_real, real_number
from ..engine import Value
from ..graph import Graph, format_number
from ..viz import GRAD_COLOR, VALUE_COLOR, CachedBackground, GraphDrawing, graph_figsize
from .base import HIDDEN, SLIDER_STYLE, Explorer, hide_toggle, make_figure, slider


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

    Every gradient of the backward pass is shown, and **Next** / **Back** / **Play** walk through
    it gate by gate. With **Hide gradients** on, the gradients not reached yet show "?": predict
    them, then each **Next** reveals one gate's gradients.
    """

    def __init__(self, fn: Callable[..., Value] | None = None, hide_gradients: bool = False, **inputs: Any):
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
        self.hide = hide_toggle(hide_gradients)
        self.next_button.on_click(lambda _: self._move(+1))
        self.back_button.on_click(lambda _: self._move(-1))
        self.reset_button.on_click(lambda _: self._move(None))
        self.step.observe(self._on_change(self._show_step), "value")
        self.hide.observe(self._on_change(self._show_step), "value")
        self.explanation = W.HTML()
        self.sliders_box = W.HBox(layout=W.Layout(flex_flow="row wrap"))
        self.fig = make_figure(7.0, 3.0)
        self.background = CachedBackground(self.fig, [])
        self._inputs = inputs
        self._building = False
        with single_blas_thread():  # errors here (e.g. from tracing fn) go to the caller
            self._build()
        controls = [self.sliders_box] if fn is not None else [self.example, self.sliders_box]
        steps = W.HBox(
            [self.back_button, self.next_button, self.play, self.reset_button, self.step, self.hide],
            layout=W.Layout(flex_flow="row wrap"),
        )
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
            s = slider(name, v.data)
            s.observe(self._on_change(self._recompute), "value")
            self.sliders[name] = s
        self.sliders_box.children = list(self.sliders.values())
        self.fig.clear()
        self.fig.set_size_inches(*graph_figsize(self.graph, max_width=8.8))
        ax = self.fig.add_axes((0.01, 0.03, 0.98, 0.95))
        self.graph.backward()
        self.drawing = GraphDrawing(self.graph, ax)
        d = self.drawing
        self.background.reset([*d.value_texts.values(), *d.grad_texts.values(), d.gate_markers])
        # a new example starts its backward pass from the beginning
        self._building = True
        try:
            self.play.value = 0
            self.step.value = 0
            n = len(self.graph.steps)
            self.step.max = self.play.max = n
        finally:
            self._building = False
        self._show_step()

    def _recompute(self) -> None:
        self.graph.forward(**{name: s.value for name, s in self.sliders.items()})
        self.graph.backward()
        self._show_step()

    def _move(self, delta: int | None) -> None:
        self.step.value = 0 if delta is None else min(max(self.step.value + delta, 0), self.step.max)

    @property
    def hidden(self) -> bool:
        """Whether gradients not reached yet are hidden ("?")."""
        return bool(self.hide.value)

    def _show_step(self) -> None:
        if self._building:
            return
        k = self.step.value
        steps = self.graph.steps
        if self.hidden:
            self.drawing.show_gradients_up_to(k, placeholder=HIDDEN)
        else:
            self.drawing.show_gradients_up_to(len(steps))
        self.drawing.highlight(steps[k - 1].node if k > 0 else None)
        self.explanation.value = self._explain(k)
        self.redraw()

    def _explain(self, k: int) -> str:
        steps, out = self.graph.steps, self.graph.names[self.graph.output]
        if k == 0:
            value = format_number(self.graph.output.data)
            text = (
                f"Forward pass done: {out} = <b style='color:{VALUE_COLOR}'>{value}</b>. "
                f"Press <b>Next</b> to start the backward pass from d{out}/d{out} = 1."
            )
        else:
            s = steps[k - 1]
            lines = [
                f"<b>Step {k} of {len(steps)}</b>: gate <b>{html.escape(s.gate.symbol)}</b> "
                f"computing {s.name}"
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
            text = "<br>".join(lines)
        if self.hidden and k < len(steps):
            s = steps[k]
            wanted = ", ".join(f"d{out}/d{name}" for name in s.inputs)
            text += (
                f"<br><i>Predict</i> the next gate's gradients ({html.escape(s.gate.symbol)}: {wanted}), "
                "then press <b>Next</b> to reveal them."
            )
        return text
