"""Execution time of every lesson notebook in a fresh kernel (nbclient), as a student would run it.

Targets: each notebook at most 20 s, the whole course at most 60 s.

BLAS threads: the lessons' matrices are small, and OpenBLAS's threads slow them down, the more
so on a shared machine (300 steps of the 20-line two-layer network: 0.61-0.78 s with the default
threads, 0.32-0.35 s with one). coursekit's ``fit`` and the explorers' update callbacks run BLAS
on one thread (threadpoolctl), so these timings hardly depend on OPENBLAS_NUM_THREADS or on the
machine's other load; the lessons' own numpy cells (the 20-line network) use the default threads.
benchmarks/bench_nn.py measures both, idle and under a background load.

    python benchmarks/bench_notebooks.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    total, ok = 0.0, True
    try:
        from threadpoolctl import threadpool_info

        blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
        print(f"  BLAS threads by default here: {max(blas, default=1)} (fit and the explorers use 1)")
    except ImportError:
        pass
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        )
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
        total += seconds
        good = seconds <= 20
        ok &= good
        print(f"  {path.name:<46}{seconds:6.1f} s  {'ok' if good else 'over 20 s'}")
    ok &= total <= 60
    print(f"  {'whole course':<46}{total:6.1f} s  (target <= 60 s)")
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
