"""The static book (book/build.py, ``python3 dev.py book``): built from the repository, then
read in headless Chromium.

The build runs once (timed: tests/artifacts/book/build-time.txt) into a temporary folder, npm
downloads included. The HTML is served by a static server on 127.0.0.1; in the browser every
request that leaves 127.0.0.1 is blocked and fails the test. Each page: no console errors,
formulas typeset by MathJax, every widget rendered once from its saved state, every ipympl
figure drawn (its saved image) and every image loaded, no "not attempted yet" verdicts, and a
note after each explorer on how to run it live. Next and previous links walk through the
lessons in order. One lesson is also opened from disk (file://). Screenshots of every page go
to tests/artifacts/book/.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lab_browser import CHROMIUM, offline_page, wait_until

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "book"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
PAGES = ["intro", *LESSONS]  # the book's order: the home page, then the lessons
BUILD_BUDGET = 90.0  # seconds; about 20 s measured on a 2-core machine, npm downloads included

pytest.importorskip("jupyter_book", reason="Jupyter Book is not installed (the test extra has it)")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt install chromium)"
)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("book")
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "book" / "build.py"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.perf_counter() - start
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    (ARTIFACTS / "build-time.txt").write_text(f"book build: {seconds:.1f} s\n\n{result.stdout}")
    print(f"book build: {seconds:.1f} s")
    assert seconds < BUILD_BUDGET, f"the book took {seconds:.0f} s to build (budget {BUILD_BUDGET:.0f} s)"
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def site(html) -> str:
    """The book served by a static file server on a free port of 127.0.0.1."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_every_lesson_is_a_page_without_solutions_or_outside_links(html):
    for page in PAGES:
        assert (html / f"{page}.html").is_file(), f"{page}.html is missing"
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "intro.html" in index  # the home page is the book's first page
    for page in LESSONS:
        text = (html / f"{page}.html").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        assert "More checks run here" not in text, f"{page}: a hidden-test placeholder is shown"
        tags = re.findall(r"<(?:script|link|img)\b[^>]*>", text)
        outside = [t for t in tags if re.search(r"""(?:src|href)=["'](?:https?:)?//""", t)]
        assert not outside, f"{page}: loads from outside the site: {outside}"
    static = html / "_static"
    for vendored in ("embed-amd.js", "require.js", "jupyter-matplotlib.js", "mathjax/tex-chtml.js"):
        assert (static / vendored).is_file(), vendored
    assert "sphinx-thebe" not in (html / "intro.html").read_text(encoding="utf-8")  # book/offline.py


def has_formulas(lesson: str) -> bool:
    nb = json.loads((ROOT / "notebooks" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    return any(c["cell_type"] == "markdown" and "$" in "".join(c["source"]) for c in nb["cells"])


PAGE_STATE = """() => {
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
  const outputs = [...document.querySelectorAll('.cell_output')];
  const blank = (c) => {
    if (!c || !c.width || !c.height) return true;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 4; i < d.length; i += 4)
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) return false;
    return true;
  };
  return {
    views: views.length,
    rendered: views.filter(
      v => v.parentElement.querySelectorAll(':scope > .widget-subarea .jupyter-widgets').length).length,
    subareas: views.map(v => v.parentElement.querySelectorAll(':scope > .widget-subarea').length),
    figures: document.querySelectorAll('.jupyter-matplotlib-figure').length,
    blankFigures: [...document.querySelectorAll('.jupyter-matplotlib-figure')]
      .filter(f => blank(f.querySelector('.jupyter-matplotlib-canvas-div canvas'))).length,
    images: document.querySelectorAll('.cell_output img').length,
    brokenImages: [...document.querySelectorAll('.cell_output img')]
      .filter(i => !(i.complete && i.naturalWidth > 0)).length,
    math: document.querySelectorAll('.math').length,
    typeset: [...document.querySelectorAll('.math')].filter(m => m.querySelector('mjx-container')).length,
    notes: [...document.querySelectorAll('.admonition')].filter(a => /snapshot/i.test(a.innerText)).length,
    verdicts: outputs.filter(o => /not attempted yet/i.test(o.innerText)).length,
    errorsShown: /Error displaying widget/.test(document.body.innerText),
    next: (document.querySelector('a.right-next') || {}).href || null,
    prev: (document.querySelector('a.left-prev') || {}).href || null,
  };
}"""


def check_page(page, name: str) -> dict:
    """Wait for the page's math, widgets and figures; assert that all of them are drawn."""
    state = lambda: page.evaluate(PAGE_STATE)  # noqa: E731
    wait_until(lambda: (s := state())["typeset"] == s["math"], 30, f"{name}: MathJax")
    wait_until(lambda: (s := state())["rendered"] == s["views"], 30, f"{name}: the widgets")
    wait_until(lambda: (s := state())["blankFigures"] == 0 and s["brokenImages"] == 0, 30, f"{name}: figures")
    s = state()
    assert not s["errorsShown"], f"{name}: a widget failed to render"
    assert all(n == 1 for n in s["subareas"]), f"{name}: a widget is shown twice: {s['subareas']}"
    assert s["verdicts"] == 0, f"{name}: 'not attempted yet' verdicts are shown"
    if s["figures"]:
        assert s["notes"] >= 1, f"{name}: no note on how to run the explorers live"
    return s


@needs_chromium
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_with_everything_drawn(site, browser, name):
    page, outside, errors = offline_page(browser, (site,))
    try:
        page.goto(f"{site}{name}.html", wait_until="load")
        s = check_page(page, name)
        if name in LESSONS and has_formulas(name):
            assert s["math"] > 0, f"{name}: its formulas are missing from the page"
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert not outside, f"{name}: requests outside 127.0.0.1: {outside}"
        assert not errors, f"{name}: console errors: {errors}"
    finally:
        page.close()


@needs_chromium
def test_next_and_previous_walk_through_the_lessons_in_order(site, browser):
    page, outside, errors = offline_page(browser, (site,))
    try:
        page.goto(f"{site}intro.html", wait_until="load")
        for name in PAGES[1:]:
            page.locator("a.right-next").click()
            page.wait_for_url(f"{site}{name}.html", timeout=30_000)
        assert page.locator("a.right-next").count() == 0, "the last lesson has a next page"
        for name in reversed(PAGES[:-1]):
            page.locator("a.left-prev").click()
            page.wait_for_url(re.compile(rf"{re.escape(site)}({name}|index)\.html"), timeout=30_000)
        assert not outside, f"requests outside 127.0.0.1: {outside}"
        assert not errors, f"console errors: {errors}"
    finally:
        page.close()


@needs_chromium
def test_a_lesson_opened_from_disk(html, browser):
    """file://: the widgets, figures and formulas render from the folder alone."""
    lesson = next(name for name in LESSONS if name.startswith("02_"))
    page, outside, _ = offline_page(browser, ("file://",))
    try:
        page.goto((html / f"{lesson}.html").as_uri(), wait_until="load")
        s = check_page(page, lesson)
        assert s["views"] and s["figures"] and s["math"]
        page.screenshot(path=str(ARTIFACTS / f"{lesson}-from-disk.png"))
        assert not outside, f"requests outside the folder: {outside}"
    finally:
        page.close()
