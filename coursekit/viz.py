"""Static drawings of the course, with matplotlib: computational graphs and network diagrams.

Every drawing keeps its artists and has an ``update()`` that changes their data and text in
place (``set_text``, ``set_data``), so the widgets in :mod:`coursekit.widgets` redraw a
figure without re-plotting it.

- :func:`draw_graph`: a computational graph as on the lecture slides: inputs on the left,
  one circle per gate labelled with its operation, each wire's forward value above it
  (green) and the gradient flowing back along it below it (red).
- :func:`draw_network`: a fully-connected network from its layer sizes, weights coloured
  by sign and magnitude when a model is given.
- :func:`widget_figure`: a figure whose canvas is an ipympl widget, for use inside widgets.
- :class:`CachedBackground`: renders a figure's unchanging part once, so that a redraw
  renders only what moves. Written here because ipympl has no blitting: matplotlib re-renders
  every tick label and title on each draw, which is most of the cost of a frame.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from .engine import Value
from .graph import Graph, format_number

VALUE_COLOR = "#2e7d32"  # forward values: green
GRAD_COLOR = "#c62828"  # gradients: red
NODE_COLOR = "#e3f2fd"
HIGHLIGHT_COLOR = "#ffe082"
INPUT_COLOR = "#f5f5f5"

#: short labels for gates whose symbol is long
SYMBOLS = {"sigmoid": "σ", "leaky_relu": "lrelu"}


# classes in a scatter plot: Okabe and Ito's colour-blind-safe palette (blue, orange, bluish
# green, vermillion, purple), and a marker per class so that colour is not the only cue
CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7")
CLASS_MARKERS = ("o", "^", "s", "D", "v")


def _ipympl() -> Any:
    """ipympl's backend module, imported without changing pyplot's backend.

    ``import ipympl`` switches pyplot to the widget backend as a side effect; a lesson's
    ordinary ``plt.subplots()`` figures should stay as they were, so the setting is put back.
    """
    import sys

    import matplotlib

    if "ipympl.backend_nbagg" in sys.modules:
        return sys.modules["ipympl.backend_nbagg"]
    raw = dict.__getitem__(matplotlib.rcParams, "backend")  # may be "not chosen yet"
    pyplot = sys.modules.get("matplotlib.pyplot")
    current = matplotlib.get_backend() if pyplot is not None else None
    import ipympl.backend_nbagg as backend

    if pyplot is not None:
        pyplot.switch_backend(current)
    else:
        dict.__setitem__(matplotlib.rcParams, "backend", raw)
    return backend


def widget_figure(width: float, height: float, dpi: int = 96) -> Figure:
    """A matplotlib Figure whose ``canvas`` is an ipympl widget (toolbar and header hidden).

    Not registered with pyplot, so it is shown only where a widget places its canvas.
    """
    new_figure_manager_given_figure = _ipympl().new_figure_manager_given_figure
    fig = Figure(figsize=(width, height), dpi=dpi)
    manager = new_figure_manager_given_figure(id(fig), fig)
    canvas = manager.canvas
    canvas.toolbar_visible = False
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.resizable = False
    # no toolbar, so no pan or zoom cursor; matplotlib would still send a "wait" and a "default"
    # cursor to the browser around every draw after a second of rest: two messages per update
    canvas.set_cursor = lambda cursor: None
    return fig


class CachedBackground:
    """Render the static part of a figure once, and on each redraw only the artists that change.

    ``dynamic`` lists the artists that change between frames; everything else in the figure
    (axes, ticks, labels, titles, fixed lines) is rendered once into saved pixels, which later
    draws copy back instead of rendering those artists again. The saved pixels are rendered
    anew when something they show may have changed: an axis limit or scale, the figure's pixel
    size or DPI, or an explicit :meth:`invalidate` (call it after changing a static artist).

    Artists with a higher zorder than a dynamic artist of the same axes are drawn live too, so
    that the moving artists never cover them.

    Installing it wraps the canvas's ``draw``. Any other render (``savefig``, a different size
    or DPI, a state that changed since) draws every artist as usual, so images are never stale.
    """

    def __init__(self, fig: Figure, dynamic: list[Any]):
        self.fig = fig
        self.saved = _SavedPixels(self)
        self.renders = 0  # how often the static part was rendered, for tests and benchmarks
        self._key: Any = None
        self._capturing = False
        self.reset(dynamic)
        canvas = fig.canvas
        plain_draw = canvas.draw

        def draw(*args: Any, **kwargs: Any) -> Any:
            self.prepare()
            return plain_draw(*args, **kwargs)

        canvas.draw = draw

    def invalidate(self) -> None:
        """Render the static part again at the next draw."""
        self._key = None

    def reset(self, dynamic: list[Any]) -> None:
        """Start over after the figure was cleared and redrawn: new moving artists, new static part."""
        self.dynamic = list(dynamic)
        if self.saved not in self.fig.artists:
            self.fig.add_artist(self.saved)
        self.invalidate()

    def _state(self) -> Any:
        limits = tuple(
            (ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale()) for ax in self.fig.axes
        )
        return self.fig.canvas.get_width_height(physical=True), self.fig.dpi, limits

    def _static_artists(self) -> list[Any]:
        """Artists that the saved pixels may stand in for.

        An artist drawn above a dynamic artist of its axes (a higher zorder) is drawn live, or
        the moving artist would cover it. (Keep axes' ticks below moving artists, e.g. with
        ``ax.set_axisbelow(True)``, or their labels are re-rendered on every frame.)
        """
        dynamic = set(map(id, self.dynamic))
        static = list(self.fig.texts)
        for ax in self.fig.axes:
            children = ax.get_children()
            lowest = min((c.get_zorder() for c in children if id(c) in dynamic), default=np.inf)
            static += [c for c in children if id(c) not in dynamic and c.get_zorder() <= lowest]
        return [c for c in static if id(c) not in dynamic]

    def _wrap(self, artist: Any) -> None:
        """Make a static artist skip drawing while the saved pixels already show it."""
        if getattr(artist, "_cached_by", None) is self:
            return
        artist._cached_by = self  # on the artist: ids of freed artists can be reused
        plain = artist.draw

        def draw(renderer: Any, *args: Any, **kwargs: Any) -> Any:
            if self.saved.active and renderer is self.saved.renderer:
                return None
            return plain(renderer, *args, **kwargs)

        artist.draw = draw

    def prepare(self) -> None:
        """Render and save the static part if it may have changed since it was saved."""
        state = self._state()
        if state == self._key:
            return
        static = self._static_artists()
        cached = set(map(id, static))
        everything = [c for ax in self.fig.axes for c in ax.get_children()] + list(self.fig.texts)
        shown = [a for a in everything if id(a) not in cached and a.get_visible()]
        for artist in shown:  # the saved pixels hold the static artists only
            artist.set_visible(False)
        renderer = self.fig.canvas.get_renderer()
        self._capturing = True
        try:
            renderer.clear()
            self.fig.draw(renderer)
        finally:
            self._capturing = False
            for artist in shown:
                artist.set_visible(True)
        self.saved.region = renderer.copy_from_bbox(self.fig.bbox)
        self.saved.renderer = renderer
        for artist in static:
            self._wrap(artist)
        self._key = state
        self.renders += 1

    def is_current(self, renderer: Any) -> bool:
        return not self._capturing and renderer is self.saved.renderer and self._key == self._state()


class _SavedPixels(Artist):
    """Copies the saved static pixels back into the renderer, first in every draw of the figure."""

    def __init__(self, owner: CachedBackground) -> None:
        super().__init__()
        self.owner = owner
        self.region: Any = None
        self.renderer: Any = None
        self.active = False
        self.set_zorder(-1e9)

    def draw(self, renderer: Any) -> None:
        self.active = self.region is not None and self.owner.is_current(renderer)
        if self.active:
            renderer.restore_region(self.region)


def _new_axes(figsize: tuple[float, float]) -> Axes:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


# ---------------------------------------------------------------------------
# Computational graphs
# ---------------------------------------------------------------------------


def graph_layout(graph: Graph) -> dict[Value, tuple[float, float]]:
    """(column, row) of every node: column = longest path from an input, rows ordered to cut crossings."""
    layout = _LAYOUTS.get(graph)
    if layout is None:  # a graph's structure never changes: lay it out once
        layout = _LAYOUTS[graph] = _layered(graph)
    return layout


_LAYOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _layered(graph: Graph) -> dict[Value, tuple[float, float]]:
    depth: dict[Value, int] = {}
    for v in graph.nodes:
        depth[v] = 0 if v.gate is None else 1 + max(depth[p] for p in v.parents)
    children: dict[Value, list[Value]] = defaultdict(list)
    for p, v in graph.edges():
        children[p].append(v)
    # an input sits one column before its first use, so that wires stay short
    for v in graph.nodes:
        if v.gate is None and children[v]:
            depth[v] = min(depth[c] for c in children[v]) - 1
    columns: dict[int, list[Value]] = defaultdict(list)
    for v in graph.nodes:
        columns[depth[v]].append(v)
    tallest = max(len(c) for c in columns.values())
    row: dict[Value, float] = {}

    def place(col: list[Value]) -> None:
        offset = (tallest - len(col)) / 2
        for i, v in enumerate(col):
            row[v] = offset + i

    for col in columns.values():
        place(col)
    order = sorted(columns)
    for _ in range(4):  # barycentre sweeps, right-to-left then left-to-right
        for k in reversed(order[:-1]):
            columns[k].sort(key=lambda v: np.mean([row[c] for c in children[v]]) if children[v] else row[v])
            place(columns[k])
        for k in order[1:]:
            columns[k].sort(key=lambda v: np.mean([row[p] for p in v.parents]) if v.parents else row[v])
            place(columns[k])
    return {v: (float(depth[v] - order[0]), row[v]) for v in graph.nodes}


def wire_label_style(a: tuple[float, float], b: tuple[float, float], above: bool, gap: float = 4.0) -> dict:
    """Where a wire's number goes: ``xytext`` (an offset in points) and alignment for ``annotate``.

    On a horizontal wire the number is centred above (value) or below (gradient) it. On a sloped
    wire it sits diagonally off the wire, aligned by the corner nearest to the wire, so that the
    whole text lies on one side of the wire and never crosses it.
    """
    (x0, y0), (x1, y1) = a, b
    if x1 < x0:
        (x0, y0), (x1, y1) = (x1, y1), (x0, y0)
    sign = 1.0 if above else -1.0
    if abs(y1 - y0) < 1e-9:
        return dict(xytext=(0.0, sign * gap * 0.75), ha="center", va="bottom" if above else "top")
    rising = y1 > y0  # up to the right: "above" is up and to the left
    dx = (-gap if rising else gap) * sign
    ha = ("right" if rising else "left") if above else ("left" if rising else "right")
    return dict(xytext=(dx, sign * gap), ha=ha, va="bottom" if above else "top")


class GraphDrawing:
    """A drawn computational graph; ``update()`` refreshes numbers, ``highlight()`` marks a gate.

    Gates are one scatter of circles and wires one line collection, so a redraw renders a
    handful of artists plus the numbers.
    """

    DX, DY = 2.0, 1.0  # data units between columns and between rows

    def __init__(self, graph: Graph, ax: Axes, digits: int = 3, title: str | None = None):
        self.graph, self.ax, self.digits = graph, ax, digits
        self.positions = graph_layout(graph)
        self.columns = max(x for x, _ in self.positions.values()) + 1
        self.rows = max(y for _, y in self.positions.values()) + 1
        self.value_texts: dict[tuple[Value, int], Any] = {}
        self.grad_texts: dict[tuple[Value, int], Any] = {}
        self.gates = [v for v in graph.nodes if v.gate is not None]
        self._draw(title)
        self.update()

    def _xy(self, v: Value) -> tuple[float, float]:
        x, y = self.positions[v]
        return x * self.DX, -y * self.DY

    def _draw(self, title: str | None) -> None:
        ax, g = self.ax, self.graph
        fs = 10 if len(g.nodes) <= 20 else 8
        segments = []
        for v in g.nodes:
            for i, p in enumerate(v.parents):
                segments.append((self._xy(p), self._xy(v)))
                self._wire_labels(self._xy(p), self._xy(v), (v, i), fs)
        out = g.output
        ox, oy = self._xy(out)
        end = ox + 0.8 * self.DX
        segments.append(((ox, oy), (end, oy)))
        self._wire_labels((ox, oy), (end, oy), (out, -1), fs)
        ax.add_collection(LineCollection(segments, colors="#757575", linewidths=1.2, zorder=1))
        ax.text(end, oy, f" {g.names[out]}", ha="left", va="center", fontsize=fs + 1, fontweight="bold")
        xy = np.array([self._xy(v) for v in self.gates]).reshape(-1, 2)
        self.gate_markers = ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=(2.2 * fs) ** 2,
            c=[NODE_COLOR] * len(self.gates),
            edgecolors="#1565c0",
            linewidths=1.2,
            zorder=3,
        )
        self.symbol_texts = []
        for v, (x, y) in zip(self.gates, xy):
            symbol = SYMBOLS.get(v.gate.symbol, v.gate.symbol)
            size = fs if len(symbol) < 4 else fs - 2
            self.symbol_texts.append(ax.text(x, y, symbol, ha="center", va="center", fontsize=size, zorder=4))
        for v in g.nodes:
            if v.gate is None:
                x, y = self._xy(v)
                ax.text(
                    x,
                    y,
                    g.names[v],
                    ha="center",
                    va="center",
                    fontsize=fs + 1,
                    fontweight="bold",
                    zorder=2.9,  # below the moving numbers (3): cached, not redrawn each frame
                    bbox=dict(boxstyle="round,pad=0.3", fc=INPUT_COLOR, ec="#9e9e9e"),
                )
        ax.set_xlim(-0.3 * self.DX, end + 0.3 * self.DX)
        ax.set_ylim(-(self.rows - 1) * self.DY - 0.7, 0.7)
        ax.set_axis_off()
        if title:
            ax.set_title(title, fontsize=fs + 2, y=1.01)
        legend = dict(transform=ax.transAxes, fontsize=fs - 1)
        ax.text(0.0, 0.0, "values (forward): above the wires", color=VALUE_COLOR, **legend)
        ax.text(1.0, 0.0, "gradients (backward): below", color=GRAD_COLOR, ha="right", **legend)

    def _wire_labels(self, a, b, key, fs) -> None:
        (x0, y0), (x1, y1) = a, b
        t = 0.5 if abs(y1 - y0) < 1e-9 else 0.42  # sloped wires: nearer the source, where wires are apart
        mx, my = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        common = dict(xy=(mx, my), textcoords="offset points", fontsize=fs)
        self.value_texts[key] = self.ax.annotate(
            "", color=VALUE_COLOR, **common, **wire_label_style(a, b, above=True)
        )
        self.grad_texts[key] = self.ax.annotate(
            "", color=GRAD_COLOR, **common, **wire_label_style(a, b, above=False)
        )

    def update(self) -> None:
        """Show the graph's current values and the gradients of its last backward pass."""
        fmt = self._fmt
        per_wire = {(s.node, i): d for s in self.graph.steps for i, d in enumerate(s.downstream)}
        for (v, i), text in self.value_texts.items():
            source = v if i < 0 else v.parents[i]
            text.set_text(fmt(source.data))
        for (v, i), text in self.grad_texts.items():
            if i < 0:
                text.set_text(fmt(v.grad) if self.graph.steps else "")
            else:
                text.set_text(fmt(per_wire[(v, i)]) if (v, i) in per_wire else "")

    def show_gradients_up_to(self, step: int, placeholder: str | None = None) -> None:
        """Show only the gradients of the first ``step`` gates of the backward pass (0: none).

        The others are hidden, or show ``placeholder`` (e.g. "?": a gradient still to predict).
        The output's own gradient (1) is shown from step 1 on, or always with a placeholder.
        """
        self.update()
        done = {s.node for s in self.graph.steps[:step]}
        for (v, i), text in self.grad_texts.items():
            shown = (step > 0 or placeholder is not None or not self.graph.steps) if i < 0 else v in done
            if not shown and placeholder is not None and text.get_text():
                text.set_text(placeholder)
                shown = True
            text.set_visible(shown)

    def highlight(self, node: Value | None) -> None:
        """Mark one gate (or none) and the gradients on the wires into it."""
        self.gate_markers.set_facecolors([HIGHLIGHT_COLOR if v is node else NODE_COLOR for v in self.gates])
        self.gate_markers.set_linewidths([2.8 if v is node else 1.2 for v in self.gates])
        for (v, i), text in self.grad_texts.items():
            text.set_fontweight("bold" if v is node and i >= 0 else "normal")

    def _fmt(self, x: Any) -> str:
        return format_number(x, self.digits)


