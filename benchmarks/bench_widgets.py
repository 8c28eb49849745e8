"""Widget responsiveness: kernel time from a control change to the figure rendered.

For every explorer with its defaults: set a slider (or control) to new values, and time
the update callback plus a full render of the figure (``fig.canvas.draw()``: with a browser
attached the explorers render and send inside the callback). Target: at most 50 ms each.

Training dashboard: while playing on the heart curve, training must keep at least 80% of the
speed of bare ``fit`` while redrawing at least 10 times a second. Here every frame is rendered
synchronously in the training thread (the worst case; in JupyterLab the render happens when
the browser asks for it).

    python benchmarks/bench_widgets.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coursekit import nn  # noqa: E402
from coursekit.widgets import (  # noqa: E402
    ActivationExplorer,
    ChainRuleExplorer,
    GatePlayground,
    GraphExplorer,
    JacobianExplorer,
    NetworkDiagram,
    TrainingDashboard,
)

TARGET_MS = 50.0


def as_in_the_browser(fig) -> None:
    """Tell the ipympl canvas what JupyterLab tells it once the figure is on screen.

    Until then ipympl keeps a full PNG of every frame for notebook saving; afterwards it sends
    only the changed pixels. Timing without this would count work a live session does not do.
    """
    fig.canvas._handle_message(fig.canvas, {"type": "initialized"}, [])


def counting_renders(fig) -> list[int]:
    """Count the figure's renders: a one-element list, incremented by every canvas.draw()."""
    count = [0]
    draw = fig.canvas.draw

    def counted(*args, **kwargs):
        count[0] += 1
        return draw(*args, **kwargs)

    fig.canvas.draw = counted
    return count


def update_ms(widget, change) -> tuple[float, float]:
    """(callback, callback + render) in ms for one ``change()``, as a live session does it.

    With a browser attached the explorers render and send inside the callback; when the
    callback did not render, the render the browser would ask for is added.
    """
    renders = getattr(widget, "_renders", None) or counting_renders(widget.fig)
    widget._renders = renders
    before = renders[0]
    t0 = time.perf_counter()
    change()
    t1 = time.perf_counter()
    if renders[0] == before:
        widget.fig.canvas.draw()
    t2 = time.perf_counter()
    return (t1 - t0) * 1e3, (t2 - t0) * 1e3


def time_updates(widget, control, values) -> tuple[float, float]:
    """Median milliseconds of (callback, callback + render) over the values."""
    as_in_the_browser(widget.fig)
    widget.fig.canvas.draw()  # first render outside the timing
    callback, total = [], []
    for v in values:
        cb, both = update_ms(widget, lambda v=v: setattr(control, "value", v))
        assert widget.message.value == "", widget.message.value
        callback.append(cb)
        total.append(both)
    return statistics.median(callback), statistics.median(total)


def sweep(lo: float, hi: float, n: int = 15) -> list[float]:
    return [round(lo + (hi - lo) * i / (n - 1), 3) for i in range(n)]


