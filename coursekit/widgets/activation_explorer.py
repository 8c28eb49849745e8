"""ActivationExplorer: an activation function and its derivative side by side, with the regions
where the derivative is (almost) zero shaded and labelled in a legend clear of the curves.
Also :func:`activation_and_derivative`, the curves computed by coursekit's gates.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import numpy as np

from .. import gates as G
from ..viz import GRAD_COLOR, CachedBackground
from .base import Explorer, in_range, legend_clear_of, make_figure, slider

MAXOUT_PIECES = ((1.0, 0.0), (-0.5, -1.0))  # max(w1 x + b1, w2 x + b2) for a 1-D input
SHADE_COLOR = "#9e9e9e"
LEGEND_ROOM = 0.32  # headroom above the derivative's curve for the legend, as a share of its range


def activation_and_derivative(name: str, x: np.ndarray, slope: float = 0.1, alpha: float = 1.0):
    """f(x) and f'(x) of an activation, computed by coursekit's gates (derivative = vjp of ones)."""
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
        x = in_range(x, "x", "ActivationExplorer", -5.0, 5.0, 1.0)
        self.activation = W.ToggleButtons(
            options=list(self.NAMES), value=activation, style={"button_width": "95px"}
        )
        self.x = slider("input x", x, -5, 5)
        self.slope = slider("leaky slope", 0.1, 0.0, 0.5, 0.01)
        self.alpha = slider("ELU alpha", 1.0, 0.1, 2.0, 0.05)
        for w in (self.activation, self.x, self.slope, self.alpha):
            w.observe(self._on_change(self._update), "value")
        self.fig = make_figure(8.0, 3.0)
        self.ax_f = self.fig.add_axes((0.075, 0.16, 0.4, 0.72))
        self.ax_d = self.fig.add_axes((0.575, 0.16, 0.4, 0.72))
        self.grid = np.linspace(-5, 5, 401)
        (self.f_line,) = self.ax_f.plot([], [], color="#1565c0")
        (self.d_line,) = self.ax_d.plot([], [], color=GRAD_COLOR)
        (self.f_point,) = self.ax_f.plot([], [], "o", color="#1565c0", zorder=10)
        (self.d_point,) = self.ax_d.plot([], [], "o", color=GRAD_COLOR, zorder=10)
        self.shades = [
            ax.axvspan(-5, -5, color=SHADE_COLOR, alpha=0.25, lw=0) for ax in (self.ax_f, self.ax_d)
        ]
        self.shades += [
            ax.axvspan(5, 5, color=SHADE_COLOR, alpha=0.25, lw=0) for ax in (self.ax_f, self.ax_d)
        ]
        self.zero_lines = []
        for ax, label in ((self.ax_f, "f(x)"), (self.ax_d, "f'(x)")):
            ax.set_xlim(-5, 5)
            ax.set_xlabel("x")
            ax.set_ylabel(label)
            self.zero_lines.append(ax.axhline(0, color="#bdbdbd", lw=0.8))
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
        self.redraw()

    def _draw_curves(self, name: str, slope: float, alpha: float) -> None:
        """The function and its derivative over the whole range, shading, limits, legend and titles."""
        self.slope.layout.visibility = "visible" if name == "leaky_relu" else "hidden"
        self.alpha.layout.visibility = "visible" if name == "elu" else "hidden"
        y, dy = activation_and_derivative(name, self.grid, slope, alpha)
        self.f_line.set_data(self.grid, y)
        self.d_line.set_data(self.grid, dy)
        left, right, label = self._regions(dy)
        for ax, values in ((self.ax_f, y), (self.ax_d, dy)):
            lo, hi = float(values.min()), float(values.max())
            span = hi - lo or 1.0
            room = LEGEND_ROOM * span if (label and ax is self.ax_d) else 0.0
            ax.set_ylim(lo - 0.1 * span, hi + 0.1 * span + room)
        for patch in self.shades[:2]:
            self._span(patch, -5, left)
        for patch in self.shades[2:]:
            self._span(patch, right, 5)
        self.shading = label
        if label:  # in the headroom above the curve, clear of it and of the zero line
            legend_clear_of(
                self.ax_d,
                [self.shades[1]],
                [label],
                [self.d_line, self.zero_lines[1]],
                places=("upper left", "upper right", "upper center"),
                fontsize=8,
                framealpha=0.9,
                edgecolor="none",
            )
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
