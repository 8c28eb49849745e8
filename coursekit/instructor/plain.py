"""Plain data between the grader and its sandbox: JSON that cannot carry code.

Cases go into the sandbox and results come out of it as JSON built from numbers, strings,
lists and a few tagged objects: arrays (``{"__array__": ...}``, float64, bool or int64, data
as a flat list), tuples, dicts, gates by class name and test functions by name. Decoding
creates only numpy arrays, Python numbers, strings, tuples, lists and dicts, plus gates and
test functions from fixed tables; nothing in the data is imported or executed. Anything else a
student's answer returns is encoded as :class:`Unencodable` with its type's name.

It imports nothing of the grader (the sandbox runs it on its own, as a top-level module).
Written by hand because pickle (and ``np.load(allow_pickle=True)``) can run code on loading,
and ``.npz`` alone cannot hold the tuples and dicts the exercises return.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

MAX_DEPTH = 20
MAX_ITEMS = 2_000_000  # numbers in one message, all arrays together


class Unencodable:
    """What a result was when it was none of the plain types (e.g. a generator, a class)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unencodable) and other.type_name == self.type_name


class PlainDataError(ValueError):
    """The message is not plain data of this format (too deep, too large, or malformed)."""


def _float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def encode(value: Any, _depth: int = 0) -> Any:
    """A JSON-ready form of ``value``; objects that are not plain data become Unencodable."""
    if _depth > MAX_DEPTH:
        return {"__unencodable__": "a structure nested too deeply"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _float(float(value))
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if kind not in "biuf":
            return {"__unencodable__": f"an array of dtype {value.dtype}"}
        dtype = {"b": "bool", "i": "int64", "u": "int64", "f": "float64"}[kind]
        flat = value.astype(dtype).ravel().tolist()
        if dtype == "float64":
            flat = [_float(x) for x in flat]
        return {"__array__": {"shape": list(value.shape), "dtype": dtype, "data": flat}}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, _depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return {"__unencodable__": "a dict with keys that are not strings"}
        return {"__dict__": [[k, encode(v, _depth + 1)] for k, v in value.items()]}
    if isinstance(value, Unencodable):
        return {"__unencodable__": value.type_name}
    from coursekit.exercise_calls import TEST_FUNCTIONS
    from coursekit.gates import Gate

    if isinstance(value, Gate):
        return {"__gate__": type(value).__name__}
    for name, f in TEST_FUNCTIONS.items():
        if value is f:
            return {"__function__": name}
    return {"__unencodable__": type(value).__name__}


def decode(data: Any, _depth: int = 0, _count: list[int] | None = None) -> Any:
    """The value that ``encode`` made ``data`` from (arrays, tuples, dicts, gates, functions).

    Any malformed data raises :class:`PlainDataError` (and only that).
    """
    try:
        return _decode(data, _depth, _count)
    except PlainDataError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. an unknown gate name, a huge number
        raise PlainDataError(f"malformed data ({type(exc).__name__}: {str(exc)[:100]})") from None


def _decode(data: Any, _depth: int = 0, _count: list[int] | None = None) -> Any:
    count = _count if _count is not None else [0]
    count[0] += 1
    if count[0] > MAX_ITEMS or _depth > MAX_DEPTH + 2:
        raise PlainDataError("the message is too large or nested too deeply")
    if isinstance(data, int) and not isinstance(data, bool) and abs(data) > 2**63:
        raise PlainDataError("an integer too large to be a number here")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [_decode(v, _depth + 1, count) for v in data]
    if not (isinstance(data, dict) and len(data) == 1):
        raise PlainDataError(f"unexpected element of type {type(data).__name__}")
    ((tag, body),) = data.items()
    if tag == "__float__" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "__array__":
        shape, dtype, flat = body["shape"], body["dtype"], body["data"]
        if dtype not in ("bool", "int64", "float64") or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise PlainDataError("malformed array")
        count[0] += len(flat)
        if count[0] > MAX_ITEMS or math.prod(shape) != len(flat):
            raise PlainDataError("an array larger than allowed, or with the wrong number of entries")
        values = [float(x["__float__"]) if isinstance(x, dict) else x for x in flat]
        return np.array(values, dtype=dtype).reshape(shape)
    if tag == "__tuple__":
        return tuple(_decode(v, _depth + 1, count) for v in body)
    if tag == "__dict__":
        return {str(k): _decode(v, _depth + 1, count) for k, v in body}
    if tag == "__unencodable__":
        return Unencodable(str(body)[:200])
    if tag == "__gate__":
        from coursekit.exercise_calls import gate_by_name

        return gate_by_name(str(body))
    if tag == "__function__":
        from coursekit.exercise_calls import TEST_FUNCTIONS

        if body not in TEST_FUNCTIONS:
            raise PlainDataError(f"unknown test function {body!r}")
        return TEST_FUNCTIONS[body]
    raise PlainDataError(f"unknown tag {tag!r}")


def dumps(value: Any) -> str:
    """``value`` encoded as a JSON string."""
    return json.dumps(encode(value), allow_nan=False)


def loads(text: str | bytes) -> Any:
    """The value in a JSON string made by :func:`dumps` (or PlainDataError)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise PlainDataError(f"not JSON: {str(exc)[:100]}") from None
    return decode(data)
