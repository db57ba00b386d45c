"""Argument checks shared by the library. Errors are part of the interface: each message names the
parameter, the value given and what is allowed."""

from __future__ import annotations

import numbers

import numpy as np


def as_int(value, name: str, minimum: int) -> int:
    """`value` as a Python int >= `minimum`, or a clear TypeError / ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    if not isinstance(value, numbers.Integral):
        if float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_pair(value, name: str, minimum: int) -> tuple[int, int]:
    """An int or an (h, w) pair, as a checked pair of ints."""
    if isinstance(value, tuple | list | np.ndarray):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r}")
        return as_int(value[0], name, minimum), as_int(value[1], name, minimum)
    v = as_int(value, name, minimum)
    return v, v


def as_single(value, name: str, minimum: int) -> int:
    """An int, or a 1-tuple holding one (for 1-D layers)."""
    if isinstance(value, tuple | list | np.ndarray):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    return as_int(value, name, minimum)


def as_float_array(x, name: str) -> np.ndarray:
    """An array of floats: float32/float64 arrays pass unchanged (no copy), anything else becomes float64."""
    if isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64):
        return x
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy's own message is fine
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got an array of dtype {arr.dtype}")
    if arr.dtype == np.float32:
        return arr
    return arr.astype(np.float64)


def check_ndim(x: np.ndarray, ndim: int, name: str, layout: str) -> None:
    if x.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D {layout}, got shape {x.shape} ({x.ndim}-D)")


def common_dtype(*arrays) -> np.dtype:
    return np.result_type(*[a for a in arrays if a is not None])
