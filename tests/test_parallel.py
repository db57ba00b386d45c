"""cnnlib.parallel: a big batch computed in parts, one per core, agrees with one pass and leaves BLAS as it was."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from cnnlib import functional as F
from cnnlib import layers, parallel


@pytest.fixture
def small_parts(monkeypatch):
    """Let even a test-sized batch be split (the real threshold is a few megabytes)."""
    monkeypatch.setattr(parallel, "MIN_PART_NUMBERS", 1)


def test_one_blas_thread_means_one_part():
    with threadpool_limits(1, user_api="blas"):
        assert parallel.blas_threads() == 1
        assert parallel.batch_parts(64, 10**9) == [slice(0, 64)]


def test_parts_cover_the_batch_in_order(small_parts):
    with threadpool_limits(2, user_api="blas"):
        assert parallel.blas_threads() == 2
        assert parallel.batch_parts(6, 1) == [slice(0, 3), slice(3, 6)]
        parts = parallel.batch_parts(5, 1)
        assert len(parts) == 2 and parts[0].start == 0 and parts[0].stop == parts[1].start and parts[1].stop == 5
        assert parallel.batch_parts(1, 10**9) == [slice(0, 1)]  # one sample cannot be split


def test_small_batches_stay_whole():
    with threadpool_limits(2, user_api="blas"):
        assert parallel.batch_parts(64, 16) == [slice(0, 64)]  # 1,024 numbers: not worth a thread
        big = parallel.batch_parts(32, 32 * 9 * 32 * 32)  # the 32→64-channel layer of make bench
        assert [(s.start, s.stop) for s in big] == [(0, 16), (16, 32)]


def test_run_parts_restores_blas_threads_after_an_error(small_parts):
    def part(i, rows):
        assert parallel.blas_threads() == 1  # each part's products run on one thread
        if i == 1:
            raise ValueError("part 1 failed")
        return i

    with threadpool_limits(2, user_api="blas"):
        assert parallel.run_parts(lambda i, rows: (i, rows.start), [slice(0, 1), slice(1, 3)]) == [(0, 0), (1, 1)]
        with pytest.raises(ValueError, match="part 1 failed"):
            parallel.run_parts(part, [slice(0, 1), slice(1, 2)])
        assert parallel.blas_threads() == 2


@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_conv2d_in_parts_agrees_with_one_pass(small_parts, stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 11, 11)).astype(np.float32)
    x_before = x.copy()
    conv = layers.Conv2d(3, 4, 3, stride=stride, padding=padding, dilation=dilation, rng=0)
    with threadpool_limits(2, user_api="blas"):
        y = conv(x)
        assert len(conv._parts) == 2
        dy = rng.standard_normal(y.shape).astype(np.float32)
        dx = conv.backward(dy)
    args = dict(stride=stride, padding=padding, dilation=dilation)
    y_ref = F.conv2d(x, conv.weight.data, conv.bias.data, **args)
    dx_ref, dw_ref, db_ref = F.conv2d_backward(dy, x, conv.weight.data, **args)
    np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(conv.weight.grad, dw_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(conv.bias.grad, db_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(x, x_before)
    assert y.flags.c_contiguous and dx.flags.c_contiguous


def test_conv2d_in_parts_without_input_gradient(small_parts):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 8, 8)).astype(np.float32)
    conv = layers.Conv2d(2, 3, 3, rng=0)
    with threadpool_limits(2, user_api="blas"):
        y = conv(x)
        assert conv.backward(np.ones_like(y), need_dx=False) is None
    _, dw_ref, _ = F.conv2d_backward(np.ones_like(y), x, conv.weight.data)
    np.testing.assert_allclose(conv.weight.grad, dw_ref, rtol=1e-5, atol=1e-5)


def test_one_thread_computes_the_batch_whole_and_bit_for_bit():
    """The book trains with one BLAS thread: its numbers must not depend on cnnlib.parallel."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 32, 32, 32)).astype(np.float32)
    conv = layers.Conv2d(32, 8, 3, padding=1, rng=0)
    with threadpool_limits(1, user_api="blas"):
        y = conv(x)
        assert conv._parts == [slice(0, 32)]
        np.testing.assert_array_equal(y, F.conv2d(x, conv.weight.data, conv.bias.data, padding=1))


def test_numpy_blas_is_found_beside_scipys():
    """SciPy (loaded by scikit-learn and scikit-image) carries a second OpenBLAS; the parts need numpy's."""
    import scipy.linalg  # noqa: F401

    parallel._state.pop("blas", None)  # look again, now that both are loaded
    with threadpool_limits(2, user_api="blas"):
        assert parallel.blas_threads() == 2
    assert "numpy" in parallel._blas().filepath


class _Probe(layers.Layer):
    """Records, during forward and backward, BLAS's thread count and how a big batch would be split."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def _record(self, a):
        self.seen.append((parallel.blas_threads(), len(parallel.batch_parts(len(a), 10**7))))
        return a

    def forward(self, x):
        return self._record(x)

    def backward(self, dy):
        return self._record(dy)


def test_a_network_holds_blas_at_one_thread_and_splits_batches_instead():
    probe = _Probe()
    net = layers.Sequential(layers.Conv2d(2, 3, 3, rng=0), probe, layers.Flatten(), layers.Linear(27, 2, rng=0))
    x = np.random.default_rng(3).standard_normal((8, 2, 5, 5)).astype(np.float32)
    with threadpool_limits(2, user_api="blas"):
        net.backward(np.ones_like(net(x)))
        assert probe.seen == [(1, 2), (1, 2)]  # BLAS held at one thread, two parts per big batch
        assert parallel.blas_threads() == 2  # and given back afterwards
    with threadpool_limits(1, user_api="blas"):
        probe.seen.clear()
        net.backward(np.ones_like(net(x)))
        assert probe.seen == [(1, 1), (1, 1)]  # one thread: nothing to split


def test_a_part_is_never_split_again(small_parts):
    with threadpool_limits(2, user_api="blas"):
        inner = parallel.run_parts(lambda i, rows: len(parallel.batch_parts(8, 10**7)), parallel.split(2, 2))
        assert inner == [1, 1]
        assert len(parallel.batch_parts(8, 10**7)) == 2
