"""Small helpers the lessons' case generators share."""

from __future__ import annotations

import numpy as np


def scalars(rng: np.random.Generator, n: int, lo: float = -2.0, hi: float = 2.0) -> list[float]:
    """``n`` random floats in [lo, hi)."""
    return [float(v) for v in rng.uniform(lo, hi, n)]
