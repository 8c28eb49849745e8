"""NetworkDiagram: an MLP drawn from its layer sizes, with its neuron and parameter counts; the
connections coloured by weight when a model is given.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from .. import nn
from .._checks import describe, is_real
from ..viz import NetworkDrawing, network_counts
from .base import SLIDER_STYLE, Explorer, make_figure, parse_sizes


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
        parsed = parse_sizes(text)  # raises here, for the caller, rather than inside the widget
        if model is not None and sizes is not None and parsed != model.sizes:
            raise ValueError(
                f"NetworkDiagram: sizes {parsed} differ from the model's {model.sizes}; pass one or the other"
            )
        self.model = model
        self.sizes = W.Text(value=text, description="layer sizes", style=SLIDER_STYLE)
        self.sizes.observe(self._on_change(self._update), "value")
        self.fig = make_figure(6.0, 3.4)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.counts = W.HTML()
        self._safe(self._update)
        self.children = [self.sizes, self.fig.canvas, self.counts, self.message]

    def _update(self) -> None:
        sizes = parse_sizes(self.sizes.value)
        params = self.model.params if self.model is not None and sizes == self.model.sizes else None
        self.ax.clear()  # the structure changed: a new drawing, not new numbers
        self.drawing = NetworkDrawing(sizes, self.ax, params)
        c = network_counts(sizes)
        self.counts.value = (
            f"{len(sizes) - 1}-layer network: <b>{c['neurons']}</b> neurons (inputs not counted), "
            f"{c['weights']} weights + {c['biases']} biases = <b>{c['parameters']}</b> parameters"
            + (" · connections: blue positive, red negative, width by size" if params is not None else "")
        )
        self.redraw()
