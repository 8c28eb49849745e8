"""One BLAS thread while coursekit trains or updates a widget.

The lessons' matrices are small (a 100 x 7 product is a few microseconds of work): there
OpenBLAS's worker threads cost more in hand-offs than they save, and on a shared machine,
where the other cores are busy, much more (300 steps of the two-layer network: 0.61-0.78 s
with the default threads, 0.32-0.35 s with one; see benchmarks/bench_nn.py).
:func:`single_blas_thread` limits BLAS to one thread (threadpoolctl) for the duration of a
``with`` block and restores the previous setting afterwards.

The limit is process-wide (OpenBLAS has one setting for all Python threads), so the blocks are
counted: with a training thread and a widget callback inside blocks at the same time, the
setting is restored only when the last one ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_depth = 0
_limiter: Any = None
_controller: Any = None


def _get_controller() -> Any:
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # an environment without it: BLAS keeps its threads
            _controller = False
        else:
            _controller = ThreadpoolController()  # scans the loaded libraries once (about 10 ms)
    return _controller


@contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with BLAS on one thread; nestable and safe to use from several threads."""
    global _depth, _limiter
    with _lock:
        if _depth == 0:
            controller = _get_controller()
            if controller:
                _limiter = controller.limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None


def blas_threads() -> int | None:
    """The number of threads BLAS uses now (None when threadpoolctl is not installed)."""
    controller = _get_controller()
    if not controller:
        return None
    counts = [lib.num_threads for lib in controller.lib_controllers if lib.user_api == "blas"]
    return max(counts) if counts else None
