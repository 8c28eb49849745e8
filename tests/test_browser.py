"""Open every lesson in JupyterLab in headless Chromium, run it, check it, move a slider.

For each notebook: run all cells through JupyterLab's own command, then check that no output
is an error or a warning, that every widget rendered (no "Error displaying widget"), and that
moving a slider changes the figure next to it. Screenshots of every widget go to
tests/artifacts/<notebook>/ for a human to look at.

The server runs on 127.0.0.1 on a free port with a temporary HOME, settings and workspace
folder and a temporary copy of the notebooks (JupyterLab autosaves). Chromium is Debian's
(`apt install chromium`), driven by Python's playwright (its own browser download is not
used). Without Chromium the test is skipped with that reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ARTIFACTS = ROOT / "tests" / "artifacts"
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

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt install chromium)")


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


NBGRADER_LAB = "@jupyter/nbgrader"
NBGRADER_SERVER = [
    f"nbgrader.server_extensions.{name}"
    for name in ("formgrader", "validate_assignment", "assignment_list", "course_list")
]


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
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
    # the students' view: nbgrader (in the test environment for the grading tests) stays out of it,
    # as it is not in the students' own environment (dev.py lab) at all
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
        os.environ,
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
    log = open(base / "server.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while not server_answers(url):
        if server.poll() is not None or time.time() > deadline:
            server.kill()
            raise RuntimeError(f"JupyterLab did not start:\n{(base / 'server.log').read_text()[-3000:]}")
        time.sleep(0.5)
    yield url
    server.terminate()  # SIGTERM: the server shuts its kernels down
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # one per process: a second one fails inside pytest's loop
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


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


def wait_until(fn, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def settled_image(page, area, timeout=15.0):
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


def exercise_widget(page, area, name: str, out_dir: Path) -> None:
    """Press the widget's Step button (training) or move its first slider; the figure must change."""
    area.scroll_into_view_if_needed()
    before = settled_image(page, area.element_handle())
    assert before, f"{name}: the figure never drew"
    step = area.locator("button:has-text('Step')")
    sliders = area.locator(".widget-slider .noUi-handle")
    if step.count():
        step.first.click()
    elif sliders.count():
        handle = sliders.first
        value_before = handle.get_attribute("aria-valuenow")
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        moved = lambda: handle.get_attribute("aria-valuenow") != value_before  # noqa: E731
        wait_until(moved, 10, f"{name}: the slider to move")
    else:
        return  # nothing to move (e.g. a text field)
    redrawn = lambda: page.evaluate(CANVAS_IMAGE, area.element_handle()) != before  # noqa: E731
    wait_until(redrawn, 30, f"{name}: the figure to change")
    settled_image(page, area.element_handle())
    area.screenshot(path=str(out_dir / f"{name.replace(' ', '-')}-after.png"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_widgets_respond(lab, browser, notebook):
    out_dir = ARTIFACTS / notebook.stem
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{lab}/lab/tree/notebooks/{notebook.name}?token={TOKEN}&reset", timeout=60_000)
        app_ready = "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        page.wait_for_function(app_ready, timeout=60_000)
        wait_until(lambda: page.evaluate(WAIT_FOR_KERNEL), 90, "the kernel to be ready")
        menus = page.inner_text("#jp-MainMenu")
        assert "File" in menus and "nbgrader" not in menus.lower(), f"the students' menus: {menus!r}"
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        state = wait_until(
            lambda: (s := page.evaluate(RUN_STATE)) and ((s["done"] or s["errors"]) and s["idle"]) and s,
            240,
            "all cells to run",
        )
        assert not state["errors"], f"{notebook.name}: errors in outputs: {state['errors']}"
        assert not state["stderr"], f"{notebook.name}: warnings or stderr in outputs: {state['stderr']}"

        areas = page.locator(".jp-OutputArea-output:has(.jupyter-widgets)")
        if state["widgets"]:
            wait_until(lambda: areas.count() >= state["widgets"], 60, "every widget to render")
        assert "Error displaying widget" not in page.inner_text(".jp-Notebook")
        for i in range(areas.count()):
            area = areas.nth(i)
            area.scroll_into_view_if_needed()
            settled_image(page, area.element_handle())
            area.screenshot(path=str(out_dir / f"widget-{i + 1}.png"))

        # every widget with a figure: press its Step button (training) or move its first slider,
        # and check that the figure changed
        interactive = page.locator(".jp-OutputArea-output:has(.jupyter-matplotlib-canvas-div)")
        for i in range(interactive.count()):
            exercise_widget(page, interactive.nth(i), f"widget {i + 1}", out_dir)
        page.screenshot(path=str(out_dir / "page.png"))
        state = page.evaluate(RUN_STATE)
        assert not state["errors"], f"{notebook.name}: errors after moving the slider: {state['errors']}"
        widget_console = [m for m in console_errors if "widget" in m.lower() or "matplotlib" in m.lower()]
        assert not widget_console, f"browser console errors: {widget_console}"
    finally:
        page.close()
