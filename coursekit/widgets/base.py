"""What every explorer shares: the :class:`Explorer` base class, sliders, argument checks and
figure helpers (a legend placed clear of the data, the "Hide gradients" toggle).

Every explorer updates its figure through :meth:`Explorer.redraw`, the one place where a
figure update is sent to the browser: change it there to change how all explorers render.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._blas import single_blas_thread
from .._checks import real_number
from ..viz import GRAD_COLOR, widget_figure

SLIDER_STYLE = {"description_width": "initial"}

#: what a hidden gradient shows until the student reveals it
HIDDEN = "?"

# Titles are placed with an explicit y (set_title(..., y=1.01)): matplotlib then skips measuring
# every tick label to place them, which is most of the cost of a cached frame.


class Explorer(W.VBox):
    """Base class: a message area for errors, timing of updates, a guarded refresh, one redraw."""

    fig: Figure

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

    def redraw(self, now: bool = True) -> None:
        """Send the figure's new state to the browser: the single figure-update path.

        Explorers change their artists in place (``set_data``, ``set_text``) and then call this;
        nothing is re-plotted. Once a browser shows the figure, it is rendered and sent at once:
        ``draw_idle`` would ask the browser to ask for the image, a round trip through the
        kernel's message queue that was a third of the latency in a real browser
        (benchmarks/bench_browser.py). Bursts of slider events still coalesce: ipywidgets
        sends the next value only once the kernel is idle. With ``now=False`` (the dashboard's
        training thread) and before a browser shows the figure (headless runs), the browser asks.
        """
        canvas = self.fig.canvas
        if now and getattr(canvas, "syncing_data_url", True) is False:
            canvas.draw()
        else:
            canvas.draw_idle()


def make_figure(width: float, height: float, dpi: int = 96) -> Figure:
    """The explorers' figures: an ipympl canvas (see :func:`coursekit.viz.widget_figure`)."""
    return widget_figure(width, height, dpi=dpi)


def in_range(value: Any, name: str, who: str, lo: float, hi: float, example: float) -> float:
    """A number in [lo, hi] (a slider's range), or a ValueError that names the range."""
    v = real_number(value, name, who, example=example)
    if not lo <= v <= hi:
        raise ValueError(
            f"{who}: {name} must be between {lo:g} and {hi:g} (the slider's range), got {value!r}; "
            f"pass e.g. {name}={example:g}"
        )
    return v


def slider(name: str, value: float, lo: float = -5.0, hi: float = 5.0, step: float = 0.1) -> W.FloatSlider:
    """A float slider of the explorers' style, its range widened to include ``value``."""
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


def hide_toggle(value: bool = False) -> W.ToggleButton:
    """The "Hide gradients" toggle: predict the red numbers, then reveal them."""
    return W.ToggleButton(
        value=bool(value),
        description="Hide gradients",
        icon="eye-slash",
        tooltip="hide the gradients (red) until you reveal them: predict first",
        layout=W.Layout(width="150px"),
    )


def parse_sizes(text: str, at_least: int = 2, what: str = "layer sizes") -> list[int]:
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


# ---------------------------------------------------------------------------
# Legends clear of the data
# ---------------------------------------------------------------------------


def display_points(artists: Iterable[Any], per_segment: int = 24) -> np.ndarray:
    """The points of lines (in display pixels), with extra points along each segment."""
    chunks = []
    for line in artists:
        xy = np.asarray(line.get_xydata(), dtype=float)
        if len(xy) == 0:
            continue
        xy = line.get_transform().transform(xy)
        if len(xy) > 1:
            t = np.linspace(0, 1, per_segment, endpoint=False)[:, None, None]
            xy = np.concatenate([(xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2), xy[-1:]])
        chunks.append(xy[np.all(np.isfinite(xy), axis=1)])
    return np.concatenate(chunks) if chunks else np.zeros((0, 2))


def points_inside(bbox: Any, points: np.ndarray, margin: float = 2.0) -> int:
    """How many display points fall inside a bounding box grown by ``margin`` pixels."""
    if not len(points):
        return 0
    x, y = points[:, 0], points[:, 1]
    inside = (
        (x >= bbox.x0 - margin) & (x <= bbox.x1 + margin) & (y >= bbox.y0 - margin) & (y <= bbox.y1 + margin)
    )
    return int(inside.sum())


LEGEND_PLACES = ("upper left", "upper right", "lower left", "lower right", "upper center", "lower center")


def legend_clear_of(
    ax: Axes, handles: list[Any], labels: list[str], avoid: Iterable[Any], places=LEGEND_PLACES, **kwargs: Any
) -> Any:
    """A legend in the first of ``places`` where it covers none of the ``avoid`` lines.

    Unlike matplotlib's ``loc="best"``, only the given lines count (not shaded spans or the
    axes' own reference lines), and the legend stays inside the axes. When every place covers
    something, the one covering the fewest points is used.
    """
    legend = ax.legend(handles, labels, loc=places[0], **kwargs)
    renderer = ax.figure.canvas.get_renderer()
    points = display_points(avoid)
    best, fewest = places[0], None
    for place in places:
        legend.set_loc(place)
        covered = points_inside(legend.get_window_extent(renderer), points)
        if fewest is None or covered < fewest:
            best, fewest = place, covered
        if covered == 0:
            break
    legend.set_loc(best)
    return legend
