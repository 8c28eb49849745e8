"""GatePlayground: the four patterns of backward flow (add distributes, multiply switches, max
routes, a copy adds), with "local × upstream = downstream" written out for each input and a
"Hide gradients" toggle to predict them before revealing them one input at a time.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from .. import gates as G
from .._checks import real_number
from ..engine import Value
from ..graph import format_number
from ..viz import GRAD_COLOR, VALUE_COLOR, CachedBackground, wire_label_style
from .base import HIDDEN, Explorer, hide_toggle, make_figure, slider

WIRE_COLOR = "#757575"

# where the wires go: a two-input gate, or one input copied to two outputs (x: 0..10, y: 0..5)
GATE_WIRES = {"in_x": ((1, 3.6), (4.6, 2.5)), "in_y": ((1, 1.4), (4.6, 2.5)), "out1": ((5.4, 2.5), (9, 2.5))}
COPY_WIRES = {"in_x": ((1, 2.5), (4.6, 2.5)), "out1": ((5.4, 2.5), (9, 3.8)), "out2": ((5.4, 2.5), (9, 1.2))}
LABELS = {  # (value text, gradient text, wire it sits on)
    "x": ("x_value", "x_grad", "in_x"),
    "y": ("y_value", "y_grad", "in_y"),
    "z": ("z_value", "z_grad", "out1"),
    "z2": ("z2_value", "z2_grad", "out2"),
}


class GatePlayground(Explorer):
    """The four patterns of backward flow: pick a gate, set its inputs and the upstream gradient.

    Below the figure, each input's gradient is written as local × upstream = downstream with the
    current numbers. With **Hide gradients** on, the downstream gradients show "?" until
    **Reveal** shows them, one input per press; a new gate or new numbers hide them again.
    """

    PATTERNS = {
        "add": "<b>distributor</b>: every input gets the upstream gradient unchanged.",
        "multiply": "<b>switcher</b>: each input gets the upstream gradient times the <i>other</i> input.",
        "max": "<b>router</b>: the larger input gets all of the upstream gradient, the other gets 0.",
        "copy (branch)": "<b>adder</b>: a value used twice gets the <i>sum</i> of the two gradients.",
    }

    def __init__(
        self,
        gate: str = "multiply",
        x: float = 3.0,
        y: float = -1.0,
        upstream: float = 2.0,
        hide_gradients: bool = False,
    ):
        super().__init__()
        if not isinstance(gate, str) or gate not in self.PATTERNS:
            raise ValueError(f"unknown gate {gate!r}; choose one of: {', '.join(self.PATTERNS)}")
        x = real_number(x, "x", "GatePlayground", example=3.0)
        y = real_number(y, "y", "GatePlayground", example=-1.0)
        upstream = real_number(upstream, "upstream", "GatePlayground", example=2.0)
        self.gate = W.ToggleButtons(options=list(self.PATTERNS), value=gate, style={"button_width": "125px"})
        self.x, self.y = slider("x", x), slider("y", y)
        self.upstream = slider("upstream", upstream)
        self.upstream2 = slider("upstream 2", -0.5)
        self.hide = hide_toggle(hide_gradients)
        self.reveal_button = W.Button(description="Reveal", icon="eye", layout=W.Layout(width="100px"))
        self.revealed = 0  # how many inputs' gradients are shown while hidden
        for w in (self.gate, self.x, self.y, self.upstream, self.upstream2):
            w.observe(self._on_change(self._new_numbers), "value")
        self.hide.observe(self._on_change(self._new_numbers), "value")
        self.reveal_button.on_click(lambda _: self._safe(self.reveal))
        self.fig = make_figure(5.6, 2.6)
        self.ax = self.fig.add_axes((0, 0, 1, 0.88))
        self._draw()
        # the wires, labels and title are rendered once per gate; a redraw renders the numbers only
        numbers = [getattr(self, name) for pair in LABELS.values() for name in pair[:2]]
        self.background = CachedBackground(self.fig, [*numbers, self.symbol])
        self._layout: tuple = ()
        self.pattern = W.HTML()
        self.formula = W.HTML()
        self._safe(self._update)
        self.children = [
            self.gate,
            W.HBox([self.x, self.y]),
            W.HBox([self.upstream, self.upstream2]),
            W.HBox([self.hide, self.reveal_button]),
            self.fig.canvas,
            self.formula,
            self.pattern,
            self.message,
        ]

    def _draw(self) -> None:
        ax = self.ax
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 5)
        ax.set_axis_off()
        for name in ("in_x", "in_y", "out1", "out2"):
            (line,) = ax.plot([], [], color=WIRE_COLOR)
            setattr(self, name, line)
        self.circle = ax.scatter([5], [2.5], s=1400, c="#e3f2fd", edgecolors="#1565c0", zorder=3)
        self.symbol = ax.text(5, 2.5, "", ha="center", va="center", fontsize=12, zorder=4)
        kw = dict(ha="center", va="center", fontsize=11, fontweight="bold")
        self.x_label = ax.text(0.6, 3.6, "x", **kw)
        self.y_label = ax.text(0.6, 1.4, "y", **kw)
        for value, grad, _ in LABELS.values():
            setattr(
                self,
                value,
                ax.annotate(
                    "", (0, 0), xytext=(0, 0), textcoords="offset points", color=VALUE_COLOR, fontsize=11
                ),
            )
            setattr(
                self,
                grad,
                ax.annotate(
                    "", (0, 0), xytext=(0, 0), textcoords="offset points", color=GRAD_COLOR, fontsize=11
                ),
            )
        ax.text(0.1, 0.1, "values (forward): above the wires", color=VALUE_COLOR, fontsize=9)
        ax.text(9.9, 0.1, "gradients (backward): below", color=GRAD_COLOR, fontsize=9, ha="right")

    def _place(self, wires: dict[str, Any]) -> None:
        """Put the wires, and each wire's numbers beside it (never across it)."""
        for name, (a, b) in wires.items():
            getattr(self, name).set_data([a[0], b[0]], [a[1], b[1]])
        for value, grad, wire in LABELS.values():
            if wire not in wires:
                continue
            a, b = wires[wire]
            t = 0.35 if wire.startswith("in") else 0.5
            mid = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
            for name, above in ((value, True), (grad, False)):
                style = wire_label_style(a, b, above=above)
                text = getattr(self, name)
                text.xy = mid
                text.set_position(style["xytext"])
                text.set_horizontalalignment(style["ha"])
                text.set_verticalalignment(style["va"])
        self.x_label.set_position((0.6, wires["in_x"][0][1]))

    def _new_numbers(self) -> None:
        """A new gate or new numbers: a new prediction, so the gradients are hidden again."""
        self.revealed = 0
        self._update()

    def reveal(self) -> None:
        """Reveal the next input's gradient (x, then y)."""
        self.revealed += 1
        self._update()

    def _update(self) -> None:
        kind, x, y, up = self.gate.value, self.x.value, self.y.value, self.upstream.value
        copy = kind == "copy (branch)"
        self.reveal_button.layout.visibility = "visible" if self.hide.value else "hidden"
        if self._layout != (kind,):  # a new gate: new wires and title, a new static background
            self._layout = (kind,)
            self.y.layout.visibility = "hidden" if copy else "visible"
            self.upstream2.layout.visibility = "visible" if copy else "hidden"
            for artist in (self.in_y, self.y_label, self.y_value, self.y_grad):
                artist.set_visible(not copy)
            for artist in (self.out2, self.z2_value, self.z2_grad):
                artist.set_visible(copy)
            self._place(COPY_WIRES if copy else GATE_WIRES)
            self.ax.set_title(f"{kind} gate", fontsize=11, y=1.01)
            self.background.invalidate()
        fmt = format_number
        inputs = ["x"] if copy else ["x", "y"]
        shown = {name: not self.hide.value or i < self.revealed for i, name in enumerate(inputs)}
        self.revealed = min(self.revealed, len(inputs))
        q = "&part;"
        if copy:
            # x feeds two places; the engine adds the gradients flowing back from both
            xv = Value(x, "x")
            first, second = xv * 1.0, xv * 1.0
            up2 = self.upstream2.value
            (first * up + second * up2).backward()
            self.symbol.set_text("copy")
            total = fmt(xv.grad)
            texts = {
                "x_value": fmt(x),
                "x_grad": f"{fmt(up)} + {fmt(up2)} = {total}" if shown["x"] else HIDDEN,
                "z_value": fmt(x),
                "z_grad": fmt(up),
                "z2_value": fmt(x),
                "z2_grad": fmt(up2),
            }
            self.grads = {"x": xv.grad}
            line = (
                f"{q}f/{q}x = upstream 1 + upstream 2 = ({fmt(up)}) + ({fmt(up2)}) = <b>{total}</b>"
                if shown["x"]
                else f"{q}f/{q}x = upstream 1 + upstream 2 = ({fmt(up)}) + ({fmt(up2)}) = <b>{HIDDEN}</b>"
            )
            self.formula.value = (
                f"<span style='color:{GRAD_COLOR}'>each branch sends its gradient back; they add:</span><br>"
                + line
            )
        else:
            gate = {"add": G.AddGate, "multiply": G.MultiplyGate, "max": G.MaxGate}[kind]()
            z = gate.forward(x, y)
            dx, dy = gate.backward(up)
            local = dict(zip(("x", "y"), self._local(kind, x, y)))
            self.symbol.set_text(gate.symbol)
            self.grads = {"x": dx, "y": dy}
            texts = {
                "x_value": fmt(x),
                "y_value": fmt(y),
                "x_grad": fmt(dx) if shown["x"] else HIDDEN,
                "y_grad": fmt(dy) if shown["y"] else HIDDEN,
                "z_value": fmt(z),
                "z_grad": fmt(up),
            }
            rows = []
            for name, down in (("x", dx), ("y", dy)):
                why, value = local[name]
                if shown[name]:
                    rows.append(
                        f"{q}f/{q}{name} = local {q}z/{q}{name} &times; upstream = "
                        f"({fmt(value)}) &times; ({fmt(up)}) = <b style='color:{GRAD_COLOR}'>{fmt(down)}</b>"
                        f" &nbsp; <span style='color:#616161'>({q}z/{q}{name} = {why})</span>"
                    )
                else:
                    rows.append(
                        f"{q}f/{q}{name} = local {q}z/{q}{name} &times; upstream = "
                        f"({HIDDEN}) &times; ({fmt(up)}) = <b style='color:{GRAD_COLOR}'>{HIDDEN}</b>"
                    )
            self.formula.value = "local &times; upstream = downstream:<br>" + "<br>".join(rows)
        for name, text in texts.items():
            getattr(self, name).set_text(text)
        hint = " Predict the red numbers, then press <b>Reveal</b>." if self.hide.value else ""
        self.pattern.value = f"{kind}: {self.PATTERNS[kind]}{hint}"
        self.redraw()

    @staticmethod
    def _local(kind: str, x: float, y: float) -> tuple[tuple[str, float], tuple[str, float]]:
        """Each input's local gradient dz/dinput, and why (for the formula line)."""
        if kind == "add":
            return ("1", 1.0), ("1", 1.0)
        if kind == "multiply":
            return ("y", y), ("x", x)
        wins = x >= y  # max: the larger input (x on a tie, as MaxGate) gets the whole gradient
        return (("1: x is the larger", 1.0) if wins else ("0: x is the smaller", 0.0)), (
            ("0: y is the smaller", 0.0) if wins else ("1: y is the larger", 1.0)
        )
