"""Set-up: Binder configuration, pinned requirements, notebooks stored clean, CI = README command."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def binder_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"binder/requirements.txt: {line!r} is not pinned with =="
            pins[name.strip().lower()] = version.strip()
    return pins


def test_binder_pins_satisfy_pyproject():
    pins = binder_pins()
    for dep in PYPROJECT["project"]["dependencies"]:
        req = Requirement(dep)
        assert req.name.lower() in pins, f"{req.name} is a dependency but not pinned for Binder"
        assert req.specifier.contains(pins[req.name.lower()]), (
            f"Binder pins {req.name}=={pins[req.name.lower()]}, outside {req.specifier}"
        )


def test_conda_environment_lists_the_same_dependencies():
    text = (ROOT / "environment.yml").read_text()
    for dep in PYPROJECT["project"]["dependencies"]:
        assert re.search(rf"^\s*-\s*{re.escape(Requirement(dep).name)}\b", text, re.M), dep
    assert "python=3.11" in text


def test_binder_runtime_and_postbuild():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK)
    lines = [ln for ln in post.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[0] == "set -e"
    assert any("--no-deps" in ln and "pip install" in ln for ln in lines)


def test_repo2docker_uses_the_python_buildpack_and_postbuild():
    exe = shutil.which("repo2docker") or str(Path(sys.executable).parent / "repo2docker")
    result = subprocess.run(
        [exe, "--no-build", "--debug", "--no-run", str(ROOT)], capture_output=True, text=True, timeout=300
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "python=3.11" in out  # runtime.txt picked the Python version
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in out  # the pip (Python) build pack
    assert "RUN ./binder/postBuild" in out
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in out  # kernels get one BLAS thread
    assert "OPENBLAS_NUM_THREADS" in (ROOT / "binder" / "start").read_text()
    assert "environment.yml" not in out  # binder/ takes precedence over the root conda file


def test_binder_requirements_install_into_a_fresh_venv(tmp_path):
    env = tmp_path / "binder-venv"
    venv.create(env, with_pip=True)
    bin_dir = env / "bin"
    py = bin_dir / "python"
    subprocess.run(
        [
            py,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            ROOT / "binder" / "requirements.txt",
        ],
        check=True,
        timeout=900,
    )
    # run binder/postBuild itself, as Binder does: in the repository, with the env's pip first on PATH
    work = tmp_path / "repo"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__"))
    run_env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["bash", "binder/postBuild"], cwd=work, env=run_env, check=True, timeout=600)
    check = subprocess.run([py, "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    probe = (
        "import coursekit, coursekit.widgets, coursekit.grading, coursekit.nn; "
        "import ipympl, ipywidgets, matplotlib; "
        "x = coursekit.Value(2.0); (x * x).backward(); print(x.grad, coursekit.__file__)"
    )
    out = subprocess.run([py, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    grad, path = out.split()
    assert float(grad) == 4.0 and path.startswith(str(work))


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOTEBOOKS += sorted((ROOT / "course" / "source").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}: run nbstripout"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "python3 dev.py test"
    assert command in readme and f"exec {command}" in ci
    assert "python3 dev.py lab" in readme


def _dev():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/some-org/backprop.course",
        "https://github.com/some-org/backprop.course.git",
        "git@github.com:some-org/backprop.course.git",
        "ssh://git@github.com/some-org/backprop.course/",
    ],
)
def test_binder_links_read_the_github_repository(url):
    assert _dev().github_repo(url) == "some-org/backprop.course"


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a"])
def test_binder_links_refuse_other_urls(url):
    with pytest.raises(ValueError, match="not a GitHub repository URL"):
        _dev().github_repo(url)


def test_binder_links_open_each_lesson_in_jupyterlab():
    dev = _dev()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = dev.with_binder_links(readme, "some-org/backprop", "main")
    rows = [line for line in linked.splitlines() if dev._LESSON_ROW.match(line)]
    lessons = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(dev._LESSON_ROW.match(row)[1] for row in rows) == lessons  # every lesson, once
    for row in rows:
        notebook = dev._LESSON_ROW.match(row)[1]
        cells = [c.strip() for c in row.strip("|").split("|")]
        want = f"https://mybinder.org/v2/gh/some-org/backprop/main?urlpath=lab/tree/{notebook}"
        assert cells[-1] == f"[![Open in Binder]({dev.BINDER_BADGE})]({want})"
    header = next(line for line in linked.splitlines() if line.startswith("| # |"))
    assert header.count("|") == rows[0].count("|")  # the table gained one column everywhere
    # a second run (another repository, a branch with a slash) replaces the links, no new column
    again = dev.with_binder_links(linked, "other/repo", "feature/x")
    assert again.count("Open in Binder") == len(rows)
    assert "other/repo/feature%2Fx?urlpath=lab/tree/notebooks/" in again
    assert "some-org" not in again
    assert dev.with_binder_links(again, "some-org/backprop", "main") == linked


def test_binder_links_command_writes_the_readme(tmp_path):
    shutil.copy(ROOT / "dev.py", tmp_path)
    shutil.copy(ROOT / "README.md", tmp_path)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "course" / "source", tmp_path / "course" / "source")
    cmd = [sys.executable, str(tmp_path / "dev.py"), "binder-links"]
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}  # not inside a git clone
    orphan = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert orphan.returncode != 0 and "no remote 'origin'" in orphan.stderr
    done = subprocess.run(
        [*cmd, "https://github.com/some-org/backprop", "--branch", "main"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    lessons = len(list((ROOT / "notebooks").glob("*.ipynb")))
    assert readme.count("mybinder.org/v2/gh/some-org/backprop/main?urlpath=lab/tree/notebooks/") == lessons
    assert readme.count("colab.research.google.com/github/some-org/backprop/blob/main/notebooks/") == lessons
    written = sorted(tmp_path.glob("notebooks/*.ipynb")) + sorted(tmp_path.glob("course/source/*/*.ipynb"))
    assert len(written) == 2 * lessons
    for path in written:
        cell = colab_cell_of(json.loads(path.read_text(encoding="utf-8")))
        assert "    COURSE = 'git+https://github.com/some-org/backprop@main'  # the repository" in cell, path
        # only that line changed: the notebook is otherwise byte for byte what it was
        original = ROOT / path.relative_to(tmp_path)
        assert _without_course(path.read_text(encoding="utf-8")) == _without_course(
            original.read_text("utf-8")
        )


LESSON_FILES = sorted(ROOT.glob("course/source/*/*.ipynb")) + sorted(ROOT.glob("notebooks/*.ipynb"))


def colab_cell_of(notebook: dict) -> str:
    """The source of the notebook's first code cell, which must be the Colab cell."""
    first = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    assert first.get("id") == "colab-setup", "the first code cell is not the Colab cell"
    return "".join(first["source"])


