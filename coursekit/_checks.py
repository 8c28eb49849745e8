"""Argument checks shared by the library: each error names the argument, its value, what was
expected and what to do, instead of a silent wrong answer or a numpy traceback."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def describe(value: Any) -> str:
    """A short description of a value for an error message: its repr, or type and shape for arrays."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"a {type(value).__name__} of length {len(value)}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return text
    return f"{text} (a {type(value).__name__})"


def is_real(value: Any) -> bool:
    """True for an int or float (numpy's too), False for bool, complex, strings and the rest."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def whole_number(value: Any, name: str, who: str, minimum: int = 1, example: int | None = None) -> int:
    """``value`` as an int: an int, or a float with no fractional part, at least ``minimum``."""
    example = max(minimum, 1) if example is None else example
    expected = f"a whole number >= {minimum}" if minimum != 1 else "a positive whole number"
    if not is_real(value):
        raise TypeError(
            f"{who}: {name} must be {expected}, got {describe(value)}; pass e.g. {name}={example}"
        )
    if not math.isfinite(value) or value != int(value):
        raise ValueError(
            f"{who}: {name} must be {expected}, got {value!r}; pass e.g. {name}={example} "
            f"(round it yourself if that is what you mean: {name}=round({name}))"
        )
    if value < minimum:
        raise ValueError(f"{who}: {name} must be {expected}, got {value!r}; pass e.g. {name}={example}")
    return int(value)


def real_number(
    value: Any,
    name: str,
    who: str,
    *,
    positive: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    example: float = 0.1,
) -> float:
    """``value`` as a finite float; ``positive``: > 0; ``minimum``/``maximum``: an inclusive range."""
    if positive:
        expected = "a positive finite number"
    elif minimum is not None and maximum is not None:
        expected = f"a number from {minimum:g} to {maximum:g}"
    elif minimum is not None:
        expected = f"a finite number >= {minimum:g}"
    elif maximum is not None:
        expected = f"a finite number <= {maximum:g}"
    else:
        expected = "a finite number"
    fix = f"pass e.g. {name}={example:g}"
    if not is_real(value):
        raise TypeError(f"{who}: {name} must be {expected}, got {describe(value)}; {fix}")
    v = float(value)
    bad = (
        not math.isfinite(v)
        or (positive and v <= 0)
        or (minimum is not None and v < minimum)
        or (maximum is not None and v > maximum)
    )
    if bad:
        raise ValueError(f"{who}: {name} must be {expected}, got {value!r}; {fix}")
    return v


def numeric_array(x: Any, name: str, who: str) -> np.ndarray:
    """``x`` as a float64 array; a TypeError naming the problem for text, complex, ragged or object data."""
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise TypeError(f"{who}: {name} must be an array of numbers, got {describe(x)}")
    try:
        arr = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(
            f"{who}: {name} must be a rectangular array of numbers (every row the same length), "
            f"but it is ragged: {exc}"
        ) from None
    if arr.dtype.kind == "c":
        raise TypeError(
            f"{who}: {name} has complex numbers; only real numbers are supported (take .real if "
            f"the imaginary parts are rounding noise)"
        )
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{who}: {name} must be an array of numbers, got {describe(x)}"
            + (f" holding {arr.dtype}" if not isinstance(x, np.ndarray) else "")
        )
    return arr.astype(np.float64)


def where_not_finite(arr: np.ndarray, name: str) -> str:
    """'' when every entry is finite, else e.g. '2 NaN values, the first at X[5, 0]'."""
    bad = ~np.isfinite(arr)
    if not bad.any():
        return ""
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    kinds = []
    nans = int(np.isnan(arr).sum())
    infs = int(bad.sum()) - nans
    if nans:
        kinds.append(f"{nans} NaN value{'s' * (nans != 1)}")
    if infs:
        kinds.append(f"{infs} infinite value{'s' * (infs != 1)}")
    index = ", ".join(map(str, first))
    return f"{' and '.join(kinds)}, the first at {name}[{index}] = {arr[first]}"


def check_callable(fn: Any, name: str, who: str) -> None:
    if not callable(fn):
        raise TypeError(f"{who}: {name} must be a function, got {describe(fn)}")


def random_generator(seed: Any, who: str) -> np.random.Generator:
    """np.random.default_rng(seed), with an error that says what a seed may be."""
    if isinstance(seed, (bool, np.bool_, float, str)) or (is_real(seed) and seed < 0):
        raise TypeError(
            f"{who}: the seed must be a non-negative whole number, a numpy Generator or None, "
            f"got {describe(seed)}; pass e.g. seed=0"
        )
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise TypeError(
            f"{who}: the seed must be a non-negative whole number, a numpy Generator or None, "
            f"got {describe(seed)}; pass e.g. seed=0"
        ) from None
