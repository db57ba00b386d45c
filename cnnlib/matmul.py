"""The matrix products of the layers, fast wherever cnnlib runs.

Convolution and dense layers spend most of their time in one matrix product each (see :mod:`cnnlib.functional`).
Natively numpy's ``@`` calls an optimised, threaded BLAS (OpenBLAS) and :func:`matmul` is exactly ``np.matmul``.
In the browser (Pyodide) numpy is built without BLAS: its own loop took 474 ms for a (64, 576) @ (576, 4096)
float32 product in Chromium, where the OpenBLAS that Pyodide's SciPy carries took 54 ms. There :func:`matmul`
goes through ``scipy.linalg.blas`` (:func:`blas_matmul`). The results agree up to the order of summation.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["matmul", "blas_matmul"]

#: True where numpy has no BLAS of its own (Pyodide): :func:`matmul` then calls :func:`blas_matmul`.
USE_SCIPY_BLAS = sys.platform == "emscripten"


def matmul(a, b, out=None):
    """``a @ b`` for 2-D arrays, a: (M, K), b: (K, N) -> (M, N), written into ``out`` when given."""
    if USE_SCIPY_BLAS:
        return blas_matmul(a, b, out=out)
    return np.matmul(a, b, out=out)


def blas_matmul(a, b, out=None):
    """``a @ b`` through SciPy's BLAS ``sgemm``/``dgemm``, a: (M, K), b: (K, N) -> (M, N) C-ordered.

    C- and Fortran-ordered operands are passed without a copy (a transposed view and BLAS's transpose flag).
    Anything BLAS does not cover (not 2-D, mixed or non-float dtypes, an empty side) is left to ``np.matmul``.
    """
    if (a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype not in (np.float32, np.float64)
            or 0 in a.shape or 0 in b.shape):
        return np.matmul(a, b, out=out)
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: a is {a.shape} and b is {b.shape}; a's columns must equal b's rows")
    from scipy.linalg import blas

    gemm = blas.sgemm if a.dtype == np.float32 else blas.dgemm
    # BLAS is column-major: it computes Cᵀ = Bᵀ·Aᵀ, and Cᵀ in column-major order is C in row-major order.
    first, trans_first = _transposed_fortran(b)
    second, trans_second = _transposed_fortran(a)
    c = gemm(1.0, first, second, trans_a=trans_first, trans_b=trans_second).T
    if out is None:
        return c
    np.copyto(out, c)
    return out


def _transposed_fortran(x):
    """(y, trans) with y Fortran-ordered and op(y) = xᵀ (op transposes y when trans is 1)."""
    if x.flags.c_contiguous:
        return x.T, 0  # the transpose of a C-ordered array is Fortran-ordered: no copy
    if x.flags.f_contiguous:
        return x, 1
    return np.ascontiguousarray(x).T, 0
