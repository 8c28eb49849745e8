"""TrainingDashboard: train an MLP live on the heart curve (regression) or a 2-D classification set.
Each dataset brings its own defaults (architecture, activation, learning rate), which the student
can change; the decision regions are smooth and coloured by the predicted class probabilities.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from .. import data as datasets
from .. import nn
from .._checks import describe, is_real
from ..viz import CLASS_COLORS, CLASS_MARKERS, GRAD_COLOR, CachedBackground
from .base import SLIDER_STYLE, Explorer, in_range, make_figure, parse_sizes

#: per dataset: hidden sizes, activation, learning rate (each converges in a few seconds of Play)
DATASET_DEFAULTS: dict[str, tuple[str, str, float]] = {
    "heart": ("6, 7", "sigmoid", 7.0),
    "spiral": ("32, 32", "relu", 0.5),
    "moons": ("16", "tanh", 0.5),
    "circles": ("8", "tanh", 0.5),
    "xor": ("8", "tanh", 0.5),
}

TINT = 0.4  # the regions' colours: the class colour mixed with white, this much of the colour
GRID = 120  # decision regions: GRID x GRID points, drawn with bilinear interpolation
LR_RANGE = (10**-3, 10**1.5)


def _rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def region_colors(k: int) -> np.ndarray:
    """(k, 3) RGB: the tints of the first k class colours."""
    return np.array([1 - TINT * (1 - _rgb(c)) for c in CLASS_COLORS[:k]])


def _nice_ceiling(n: int) -> int:
    """The smallest of 1000, 10000, 100000, ... that is at least n."""
    limit = 1000
    while limit < n:
        limit *= 10
    return limit


def _decades(lo: float, hi: float) -> tuple[float, float]:
    """Whole decades around [lo, hi], with a little room at both ends."""
    lo, hi = np.clip(np.log10([lo, hi]) + [-0.05, 0.05], -300, 300)
    return 10.0 ** math.floor(lo), 10.0 ** math.ceil(hi)


class TrainingDashboard(Explorer):
    """Train an MLP live: the heart curve (regression) or a 2-D classification set.

    Play trains in a background thread and redraws about ten times a second; Pause stops it,
    Step trains one chunk, Reset starts again from new weights. Choosing a dataset sets its
    defaults (:data:`DATASET_DEFAULTS`); ``hidden``, ``activation`` and ``lr`` override them.
    """

    DATASETS = tuple(DATASET_DEFAULTS)

    def __init__(
        self,
        dataset: str = "heart",
        hidden: Any = None,
        activation: str | None = None,
        lr: float | None = None,
    ):
        super().__init__()
        if not isinstance(dataset, str) or dataset not in self.DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(self.DATASETS)}")
        d_hidden, d_activation, d_lr = DATASET_DEFAULTS[dataset]
        hidden = d_hidden if hidden is None else hidden
        activation = d_activation if activation is None else activation
        lr = d_lr if lr is None else lr
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
        parse_sizes(hidden, at_least=1, what="hidden sizes")  # raises here, not inside the widget
        lr = in_range(lr, "lr", "TrainingDashboard", *LR_RANGE, 0.5)
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
        self._applying_defaults = False
        self.dataset.observe(self._on_change(self._dataset_changed), "value")
        for w in (self.hidden, self.activation):
            w.observe(self._on_change(self._settings_changed), "value")
        self.status = W.HTML()
        self.fig = make_figure(8.4, 3.3, dpi=80)
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

    # --- settings -------------------------------------------------------------------
    def _dataset_changed(self) -> None:
        """A new dataset: its defaults (which the student may change afterwards), then new weights."""
        self.pause()
        hidden, activation, lr = DATASET_DEFAULTS[self.dataset.value]
        self._applying_defaults = True
        try:
            self.hidden.value = hidden
            self.activation.value = activation
            self.lr.value = lr
        finally:
            self._applying_defaults = False
        self.reset()

    def _settings_changed(self) -> None:
        if not self._applying_defaults:
            self.reset()

    # --- model and data ---------------------------------------------------------
    def reset(self) -> None:
        """New weights, empty history, fresh plots."""
        self.pause()
        name = self.dataset.value
        hidden = parse_sizes(self.hidden.value, at_least=1, what="hidden sizes")
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
        with np.errstate(all="ignore"):
            self.initial_loss = float(nn.make_loss(loss)(self.model.forward(self.X), self.Y))
        self._draw_axes()
        self._redraw()

    def _draw_axes(self) -> None:
        for ax in (self.ax_loss, self.ax_fit):
            ax.clear()
        heart = self.dataset.value == "heart"
        (self.loss_line,) = self.ax_loss.plot([], [], color=GRAD_COLOR, zorder=10)
        self.ax_loss.set_yscale("log")
        self.ax_loss.yaxis.set_minor_locator(NullLocator())  # few tick labels: each costs render time
        self.ax_loss.xaxis.set_major_locator(MaxNLocator(4))
        # empty but labelled before training: a step axis, loss decades around the starting loss
        self.ax_loss.set_xlim(0, _nice_ceiling(0))
        start = self.initial_loss if math.isfinite(self.initial_loss) and self.initial_loss > 0 else 1.0
        top = _decades(start, start)[1]
        self.ax_loss.set_ylim(top / 1000, top)
        self.ax_loss.set_xlabel("step")
        self.ax_loss.set_ylabel("loss")
        self.ax_loss.set_title("training loss", fontsize=10, y=1.01)
        self.waiting = self.ax_loss.text(
            0.5,
            0.5,
            f"press Play or Step to train\n(loss now {start:.3g})",
            transform=self.ax_loss.transAxes,
            ha="center",
            va="center",
            fontsize=9,
            color="#616161",
        )
        if heart:
            self.ax_fit.plot(self.Y[:, 0], self.Y[:, 1], ".", color="#9e9e9e")
            (self.fit_line,) = self.ax_fit.plot([], [], color="#0072B2", lw=2, zorder=10)
            self.ax_fit.set_xlim(0, 1)
            self.ax_fit.set_ylim(0, 1)
            self.ax_fit.set_aspect("equal")
            self.ax_fit.set_title("target (grey dots) and network (blue)", fontsize=10, y=1.01)
        else:
            k = int(self.Y.max()) + 1
            self.colors = region_colors(k)
            lo, hi = self.X.min(axis=0) - 0.3, self.X.max(axis=0) + 0.3
            gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID))
            self.grid = np.c_[gx.ravel(), gy.ravel()]
            self.boundary = self.ax_fit.imshow(
                np.ones((GRID, GRID, 3)),
                origin="lower",
                extent=(lo[0], hi[0], lo[1], hi[1]),
                aspect="auto",
                interpolation="bilinear",
                zorder=1,  # above the axis ticks (zorder 0.5 with axisbelow), below the points
            )
            self.ax_fit.set_axisbelow(True)
            self.class_points = []
            for c in range(k):
                mine = self.Y == c
                self.class_points.append(
                    self.ax_fit.scatter(
                        self.X[mine, 0],
                        self.X[mine, 1],
                        s=14,
                        marker=CLASS_MARKERS[c % len(CLASS_MARKERS)],
                        c=CLASS_COLORS[c % len(CLASS_COLORS)],
                        edgecolors="k",
                        linewidths=0.4,
                        zorder=2,
                        label=f"class {c}",
                    )
                )
            self.ax_fit.set_title("decision regions: predicted class", fontsize=10, y=1.01)
        self.ax_fit.set_xlabel("y1" if heart else "x1")
        self.ax_fit.set_ylabel("y2" if heart else "x2")
        moving = self.fit_line if heart else self.boundary
        self.background.reset([self.loss_line, moving])

    def region_image(self, scores: np.ndarray) -> np.ndarray:
        """(GRID, GRID, 3) colours: the class tints weighted by the softmax probabilities."""
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return np.clip(p @ self.colors, 0, 1).reshape(GRID, GRID, 3)

    def _redraw(self, now: bool = True) -> None:
        heart = self.dataset.value == "heart"
        with self._lock, np.errstate(all="ignore"):  # a diverged model may overflow; it is reported
            n = len(self.history)
            every = max(1, n // 1000)  # at most ~1000 points on screen, however long the run
            losses = np.array(self.history[every - 1 :: every])
            out = self.model.forward(self.X if heart else self.grid)
            image = None if heart else self.region_image(out)
        if n:
            if self.waiting.get_visible():
                self.waiting.set_visible(False)
                self.background.invalidate()
            self.loss_line.set_data(np.arange(every, every * len(losses) + 1, every), losses)
            # limits move in decades (of steps and of loss), so the axes are
            # re-rendered only now and then, not on every frame
            self.ax_loss.set_xlim(0, _nice_ceiling(n))
            finite = losses[np.isfinite(losses) & (losses > 0)]
            if finite.size:
                self.ax_loss.set_ylim(*_decades(finite.min(), finite.max()))
        if heart:
            # before training every input gives about the same output: a dot, not yet a curve
            self.fit_line.set_data(out[:, 0] if n else [], out[:, 1] if n else [])
        else:
            self.boundary.set_data(image)
        last = f"{self.history[-1]:.5g}" if n else f"{self.initial_loss:.5g} (untrained)"
        self.status.value = f"step {n} · loss {last}"
        self.frames += 1
        self.redraw(now)

    # --- training -----------------------------------------------------------------
    def _train(self, steps: int, until_stopped: bool) -> None:
        next_frame = time.perf_counter() + self.frame_interval
        # Play's thread leaves the rendering to the browser's requests (they coalesce); Step
        # renders each frame at once
        at_once = threading.current_thread() is not self._thread

        def callback(step: int, loss: float, model: Any) -> bool:
            nonlocal next_frame
            now = time.perf_counter()
            if now >= next_frame:  # frames on a fixed schedule: ten a second
                next_frame = max(next_frame + self.frame_interval, now)
                self._redraw(at_once)
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
        self._redraw(at_once)

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
