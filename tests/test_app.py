"""The playground app (app/playground.ipynb served by Voila) in headless Chromium, offline.

Voila starts on a free port on 127.0.0.1, as ``python3 dev.py app`` starts it (app/serve.py).
In the browser: every request stays on 127.0.0.1 (others are blocked and fail the test), the
console has no errors, the icons come from the local server, no code cell is shown, Play trains
the network (the loss curve and the step count change), and a GraphExplorer slider and its
Next button redraw the graph. Screenshots go to tests/artifacts/app/; the start-up times to
tests/artifacts/app/timings.txt.
"""

from __future__ import annotations

import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from lab_browser import (
    CANVAS_IMAGE,
    CHROMIUM,
    free_port,
    offline_page,
    running_server,
    settled_image,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "app"
sys.path.insert(0, str(ROOT / "app"))
import serve  # noqa: E402 - app/serve.py: the command dev.py app runs

pytest.importorskip("voila", reason="Voila is not installed (the test extra has it)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt install chromium)")

def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(f"{url}voila/static/probe", timeout=2)  # any answer will do
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app's URL and how long the server took to answer."""
    base = tmp_path_factory.mktemp("app")
    home = base / "home"
    home.mkdir()
    env = serve.voila_environment()
    env.update(HOME=str(home), TMPDIR=str(base), JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    cmd = serve.voila_command(port, ["--no-browser"])
    with running_server(cmd, env, base / "voila.log", lambda: answers(url), "Voila"):
        yield url, time.perf_counter() - start


def settled(page, figure) -> str | None:
    """The figure's pixels once unchanged for half a second (ipympl redraws asynchronously)."""
    return settled_image(page, figure.element_handle(), timeout=20.0)


def test_app_offline_plays_and_steps(app, browser):
    url, server_seconds = app
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    allowed = ("http://127.0.0.1:", "ws://127.0.0.1:")
    page, outside, console_errors = offline_page(browser, allowed, {"width": 1600, "height": 1000})
    try:
        start = time.perf_counter()
        page.goto(url, timeout=120_000)
        figures = page.locator(".jupyter-matplotlib-figure")
        wait_until(lambda: figures.count() >= 2, 120, "both explorers' figures")
        training, graph = figures.nth(0), figures.nth(1)
        assert settled(page, training) and settled(page, graph), "a figure never drew"
        page_seconds = time.perf_counter() - start
        (ARTIFACTS / "timings.txt").write_text(
            f"server answering: {server_seconds:.1f} s\n"
            f"page loaded, kernel run, both figures drawn: {page_seconds:.1f} s\n"
            f"start-up in all: {server_seconds + page_seconds:.1f} s\n"
        )
        print(f"app start-up: server {server_seconds:.1f} s + page {page_seconds:.1f} s")
        page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)

        text = page.inner_text("body")
        code = page.locator(".jp-CodeCell .jp-InputArea, .jp-CodeMirrorEditor, .cm-editor")
        assert code.count() == 0 and "import" not in text, "code cells are shown"
        assert "Error displaying widget" not in text
        icon = page.evaluate(
            """() => { const i = document.querySelector('button .fa-play');
                 return i && getComputedStyle(i, '::before').content; }"""
        )
        assert icon and icon not in ("none", '""'), "the Play button has no icon"
        assert page.evaluate("() => document.fonts.check('900 16px \"Font Awesome 5 Free\"')")

        # Play trains: the loss curve (and the step count) change; Pause stops it
        status = page.locator(".widget-html:has-text('loss')").first
        status_before = status.inner_text()
        before = settled(page, training)
        page.locator("button:has-text('Play')").click()
        wait_until(lambda: page.evaluate(CANVAS_IMAGE, training.element_handle()) != before, 30, "training")
        wait_until(lambda: status.inner_text() != status_before, 30, "the step count to move")
        page.locator("button:has-text('Pause')").click()
        settled(page, training)
        training.screenshot(path=str(ARTIFACTS / "training-after-play.png"))
        assert status.inner_text() != status_before

        # GraphExplorer: a slider, then Next, each redraw the graph
        before = settled(page, graph)
        handle = page.locator(".widget-slider:has(.widget-label:text-is('x')) .noUi-handle").first
        value = handle.get_attribute("aria-valuenow")
        handle.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        wait_until(lambda: handle.get_attribute("aria-valuenow") != value, 10, "the x slider to move")
        wait_until(lambda: page.evaluate(CANVAS_IMAGE, graph.element_handle()) != before, 30, "the slider")
        before = settled(page, graph)
        page.locator("button:has-text('Next')").click()
        wait_until(lambda: page.evaluate(CANVAS_IMAGE, graph.element_handle()) != before, 30, "Next")
        settled(page, graph)
        graph.screenshot(path=str(ARTIFACTS / "graph-after-next.png"))
        page.screenshot(path=str(ARTIFACTS / "app-after.png"), full_page=True)

        assert not outside, f"requests outside 127.0.0.1: {outside}"
        assert not console_errors, f"console errors: {console_errors}"
    finally:
        page.close()