def draw_graph(
    graph_or_value: Graph | Value, ax: Axes | None = None, digits: int = 3, title: str | None = None
) -> GraphDrawing:
    """Draw a computational graph (a :class:`Graph`, or the graph behind a :class:`Value`)."""
    graph = graph_or_value if isinstance(graph_or_value, Graph) else Graph(graph_or_value)
    if ax is None:
        ax = _new_axes(graph_figsize(graph))
        ax.figure.subplots_adjust(left=0.01, right=0.99, bottom=0.04, top=0.9 if title else 0.98)
    return GraphDrawing(graph, ax, digits=digits, title=title)


def graph_figsize(graph: Graph, max_width: float = 11.0) -> tuple[float, float]:
    """A figure size (inches) for the graph's layout: about 1.3 in per column, 0.8 in per row."""
    layout = graph_layout(graph)
    columns = max(x for x, _ in layout.values()) + 1
    rows = max(y for _, y in layout.values()) + 1
    return min(max_width, 1.3 * columns + 1.8), 0.8 * rows + 1.0


# ---------------------------------------------------------------------------
# Network diagrams
# ---------------------------------------------------------------------------


class NetworkDrawing:
    """Neurons as circles, one column per layer; connections coloured by weight when known.

    All connections are one line collection and all neurons one scatter, so large networks
    draw fast. Layers wider than ``max_shown`` show their first neurons and a count.
    """

    def __init__(
        self, sizes: list[int], ax: Axes, params: dict[str, np.ndarray] | None = None, max_shown: int = 12
    ):
        self.sizes, self.ax, self.max_shown = list(sizes), ax, max_shown
        self.index: list[tuple[int, int, int]] = []  # (layer, to, from) of each connection
        self._draw()
        self.update(params)

    def _rows(self, n: int) -> list[float]:
        shown = min(n, self.max_shown)
        return [(shown - 1) / 2 - i for i in range(shown)]

    def _draw(self) -> None:
        ax = self.ax
        segments = []
        for k, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            for i, yb in enumerate(self._rows(b)):
                for j, ya in enumerate(self._rows(a)):
                    segments.append(((k, ya), (k + 1, yb)))
                    self.index.append((k, i, j))
        self.lines = LineCollection(segments, colors="#bdbdbd", linewidths=0.8, zorder=1)
        ax.add_collection(self.lines)
        names = ["input"] + [f"hidden {k}" for k in range(1, len(self.sizes) - 1)] + ["output"]
        xs, ys, colors = [], [], []
        top = max(self._rows(max(self.sizes)))
        for k, n in enumerate(self.sizes):
            rows = self._rows(n)
            color = "#fff3e0" if k == 0 else ("#e8f5e9" if k == len(self.sizes) - 1 else NODE_COLOR)
            xs += [k] * len(rows)
            ys += rows
            colors += [color] * len(rows)
            if n > self.max_shown:
                ax.text(k, rows[-1] - 0.7, f"... {n} in all", ha="center", fontsize=8)
            ax.text(k, top + 0.9, f"{names[k]}\n{n}", ha="center", va="bottom", fontsize=9)
        ax.scatter(xs, ys, s=260, c=colors, edgecolors="#424242", zorder=3)
        ax.set_axis_off()
        ax.set_ylim(-top - 1.2, top + 1.9)
        ax.set_xlim(-0.5, len(self.sizes) - 0.5)

    def update(self, params: dict[str, np.ndarray] | None) -> None:
        """Colour each connection by its weight: blue positive, red negative, width by magnitude."""
        if params is None:
            return
        weights = [params.get(f"W{k + 1}") for k in range(len(self.sizes) - 1)]
        biggest = max((float(np.abs(w).max()) for w in weights if w is not None), default=0.0) or 1.0
        colors, widths = [], []
        for k, i, j in self.index:
            W = weights[k]
            w = W[i, j] if W is not None and W.ndim == 2 else 0.0
            colors.append("#1e88e5" if w > 0 else "#e53935")
            widths.append(0.3 + 3.0 * abs(w) / biggest)
        self.lines.set_colors(colors)
        self.lines.set_linewidths(widths)


def draw_network(sizes_or_model: Any, ax: Axes | None = None) -> NetworkDrawing:
    """Draw an MLP from its layer sizes, or from a :class:`coursekit.nn.MLP` (weights coloured)."""
    params = None
    if hasattr(sizes_or_model, "sizes") and hasattr(sizes_or_model, "params"):
        sizes, params = sizes_or_model.sizes, sizes_or_model.params
    else:
        sizes = [int(s) for s in sizes_or_model]
    if ax is None:
        ax = _new_axes((1.6 * len(sizes) + 1, 3.5))
    return NetworkDrawing(sizes, ax, params)


def network_counts(sizes: list[int]) -> dict[str, int]:
    """Neurons (inputs not counted), weights, biases and parameters of a fully-connected net."""
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    biases = sum(sizes[1:])
    return {"neurons": biases, "weights": weights, "biases": biases, "parameters": weights + biases}


__all__ = [
    "widget_figure",
    "graph_layout",
    "GraphDrawing",
    "draw_graph",
    "wire_label_style",
    "NetworkDrawing",
    "draw_network",
    "network_counts",
    "VALUE_COLOR",
    "GRAD_COLOR",
]
