"""Robustness experiments: shifted, rotated and augmented images, a model's accuracy as the
transformation grows, how much each layer's features change, and the figure of accuracy against the
transformation's size (chapter 7: what a CNN is, and is not, invariant to).
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import as_float_array, as_int, check_ndim

__all__ = ["shift_images", "rotate_images", "augment", "accuracy_under", "feature_change", "robustness_figure"]


def _images(x, name="x"):
    x = as_float_array(x, name)
    if x.ndim < 2:
        raise ValueError(f"{name} must have at least 2 dimensions (..., H, W), got shape {x.shape}")
    return x


def shift_images(x, dy, dx):
    """Move images ``dy`` pixels down and ``dx`` pixels right; pixels that enter are 0, pixels that
    leave are lost. Works on any ``(..., H, W)`` array; returns a new array of the same shape and dtype."""
    x = _images(x)
    dy, dx = int(dy), int(dx)
    h, w = x.shape[-2:]
    out = np.zeros_like(x)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    src_r = slice(max(0, -dy), h - max(0, dy))
    dst_r = slice(max(0, dy), h - max(0, -dy))
    src_c = slice(max(0, -dx), w - max(0, dx))
    dst_c = slice(max(0, dx), w - max(0, -dx))
    out[..., dst_r, dst_c] = x[..., src_r, src_c]
    return out


def rotate_images(x, angle, order=1):
    """Rotate images by ``angle`` degrees (counter-clockwise) about their centre, same size, 0 outside.

    Uses :func:`scipy.ndimage.rotate` with bilinear interpolation (``order=1``). Any ``(..., H, W)`` array.
    """
    from scipy import ndimage

    x = _images(x)
    if float(angle) == 0.0:
        return x.copy()
    y = ndimage.rotate(x, float(angle), axes=(-1, -2), reshape=False, order=int(order), mode="constant", cval=0.0)
    return y.astype(x.dtype, copy=False)


def augment(x, y, copies=2, max_shift=1, max_angle=20.0, seed=0):
    """The training set plus ``copies`` randomly shifted and rotated versions of every image.

    Args:
        x: (N, C, H, W) images.  y: (N,) labels.
        copies: how many transformed copies of each image to add (0 returns the originals).
        max_shift: each copy moves by an integer in ``[-max_shift, max_shift]`` along each axis.
        max_angle: and rotates by an angle uniform in ``[-max_angle, max_angle]`` degrees.
        seed: the random transformations are fixed by it.

    Returns:
        ``(x_aug, y_aug)`` with ``(1 + copies)·N`` samples, the originals first.
    """
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    y = np.asarray(y)
    if len(y) != len(x):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    copies = as_int(copies, "copies", 0)
    max_shift = as_int(max_shift, "max_shift", 0)
    if not (math.isfinite(max_angle) and max_angle >= 0):
        raise ValueError(f"max_angle must be a finite number >= 0, got {max_angle}")
    rng = np.random.default_rng(seed)
    xs, ys = [x], [y]
    for _ in range(copies):
        out = np.empty_like(x)
        shifts = rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))
        angles = rng.uniform(-max_angle, max_angle, size=len(x))
        for i in range(len(x)):
            out[i] = shift_images(rotate_images(x[i], angles[i]), *shifts[i])
        xs.append(out)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def accuracy_under(model, x, y, transform, values) -> list[float]:
    """Accuracy of ``model`` on ``transform(x, v)`` for each ``v`` in ``values`` (e.g. shifts or angles)."""
    from .training import evaluate

    return [evaluate(model, transform(x, v), y)["accuracy"] for v in values]


def feature_change(model, x, transformed, layers) -> dict:
    """How much each layer's features change when the input changes: ``‖f(x') − f(x)‖ / ‖f(x)‖`` over the
    whole batch, for each layer index in ``layers`` (features from :func:`cnnlib.explain.feature_maps`).

    Args:
        x: the original inputs (N, C, H, W); transformed: the changed inputs (same shape).

    Returns:
        ``{layer index: relative change}``.
    """
    from .explain import feature_maps

    out = {}
    for i in layers:
        a, b = feature_maps(model, x, i), feature_maps(model, transformed, i)
        out[int(i)] = float(np.linalg.norm(b - a) / max(np.linalg.norm(a), 1e-300))
    return out


def robustness_figure(values, curves, xlabel, title):
    """Accuracy against a transformation's size (shift in pixels, angle in degrees), one line per model.

    Args:
        values: the x values.  curves: ``{label: [accuracy for each value]}``.
    """
    from .widgets import new_figure

    fig, ax = new_figure(3.6, 2.7)
    for (label, acc), marker in zip(curves.items(), "osD^v", strict=False):
        ax.plot(values, acc, marker=marker, label=label)
    ax.axhline(0.1, color="grey", ls=":", lw=1, label="chance (10 classes)")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(list(values))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig
