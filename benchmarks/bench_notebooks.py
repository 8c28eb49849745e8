"""Execution time of every lesson notebook in a fresh kernel (nbclient), as a student would run it.

Targets (issue 14): each notebook at most 5 s, the whole course at most 25 s.

BLAS threads: the lessons' matrices are small, and OpenBLAS's threads slow them down, the more
so on a shared machine (300 steps of the 20-line two-layer network: 0.61-0.78 s with the default
threads, 0.32-0.35 s with one). coursekit's ``fit`` and the explorers' update callbacks run BLAS
on one thread (threadpoolctl), and the kernels of ``dev.py lab`` and Binder (binder/start) get
OPENBLAS_NUM_THREADS=1 for the lessons' own numpy cells (the 20-line network); this benchmark
runs its kernels the same way (``--default-threads`` to compare) and, with ``--with-load``, once
more with every core busy. benchmarks/bench_nn.py measures fit both ways, idle and under load.

    python benchmarks/bench_notebooks.py [--with-load] [--default-threads]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

LESSON_S, COURSE_S = 5.0, 25.0

ROOT = Path(__file__).resolve().parents[1]


def run_course() -> tuple[float, bool, list[str]]:
    """Execute every notebook; (total seconds, all within LESSON_S, one line per notebook)."""
    total, ok, lines = 0.0, True, []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
        total += seconds
        ok &= seconds <= LESSON_S
        verdict = "ok" if seconds <= LESSON_S else f"over {LESSON_S:g} s"
        lines.append(f"  {path.name:<46}{seconds:6.1f} s  {verdict}")
    return total, ok, lines


def background_load(cores: int) -> list[subprocess.Popen]:
    """Busy processes (one per core, each ending by itself after 10 minutes), as on a shared hub."""
    busy = "import time\nend = time.time() + 600\nwhile time.time() < end:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", busy]) for _ in range(cores)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-load", action="store_true", help="also run the course with every core busy")
    parser.add_argument(
        "--default-threads", action="store_true", help="kernels with numpy's default BLAS threads"
    )
    args = parser.parse_args()
    if not args.default_threads:  # as the kernels of `dev.py lab` and Binder (binder/start) run
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
    print(f"  kernels with OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    try:
        from threadpoolctl import threadpool_info

        blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
        print(f"  BLAS threads by default here: {max(blas, default=1)} (fit and the explorers use 1)")
    except ImportError:
        pass
    total, ok, lines = run_course()
    print("\n".join(lines))
    ok &= total <= COURSE_S
    print(f"  {'whole course':<46}{total:6.1f} s  (target <= {COURSE_S:g} s)")
    if args.with_load:
        load = background_load(os.cpu_count() or 1)
        try:
            loaded, _, lines = run_course()
        finally:
            for p in load:
                p.kill()
                p.wait()
        print("with every core busy:")
        print("\n".join(lines))
        print(f"  {'whole course, loaded':<46}{loaded:6.1f} s  ({loaded / total:.2f}x the quiet run)")
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
