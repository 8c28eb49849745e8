"""Serve the playground (app/playground.ipynb) with Voila: the explorers live, no code cells.

    python app/serve.py [--port PORT] [--no-browser] [other Voila options]

``python3 dev.py app`` installs Voila and runs this. The page uses the ``coursekit`` Voila
template (app/share/voila/templates/coursekit): Voila's lab template without its links to
Font Awesome on a CDN, so that the page makes no request outside this server (the icons come
from Voila's own bundle). On Binder, Voila's server extension serves the same notebook at
``voila/render/app/playground.ipynb`` (with the default template: Binder is online).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent
NOTEBOOK = APP / "playground.ipynb"
TEMPLATES = APP / "share"  # a Jupyter data folder: share/voila/templates/coursekit
EXTENSIONS = (
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager8",  # Voila's widget manager for ipywidgets 8
    "jupyter-matplotlib",
)
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def voila_command(
    port: int | None = None, args: Sequence[str] = (), python: str = sys.executable
) -> list[str]:
    """The Voila command line that serves the playground on 127.0.0.1 (``port``: None = Voila's 8866)."""
    cmd = [
        python,
        "-m",
        "voila",
        str(NOTEBOOK),
        "--template=coursekit",
        "--theme=light",
        "--Voila.ip=127.0.0.1",
        f"--Voila.root_dir={APP}",
        "--show_tracebacks=True",  # an error in the app shows in the page, not only in the log
    ]
    # only the front-end extensions the page needs: others installed in the same environment
    # (nbgrader's, notebook's) expect JupyterLab's full application and fail inside Voila's page
    cmd += [f"--VoilaConfiguration.extension_allowlist={name}" for name in EXTENSIONS]
    if port is not None:
        cmd += [f"--port={port}", "--Voila.port_retries=0"]
    return [*cmd, *args]


def voila_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with the app's template folder on JUPYTER_PATH and one
    BLAS thread for the kernel (the explorers' matrices are small)."""
    env = dict(os.environ if env is None else env)
    paths = [str(TEMPLATES), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(paths)
    for name in BLAS_THREADS:
        env.setdefault(name, "1")
    return env


def main(argv: Sequence[str]) -> None:
    args = list(argv)
    port = None
    if "--port" in args:  # "--port 8000" as well as Voila's own "--port=8000"
        i = args.index("--port")
        port = int(args[i + 1])
        del args[i : i + 2]
    cmd = voila_command(port, args)
    print("[app]", " ".join(cmd), flush=True)
    os.execve(cmd[0], cmd, voila_environment())


if __name__ == "__main__":
    main(sys.argv[1:])
