"""Receptive fields: how many input pixels one unit of a layer sees, how far apart neighbouring units
look (the jump), which pixels reach a unit and by how many paths, and a centre-surround kernel whose size
sets the scale of what it picks up. :func:`cnnlib.explain.receptive_field` reads these numbers off a
model's layers; the recursion itself lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_int

__all__ = ["RFLayer", "receptive_field", "receptive_field_influence", "blob_kernel"]


@dataclass(frozen=True)
class RFLayer:
    """Receptive field after a layer, along one axis.

    Attributes:
        size: how many input pixels one output unit can see (``r``).
        jump: distance in input pixels between neighbouring output units (``j``, the product of strides).
        start: input coordinate of the centre of the first output unit's field (padding shifts it).
    """

    size: int
    jump: int
    start: float


def _layer_spec(spec, i) -> tuple[int, int, int, int]:
    """One layer's (kernel, stride, dilation, padding), checked, from a tuple or a dict."""
    if isinstance(spec, dict):
        k, s = spec.get("kernel", 1), spec.get("stride", 1)
        d, p = spec.get("dilation", 1), spec.get("padding", 0)
    else:
        spec = tuple(spec)
        if not 1 <= len(spec) <= 4:
            raise ValueError(f"layer {i}: a spec is (kernel, stride, dilation[, padding]), got {spec!r}")
        k, s, d, p = spec + (1, 1, 0)[len(spec) - 1:]
    return (as_int(k, f"kernel (layer {i})", 1), as_int(s, f"stride (layer {i})", 1),
            as_int(d, f"dilation (layer {i})", 1), as_int(p, f"padding (layer {i})", 0))


def receptive_field(specs) -> list[RFLayer]:
    """Receptive field of every layer of a stack, along one axis.

    With ``r_0 = 1, j_0 = 1``, a layer with kernel ``k``, stride ``s``, dilation ``d`` and padding ``p``
    gives ``r_l = r_{l-1} + d·(k − 1)·j_{l-1}``, ``j_l = j_{l-1}·s`` and
    ``start_l = start_{l-1} + (d·(k−1)/2 − p)·j_{l-1}``.

    Args:
        specs: a sequence of ``(kernel, stride, dilation)`` or ``(kernel, stride, dilation, padding)``
            tuples, or dicts with those keys (missing ones default to stride 1, dilation 1, padding 0).

    Returns:
        one :class:`RFLayer` per spec.

    Raises:
        ValueError: a kernel, stride or dilation below 1, or a negative padding.
    """
    r, j, start = 1, 1, 0.0
    out = []
    for i, spec in enumerate(specs):
        k, s, d, p = _layer_spec(spec, i)
        start += (d * (k - 1) / 2 - p) * j
        r += d * (k - 1) * j
        j *= s
        out.append(RFLayer(r, j, start))
    return out


def receptive_field_influence(specs):
    """Which input pixels reach the one output unit of a stack of square convolutions, and by how many paths.

    The input is made exactly as large as the receptive field (no padding), so the stack ends in a single
    unit; an all-ones kernel per layer is back-propagated from that unit with
    :func:`cnnlib.functional.conv2d_backward`. The result is 0 outside the receptive field and counts the
    paths from each input pixel to the unit inside it (the centre has the most: the *effective* receptive
    field is smaller than the theoretical one). For a model's layers use :func:`cnnlib.explain.receptive_field`.

    Args:
        specs: as for :func:`receptive_field` (padding, if given, is ignored).

    Returns:
        (r, r) float64 array, ``r`` the receptive field of the last layer.
    """
    from .functional import conv2d_backward, conv_output_size

    params = [_layer_spec(spec, i)[:3] for i, spec in enumerate(specs)]
    if not params:
        raise ValueError("specs must describe at least one layer")
    sizes = [receptive_field(params)[-1].size]  # the input, then each layer's output: ends at 1
    for k, s, d in params:
        sizes.append(conv_output_size(sizes[-1], k, s, 0, d))
    dy = np.ones((1, 1, 1, 1))
    for (k, s, d), n_in in zip(reversed(params), reversed(sizes[:-1]), strict=True):
        dy = conv2d_backward(dy, np.zeros((1, 1, n_in, n_in)), np.ones((1, 1, k, k)), s, 0, d)[0]
    return dy[0, 0]


def blob_kernel(size) -> np.ndarray:
    """A centre-surround (negative Laplacian-of-Gaussian) kernel of side ``size``, zero-sum, σ = size/6:
    it responds to bright spots about ``size/3`` pixels wide, so its size sets the scale it picks up."""
    size = as_int(size, "size", 3)
    sigma = size / 6
    t = np.arange(size) - (size - 1) / 2
    r2 = t[:, None] ** 2 + t[None, :] ** 2
    k = (1 - r2 / (2 * sigma**2)) * np.exp(-r2 / (2 * sigma**2))
    k -= k.mean()
    return k / np.abs(k).sum()
