"""cnnlib.robustness: shifts, rotations, augmentation, accuracy under a transformation, feature change."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlib.functional as F
from cnnlib import models, robustness


def test_shift_images_moves_and_fills_with_zeros():
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    y = robustness.shift_images(x, 1, -2)
    np.testing.assert_array_equal(y[0, 0, 1:, :2], x[0, 0, :3, 2:])
    assert (y[0, 0, 0] == 0).all() and (y[0, 0, :, 2:] == 0).all()
    np.testing.assert_array_equal(robustness.shift_images(x, 4, 0), 0)
    np.testing.assert_array_equal(robustness.shift_images(x, 0, 0), x)
    assert robustness.shift_images(x.astype(np.float32), 1, 1).dtype == np.float32
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        robustness.shift_images(np.zeros(3), 1, 1)


@settings(max_examples=30, deadline=None)
@given(st.integers(-4, 4), st.integers(-4, 4), st.integers(1, 3), st.integers(0, 10_000))
def test_convolution_is_translation_equivariant(dy, dx, k, seed):
    """conv(shift(x)) == shift(conv(x)) wherever neither side saw the border."""
    rng = np.random.default_rng(seed)
    x = np.zeros((1, 2, 20, 20))
    x[:, :, 6:14, 6:14] = rng.standard_normal((1, 2, 8, 8))   # content away from the border
    w = rng.standard_normal((3, 2, 2 * k + 1, 2 * k + 1))
    a = F.conv2d(robustness.shift_images(x, dy, dx), w, padding=k)
    b = robustness.shift_images(F.conv2d(x, w, padding=k), dy, dx)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_rotate_images():
    x = np.random.default_rng(0).random((2, 1, 6, 6))
    np.testing.assert_allclose(robustness.rotate_images(x, 90), np.rot90(x, 1, axes=(-2, -1)), atol=1e-12)
    np.testing.assert_array_equal(robustness.rotate_images(x, 0), x)
    y = robustness.rotate_images(x.astype(np.float32), 30)
    assert y.shape == x.shape and y.dtype == np.float32
    assert not np.allclose(y, x)


def test_augment_keeps_originals_first_and_is_deterministic():
    x = np.random.default_rng(1).random((10, 1, 8, 8)).astype(np.float32)
    y = np.arange(10)
    xa, ya = robustness.augment(x, y, copies=2, max_shift=1, max_angle=20, seed=3)
    assert xa.shape == (30, 1, 8, 8) and xa.dtype == np.float32
    np.testing.assert_array_equal(xa[:10], x)
    np.testing.assert_array_equal(ya, np.tile(y, 3))
    assert not np.allclose(xa[10:20], x)
    xb, _ = robustness.augment(x, y, copies=2, max_shift=1, max_angle=20, seed=3)
    np.testing.assert_array_equal(xa, xb)
    x0, _ = robustness.augment(x, y, copies=1, max_shift=0, max_angle=0)
    np.testing.assert_array_equal(x0[10:], x)
    with pytest.raises(ValueError, match="same length"):
        robustness.augment(x, y[:5])
    with pytest.raises(ValueError, match="max_angle"):
        robustness.augment(x, y, max_angle=-1)


def test_accuracy_under_and_feature_change():
    model = models.digits_cnn()
    x = np.random.default_rng(0).random((20, 1, 8, 8)).astype(np.float32)
    y = np.zeros(20, dtype=np.int64)
    acc = robustness.accuracy_under(model, x, y, lambda a, v: robustness.shift_images(a, 0, v), [0, 1])
    assert len(acc) == 2 and all(0 <= a <= 1 for a in acc)
    same = robustness.feature_change(model, x, x.copy(), [1, 5, 7])
    assert same == {1: 0.0, 5: 0.0, 7: 0.0}
    moved = robustness.feature_change(model, x, robustness.shift_images(x, 0, 1), [1])
    assert moved[1] > 0


def test_robustness_figure():
    assert len(robustness.robustness_figure([0, 1], {"a": [1.0, 0.5]}, "x", "t").axes[0].lines) == 2
