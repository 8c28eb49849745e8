"""JupyterLab on a free port and headless Chromium, for the browser test and bench_browser.py.

The server runs on 127.0.0.1 with a temporary HOME, settings, workspaces and runtime folder,
serving a temporary copy of the notebooks (JupyterLab autosaves). The students' view:
nbgrader's extensions (installed in the test environment for the grading tests) are disabled,
as they are absent from the students' own environment. Chromium is Debian's
(`apt install chromium`) driven by Python's playwright; playwright's own download is not used.
The latency of a widget (key press to new pixels) is measured in the page: INSTRUMENT records
the timestamps, :func:`measure_latency` reads them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TOKEN = "coursekit-browser-test"
NBGRADER_LAB = "@jupyter/nbgrader"
NBGRADER_SERVER = [
    f"nbgrader.server_extensions.{name}"
    for name in ("formgrader", "validate_assignment", "assignment_list", "course_list")
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def lab_server(notebooks: Path, base: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve a copy of ``notebooks`` (as root/notebooks) with JupyterLab; yields the base URL."""
    root = base / "root"
    shutil.copytree(notebooks, root / "notebooks")
    settings = base / "settings"
    for plugin, values in {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }.items():
        path = settings / plugin
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    config = base / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {NBGRADER_LAB: True}})
    )
    server_config = {"ServerApp": {"jpserver_extensions": dict.fromkeys(NBGRADER_SERVER, False)}}
    (config / "jupyter_server_config.json").write_text(json.dumps(server_config))
    home = base / "home"
    home.mkdir()
    env = dict(
        env or os.environ,
        HOME=str(home),
        TMPDIR=str(base),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTER_CONFIG_DIR=str(config),
    )
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
        "--expose-app-in-browser",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    url = f"http://127.0.0.1:{port}"
    with running_server(cmd, env, base / "server.log", lambda: server_answers(url), "JupyterLab"):
        yield url


