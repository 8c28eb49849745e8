#!/usr/bin/env python3
"""Set up and run the course with nothing but Python 3.11+.

    python3 dev.py lab     install the course into .venv and open it in JupyterLab
    python3 dev.py test    install the course and its test tools into .venv-instructor, run every test

For instructors (nbgrader and a bubblewrap sandbox, in .venv-instructor; see docs/instructor.md):

    python3 dev.py lab --instructor        JupyterLab with nbgrader's tools (formgrader, cell toolbar)
    python3 dev.py student-notebooks       regenerate notebooks/ from course/source
    python3 dev.py grade SUBMISSIONS [--out grades.csv] [--course DIR] [--workers N] [--no-sandbox]

The students' environment (.venv) holds the course only: no nbgrader menus in their JupyterLab.

The course beyond JupyterLab (see the README):

    python3 dev.py book    build the static HTML book into build/book/_build/html (Jupyter Book,
                           in .venv-instructor; page scripts from npm into build/book/npm)
    python3 dev.py app     serve the playground (app/playground.ipynb) with Voila, from .venv
                           (--port PORT, --no-browser and other Voila options pass through)

For maintainers, once the repository is public on GitHub:

    python3 dev.py binder-links [GITHUB_URL] [--branch BRANCH]
                               write the README's Binder and Colab links and the repository
                               each lesson's Colab cell installs (default: the URL of the git
                               remote "origin" and the current branch)

Arguments after the command go to JupyterLab or pytest (``python3 dev.py test -k engine``).
Both commands are safe to repeat: a second run only installs what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent
STUDENT_VENV = Path(os.environ.get("COURSEKIT_VENV", ROOT / ".venv"))  # the course, nothing else
INSTRUCTOR_VENV = Path(os.environ.get("COURSEKIT_INSTRUCTOR_VENV", ROOT / ".venv-instructor"))
VENV = STUDENT_VENV
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def use_venv(path: Path) -> None:
    """Make ``path`` the environment that the commands below install into and run from."""
    global VENV, BIN, PYTHON
    VENV = path
    BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
    PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# PyTorch is only used to cross-check gradients; the CPU build is small and needs no GPU.
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def run(*cmd: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    say(" ".join(map(str, cmd)))
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check, env=env).returncode


def venv_environment() -> dict[str, str]:
    """This environment with the venv's scripts first on PATH, as an activated venv has it.

    Tools started by name (nbgrader starts ``alembic``; the tests start ``jupyter``) are then
    the venv's, on a fresh machine where nothing is installed globally.
    """
    path = os.environ.get("PATH", "")
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{path}" if path else str(BIN), VIRTUAL_ENV=str(VENV))


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older Python
        sys.exit(f"coursekit needs Python 3.11 or newer; this is {platform.python_version()}")
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:  # Debian/Ubuntu ship venv separately
            sys.exit(
                f"could not create a virtual environment ({exc}); on Debian/Ubuntu: apt install python3-venv"
            )


def pip_install(*args: str, check: bool = True) -> int:
    return run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", *args, check=check)


def install_torch() -> None:
    probe = subprocess.run([str(PYTHON), "-c", "import torch"], capture_output=True)
    if probe.returncode == 0:
        return
    # First torch alone from the CPU index (no CUDA packages), then its few dependencies
    # from the usual index. --retries 1: where the CPU index is out of reach, fail over fast.
    code = pip_install(
        TORCH, "--no-deps", "--retries", "1", "--extra-index-url", TORCH_CPU_INDEX, check=False
    )
    if code == 0:
        code = pip_install(TORCH, check=False)
    if code != 0:
        say("PyTorch could not be installed: the cross-checks against PyTorch will be skipped")


def apt_install(package: str, command: str) -> bool:
    """Install a Debian package when ``command`` is missing and we are root with apt-get."""
    if shutil.which(command):
        return True
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
        if run(*apt, "install", "-y", "-qq", package, check=False) != 0:
            run(*apt, "update", "-qq", check=False)
            run(*apt, "install", "-y", "-qq", package, check=False)
    return shutil.which(command) is not None


def install_sandbox() -> None:
    """Grading runs submissions in bubblewrap (Debian's ``bubblewrap``)."""
    if not apt_install("bubblewrap", "bwrap"):
        say("bubblewrap is not installed: grading needs it (apt install bubblewrap), or --no-sandbox")


def install_browser() -> None:
    """The browser test drives Debian's Chromium (playwright's own download does not work offline)."""
    if shutil.which("chromium-browser") or apt_install("chromium", "chromium"):
        return
    say("Chromium is not installed, so the browser test will be skipped (apt install chromium)")


def lab(args: list[str]) -> None:
    if "--instructor" in args:  # nbgrader's tools, in the instructor's environment
        args = [a for a in args if a != "--instructor"]
        use_venv(INSTRUCTOR_VENV)
        ensure_venv()
        pip_install("-e", f"{ROOT}[instructor]")
    else:
        use_venv(STUDENT_VENV)
        ensure_venv()
        pip_install("-e", str(ROOT))
        if subprocess.run([str(PYTHON), "-c", "import nbgrader"], capture_output=True).returncode == 0:
            say("removing nbgrader from the students' environment (it is the instructor's tool)")
            run(PYTHON, "-m", "pip", "uninstall", "-y", "-q", "nbgrader")
    first = ROOT / "notebooks" / "00_how_to_use_this_course.ipynb"
    target = [str(first.relative_to(ROOT))] if first.exists() else []
    if os.name == "posix" and os.geteuid() == 0 and "--allow-root" not in args:
        args = [*args, "--allow-root"]  # e.g. in a container; JupyterLab refuses root otherwise
    os.chdir(ROOT)
    # the lessons' matrices are small: BLAS threads cost more than they bring, above all on a
    # machine shared with other work (lesson 6 under load: 17.5 s with the default threads)
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")
    os.execv(str(BIN / "jupyter"), [str(BIN / "jupyter"), "lab", *target, *args])


def test(args: list[str]) -> None:
    use_venv(INSTRUCTOR_VENV)
    ensure_venv()
    pip_install("-e", f"{ROOT}[test]")
    install_torch()
    install_browser()
    install_sandbox()
    install_npm()  # the book's test builds the book
    code = run(PYTHON, "-m", "pytest", *args, check=False, env=venv_environment())
    sys.exit(code)


def instructor(command: str) -> Callable[[list[str]], None]:
    def run_instructor(args: list[str]) -> None:
        use_venv(INSTRUCTOR_VENV)
        ensure_venv()
        pip_install("-e", f"{ROOT}[instructor]")
        if command == "grade":
            install_sandbox()
        sys.exit(
            run(PYTHON, "-m", "coursekit.instructor", command, *args, check=False, env=venv_environment())
        )

    return run_instructor


def install_npm() -> None:
    """The book's page scripts come from the npm registry (Debian's ``npm`` brings node)."""
    if not apt_install("npm", "npm"):
        say("npm is not installed: the book cannot fetch its page scripts (apt install npm)")


def book(args: list[str]) -> None:
    """Build the static book (book/build.py) with Jupyter Book in the instructor's environment."""
    use_venv(INSTRUCTOR_VENV)
    ensure_venv()
    pip_install("-e", f"{ROOT}[book]")
    install_npm()
    sys.exit(run(PYTHON, ROOT / "book" / "build.py", *args, check=False, env=venv_environment()))


def app(args: list[str]) -> None:
    """Serve the playground with Voila (app/serve.py) from the students' environment."""
    use_venv(STUDENT_VENV)
    ensure_venv()
    pip_install("-e", f"{ROOT}[app]")
    os.chdir(ROOT)
    os.execve(str(PYTHON), [str(PYTHON), str(ROOT / "app" / "serve.py"), *args], venv_environment())


# --- Binder links -----------------------------------------------------------------------

BINDER = "https://mybinder.org/v2/gh"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
_GITHUB = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)
_LESSON_ROW = re.compile(r"^\|[^|]*\|\s*\[[^\]]*\]\((notebooks/[^)]+\.ipynb)\)")


