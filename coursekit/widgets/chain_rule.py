"""ChainRuleExplorer: the chain rule on f(x(u(t))) and the total derivative of f(x(t), y(t), z(t)),
with the tangent of f(t) and the chain-rule product written out with the current numbers.
"""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np

from .._checks import describe, is_real
from ..engine import Value
from ..graph import Graph, format_number
from ..viz import GRAD_COLOR, CachedBackground
from .base import SLIDER_STYLE, Explorer, in_range, legend_clear_of, make_figure, slider


def _univariate(t):
    u = t**2
    u.label = "u"
    x = 1 - u
    x.label = "x"
    return 5 * x


def _total(x, y, z):
    return x.sin() * (y * z * z).exp()


def _p(x: float) -> str:
    """A factor of a product: (5), (-1), (2.467)."""
    return f"({format_number(x)})"


class ChainRuleExplorer(Explorer):
    """Two chain-rule examples with a t slider, the tangent of f(t), and each factor of df/dt.

    f(x(u(t))) = 5 x, x = 1 - u, u = t^2; and the total derivative of f = sin(x) e^(y z^2)
    with x = t - 1, y = t^2, z = 1/t, which is cos(t - 1) e. Below the figure, df/dt is written
    as the product (or the sum of products) of its factors with the current numbers.
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
        t = in_range(t, "t", "ChainRuleExplorer", 0.2, 3.0, 1.5)
        self.mode = W.Dropdown(
            options=list(self.MODES), index=mode, description="example", style=SLIDER_STYLE
        )
        self.t = slider("t", t, 0.2, 3.0, 0.05)
        self.mode.observe(self._on_change(self._rebuild), "value")
        self.t.observe(self._on_change(self._update), "value")
        self.fig = make_figure(6.0, 3.2)
        self.ax = self.fig.add_axes((0.11, 0.15, 0.85, 0.73))
        (self.curve,) = self.ax.plot([], [], color="#1565c0", label="f(t)")
        # moving artists on top of everything (zorder 10): nothing static is drawn over them
        (self.tangent,) = self.ax.plot(
            [], [], color=GRAD_COLOR, lw=1.5, ls="--", label="tangent, slope df/dt", zorder=10
        )
        (self.point,) = self.ax.plot([], [], "o", color=GRAD_COLOR, zorder=10)
        self.ax.set_xlabel("t")
        self.ax.set_ylabel("f(t)")
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
        # the legend goes where the curve is not (the tangent moves: it is drawn above the legend)
        legend_clear_of(
            self.ax, [self.curve, self.tangent], ["f(t)", "tangent, slope df/dt"], [self.curve], fontsize=8
        )
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
        self.redraw()

    def _univariate(self, t: float) -> tuple[float, str]:
        g = self.chain_graph
        g.forward(t=t)
        grads = g.backward()
        # the gates from the output back: *5, +1 (of 1 - u), *-1, **2
        local = {s.gate.symbol: s.local[0] for s in g.steps}
        df_dx, dx_du, du_dt = local["*5"], local["*-1"] * local["+1"], local["**2"]
        self.product = (df_dx, dx_du, du_dt)
        slope = grads["t"]
        text = (
            f"df/dx = <b>{df_dx:g}</b>, dx/du = <b>{dx_du:g}</b>, du/dt = 2t = <b>{du_dt:.4g}</b><br>"
            f"df/dt = (df/dx)(dx/du)(du/dt) = {_p(df_dx)}{_p(dx_du)}(2&middot;{format_number(t)}) = "
            f"<b style='color:{GRAD_COLOR}'>{format_number(slope)}</b> = -10t"
        )
        return slope, text

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
        self.product = tuple((partials[k], r) for k, r in zip("xyz", rates))
        rows = "<br>".join(
            f"&part;f/&part;{k} &times; d{k}/dt = {partials[k]:.4f} &times; {r:.4f} = {p:.4f}"
            for k, r, p in zip("xyz", rates, terms)
        )
        product = " + ".join(f"{_p(partials[k])}{_p(r)}" for k, r in zip("xyz", rates))
        text = (
            f"{rows}<br>df/dt = (&part;f/&part;x)(dx/dt) + (&part;f/&part;y)(dy/dt) "
            "+ (&part;f/&part;z)(dz/dt) "
            f"= {product} = <b style='color:{GRAD_COLOR}'>{format_number(total)}</b>; "
            f"cos(t - 1) e = {math.cos(t - 1) * math.e:.6f}"
        )
        return total, text