@contextlib.contextmanager
def running_server(
    cmd: list[str], env: dict[str, str], log_path: Path, answers: Callable[[], bool], what: str
) -> Iterator[subprocess.Popen]:
    """Start ``cmd`` (its output to ``log_path``), wait until ``answers()``, stop it afterwards.

    Stopped with SIGTERM (a Jupyter server then shuts its kernels down), killed after 20 s.
    """
    with open(log_path, "w") as log:
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 90
            while not answers():
                if server.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"{what} did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, through playwright's driver."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def offline_page(browser: Any, allowed: tuple[str, ...], viewport: dict[str, int] | None = None) -> Any:
    """A page that blocks and records every request outside ``allowed`` (URL prefixes), and
    records console errors and uncaught page errors: ``(page, outside, errors)``."""
    page = browser.new_page(viewport=viewport or {"width": 1366, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith((*allowed, "data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, outside, errors


APP_READY = "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"

WAIT_FOR_KERNEL = """async () => {
  const app = window.jupyterapp;
  const nb = app.shell.currentWidget;
  if (!nb || !nb.sessionContext) return false;
  await nb.context.ready;
  await nb.sessionContext.ready;
  const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""

RUN_STATE = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const cells = nb.content.widgets.filter(c => c.model.type === 'code');
  const outputs = cells.flatMap(c => c.model.outputs.toJSON());
  const errors = outputs.filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`);
  const stderr = outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr').map(o => o.text);
  const done = cells.every(c => c.model.executionCount !== null);
  const kernel = nb.sessionContext.session.kernel;
  const widgets = outputs.filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length;
  return {done, errors, stderr, idle: kernel.status === 'idle', cells: cells.length, widgets};
}"""

CANVAS_IMAGE = """(area) => {
  const c = area.querySelector('.jupyter-matplotlib-canvas-div canvas');
  return c && c.width > 0 ? c.toDataURL() : null;
}"""


def wait_until(fn: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def settled_image(page: Any, area: Any, timeout: float = 15.0) -> str | None:
    """The figure's pixels once they have stopped changing for half a second (ipympl redraws async)."""
    last, since = None, time.time()
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = page.evaluate(CANVAS_IMAGE, area)
        if now is not None and now == last:
            if time.time() - since > 0.5:
                return now
        else:
            last, since = now, time.time()
        time.sleep(0.1)
    return last


def open_notebook(page: Any, url: str, name: str) -> None:
    """Open notebooks/<name> in its own fresh workspace and wait for its kernel."""
    workspace = Path(name).stem.replace("_", "-")
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/notebooks/{name}?token={TOKEN}&reset", timeout=60_000)
    page.wait_for_function(APP_READY, timeout=60_000)
    wait_until(lambda: page.evaluate(WAIT_FOR_KERNEL), 90, "the kernel to be ready")


def run_all_cells(page: Any, timeout: float = 240) -> dict[str, Any]:
    """Run every cell with JupyterLab's own command; the run state once done (or failed) and idle."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    return wait_until(
        lambda: (s := page.evaluate(RUN_STATE)) and ((s["done"] or s["errors"]) and s["idle"]) and s,
        timeout,
        "all cells to run",
    )


def shut_down_kernel(page: Any) -> None:
    """Stop the current notebook's kernel (the next notebook then has the machine to itself)."""
    page.evaluate(
        "async () => { const nb = window.jupyterapp.shell.currentWidget;"
        " if (nb && nb.sessionContext) await nb.sessionContext.shutdown(); }"
    )


# --- latency: a key press on a slider to new pixels on the figure ---------------------------

# Timestamps recorded in the page: key presses, websocket traffic, and every drawImage onto a
# figure's canvas (how ipympl puts a new frame on screen), with the frame that follows it.
INSTRUMENT = """
(() => {
  const ck = window.__ck = {keys: [], sent: [], recv: [], draws: []};
  document.addEventListener('keydown', () => ck.keys.push(performance.now()), true);
  document.addEventListener('mousedown', () => ck.keys.push(performance.now()), true);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    ck.sent.push(performance.now());
    return send.call(this, data);
  };
  const Native = window.WebSocket;
  class Recorded extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => ck.recv.push(performance.now()));
    }
  }
  window.WebSocket = Recorded;
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    const canvas = this.canvas;
    if (canvas && canvas.closest && canvas.closest('.jupyter-matplotlib-canvas-div')) {
      const entry = {t: performance.now(), canvas, frame: null};
      ck.draws.push(entry);
      requestAnimationFrame(() => { entry.frame = performance.now(); });
    }
    return drawImage.apply(this, args);
  };
})();
"""

MARK = "() => ({now: performance.now(), draws: window.__ck.draws.length})"

# The first and last redraws of this widget's canvas since a mark, and the traffic around them.
REDRAWS = """([area, since]) => {
  const ck = window.__ck;
  const mine = ck.draws.slice(since.draws).filter(d => area.contains(d.canvas));
  if (!mine.length) return null;
  const key = ck.keys.filter(t => t >= since.now)[0];
  const first = mine[0], last = mine[mine.length - 1];
  const sent = ck.sent.filter(t => t >= key)[0];
  const recv = ck.recv.filter(t => t <= first.t && t >= (sent ?? key)).pop();
  return {key, first: first.t, firstFrame: first.frame, last: last.t, lastFrame: last.frame,
          sent: sent ?? null, recv: recv ?? null, count: mine.length,
          keys: ck.keys.filter(t => t >= since.now)};
}"""


def press(page: Any, area: Any, handle: Any, key: str) -> None:
    if handle is None:
        area.locator("button:has-text('Step')").first.click()
    else:
        page.keyboard.press(key)


def wait_quiet(page: Any, area_handle: Any, since: dict, quiet_ms: float, timeout_s: float = 10.0) -> Any:
    """The redraws since ``since`` once none has come for ``quiet_ms``."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        r = page.evaluate(REDRAWS, [area_handle, since])
        now = page.evaluate("() => performance.now()")
        if r and r["lastFrame"] is not None and now - r["last"] > quiet_ms:
            return r
        time.sleep(0.03)
    return page.evaluate(REDRAWS, [area_handle, since])


def measure_latency(page: Any, area: Any, presses: int, burst: int = 20) -> dict[str, Any]:
    """Key press (or Step click) to new pixels on this widget's figure; needs INSTRUMENT in the page.

    ``median`` and ``max`` ms over ``presses`` single presses, each once the figure has settled;
    ``settle``: ms from the last of ``burst`` presses 30 ms apart to the last redraw (None for a
    Step button); ``parts``: median ms of send (key to first message out), kernel (to the last
    message in before the redraw), draw (to the pixels), paint (to the next frame).
    """
    area.scroll_into_view_if_needed()
    handle_el = area.element_handle()
    settled_image(page, handle_el)
    sliders = area.locator(".widget-slider .noUi-handle")
    has_step = area.locator("button:has-text('Step')").count() > 0  # the training dashboard
    handle = sliders.first if sliders.count() and not has_step else None
    if handle is not None:
        handle.focus()
    single, parts = [], {"send": [], "kernel": [], "draw": [], "paint": []}
    for _ in range(presses):
        since = page.evaluate(MARK)
        press(page, area, handle, "ArrowRight")
        r = wait_quiet(page, handle_el, since, 300)
        if not r:
            single.append(float("inf"))
            continue
        single.append(r["firstFrame"] - r["key"])
        if r["sent"] is not None and r["recv"] is not None:
            parts["send"].append(r["sent"] - r["key"])
            parts["kernel"].append(r["recv"] - r["sent"])
            parts["draw"].append(r["first"] - r["recv"])
        parts["paint"].append(r["firstFrame"] - r["first"])
    settle = None
    if handle is not None:
        now, lo, hi = (
            float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax")
        )
        key = "ArrowLeft" if now - lo > hi - now else "ArrowRight"  # toward the side with room
        since = page.evaluate(MARK)
        for _ in range(burst):
            page.keyboard.press(key)
            page.wait_for_timeout(30)
        r = wait_quiet(page, handle_el, since, 1000, timeout_s=15)
        if r:  # (a press at the slider's end changes nothing: then the figure settled before it)
            settle = max(0.0, r["lastFrame"] - r["keys"][-1])
    return {
        "median": statistics.median(single),
        "max": max(single),
        "settle": settle,
        "parts": {k: statistics.median(v) if v else float("nan") for k, v in parts.items()},
    }
