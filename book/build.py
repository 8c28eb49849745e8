"""Build the course as a static HTML book (Jupyter Book 1) that needs nothing outside its folder.

    python book/build.py [--out build/book] [--jobs 2]

``python3 dev.py book`` installs what this needs and runs it. The steps:

1. Vendor the page scripts from the npm registry (``npm pack``, pinned in NPM_PACKAGES, cached
   in OUT/npm): the widget renderer ``@jupyter-widgets/html-manager`` (its ``dist/embed-amd.js``
   and fonts), ``requirejs``, ``jupyter-matplotlib`` (ipympl's front end) and MathJax 3. They go to
   OUT/src/_vendor, which Sphinx copies into the HTML's ``_static/``; the configuration
   (book/_config.yml) points myst-nb and Sphinx at these copies instead of CDNs.
2. Execute a copy of every student notebook (notebooks/*.ipynb), in parallel, saving the widget
   state: the book shows each widget as it first appears (ipympl figures as their saved image).
3. Clean the copies so that exercises read as exercises: the checks' "not attempted yet"
   verdicts and the "using coursekit's reference" notes are removed, and so are the placeholders
   of the hidden tests; a note after each explorer says how to run it live. The lessons themselves
   are not changed. The build fails if a solution or an error is found.
4. ``jupyter-book build``: the HTML is OUT/_build/html (open index.html from disk, or serve it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "build" / "book"
sys.path.insert(0, str(ROOT))
import dev  # noqa: E402 - dev.py: the Binder links and the BLAS threads, as the course has them

# npm package -> version. html-manager 1.0 is ipywidgets 8's renderer; jupyter-matplotlib 0.12 is
# the front end of ipympl 0.10 (its js_semver "^0.12"); MathJax 3 is what Sphinx 7 configures.
NPM_PACKAGES = {
    "@jupyter-widgets/html-manager": "1.0.15",
    "requirejs": "2.3.8",
    "jupyter-matplotlib": "0.12.0",
    "mathjax": "3.2.2",
}

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
NOT_ATTEMPTED = "not attempted yet"
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS")


def say(message: str) -> None:
    print(f"[book] {message}", flush=True)


# --- 1. vendored scripts ------------------------------------------------------------------


def npm_tarball(name: str, version: str, cache: Path) -> Path:
    """The package's tarball from the npm registry (``npm pack``), downloaded once into ``cache``."""
    filename = f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    tarball = cache / filename
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("book: npm is needed to fetch the page scripts (on Debian/Ubuntu: apt install npm)")
        cache.mkdir(parents=True, exist_ok=True)
        say(f"npm pack {name}@{version}")
        subprocess.run(
            [npm, "pack", "--silent", "--pack-destination", str(cache), f"{name}@{version}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if not tarball.exists():
            sys.exit(f"book: npm pack did not write {tarball}")
    return tarball


def extract(tarball: Path, mapping: dict[str, str], dest: Path, skip: re.Pattern[str] | None = None) -> int:
    """Copy the members under each ``package/<prefix>`` of ``tarball`` to ``dest/<target>``.

    A prefix ending in "/" copies a folder (minus members matching ``skip``), otherwise one file.
    Returns the number of files written.
    """
    written = 0
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            path = member.name.removeprefix("package/")
            for prefix, target in mapping.items():
                if prefix.endswith("/") and path.startswith(prefix):
                    rest = path[len(prefix) :]
                    if skip is not None and skip.search(rest):
                        break
                    out = dest / target / rest
                elif path == prefix:
                    out = dest / target
                else:
                    continue
                if ".." in Path(out).relative_to(dest).parts:
                    raise ValueError(f"{tarball.name}: unsafe member {member.name}")
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(tar.extractfile(member).read())
                written += 1
                break
    return written


def vendor(dest: Path, cache: Path) -> None:
    """Put every script, style and font the pages load into ``dest`` (the book's _vendor/)."""
    tarballs = {name: npm_tarball(name, version, cache) for name, version in NPM_PACKAGES.items()}
    dest.mkdir(parents=True, exist_ok=True)
    # the renderer and the fonts and styles it loads from its own folder (source maps and the
    # non-AMD builds are not needed)
    extract(
        tarballs["@jupyter-widgets/html-manager"],
        {"dist/": "."},
        dest,
        skip=re.compile(r"\.map$|^embed\.js|^libembed-amd\.js|LICENSE"),
    )
    extract(tarballs["requirejs"], {"require.js": "require.js"}, dest)
    extract(tarballs["jupyter-matplotlib"], {"dist/index.js": "jupyter-matplotlib.js"}, dest)
    # MathJax's browser build with its CommonHTML fonts and the TeX extensions it loads on demand
    extract(tarballs["mathjax"], {"es5/": "mathjax"}, dest, skip=re.compile(r"svg"))
    shutil.copy(BOOK / "widgets.js", dest / "widgets.js")
    for needed in ("embed-amd.js", "require.js", "jupyter-matplotlib.js", "mathjax/tex-chtml.js"):
        if not (dest / needed).is_file():
            sys.exit(f"book: vendoring failed, {needed} is missing")


# --- 2. execution -------------------------------------------------------------------------


# Run in each kernel after the lesson's cells: an ipympl figure placed inside a widget is never
# drawn without a browser asking for it, so its saved state has no image (``_data_url``) for the
# book to show. Render every figure's canvas to a PNG data URL; the kernel sends the change, and
# the widget state that nbclient saves holds the picture.
SNAPSHOT_FIGURES = """\
def _snapshot_figures():
    import base64, gc, io
    from ipympl.backend_nbagg import Canvas
    def is_canvas(o):
        try:
            return isinstance(o, Canvas) and o.comm is not None  # a live widget
        except ReferenceError:  # a dead weak proxy
            return False
    for canvas in [o for o in gc.get_objects() if is_canvas(o)]:
        buffer = io.BytesIO()
        canvas.figure.savefig(buffer, format="png", dpi="figure")
        canvas._data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
try:
    import ipympl  # noqa: F401
except ImportError:
    pass
else:
    _snapshot_figures()
"""


def execute(path: Path) -> float:
    """Run the notebook at ``path`` in place (its folder as working directory), widget state saved."""
    import nbformat
    from nbclient import NotebookClient

    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(SNAPSHOT_FIGURES, id="book-snapshot-figures"))
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nb.cells.pop()  # the snapshot cell is the build's, not the lesson's
    nbformat.write(nb, path)
    return time.perf_counter() - start


# --- 3. cleaning --------------------------------------------------------------------------


def output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    data = output.get("data", {})
    parts = [data.get(key, "") for key in ("text/plain", "text/html", "text/markdown")]
    return " ".join("".join(p) if isinstance(p, list) else p for p in parts)


def is_hidden_test_placeholder(cell: dict) -> bool:
    """An nbgrader test cell holding only comments ("More checks run here when graded")."""
    nbgrader = cell.get("metadata", {}).get("nbgrader", {})
    lines = [line.strip() for line in "".join(cell["source"]).splitlines() if line.strip()]
    return bool(nbgrader.get("grade")) and all(line.startswith("#") for line in lines)


def shows_explorer(cell: dict) -> bool:
    """Does the cell display one of coursekit's explorers (a widget from coursekit.widgets)?"""
    source = "".join(cell["source"])
    return "coursekit.widgets" in source and any(WIDGET_VIEW in o.get("data", {}) for o in cell["outputs"])


def live_note(notebook: str, index: int, binder: tuple[str, str] | None) -> dict:
    link = binder and dev.binder_url(*binder, f"notebooks/{notebook}")
    where = f"[on Binder]({link})" if link else "on Binder (see the README)"
    text = (
        ":::{admonition} This widget is a snapshot\n:class: tip\n"
        "It shows how the explorer first appears; moving it needs Python behind the page. "
        f"Run this lesson live to play with it: {where}, or on your machine with "
        "`python3 dev.py lab`.\n:::"
    )
    cell_id = f"live-note-{hashlib.sha1(f'{notebook}:{index}'.encode()).hexdigest()[:8]}"
    return {"cell_type": "markdown", "id": cell_id, "metadata": {"tags": ["live-note"]}, "source": text}


def clean(path: Path, binder: tuple[str, str] | None) -> dict[str, int]:
    """Make the executed copy at ``path`` read as a book page; returns what was changed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    counts = {"verdicts removed": 0, "placeholders removed": 0, "notes added": 0}
    cells = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if any(marker in source for marker in SOLUTION_MARKERS):
            sys.exit(f"book: {path.name} holds a solution or hidden tests; build from notebooks/ only")
        if cell["cell_type"] != "code":
            cells.append(cell)
            continue
        if is_hidden_test_placeholder(cell):
            counts["placeholders removed"] += 1
            continue
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if errors:
            sys.exit(f"book: {path.name}: a cell failed: {errors[0]['ename']}: {errors[0]['evalue']}")
        kept = [o for o in cell["outputs"] if NOT_ATTEMPTED not in output_text(o)]
        counts["verdicts removed"] += len(cell["outputs"]) - len(kept)
        cell["outputs"] = kept
        cells.append(cell)
        if shows_explorer(cell):
            cells.append(live_note(path.name, len(cells), binder))
            counts["notes added"] += 1
    nb["cells"] = cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    return counts


def binder_origin() -> tuple[str, str] | None:
    """(OWNER/REPO, branch) of the git remote origin when it is on GitHub: the book's Binder links."""
    try:
        repo = dev.github_repo(dev.git("remote", "get-url", "origin"))
    except ValueError:
        return None
    branch = dev.git("rev-parse", "--abbrev-ref", "HEAD")
    return (repo, branch) if branch and branch != "HEAD" else None


def write_toc(src: Path, lessons: list[Path]) -> None:
    lines = ["format: jb-book", "root: intro", "chapters:"]
    lines += [f"  - file: {lesson.stem}" for lesson in lessons]
    (src / "_toc.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- 4. the whole build -------------------------------------------------------------------


def build(out: Path, jobs: int = 2) -> Path:
    start = time.perf_counter()
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out / "_build", ignore_errors=True)
    src.mkdir(parents=True)
    vendor(src / "_vendor", out / "npm")
    say(f"vendored the page scripts ({time.perf_counter() - start:.1f} s)")

    lessons = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not lessons:
        sys.exit(f"book: no notebooks in {NOTEBOOKS}")
    copies = [Path(shutil.copy(lesson, src / lesson.name)) for lesson in lessons]
    for name in dev.BLAS_THREADS:  # the kernels inherit it: the lessons' matrices are small
        os.environ.setdefault(name, "1")
    t = time.perf_counter()
    with ProcessPoolExecutor(max(1, jobs)) as pool:
        for copy, seconds in zip(copies, pool.map(execute, copies)):
            say(f"executed {copy.name} ({seconds:.1f} s)")
    say(f"executed {len(copies)} lessons ({time.perf_counter() - t:.1f} s)")

    binder = binder_origin()
    for copy in copies:
        counts = clean(copy, binder)
        say(f"{copy.name}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    shutil.copy(BOOK / "_config.yml", src / "_config.yml")
    shutil.copy(BOOK / "intro.md", src / "intro.md")
    for name in ("offline.py", "favicon.svg"):
        shutil.copy(BOOK / name, src / name)
    write_toc(src, lessons)

    t = time.perf_counter()
    jupyter_book = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]
    subprocess.run(
        [*jupyter_book, "build", str(src), "--path-output", str(out), "--builder", "html", "--quiet"],
        check=True,
    )
    html = out / "_build" / "html"
    if not (html / "index.html").exists():
        sys.exit(f"book: jupyter-book wrote no {html / 'index.html'}")
    say(f"jupyter-book build ({time.perf_counter() - t:.1f} s)")
    say(f"the book is {html / 'index.html'} (built in {time.perf_counter() - start:.1f} s)")
    return html


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="book/build.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"build folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once (default: 2)")
    options = parser.parse_args(argv)
    build(options.out.resolve(), options.jobs)


if __name__ == "__main__":
    main()