def git(*cmd: str) -> str:
    """The output of a git command in this repository, or "" if it fails (no git, no remote)."""
    try:
        result = subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def github_repo(url: str) -> str:
    """'OWNER/REPO' from a GitHub URL (https or ssh), or ValueError naming the URL."""
    match = _GITHUB.match(url.strip())
    if not match:
        raise ValueError(
            f"binder-links: {url!r} is not a GitHub repository URL "
            "(expected https://github.com/OWNER/REPO or git@github.com:OWNER/REPO.git)"
        )
    return f"{match[1]}/{match[2]}"


def binder_url(repo: str, branch: str, notebook: str) -> str:
    """A mybinder.org link that builds ``repo`` at ``branch`` and opens ``notebook`` in JupyterLab."""
    return f"{BINDER}/{repo}/{quote(branch, safe='')}?urlpath={quote('lab/tree/' + notebook, safe='/')}"


def with_link_column(readme: str, title: str, link: Callable[[str], str]) -> str:
    """The README with a ``title`` column in the lesson table: ``link(notebook)`` in each lesson row.

    Rows are recognised by their link to ``notebooks/NAME.ipynb``; running it again replaces
    that column's links (a new repository or branch) rather than adding a column.
    """
    lines = readme.split("\n")
    rows = [i for i, line in enumerate(lines) if _LESSON_ROW.match(line)]
    if not rows:
        raise ValueError("binder-links: the README has no lesson table (rows linking to notebooks/*.ipynb)")
    header, rule = rows[0] - 2, rows[0] - 1
    titles = [c.strip() for c in lines[header].strip().strip("|").split("|")]
    if title not in titles:
        lines[header] = lines[header].rstrip() + f" {title} |"
        lines[rule] = lines[rule].rstrip() + "-" * (len(title) + 2) + "|"
        titles.append(title)
    column = titles.index(title)
    for i in rows:
        cells = lines[i].strip().strip("|").split("|")
        cells += [""] * (len(titles) - len(cells))
        cells[column] = f" {link(_LESSON_ROW.match(lines[i])[1])} "
        lines[i] = "|" + "|".join(cells) + "|"
    return "\n".join(lines)


