"""Execution time of every lesson notebook in a fresh kernel (nbclient), as a student would run it.

Targets: each notebook at most 20 s, the whole course at most 60 s.

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
