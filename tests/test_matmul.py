"""cnnlib.matmul: the browser's path (SciPy's BLAS) gives numpy's products, for every memory order, and the
layers built on it agree with the native path (the browser itself runs it in tests/test_lite.py)."""

import numpy as np
import pytest

from cnnlib import functional as F
from cnnlib import matmul as mm


def _orders(x):
    yield "C", np.ascontiguousarray(x)
    yield "F", np.asfortranarray(x)
    strided = np.zeros((x.shape[0], 2 * x.shape[1]), x.dtype)[:, ::2]
    strided[...] = x
    yield "strided", strided


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blas_matmul_equals_numpy_for_every_memory_order(dtype):
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal((7, 13)).astype(dtype), rng.standard_normal((13, 5)).astype(dtype)
    expected = a0 @ b0
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for na, a in _orders(a0):
        for nb, b in _orders(b0):
            before = a.copy(), b.copy()
            got = mm.blas_matmul(a, b)
            assert got.dtype == dtype and got.shape == (7, 5) and got.flags.c_contiguous, (na, nb)
            np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=f"{na} @ {nb}")
            np.testing.assert_array_equal(a, before[0])  # inputs untouched
            np.testing.assert_array_equal(b, before[1])
            out = np.full((7, 5), np.nan, dtype)
            assert mm.blas_matmul(a, b, out=out) is out
            np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


def test_blas_matmul_leaves_what_blas_does_not_cover_to_numpy():
    a = np.arange(6, dtype=np.int64).reshape(2, 3)
    np.testing.assert_array_equal(mm.blas_matmul(a, a.T), a @ a.T)  # integers
    x32, x64 = np.ones((2, 3), np.float32), np.ones((3, 4))
    assert mm.blas_matmul(x32, x64).dtype == np.float64  # mixed: numpy's promotion
    assert mm.blas_matmul(np.ones((0, 3)), np.ones((3, 4))).shape == (0, 4)  # an empty side
    with pytest.raises(ValueError, match=r"a is \(2, 3\) and b is \(2, 3\)"):
        mm.blas_matmul(np.ones((2, 3)), np.ones((2, 3)))


def test_layers_on_the_browser_path_agree_with_the_native_path(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 9, 9)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    dy = rng.standard_normal((3, 6, 5, 5)).astype(np.float32)
    xl, wl = x.reshape(3, -1), rng.standard_normal((8, 324)).astype(np.float32)
    dyl = rng.standard_normal((3, 8)).astype(np.float32)

    def run():
        y = F.conv2d(x, w, b, stride=2, padding=1)
        grads = F.conv2d_backward(dy, x, w, stride=2, padding=1)
        return [y, *grads, F.linear(xl, wl), *F.linear_backward(dyl, xl, wl)]

    native = run()
    monkeypatch.setattr(mm, "USE_SCIPY_BLAS", True)
    browser = run()
    for n, s in zip(native, browser, strict=True):
        assert n.dtype == s.dtype and n.shape == s.shape
        np.testing.assert_allclose(s, n, rtol=1e-5, atol=1e-5)