def _without_course(text: str) -> str:
    return re.sub(r"COURSE = \S+", "COURSE = ...", text)


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_lesson_starts_with_the_colab_cell(path):
    cell = colab_cell_of(json.loads(path.read_text(encoding="utf-8")))
    assert _without_course(cell) == _without_course(_dev().colab_cell())


class StandInColab:
    """A stand-in ``google.colab`` module: records whether the custom widget manager was enabled."""

    def __init__(self, monkeypatch):
        import types

        self.enabled = 0
        google, colab, output = (
            types.ModuleType(n) for n in ("google", "google.colab", "google.colab.output")
        )
        output.enable_custom_widget_manager = self._enable
        colab.output, google.colab = output, colab
        for name, module in [("google", google), ("google.colab", colab), ("google.colab.output", output)]:
            monkeypatch.setitem(sys.modules, name, module)

    def _enable(self):
        self.enabled += 1


def run_colab_cell(source: str, monkeypatch) -> list[list[str]]:
    """Run the cell as a kernel would; the commands it ran (none are really run)."""
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: commands.append(list(cmd)))
    exec(compile(source, "colab-setup", "exec"), {})  # noqa: S102 - the lessons' own cell
    return commands


def test_the_colab_cell_does_nothing_elsewhere(monkeypatch):
    assert "google.colab" not in sys.modules
    cell = colab_cell_of(json.loads(LESSON_FILES[0].read_text(encoding="utf-8")))
    start = time.perf_counter()
    assert run_colab_cell(cell, monkeypatch) == []
    assert time.perf_counter() - start < 0.05
    assert "google.colab" not in sys.modules


