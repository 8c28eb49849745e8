"""JacobianExplorer: the Jacobian of an operation (rows = outputs, columns = inputs) as a heatmap
whose cells keep the matrix's shape (a 1 x n gradient is a strip, not a square), its entries on
hover and, when small, in a table beside it, and what the full Jacobian would cost at the lecture's size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator, ScalarFormatter

from .._checks import describe, is_real, random_generator
from ..engine import Value
from ..jacobian import format_bytes, jacobian, jacobian_size
from .base import SLIDER_STYLE, Explorer, make_figure

# the figure's layout, in inches: margins around the heatmap and its colour bar
WIDTH = 4.8
LEFT, TOP, BOTTOM = 0.62, 0.42, 0.55
CBAR_PAD, CBAR_WIDTH, CBAR_LABELS = 0.14, 0.14, 0.5
PLOT = WIDTH - LEFT - CBAR_PAD - CBAR_WIDTH - CBAR_LABELS  # the heatmap's widest side
MIN_STRIP = 0.3  # a single row is at least this tall
MIN_CBAR = 1.3  # the colour bar is at least this tall, so that its labels do not collide
TABLE_MAX = 64  # entries up to which the Jacobian is also printed as a table

# the lecture's layer: 4,096 units, a batch of 100
LECTURE_N, LECTURE_BATCH = 4096, 100


def lecture_size_line(op: str) -> str:
    """What this operation's full Jacobian would cost for the lecture's layer (4,096 units, batch 100)."""
    n, b = LECTURE_N, LECTURE_BATCH
    full = jacobian_size(n, n, batch=b)
    rows = f"{full.rows:,} &times; {full.cols:,} = {full.entries:,} entries ({format_bytes(full.bytes)})"
    vjp = f"{full.vjp_entries:,} entries ({format_bytes(full.vjp_bytes)})"
    where = f"The lecture's layer ({n:,} units, a batch of {b})"
    if op.startswith(("ReLU", "sigmoid")):
        return (
            f"{where}: the full Jacobian would be {rows}, of which only the {full.diagonal_entries:,} "
            f"on the diagonal are non-zero; backprop multiplies elementwise instead: {vjp}."
        )
    if op == "W x":
        block = jacobian_size(n, n)
        return (
            f"{where}: J = W, {n:,} &times; {n:,} ({format_bytes(block.bytes)}) per sample; over the batch "
            f"{rows}, W repeated along the diagonal; backprop multiplies by Wᵀ instead: {vjp}."
        )
    if op == "softmax":
        block = jacobian_size(n, n)
        return (
            f"{where}: one dense {n:,} &times; {n:,} block per sample ({format_bytes(block.bytes)}), "
            f"{rows} over the batch; backprop uses p &odot; (g - p&middot;g) instead: {vjp}."
        )
    grad = jacobian_size(n * b, 1)
    return (
        f"{where}, one scalar loss: the Jacobian is the gradient, 1 &times; {grad.cols:,} = "
        f"{grad.cols:,} entries ({format_bytes(grad.bytes)}), the size of the input: nothing to save."
    )


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
        self.fig = make_figure(WIDTH, 4.4)
        self.ax = self.fig.add_axes((0.1, 0.1, 0.7, 0.8))
        self.cax = self.fig.add_axes((0.85, 0.1, 0.03, 0.8))
        self.image = self.ax.imshow(np.zeros((2, 2)), cmap="RdBu_r", interpolation="nearest", aspect="auto")
        self.colorbar = self.fig.colorbar(self.image, cax=self.cax)
        self.colorbar.locator = MaxNLocator(4)  # few tick labels: each one costs render time
        self.ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        self.ax.set_xlabel("input j")
        self.info = W.HTML()
        self.hover = W.HTML("<i>Point at a cell to read its entry.</i>")
        self.table = W.HTML()
        self._rows = None
        self.fig.canvas.mpl_connect("motion_notify_event", self._on_hover)
        self._safe(self._update)
        self.children = [
            W.HBox([self.op, self.n]),
            W.HBox([self.fig.canvas, self.table]),  # the entries beside the heatmap: one screen
            self.hover,
            self.info,
            self.message,
        ]

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

    def _layout(self, m: int, n: int) -> None:
        """Size the heatmap to the matrix: square cells, a single row a strip (at least MIN_STRIP tall)."""
        cell = PLOT / max(m, n)
        width, height = cell * n, max(cell * m, MIN_STRIP)
        body = max(height, MIN_CBAR)
        fig_height = TOP + body + BOTTOM
        if abs(self.fig.get_figheight() - fig_height) > 1e-9:
            self.fig.set_size_inches(WIDTH, fig_height)
        W_, H = WIDTH, fig_height
        y0 = BOTTOM + (body - height) / 2
        self.ax.set_position((LEFT / W_, y0 / H, width / W_, height / H))
        cb_height = max(height, MIN_CBAR)
        cy = BOTTOM + (body - cb_height) / 2
        self.cax.set_position(((LEFT + width + CBAR_PAD) / W_, cy / H, CBAR_WIDTH / W_, cb_height / H))
        if self._rows != m:
            self._rows = m
            if m == 1:  # one output, f: one tick, named
                self.ax.yaxis.set_major_locator(FixedLocator([0]))
                self.ax.yaxis.set_major_formatter(FixedFormatter(["f"]))
                self.ax.set_ylabel("output")
            else:
                self.ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
                self.ax.yaxis.set_major_formatter(ScalarFormatter())
                self.ax.set_ylabel("output i")

    def _update(self) -> None:
        fn, x, note = self._function()
        J = jacobian(fn, x)
        self.J = J
        m, n = J.shape
        self._layout(m, n)
        self.image.set_data(J)
        self.image.set_extent((-0.5, n - 0.5, m - 0.5, -0.5))
        limit = float(np.abs(J).max()) or 1.0
        self.image.set_clim(-limit, limit)
        self.ax.set_title(f"Jacobian of {self.op.value}: {m} × {n}", fontsize=10, y=1.02)
        nonzero = int(np.count_nonzero(np.abs(J) > 1e-15))
        here = jacobian_size(n, m)
        self.lecture = lecture_size_line(self.op.value)
        self.info.value = (
            f"{note}. Shape {m} × {n}: {J.size} entries, {nonzero} non-zero.<br>"
            f"Here: {here}.<br>{self.lecture}"
        )
        self.table.value = self._table(J) if J.size <= TABLE_MAX else ""
        self.redraw()

    @staticmethod
    def _table(J: np.ndarray) -> str:
        """The entries as a small HTML table: rows = outputs i, columns = inputs j."""
        cell = "padding:0 6px;text-align:right;font-family:monospace"
        head = "".join(f"<th style='{cell}'>j={j}</th>" for j in range(J.shape[1]))
        rows = "".join(
            f"<tr><th style='{cell}'>i={i}</th>"
            + "".join(f"<td style='{cell}'>{v:.3g}</td>" for v in row)
            + "</tr>"
            for i, row in enumerate(J)
        )
        return f"<table><tr><th></th>{head}</tr>{rows}</table>"

    def entry_text(self, i: int, j: int) -> str:
        """One entry, as the hover line shows it."""
        m = self.J.shape[0]
        out = "f" if m == 1 else f"y<sub>{i}</sub>"
        return f"J[{i}, {j}] = &part;{out}/&part;x<sub>{j}</sub> = <b>{self.J[i, j]:.4g}</b>"

    def _on_hover(self, event: Any) -> None:
        if event.inaxes is not self.ax or event.xdata is None:
            return
        i, j = int(round(event.ydata)), int(round(event.xdata))
        if 0 <= i < self.J.shape[0] and 0 <= j < self.J.shape[1]:
            text = self.entry_text(i, j)
            if self.hover.value != text:
                self.hover.value = text