def with_binder_links(readme: str, repo: str, branch: str) -> str:
    """The README with a Binder column in the lesson table, one link per lesson row."""
    return with_link_column(
        readme, "Binder", lambda nb: f"[![Open in Binder]({BINDER_BADGE})]({binder_url(repo, branch, nb)})"
    )


def with_colab_links(readme: str, repo: str, branch: str) -> str:
    """The README with a Colab column in the lesson table, one link per lesson row."""
    return with_link_column(
        readme, "Colab", lambda nb: f"[![Open in Colab]({COLAB_BADGE})]({colab_url(repo, branch, nb)})"
    )


COLAB = "https://colab.research.google.com/github"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_CELL_ID = "colab-setup"
_COURSE_LINE = re.compile(r"^(    COURSE = )(\S+)(.*)$", re.M)


def colab_url(repo: str, branch: str, notebook: str) -> str:
    """A Colab link that opens ``notebook`` of ``repo`` at ``branch``."""
    return f"{COLAB}/{repo}/blob/{quote(branch, safe='')}/{quote(notebook, safe='/')}"


def colab_cell(course: str | None = None) -> str:
    """Each lesson's first code cell: on Colab, install coursekit from ``course`` (a pip URL)."""
    return "\n".join(
        [
            "# On Google Colab this cell installs coursekit and turns on Colab's widget manager;",
            "# anywhere else it does nothing.",
            "import sys",
            "",
            'if "google.colab" in sys.modules:',
            "    import subprocess",
            "",
            "    from google.colab import output",
            "",
            f"    COURSE = {course!r}  # the repository to install: `python3 dev.py binder-links` writes it",
            "    if COURSE is None:",
            '        raise RuntimeError("no repository to install coursekit from (README: Colab)")',
            '    pip = [sys.executable, "-m", "pip", "install", "--quiet"]',
            '    subprocess.run([*pip, "--no-deps", COURSE], check=True)  # Colab has numpy and matplotlib',
            '    subprocess.run([*pip, "ipympl"], check=True)',
            "    output.enable_custom_widget_manager()",
        ]
    )


def with_colab_course(notebook: dict, course: str, name: str = "the notebook") -> dict:
    """The notebook with its Colab cell installing from ``course``; ValueError if it has none."""
    for cell in notebook["cells"]:
        if cell.get("id") == COLAB_CELL_ID:
            source = "".join(cell["source"])
            if not _COURSE_LINE.search(source):
                raise ValueError(f"binder-links: the Colab cell of {name} has no COURSE line")
            source = _COURSE_LINE.sub(lambda m: f"{m[1]}{course!r}{m[3]}", source)
            cell["source"] = source.splitlines(keepends=True)
            return notebook
    raise ValueError(f"binder-links: {name} has no Colab cell (a code cell with id {COLAB_CELL_ID!r})")


def binder_links(args: list[str]) -> None:
    """Write the README's Binder and Colab links, and the lessons' Colab cell, for a GitHub repository."""
    parser = argparse.ArgumentParser(prog="dev.py binder-links", description=binder_links.__doc__)
    parser.add_argument("url", nargs="?", help="the GitHub repository (default: git remote origin)")
    parser.add_argument("--branch", help="the branch Binder builds (default: the current branch)")
    options = parser.parse_args(args)
    url = options.url or git("remote", "get-url", "origin")
    if not url:
        sys.exit("binder-links: this clone has no remote 'origin'; give the URL: dev.py binder-links URL")
    branch = options.branch or git("rev-parse", "--abbrev-ref", "HEAD") or "main"
    if branch == "HEAD":
        sys.exit("binder-links: HEAD is detached, so there is no branch to link; give --branch BRANCH")
    lessons = sorted((ROOT / "course" / "source").glob("*/*.ipynb")) + sorted(
        (ROOT / "notebooks").glob("*.ipynb")
    )
    try:
        repo = github_repo(url)
        course = f"git+https://github.com/{repo}@{branch}"
        notebooks = {
            path: with_colab_course(json.loads(path.read_text("utf-8")), course, path.name)
            for path in lessons
        }
        readme = ROOT / "README.md"
        text = with_binder_links(readme.read_text(encoding="utf-8"), repo, branch)
        readme.write_text(with_colab_links(text, repo, branch), encoding="utf-8")
    except ValueError as exc:
        sys.exit(str(exc))
    for path, notebook in notebooks.items():  # written as nbformat writes them
        path.write_text(
            json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    say(f"README.md: Binder and Colab links to {repo} at {branch}")
    say(f"the Colab cell of {len(lessons)} notebooks installs {course}")


def main() -> None:
    commands = {
        "lab": lab,
        "test": test,
        "student-notebooks": instructor("student-notebooks"),
        "grade": instructor("grade"),
        "binder-links": binder_links,
        "book": book,
        "app": app,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