def test_the_colab_cell_installs_coursekit_and_enables_widgets_on_colab(monkeypatch):
    dev = _dev()
    colab = StandInColab(monkeypatch)
    notebook = json.loads(LESSON_FILES[0].read_text(encoding="utf-8"))
    cell = colab_cell_of(dev.with_colab_course(notebook, "git+https://github.com/o/r@main"))
    commands = run_colab_cell(cell, monkeypatch)
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    assert commands == [[*pip, "--no-deps", "git+https://github.com/o/r@main"], [*pip, "ipympl"]]
    assert colab.enabled == 1


def test_the_colab_cell_without_a_repository_says_so(monkeypatch):
    colab = StandInColab(monkeypatch)
    with pytest.raises(RuntimeError, match="no repository to install coursekit from"):
        run_colab_cell(_dev().colab_cell(), monkeypatch)
    assert colab.enabled == 0


def test_binder_links_need_the_colab_cell():
    with pytest.raises(ValueError, match="has no Colab cell"):
        _dev().with_colab_course({"cells": [{"cell_type": "code", "source": "1 + 2"}]}, "git+x", "a.ipynb")


def test_students_get_the_course_and_instructors_get_nbgrader(monkeypatch, tmp_path):
    """`dev.py lab` installs the course alone into the students' venv; `--instructor`, test and
    grade use a separate venv with nbgrader, so its menus never reach a student's JupyterLab."""
    dev = _dev()
    calls = []
    monkeypatch.setattr(dev, "ensure_venv", lambda: calls.append(("venv", dev.VENV)))
    monkeypatch.setattr(dev, "pip_install", lambda *a, **k: calls.append(("pip", dev.VENV, a)) or 0)
    monkeypatch.setattr(dev, "run", lambda *a, **k: calls.append(("run", dev.VENV, a)) or 0)
    monkeypatch.setattr(dev.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 1))
    monkeypatch.setattr(dev.os, "chdir", lambda path: None)
    monkeypatch.setattr(dev.os, "execv", lambda path, argv: calls.append(("exec", path, argv)))
    for name in ("install_torch", "install_browser", "install_sandbox"):
        monkeypatch.setattr(dev, name, lambda: None)
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    monkeypatch.setattr(dev.os, "environ", environ)
    dev.lab([])
    assert environ["OPENBLAS_NUM_THREADS"] == "1"  # the students' kernels: one BLAS thread
    assert ("pip", dev.STUDENT_VENV, ("-e", str(ROOT))) in calls
    assert calls[-1][0] == "exec" and calls[-1][1].startswith(str(dev.STUDENT_VENV))
    calls.clear()
    dev.lab(["--instructor"])
    assert ("pip", dev.INSTRUCTOR_VENV, ("-e", f"{ROOT}[instructor]")) in calls
    assert calls[-1][1].startswith(str(dev.INSTRUCTOR_VENV)) and "--instructor" not in calls[-1][2]
    calls.clear()
    with pytest.raises(SystemExit):
        dev.test([])
    assert {c[1] for c in calls if c[0] in ("pip", "run")} == {dev.INSTRUCTOR_VENV}
    assert dev.STUDENT_VENV != dev.INSTRUCTOR_VENV
    requirements = (ROOT / "binder" / "requirements.txt").read_text().lower()
    assert "nbgrader" not in requirements  # nor on Binder


def test_a_wheel_holds_every_package(tmp_path):
    """A plain `pip install` (Colab, a wheel) gets every coursekit package, not only the editable one."""
    import zipfile

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("coursekit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(
        p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "coursekit").rglob("__init__.py")
    )
    assert len(packages) >= 3
    missing = [pkg for pkg in packages if f"{pkg}/__init__.py" not in names]
    assert not missing, f"the wheel lacks {missing}"