def main() -> None:
    ok = True
    print(f"Slider change -> figure rendered, median over 15 changes (target <= {TARGET_MS:.0f} ms)")
    cases = []
    g = GraphExplorer()
    cases.append(("GraphExplorer (x + y) z, slider x", g, g.sliders["x"], sweep(-4, 4)))
    h = GraphExplorer(hide_gradients=True)
    h.example.value = "sigmoid neuron, primitive gates"
    cases.append(("GraphExplorer neuron hidden, backward step", h, h.step, [i % 9 for i in range(15)]))
    n = GraphExplorer()
    n.example.value = "sigmoid neuron, primitive gates"
    n.step.value = 8
    cases.append(("GraphExplorer neuron, slider w0", n, n.sliders["w0"], sweep(-3, 3)))
    cases.append(("GraphExplorer neuron, backward step", n, n.step, [i % 9 for i in range(15)]))
    p = GatePlayground()
    cases.append(("GatePlayground, slider x", p, p.x, sweep(-4, 4)))
    j1 = JacobianExplorer("||W x||²")
    cases.append(("JacobianExplorer ||W x||², size n", j1, j1.n, [4 + 3 * (i % 15) for i in range(15)]))
    c = ChainRuleExplorer()
    cases.append(("ChainRuleExplorer, slider t", c, c.t, sweep(0.3, 2.9)))
    c2 = ChainRuleExplorer(mode=1)
    cases.append(("ChainRuleExplorer total derivative, t", c2, c2.t, sweep(0.3, 2.9)))
    j = JacobianExplorer()
    cases.append(("JacobianExplorer, size n", j, j.n, [4 + 3 * (i % 15) for i in range(15)]))
    a = ActivationExplorer()
    cases.append(("ActivationExplorer, input x", a, a.x, sweep(-4, 4)))
    d = NetworkDiagram()
    cases.append(("NetworkDiagram, layer sizes", d, d.sizes, [f"3, {k}, {k}, 1" for k in range(2, 17)]))
    for label, widget, control, values in cases:
        cb, total = time_updates(widget, control, values)
        good = total <= TARGET_MS
        ok &= good
        print(f"  {label:<42} callback {cb:6.1f} ms   + render {total:6.1f} ms  {'ok' if good else 'MISSED'}")

    # the dashboard's frame on a classification set: the decision regions on a fine grid
    spiral = TrainingDashboard(dataset="spiral")
    spiral.step()
    as_in_the_browser(spiral.fig)
    spiral.fig.canvas.draw()
    frames = []
    for _ in range(15):
        t0 = time.perf_counter()
        spiral._redraw()
        spiral.fig.canvas.draw()
        frames.append((time.perf_counter() - t0) * 1e3)
    frame = statistics.median(frames)
    ok &= frame <= TARGET_MS
    label = "TrainingDashboard spiral, one frame"
    print(
        f"  {label:<42}                   render {frame:6.1f} ms  {'ok' if frame <= TARGET_MS else 'MISSED'}"
    )

    # the dashboard: training speed while redrawing
    X, Y = TrainingDashboard().X, TrainingDashboard().Y

    def bare_rate() -> float:
        model = nn.MLP([1, 6, 7, 2], activation="sigmoid", output_activation="sigmoid", init="half", seed=0)
        t0 = time.perf_counter()
        nn.fit(model, X, Y, lr=7.0, steps=30_000, progress=False)
        return 30_000 / (time.perf_counter() - t0)

    before = [bare_rate()]

    # three sessions of play, each between measurements of bare fit; medians of both
    rates, frame_rates, renders, played = [], [], 0, 0.0
    for _ in range(3):
        dash = TrainingDashboard()
        as_in_the_browser(dash.fig)
        dash.fig.canvas.draw_idle = dash.fig.canvas.draw  # render every frame now, in the training thread
        dash.frames = 0
        t0 = time.perf_counter()
        dash.play()
        time.sleep(4.0)
        dash.pause()
        seconds = time.perf_counter() - t0
        rates.append(len(dash.history) / seconds)
        frame_rates.append(dash.frames / seconds)
        renders += dash.background.renders
        played += seconds
        before.append(bare_rate())
    bare = statistics.median(before)
    rate, fps = statistics.median(rates), statistics.median(frame_rates)
    share = rate / bare
    print("Training dashboard (heart curve, 1-6-7-2), every frame rendered in the training thread")
    print(f"  bare fit                                   {bare:9,.0f} steps/s")
    print(f"  dashboard while playing                    {rate:9,.0f} steps/s = {share:.0%} of bare fit")
    print("                                             (target >= 80%)")
    print(f"  redraws                                    {fps:9.1f} frames/s (target >= 10)")
    print(f"  axes re-rendered (limits changed)          {renders:9d} times in {played:.1f} s")
    ok &= share >= 0.8 and fps >= 10
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
