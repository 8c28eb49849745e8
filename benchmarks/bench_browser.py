"""What a student feels: key press on a slider to new pixels on screen, in a real browser.

Starts JupyterLab, opens each lesson in headless Chromium (1366 x 900), runs it, then for every
explorer in it (every widget with an ipympl figure):

- 10 single presses of ArrowRight on its first slider (the Step button for the training
  dashboard), each after the figure has settled: the time from the key press to the first new
  pixels drawn on the figure's canvas, plus the next animation frame (the paint);
- a burst of 20 presses, 30 ms apart (a held key): the time from the last press to the last
  redraw (settle).

Targets (issue 15): median <= 100 ms, max <= 200 ms, burst settles <= 250 ms after the last press.

Where the time goes, per press (medians): ``send`` from the key press to the first message the
page sends to the kernel (the slider's update); ``kernel`` from that message to the last message
the page receives before the redraw (the callback, ipympl's draw request and reply, the render and
image encoding, the transfer); ``draw`` from that message to the pixels on the canvas (decoding the
image); ``paint`` from there to the next frame. Next to it, ``kernel-side``: the same update
(callback + full render) timed in this process with the same explorer, as bench_widgets.py does.

    python benchmarks/bench_browser.py [--lessons 02 03] [--presses 10] [--scale 2]

Needs Chromium (``apt install chromium``) and the test environment (playwright): ``python3
dev.py test`` installs both.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from lab_browser import (  # noqa: E402
    CHROMIUM,
    INSTRUMENT,
    lab_server,
    launch_chromium,
    measure_latency,
    open_notebook,
    run_all_cells,
    shut_down_kernel,
)

MEDIAN_MS, MAX_MS, SETTLE_MS = 100.0, 200.0, 250.0


def explorer_cells(notebook: Path) -> list[str]:
    """The source of each code cell that shows an explorer (its last line builds one), in order."""
    from coursekit import widgets

    names = {n for n in dir(widgets) if isinstance(getattr(widgets, n), type)}
    cells = []
    for cell in json.loads(notebook.read_text())["cells"]:
        source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        body = [ln for ln in source.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "%"))]
        if not body:
            continue
        try:
            last = ast.parse(body[-1]).body
        except SyntaxError:
            continue
        if last and isinstance(last[0], ast.Expr) and isinstance(last[0].value, ast.Call):
            func = last[0].value.func
            if isinstance(func, ast.Name) and func.id in names:
                cells.append("\n".join(body))
    return cells


def build(cell: str) -> Any:
    """The explorer a cell shows, built in this process."""
    import matplotlib.pyplot as plt

    lines = cell.splitlines()
    scope: dict[str, Any] = {}
    with plt.ioff():
        exec("\n".join(lines[:-1]), scope)  # noqa: S102 - the course's own lesson code
        return eval(lines[-1], scope)  # noqa: S307


def first_control(widget: Any) -> Any:
    """The first slider in the widget (what the browser presses keys on), or its Step button."""
    import ipywidgets as W

    stack = [widget]
    while stack:
        w = stack.pop(0)
        if isinstance(w, W.FloatSlider | W.IntSlider):
            return w
        stack.extend(getattr(w, "children", ()))
    return None


def kernel_side_ms(cell: str, presses: int) -> tuple[str, float] | None:
    """Median ms of the same update in this process: the slider stepped as the key presses do.

    None for an explorer with neither a slider nor a Step button (NetworkDiagram: a text field).
    """
    from bench_widgets import as_in_the_browser, update_ms

    widget = build(cell)
    trains = callable(getattr(widget, "step", None))  # the training dashboard: its Step button
    control = None if trains else first_control(widget)
    if control is None and not trains:
        return None
    as_in_the_browser(widget.fig)
    widget.fig.canvas.draw()
    if trains:
        times = [update_ms(widget, widget.step)[1] for _ in range(presses)]
        return "Step", statistics.median(times)
    times = []
    for _ in range(presses):
        value = min(control.max, control.value + control.step)
        times.append(update_ms(widget, lambda value=value: setattr(control, "value", value))[1])
    return control.description or type(control).__name__, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", nargs="*", help="lesson number prefixes (default: all)")
    parser.add_argument("--presses", type=int, default=10)
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio (2: a high-DPI screen)")
    args = parser.parse_args()
    if CHROMIUM is None:
        sys.exit("Chromium is not installed (apt install chromium)")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as dev.py lab runs the students' kernels
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.lessons:
        notebooks = [nb for nb in notebooks if nb.name.startswith(tuple(args.lessons))]
    cases = [(nb, cell) for nb in notebooks for cell in explorer_cells(nb)]
    kernel = {(nb.name, i): kernel_side_ms(cell, args.presses) for i, (nb, cell) in enumerate(cases)}

    from playwright.sync_api import sync_playwright

    rows, skipped, ok = [], [], True
    with tempfile.TemporaryDirectory() as tmp, lab_server(ROOT / "notebooks", Path(tmp)) as url:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            viewport = {"width": args.width, "height": 900}
            page = browser.new_page(viewport=viewport, device_scale_factor=args.scale)
            page.add_init_script(INSTRUMENT)
            i = 0
            for nb in notebooks:
                mine = [c for c in cases if c[0] == nb]
                if not mine:
                    continue
                open_notebook(page, url, nb.name)
                state = run_all_cells(page)
                if state["errors"]:
                    sys.exit(f"{nb.name}: errors while running: {state['errors']}")
                areas = page.locator(".jp-OutputArea-output:has(.jupyter-matplotlib-canvas-div)")
                if areas.count() != len(mine):
                    sys.exit(f"{nb.name}: {areas.count()} figures on the page, {len(mine)} explorer cells")
                for k, (_, cell) in enumerate(mine):
                    name = cell.splitlines()[-1].split("(")[0]
                    side = kernel[(nb.name, i)]
                    i += 1
                    if side is None:
                        skipped.append(f"{nb.name[:2]} {name}")
                        continue
                    label, kernel_ms = side
                    m = measure_latency(page, areas.nth(k), args.presses)
                    good = (
                        m["median"] <= MEDIAN_MS
                        and m["max"] <= MAX_MS
                        and (m["settle"] is None or m["settle"] <= SETTLE_MS)
                    )
                    ok &= good
                    rows.append((nb.name[:2], name, label, m, kernel_ms, good))
                shut_down_kernel(page)
            browser.close()

    where = f"{args.width} px, device pixel ratio {args.scale:g}"
    print(f"Key press -> new pixels in Chromium at {where}, {args.presses} presses each")
    targets = f"median <= {MEDIAN_MS:.0f} ms, max <= {MAX_MS:.0f} ms, 20 presses settle <= {SETTLE_MS:.0f} ms"
    print(f"(targets: {targets})")
    header = (
        f"{'lesson':<6} {'explorer':<20} {'control':<10} {'median':>7} {'max':>7} {'settle':>7} |"
        f" {'send':>5} {'kernel':>6} {'draw':>5} {'paint':>5} | {'kernel-side':>11}"
    )
    print(header)
    for lesson, name, label, m, kernel_ms, good in rows:
        settle = f"{m['settle']:7.0f}" if m["settle"] is not None else "      -"
        p = m["parts"]
        print(
            f"{lesson:<6} {name:<20} {label[:10]:<10} {m['median']:7.0f} {m['max']:7.0f} {settle} |"
            f" {p['send']:5.0f} {p['kernel']:6.0f} {p['draw']:5.0f} {p['paint']:5.0f} |"
            f" {kernel_ms:9.1f} ms {'ok' if good else 'MISSED'}"
        )
    if skipped:
        print(f"not measured (no slider or Step button): {', '.join(skipped)}")
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
