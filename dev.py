#!/usr/bin/env python3
"""Set up and run the course with nothing but Python 3.11+.

    python3 dev.py lab     install the course into .venv and open it in JupyterLab
    python3 dev.py test    install the course and its test tools into .venv, run every test

For instructors (nbgrader; see docs/instructor.md):

    python3 dev.py student-notebooks       regenerate notebooks/ from course/source
    python3 dev.py grade SUBMISSIONS [--out grades.csv] [--timeout 60]

Arguments after the command go to JupyterLab or pytest (``python3 dev.py test -k engine``).
Both commands are safe to repeat: a second run only installs what is missing.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("COURSEKIT_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
# PyTorch is only used to cross-check gradients; the CPU build is small and needs no GPU.
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def run(*cmd: str | Path, check: bool = True) -> int:
    say(" ".join(map(str, cmd)))
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check).returncode


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


def install_browser() -> None:
    """The browser test drives Debian's Chromium (playwright's own download does not work offline)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
        if run(*apt, "install", "-y", "-qq", "chromium", check=False) != 0:
            run(*apt, "update", "-qq", check=False)
            run(*apt, "install", "-y", "-qq", "chromium", check=False)
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        say("Chromium is not installed, so the browser test will be skipped (apt install chromium)")


def lab(args: list[str]) -> None:
    ensure_venv()
    pip_install("-e", str(ROOT))
    first = ROOT / "notebooks" / "00_how_to_use_this_course.ipynb"
    target = [str(first.relative_to(ROOT))] if first.exists() else []
    if os.name == "posix" and os.geteuid() == 0 and "--allow-root" not in args:
        args = [*args, "--allow-root"]  # e.g. in a container; JupyterLab refuses root otherwise
    os.chdir(ROOT)
    os.execv(str(BIN / "jupyter"), [str(BIN / "jupyter"), "lab", *target, *args])


def test(args: list[str]) -> None:
    ensure_venv()
    pip_install("-e", f"{ROOT}[test]")
    install_torch()
    install_browser()
    code = run(PYTHON, "-m", "pytest", *args, check=False)
    sys.exit(code)


def instructor(command: str) -> Callable[[list[str]], None]:
    def run_instructor(args: list[str]) -> None:
        ensure_venv()
        pip_install("-e", f"{ROOT}[instructor]")
        sys.exit(run(PYTHON, "-m", "coursekit.instructor", command, *args, check=False))

    return run_instructor


def main() -> None:
    commands = {
        "lab": lab,
        "test": test,
        "student-notebooks": instructor("student-notebooks"),
        "grade": instructor("grade"),
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
