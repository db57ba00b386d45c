"""Seeing what a CNN learned, and testing whether an explanation is right.

Everything here is built on cnnlib's own forward and backward passes: an input gradient is
``model.backward`` of a one-hot gradient on the logits. Conventions:

* ``model`` is a :class:`~cnnlib.layers.Sequential`; ``layer`` is one of its (top-level) layers or its index;
* ``x`` is a batch ``(N, C, H, W)``; ``target`` is one class index for every image or an int array ``(N,)``;
* attribution methods return arrays shaped like ``x``; map methods return ``(N, H, W)`` at input resolution.

The model and ``x`` are never modified: every function runs the model in eval mode inside
:func:`preserved`, which restores parameter gradients, layer caches and the train/eval mode afterwards.
"""

from __future__ import annotations

import contextlib
import copy
import math

import numpy as np

from . import functional as F
from . import layers as L
from . import receptive, training
from ._checks import as_float_array, as_int, check_ndim

__all__ = [
    "preserved",
    "layer_index",
    "feature_maps",
    "filters",
    "receptive_field",
    "saliency",
    "smoothgrad",
    "integrated_gradients",
    "guided_backprop",
    "grad_cam",
    "occlusion",
    "upsample_bilinear",
    "upsample_to_input",
    "attribution_map",
    "activation_map",
    "edge_map",
    "centre_map",
    "class_model",
    "top_patches",
    "pointing_game",
    "pointing_hits",
    "deletion_curve",
    "probability_curve",
    "auc",
    "bootstrap_interval",
    "spearman",
    "randomised_copy",
    "randomisation_check",
    "explain",
    "METHODS",
]


# --------------------------------------------------------------------------- plumbing

def _per_pass(x) -> int:
    """Images per forward pass when a method evaluates many variants of the batch x (N, C, H, W): at most
    128, fewer for big images (:func:`cnnlib.training.batch_size_for`; occlusion of one 64×64 RGB scene
    took 3.4 s at 128 per pass, 0.7 s at 16 or 32)."""
    return training.batch_size_for(x.shape[1:], largest=128)


def _walk(layer):
    yield layer
    if isinstance(layer, L.Sequential):
        for child in layer.layers:
            yield from _walk(child)


@contextlib.contextmanager
def preserved(model, mode: str = "eval"):
    """Run a block with ``model`` in eval mode and leave no trace: on exit every parameter's ``grad``,
    every layer's attributes (caches such as the saved input of a ReLU, any instance-level override of
    ``backward``) and the train/eval mode are restored.

    Args:
        mode: ``"eval"`` (default) or ``"train"`` while inside the block.
    """
    layers = list(_walk(model))
    saved_dicts = [dict(layer.__dict__) for layer in layers]
    params = model.parameters()
    saved_grads = [p.grad.copy() for p in params]
    try:
        model.train(mode == "train")
        for p in params:
            p.zero_grad()
        yield model
    finally:
        for layer, d in zip(layers, saved_dicts, strict=True):
            layer.__dict__.clear()
            layer.__dict__.update(d)
        for p, g in zip(params, saved_grads, strict=True):
            p.grad[...] = g


def _check_model(model):
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib Sequential, got {type(model).__name__}")


def _check_x(x) -> np.ndarray:
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    return x


def layer_index(model, layer) -> int:
    """The index in ``model.layers`` of ``layer`` (a layer object of the model, or an index, negative allowed)."""
    _check_model(model)
    n = len(model.layers)
    if isinstance(layer, L.Layer):
        for i, child in enumerate(model.layers):
            if child is layer:
                return i
        raise ValueError(f"layer {layer!r} is not one of the model's top-level layers")
    if isinstance(layer, bool) or not isinstance(layer, int | np.integer):
        raise TypeError(f"layer must be a Layer of the model or an int index, got {type(layer).__name__}")
    if not -n <= int(layer) < n:
        raise ValueError(f"layer index must be in [{-n}, {n - 1}] for a model of {n} layers, got {layer}")
    return int(layer) % n


def _targets(target, n: int, n_classes: int | None = None) -> np.ndarray:
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must be an int class index or an int array (N,), got dtype {t.dtype}")
    if t.ndim == 0:
        t = np.full(n, int(t))
    if t.shape != (n,):
        raise ValueError(f"target must be an int or have shape ({n},), got shape {t.shape}")
    if n_classes is not None and (t.min() < 0 or t.max() >= n_classes):
        raise ValueError(f"target must be in [0, {n_classes - 1}], got values {t.min()}..{t.max()}")
    return t.astype(np.int64)


def _one_hot(t: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    out = np.zeros((len(t), n_classes), dtype=dtype)
    out[np.arange(len(t)), t] = 1
    return out


def _input_gradient(model, x, t):
    """(target logits (N,), d target logit / dx), in passes of :func:`_per_pass`
    images (every image's result is its own, so the passes only bound the memory).
    Call inside :func:`preserved`."""
    step = _per_pass(x)
    picked, grads = None, None
    for start in range(0, len(x), step):
        xb = x[start : start + step]
        logits = model.forward(xb)
        if picked is None:
            t = _targets(t, len(x), logits.shape[1])
            picked = np.empty(len(x), logits.dtype)
        tb = t[start : start + step]
        picked[start : start + len(xb)] = logits[np.arange(len(xb)), tb]
        dx = np.asarray(model.backward(_one_hot(tb, logits.shape[1], logits.dtype)))
        if grads is None:
            grads = np.empty((len(x), *dx.shape[1:]), dx.dtype)
        grads[start : start + len(xb)] = dx
    return picked, grads


# --------------------------------------------------------------------------- looking inside


def feature_maps(model, x, layer) -> np.ndarray:
    """The activations at the output of ``layer`` (object or index) for inputs ``x``: ``(N, C, h, w)`` for a
    convolutional layer, ``(N, features)`` for a dense one."""
    x = _check_x(x)
    idx = layer_index(model, layer)
    with preserved(model):
        x = model[: idx + 1].forward(x)
    return np.array(x, copy=True)


def filters(layer) -> np.ndarray:
    """A copy of a layer's weights (``(C_out, C_in, kH, kW)`` for a Conv2d).

    Raises:
        ValueError: the layer has no weights (ReLU, pooling, ...).
    """
    w = getattr(layer, "weight", None)
    if not isinstance(w, L.Parameter):
        raise ValueError(f"layer {layer!r} has no weights; filters exist for Conv2d, Conv1d and Linear layers")
    return w.data.copy()


def receptive_field(model, layer, axis=None) -> tuple[int, int, float]:
    """Receptive field of one unit at the output of ``layer``: ``(size, jump, start)``.

    A unit at position ``i`` of that output sees input positions ``start + i·jump − size/2 + 1/2`` up to
    ``start + i·jump + size/2 − 1/2`` (centre ``start + i·jump``), in pixels; only convolutions and
    pooling (max or average, 2-D or 1-D) change these numbers (``r ← r + (k − 1)·d·j``, ``j ← j·s``,
    ``start ← start + ((k−1)d/2 − p)·j``).

    Args:
        axis: ``0`` (rows) or ``1`` (columns) of a 2-D model; default: rows for a 2-D model, the sequence
            axis for a model of 1-D layers (``Conv1d``, ``MaxPool1d``).

    Raises:
        ValueError: ``layer`` comes after a ``Flatten``, ``Linear`` or global pooling (its units see the whole
            input), the model mixes 1-D and 2-D layers, or ``axis`` is not 0, 1 or None.
    """
    idx = layer_index(model, layer)
    if axis not in (None, 0, 1):
        raise ValueError(f"axis must be 0 (rows), 1 (columns) or None, got {axis!r}")
    spatial = [c for c in model.layers[: idx + 1] if isinstance(c, L.Conv2d | L.MaxPool2d)]
    for c in model.layers[: idx + 1]:
        if isinstance(c, L.Flatten | L.Linear | L.GlobalAvgPool2d):
            raise ValueError(f"layer {idx} comes after {type(c).__name__}: its units see the whole input, "
                             "a receptive field exists only for convolution and pooling outputs")
    one_d = [isinstance(c, L.Conv1d | L.MaxPool1d) for c in spatial]
    if any(one_d) and not all(one_d):
        raise ValueError("the model mixes 1-D and 2-D layers: no single receptive field")
    if any(one_d):
        if axis == 0:
            raise ValueError("axis must be None or 1 for a model of 1-D layers, got 0")
        axis = 1  # 1-D layers keep their kernel along the second of their (1, k) pairs
    elif axis is None:
        axis = 0
    specs = [  # (kernel, stride, dilation, padding) of each layer that changes the field, one axis
        (c.kernel_size[axis], c.stride[axis], c.dilation[axis] if isinstance(c, L.Conv2d) else 1,
         c.padding[axis])
        for c in spatial
    ]
    if not specs:
        return 1, 1, 0.0
    last = receptive.receptive_field(specs)[-1]  # the recursion lives in one place
    return last.size, last.jump, last.start


# --------------------------------------------------------------------------- attribution (shaped like x)


def saliency(model, x, target) -> np.ndarray:
    r"""Vanilla gradient (Simonyan et al. 2014): :math:`\partial f_c(x) / \partial x`, shaped like ``x``."""
    _check_model(model)
    x = _check_x(x)
    with preserved(model):
        return _input_gradient(model, x, target)[1]


def smoothgrad(model, x, target, n_samples=50, noise=0.15, rng=None) -> np.ndarray:
    r"""SmoothGrad (Smilkov et al. 2017): the gradient averaged over noisy copies of the input,
    :math:`\frac1n\sum_k \nabla f_c(x + \varepsilon_k)`, :math:`\varepsilon_k \sim \mathcal N(0, \sigma^2)`,
    ``σ = noise · (max(x) − min(x))`` per image.

    Args:
        rng: Generator or seed; ``None`` means seed 0, so the same call gives the same map.
    """
    _check_model(model)
    x = _check_x(x)
    n_samples = as_int(n_samples, "n_samples", 1)
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = L.as_generator(0 if rng is None else rng)
    span = (x.max(axis=(1, 2, 3)) - x.min(axis=(1, 2, 3)))[:, None, None, None]
    total = np.zeros(x.shape, dtype=np.float64)
    reps = max(1, _per_pass(x) // len(x))  # noisy copies per forward pass
    with preserved(model):
        t = _targets(target, len(x))
        for start in range(0, n_samples, reps):
            r = min(reps, n_samples - start)
            xn = (x[None] + noise * span[None] * rng.standard_normal((r, *x.shape))).astype(x.dtype)
            g = _input_gradient(model, xn.reshape(r * len(x), *x.shape[1:]), np.tile(t, r))[1]
            total += g.reshape(r, *x.shape).sum(axis=0)
    return (total / n_samples).astype(x.dtype)


def integrated_gradients(model, x, target, baseline=None, steps=50) -> np.ndarray:
    r"""Integrated Gradients (Sundararajan et al. 2017):
    :math:`(x - x') \odot \int_0^1 \nabla f_c(x' + \alpha (x - x'))\,d\alpha`, by the midpoint rule.

    Completeness: the attributions of an image sum to :math:`f_c(x) - f_c(x')` (up to the quadrature error,
    which shrinks with ``steps``).

    Args:
        baseline: ``x'``, broadcastable to ``x``; default zeros. On raw pixel values in [0, 1] that is a
            black image; on standardised inputs (:func:`cnnlib.models.standardise`) it is the image's
            mean colour.
        steps: number of points on the path (>= 1).
    """
    _check_model(model)
    x = _check_x(x)
    steps = as_int(steps, "steps", 1)
    base = np.zeros_like(x) if baseline is None else np.broadcast_to(np.asarray(baseline, dtype=x.dtype), x.shape)
    total = np.zeros(x.shape, dtype=np.float64)
    reps = max(1, _per_pass(x) // len(x))  # points of the path per forward pass
    with preserved(model):
        t = _targets(target, len(x))
        for start in range(0, steps, reps):
            alpha = ((np.arange(start, min(steps, start + reps)) + 0.5) / steps).astype(x.dtype)
            r = len(alpha)
            path = base[None] + alpha[:, None, None, None, None] * (x - base)[None]
            g = _input_gradient(model, path.reshape(r * len(x), *x.shape[1:]).astype(x.dtype), np.tile(t, r))[1]
            total += g.reshape(r, *x.shape).sum(axis=0)
    return ((x - base) * total / steps).astype(x.dtype)


def _guided_relu_backward(layer):
    def backward(dy):
        # pass back only positive gradients, only where the forward input was positive
        return F.relu_backward(np.maximum(np.asarray(dy), 0), layer._need_cache("_x"))

    return backward


def guided_backprop(model, x, target) -> np.ndarray:
    """Guided backpropagation (Springenberg et al. 2015): the gradient, except that every ReLU also
    blocks negative gradients on the way back. The model's ReLUs get a modified ``backward`` only inside
    :func:`preserved` (an instance attribute, removed on exit); the class is never changed."""
    _check_model(model)
    x = _check_x(x)
    with preserved(model):
        for layer in _walk(model):
            if type(layer) is L.ReLU:
                layer.backward = _guided_relu_backward(layer)
        return _input_gradient(model, x, target)[1]


# --------------------------------------------------------------------------- maps (N, H, W)


def upsample_bilinear(maps, size) -> np.ndarray:
    """Bilinear resize of ``maps`` (N, h, w) to ``size`` = (H, W), pixel centres aligned as in PyTorch's
    ``interpolate(mode="bilinear", align_corners=False)``: output pixel ``i`` samples input position
    ``(i + 0.5)·h/H − 0.5``, clamped to the edges."""
    a = np.asarray(maps)
    if a.ndim != 3:
        raise ValueError(f"maps must be 3-D (N, h, w), got shape {a.shape}")
    big_h, big_w = (as_int(s, "size", 1) for s in size)
    n, h, w = a.shape

    def axis(out, inp):
        pos = np.clip((np.arange(out) + 0.5) * inp / out - 0.5, 0, inp - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, inp - 1)
        return lo, hi, pos - lo

    r0, r1, fr = axis(big_h, h)
    c0, c1, fc = axis(big_w, w)
    return _bilinear(a, (r0, r1, fr), (c0, c1, fc))


def _bilinear(a, rows, cols):
    """a (N, h, w) sampled at fractional positions: rows = (lo, hi, fraction) per output row, cols alike."""
    r0, r1, fr = rows
    c0, c1, fc = cols
    out = a[:, r0, :] * (1 - fr)[None, :, None] + a[:, r1, :] * fr[None, :, None]
    return out[:, :, c0] * (1 - fc) + out[:, :, c1] * fc


def upsample_to_input(model, layer, maps, size) -> np.ndarray:
    """Place maps (N, h, w) of ``layer``'s output on the input grid ``size`` = (H, W), each unit's value at
    the centre of its receptive field (:func:`receptive_field`: input pixel ``p`` samples unit position
    ``(p − start) / jump``), bilinear between centres, the outermost units' values held up to the border.

    Why not simply stretch the map over the image (:func:`upsample_bilinear`)? For convolutions with
    "same" padding and 2×2 pools the two agree exactly. Without padding they do not: Tiny VGG's last
    26×26 map covers unit centres 6.5 … 56.5 of a 64-pixel image, and stretching it puts its corner units
    on the corner pixels, up to 5.8 px from where those units look."""
    a = np.asarray(maps)
    if a.ndim != 3:
        raise ValueError(f"maps must be 3-D (N, h, w), got shape {a.shape}")
    big = [as_int(s, "size", 1) for s in size]
    if len(big) != 2:
        raise ValueError(f"size must be (H, W), got {size!r}")
    grids = []
    for ax in (0, 1):
        _, jump, start = receptive_field(model, layer, axis=ax)
        n_units = a.shape[1 + ax]
        pos = np.clip((np.arange(big[ax]) - start) / jump, 0, n_units - 1)
        lo = np.floor(pos).astype(int)
        grids.append((lo, np.minimum(lo + 1, n_units - 1), pos - lo))
    return _bilinear(a, *grids)


_PLACEMENTS = ("receptive_field", "stretch", None)


def grad_cam(model, x, target, layer, placement="receptive_field") -> np.ndarray:
    r"""Grad-CAM (Selvaraju et al. 2017) at the output :math:`A` (N, K, h, w) of
    ``layer``: :math:`\alpha_k = \frac1{hw}\sum_{ij} \partial f_c / \partial A_{kij}`,
    :math:`\mathrm{ReLU}(\sum_k \alpha_k A_k)`, placed on the input's H × W.

    Args:
        placement: ``"receptive_field"`` (default): each unit's value at its receptive
            field's centre (:func:`upsample_to_input`); ``"stretch"``: the map resized
            over the whole image (:func:`upsample_bilinear`, what most implementations
            do; the same for "same"-padded networks); ``None``: the map at the layer's
            own resolution, (N, h, w).

    Returns:
        (N, H, W), or (N, h, w) for ``placement=None``.
    """
    _check_model(model)
    x = _check_x(x)
    if placement not in _PLACEMENTS:
        raise ValueError(
            f"placement must be one of {list(_PLACEMENTS)}, got {placement!r}")
    idx = layer_index(model, layer)
    with preserved(model):
        a = model[: idx + 1].forward(x)  # the layer's activations A
        if np.ndim(a) != 4:
            kind = type(model.layers[idx]).__name__
            raise ValueError("Grad-CAM needs a layer with a spatial output "
                             f"(N, K, h, w); layer {idx} ({kind}) gives shape "
                             f"{np.shape(a)}")
        head = model[idx + 1 :]  # the layers after it
        logits = head.forward(a)
        t = _targets(target, len(x), logits.shape[1])
        g = head.backward(_one_hot(t, logits.shape[1], logits.dtype))  # ∂z_t/∂A
    alpha = np.asarray(g).mean(axis=(2, 3))
    cam = np.maximum(np.einsum("nk,nkij->nij", alpha, a), 0)
    if placement is None:
        return cam
    if placement == "stretch":
        return upsample_bilinear(cam, x.shape[2:])
    return upsample_to_input(model, idx, cam, x.shape[2:])


def _probabilities(model, x, t):
    """The softmax probability of class t (N,) for every image of x, in passes of :func:`_per_pass` images."""
    logits = training.predict(model, x, batch_size=_per_pass(x))
    return F.softmax(logits, axis=1)[np.arange(len(x)), t]


def occlusion(model, x, target, patch_size=4, stride=2, fill=0.0) -> np.ndarray:
    """Occlusion (Zeiler & Fergus 2014): cover a ``patch_size`` square with ``fill`` (all channels), measure
    how much the target's softmax probability drops; each pixel gets the mean drop over the patches that
    covered it. Returns (N, H, W); positive where hiding the pixel hurts the prediction."""
    _check_model(model)
    x = _check_x(x)
    n, _, h, w = x.shape
    p = as_int(patch_size, "patch_size", 1)
    s = as_int(stride, "stride", 1)
    if p > min(h, w):
        raise ValueError(f"patch_size must be <= the image size {min(h, w)}, got {p}")

    def starts(size):
        out = list(range(0, size - p + 1, s))
        if out[-1] != size - p:
            out.append(size - p)  # cover the last rows/columns too
        return out

    total = np.zeros((n, h, w))
    count = np.zeros((h, w))
    positions = [(i, j) for i in starts(h) for j in starts(w)]
    per_pass = max(1, _per_pass(x) // n)  # patch positions per forward pass
    with preserved(model):
        logits = model.forward(x)
        t = _targets(target, n, logits.shape[1])
        p0 = F.softmax(logits, axis=1)[np.arange(n), t]
        for start in range(0, len(positions), per_pass):
            chunk = positions[start : start + per_pass]
            xo = np.repeat(x[None], len(chunk), axis=0)  # (P, N, C, H, W)
            for k, (i, j) in enumerate(chunk):
                xo[k, :, :, i : i + p, j : j + p] = fill
            probs = _probabilities(model, xo.reshape(len(chunk) * n, *x.shape[1:]), np.tile(t, len(chunk)))
            drops = p0[None] - probs.reshape(len(chunk), n)
            for k, (i, j) in enumerate(chunk):
                total[:, i : i + p, j : j + p] += drops[k][:, None, None]
                count[i : i + p, j : j + p] += 1
    return total / count


def attribution_map(attributions, reduce: str = "abs") -> np.ndarray:
    """Reduce attributions shaped like x (N, C, H, W) to one map per image (N, H, W).

    Args:
        reduce: ``"abs"`` (sum of absolute values over channels, the usual picture), ``"sum"`` (signed sum)
            or ``"max"`` (largest absolute value over channels). A (N, H, W) array passes unchanged.
    """
    a = np.asarray(attributions)
    if a.ndim == 3:
        return a
    if a.ndim != 4:
        raise ValueError(f"attributions must be (N, C, H, W) or (N, H, W), got shape {a.shape}")
    if reduce == "abs":
        return np.abs(a).sum(axis=1)
    if reduce == "sum":
        return a.sum(axis=1)
    if reduce == "max":
        return np.abs(a).max(axis=1)
    raise ValueError(f"reduce must be 'abs', 'sum' or 'max', got {reduce!r}")


def activation_map(model, x, layer) -> np.ndarray:
    """A class-agnostic baseline: the mean over channels of the feature maps at ``layer``, placed on the
    input like Grad-CAM (:func:`upsample_to_input`). It ignores the class entirely. Returns (N, H, W)."""
    x = _check_x(x)
    a = feature_maps(model, x, layer)
    if a.ndim != 4:
        raise ValueError(f"activation_map needs a layer with a spatial output, got shape {a.shape}")
    return upsample_to_input(model, layer, a.mean(axis=1), x.shape[2:])


def edge_map(x) -> np.ndarray:
    """A model-free baseline: the Sobel gradient magnitude of the image, summed over channels (N, H, W).
    It knows nothing about any network."""
    from .data import KERNELS

    x = _check_x(x)
    n, c, h, w = x.shape
    k = np.stack([KERNELS["sobel x"], KERNELS["sobel y"]])[:, None].astype(x.dtype)
    g = F.conv2d(x.reshape(n * c, 1, h, w), k, padding=1)  # (N·C, 2, H, W)
    mag = np.sqrt((g**2).sum(axis=1)).reshape(n, c, h, w)
    # the zero padding makes a spurious edge at the border: ignore the outermost pixels
    mag[:, :, [0, -1], :] = 0
    mag[:, :, :, [0, -1]] = 0
    return mag.sum(axis=1)


def centre_map(shape) -> np.ndarray:
    """A map that ignores the image and peaks at its centre: ``shape`` = (N, H, W). A pointing-game baseline."""
    n, h, w = (as_int(s, "shape", 1) for s in shape)
    yy, xx = np.meshgrid(np.arange(h) - (h - 1) / 2, np.arange(w) - (w - 1) / 2, indexing="ij")
    return np.broadcast_to(-(yy**2 + xx**2), (n, h, w)).astype(np.float64)


# --------------------------------------------------------------------------- what does a unit want?


def class_model(model, target, shape, steps=200, lr=0.1, l2=1e-3, jitter=1, rng=None) -> np.ndarray:
    r"""Activation maximisation (Simonyan et al. 2014): the input that maximises the class logit
    :math:`f_c(x) - \lambda \lVert x\rVert^2`, by gradient ascent from small noise. Each step shifts the image
    by up to ``jitter`` pixels (a random roll) before taking the gradient, which discourages pixel-level
    noise patterns; the step is ``lr`` times the gradient divided by its mean absolute value.

    Args:
        target: one class index, or a 1-D int array of them (one image each, computed together).
        shape: the input shape ``(C, H, W)`` (or ``(1, C, H, W)``).
        rng: Generator or seed; ``None`` means seed 0.

    Returns:
        an image of ``shape``; for an array of targets, ``(len(target), C, H, W)``.
    """
    _check_model(model)
    shape = tuple(int(s) for s in shape)
    if len(shape) == 4 and shape[0] == 1:
        chw = shape[1:]
    elif len(shape) == 3:
        chw = shape
    else:
        raise ValueError(f"shape must be (C, H, W) or (1, C, H, W), got {shape}")
    many = np.ndim(target) == 1
    targets = np.asarray(target) if many else np.array([as_int(target, "target", 0)])
    if targets.dtype.kind not in "iu" or len(targets) == 0:
        raise ValueError(f"target must be a class index or a 1-D int array of them, got {target!r}")
    steps = as_int(steps, "steps", 0)
    jitter = as_int(jitter, "jitter", 0)
    rng = L.as_generator(0 if rng is None else rng)
    dtype = model.parameters()[0].data.dtype if model.parameters() else np.float64
    img = (0.01 * rng.standard_normal((len(targets), *chw))).astype(dtype)
    with preserved(model):
        for _ in range(steps):
            dy, dx = rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0)
            shifted = np.roll(img, (dy, dx), axis=(2, 3))
            _, g = _input_gradient(model, shifted, targets)
            g = np.roll(g, (-dy, -dx), axis=(2, 3)) - 2 * l2 * img
            scale = np.abs(g).mean(axis=(1, 2, 3), keepdims=True) + 1e-12
            img = (img + lr * g / scale).astype(dtype)
    if many:
        return img
    return img.reshape(shape)


def top_patches(model, x, layer, channel, k=9, return_info=False, images=None):
    """The ``k`` input patches that most activate ``channel`` at the output of ``layer``: for every image, its
    strongest unit of that channel; the ``k`` strongest images; each unit's receptive field cut out of
    the image (zero outside it).

    Args:
        images: cut the patches out of these instead of ``x`` (same N, H, W; e.g. the raw images when the
            network sees standardised ones).

    Returns:
        patches (k, C, r, r), ``r`` the receptive field (:func:`receptive_field`); with ``return_info``,
        also a dict with ``index`` (image indices), ``position`` (row, column of the unit) and
        ``activation`` (its value), strongest first.
    """
    x = _check_x(x)
    a = feature_maps(model, x, layer)
    if a.ndim != 4:
        raise ValueError(f"top_patches needs a layer with a spatial output (N, K, h, w), got shape {a.shape}")
    channel = as_int(channel, "channel", 0)
    if channel >= a.shape[1]:
        raise ValueError(f"channel must be < {a.shape[1]} (channels of that layer), got {channel}")
    k = min(as_int(k, "k", 1), len(x))
    amap = a[:, channel].reshape(len(x), -1)
    best = amap.argmax(axis=1)
    values = amap[np.arange(len(x)), best]
    order = np.argsort(-values, kind="stable")[:k]
    src = x
    if images is not None:
        src = as_float_array(images, "images")
        if src.ndim != 4 or src.shape[0] != x.shape[0] or src.shape[2:] != x.shape[2:]:
            raise ValueError(f"images must be (N, C, H, W) with N, H, W as x {x.shape}, got shape {src.shape}")
    size, jump, start = receptive_field(model, layer)
    half = (size - 1) / 2
    pad = size
    xp = np.pad(src, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    patches = np.empty((k, src.shape[1], size, size), dtype=src.dtype)
    positions = []
    for m, i in enumerate(order):
        r, c = divmod(int(best[i]), a.shape[3])
        top = int(round(start + r * jump - half)) + pad
        left = int(round(start + c * jump - half)) + pad
        patches[m] = xp[i, :, top : top + size, left : left + size]
        positions.append((r, c))
    if return_info:
        return patches, {"index": order, "position": np.array(positions), "activation": values[order]}
    return patches


# --------------------------------------------------------------------------- is the explanation right?


def pointing_hits(maps, masks, tolerance=0) -> np.ndarray:
    """(N,) bool, one per image: does the map's maximum lie on the object (Zhang et al. 2016)? A hit when the
    arg-max pixel is within ``tolerance`` pixels (Euclidean) of a mask pixel. A map whose maximum is
    shared by several pixels (e.g. an all-zero map) counts the first one in row-major order."""
    maps, masks = np.asarray(maps), np.asarray(masks, dtype=bool)
    if maps.ndim != 3 or maps.shape != masks.shape:
        raise ValueError(f"maps and masks must both be (N, H, W) of the same shape, got {maps.shape} and {masks.shape}")
    tol = float(tolerance)
    if tol < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    n, h, w = maps.shape
    flat = maps.reshape(n, -1).argmax(axis=1)
    rows, cols = np.divmod(flat, w)
    hits = np.zeros(n, dtype=bool)
    for i in range(n):
        mr, mc = np.nonzero(masks[i])
        hits[i] = bool(len(mr)) and np.min((mr - rows[i]) ** 2 + (mc - cols[i]) ** 2) <= tol * tol
    return hits


def pointing_game(maps, masks, tolerance=0) -> float:
    """Share of images whose map's maximum lies on the object: the mean of :func:`pointing_hits`."""
    hits = pointing_hits(maps, masks, tolerance)
    return int(hits.sum()) / len(hits)


def deletion_curve(model, x, target, maps, steps=10, max_fraction=1.0, fill="median") -> np.ndarray:
    """An *accuracy* variant of the deletion metric: at fractions ``0, max_fraction/steps, ...,
    max_fraction`` of each image's pixels, the highest-ranked pixels of its map are replaced by ``fill``
    and the share of images still classified as ``target`` is measured. A good map makes the curve fall
    fast. Petsiuk et al.'s metric itself (the class *probability* over 0–100 %, with its area under the
    curve, and its twin, insertion) is :func:`probability_curve`.

    Args:
        maps: (N, H, W) (or attributions shaped like x, reduced by :func:`attribution_map`).
        fill: a number, or ``"median"``: each image's per-channel median (about the background colour, so
            the removed pixels do not draw the object's silhouette in a new colour).

    Returns:
        (steps + 1,) accuracies.
    """
    _check_model(model)
    x = _check_x(x)
    n, c, h, w = x.shape
    maps = attribution_map(maps)
    if maps.shape != (n, h, w):
        raise ValueError(f"maps must have shape {(n, h, w)}, got {maps.shape}")
    steps = as_int(steps, "steps", 1)
    if not 0 < max_fraction <= 1:
        raise ValueError(f"max_fraction must be in (0, 1], got {max_fraction}")
    value = _fill_values(x, fill)
    order = np.argsort(-maps.reshape(n, -1), axis=1, kind="stable")
    t = None
    out = []
    with preserved(model):
        for s in range(steps + 1):
            m = int(round(max_fraction * s / steps * h * w))
            xd = x.reshape(n, c, -1).copy()
            if m:
                idx = order[:, :m]
                rows = np.arange(n)[:, None, None]
                chans = np.arange(c)[None, :, None]
                xd[rows, chans, idx[:, None, :]] = np.broadcast_to(value, (n, c, m))
            logits = model.forward(xd.reshape(x.shape).astype(x.dtype))
            if t is None:
                t = _targets(target, n, logits.shape[1])
            out.append(float(np.mean(logits.argmax(axis=1) == t)))
    return np.array(out)


def _fill_values(x, fill, name="fill"):
    """(N, C, 1) replacement values: a number, or ``"median"`` (each image's per-channel median)."""
    n, c = x.shape[:2]
    if isinstance(fill, str):
        if fill != "median":
            raise ValueError(f"{name} must be a number or 'median', got {fill!r}")
        return np.median(x.reshape(n, c, -1), axis=2)[:, :, None]
    return np.full((n, c, 1), float(fill))


def probability_curve(model, x, target, maps, mode="deletion", steps=20, fill="median",
                      per_image=False) -> np.ndarray:
    """Petsiuk et al.'s (2018) deletion and insertion curves: the target's softmax probability as the
    pixels are changed in the order of the map, most attributed first, over the whole 0–100 % range.

    * ``"deletion"``: start from the image; at fraction ``f`` its top ``f·H·W`` pixels (all channels) are
      replaced by ``fill``. A map that finds the evidence makes the probability fall fast: a small
      area under the curve (:func:`auc`) is good.
    * ``"insertion"``: start from a canvas of ``fill`` and put back the image's top ``f·H·W`` pixels.
      A good map makes the probability rise fast: a large area is good.

    Both end at the same two images (the original and the canvas), so every map's curve shares its end
    points. Petsiuk et al. insert into a blurred copy of the image; a constant canvas (the image's
    median colour by default) is the simpler choice used here.

    Args:
        maps: (N, H, W) (or attributions shaped like x, reduced by :func:`attribution_map`).
        mode: ``"deletion"`` or ``"insertion"``.
        steps: the curve has ``steps + 1`` points, at fractions ``np.linspace(0, 1, steps + 1)``.
        fill: a number, or ``"median"`` (each image's per-channel median, about the background colour).
        per_image: return every image's curve (N, steps + 1) instead of their mean (steps + 1,).

    Returns:
        probabilities, (steps + 1,) or (N, steps + 1).
    """
    _check_model(model)
    x = _check_x(x)
    n, c, h, w = x.shape
    maps = attribution_map(maps)
    if maps.shape != (n, h, w):
        raise ValueError(f"maps must have shape {(n, h, w)}, got {maps.shape}")
    if mode not in ("deletion", "insertion"):
        raise ValueError(f"mode must be 'deletion' or 'insertion', got {mode!r}")
    steps = as_int(steps, "steps", 1)
    value = _fill_values(x, fill)
    order = np.argsort(-maps.reshape(n, -1), axis=1, kind="stable")
    flat = x.reshape(n, c, -1)
    canvas = np.broadcast_to(value, flat.shape)
    start, source = (flat, canvas) if mode == "deletion" else (canvas, flat)
    rows = np.arange(n)[:, None, None]
    chans = np.arange(c)[None, :, None]
    out = np.empty((n, steps + 1))
    t = None
    with preserved(model):
        for s in range(steps + 1):
            m = int(round(s / steps * h * w))
            xd = np.array(start, dtype=x.dtype)
            if m:
                idx = order[:, None, :m]
                xd[rows, chans, idx] = source[rows, chans, idx]
            logits = model.forward(xd.reshape(x.shape))
            if t is None:
                t = _targets(target, n, logits.shape[1])
            out[:, s] = F.softmax(logits, axis=1)[np.arange(n), t]
    return out if per_image else out.mean(axis=0)


def auc(y, x=None) -> float:
    """Area under a curve by the trapezoidal rule; ``x`` defaults to ``np.linspace(0, 1, len(y))`` (the
    fractions of :func:`probability_curve`), so a curve that stays at 1 has area 1.

    Raises:
        ValueError: ``y`` is not 1-D with at least 2 points, ``x`` has another length, or ``x`` is not
            increasing.
    """
    y = as_float_array(y, "y")
    if y.ndim != 1 or len(y) < 2:
        raise ValueError(f"y must be 1-D with at least 2 points, got shape {y.shape}")
    x = np.linspace(0.0, 1.0, len(y)) if x is None else as_float_array(x, "x")
    if x.shape != y.shape:
        raise ValueError(f"x must have the shape of y {y.shape}, got {x.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("x must be strictly increasing")
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def bootstrap_interval(values, level=0.95, n_boot=2000, rng=0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (1-D): resample the values with
    replacement ``n_boot`` times, and return the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of
    the resampled means. Deterministic for a given ``rng`` seed.

    Raises:
        ValueError: fewer than 2 values, ``level`` outside (0, 1), or ``n_boot`` < 1.
    """
    v = as_float_array(values, "values")
    if v.ndim != 1 or len(v) < 2:
        raise ValueError(f"values must be 1-D with at least 2 entries, got shape {v.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n_boot = as_int(n_boot, "n_boot", 1)
    rng = L.as_generator(rng)
    means = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _rank(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-D array, ties sharing their average rank (as ``scipy.stats.rankdata``)."""
    order = np.argsort(a, kind="stable")
    s = a[order]
    new = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(new) - 1
    bounds = np.r_[np.flatnonzero(new), len(a)]
    average = (bounds[:-1] + bounds[1:] - 1) / 2 + 1
    ranks = np.empty(len(a))
    ranks[order] = average[group]
    return ranks


def spearman(a, b) -> float:
    """Spearman rank correlation of two arrays of the same size (flattened): the
    Pearson correlation of their ranks, ties averaged. A constant array shares no
    ordering with anything: 0.0."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same size, got {a.size} and {b.size}")
    ra, rb = _rank(a) - (a.size + 1) / 2, _rank(b) - (b.size + 1) / 2
    den = math.sqrt(float((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / den) if den > 0 else 0.0


def _reinitialise(layer, rng) -> None:
    """Fresh random weights for one layer, drawn as its constructor draws them (PyTorch's default)."""
    w = layer.weight.data
    fan_in = int(np.prod(w.shape[1:]))
    bound = 1.0 / math.sqrt(fan_in)
    layer.weight.data = rng.uniform(-bound, bound, size=w.shape).astype(w.dtype)
    if getattr(layer, "bias", None) is not None:
        layer.bias.data = rng.uniform(-bound, bound, size=layer.bias.data.shape).astype(layer.bias.data.dtype)


def randomised_copy(model, rng=0, n_layers=None):
    """A copy of ``model`` whose top ``n_layers`` layers with weights (default: all) are re-initialised as
    their constructors would; ``model`` itself is not changed."""
    _check_model(model)
    rng = L.as_generator(rng)
    clone = copy.deepcopy(model)
    weighted = [layer for layer in reversed(clone.layers) if isinstance(getattr(layer, "weight", None), L.Parameter)]
    for layer in weighted[: len(weighted) if n_layers is None else as_int(n_layers, "n_layers", 0)]:
        _reinitialise(layer, rng)
    return clone


def randomisation_check(model, x, target, method, rng=0, reduce="abs", level=0.95, **kwargs) -> dict:
    """Model-parameter randomisation test (Adebayo et al. 2018), cascading from the top.

    A copy of the model has its layers with weights re-initialised one after another, from the output
    layer down to the first; after each, the explanation is recomputed and compared with the trained
    model's by the Spearman rank correlation of the (N, H, W) maps, image by image. An explanation that
    depends on what the network learned must change: correlations near 1 are a failure.

    Args:
        method: a function ``method(model, x, target, **kwargs)`` or a name in :data:`METHODS`.
        rng: seed or Generator of the new weights.
        reduce: how attributions shaped like x become maps (:func:`attribution_map`).
        **kwargs: passed to the method (``layer`` may be a layer object of ``model``: it is translated).

        level: the confidence level of ``"interval"`` (:func:`bootstrap_interval` over the images).

    Returns:
        a dict with ``"layers"`` (names of the cumulatively re-initialised layers, e.g. ``"8 Linear"``),
        ``"correlation"`` (S,), the mean over images, ``"per_image"`` (S, N), and ``"interval"`` (S, 2), a
        bootstrap interval of each mean (NaN with a single image).
    """
    _check_model(model)
    x = _check_x(x)
    if isinstance(method, str) and method not in METHODS:
        raise ValueError(f"method must be a function or one of {list(METHODS)}, got {method!r}")
    fn = METHODS[method] if isinstance(method, str) else method
    if "layer" in kwargs:
        kwargs["layer"] = layer_index(model, kwargs["layer"])
    rng = L.as_generator(rng)
    reference = attribution_map(fn(model, x, target, **kwargs), reduce)
    clone = copy.deepcopy(model)
    names, rows = [], []
    for i in reversed(range(len(clone.layers))):
        layer = clone.layers[i]
        if not isinstance(getattr(layer, "weight", None), L.Parameter):
            continue
        _reinitialise(layer, rng)
        maps = attribution_map(fn(clone, x, target, **kwargs), reduce)
        names.append(f"{i} {type(layer).__name__}")
        rows.append([spearman(r, m) for r, m in zip(reference, maps, strict=True)])
    per_image = np.array(rows)
    if len(x) > 1:
        interval = np.array([bootstrap_interval(r, level) for r in per_image]).reshape(-1, 2)
    else:
        interval = np.full((len(per_image), 2), np.nan)
    return {"layers": names, "correlation": per_image.mean(axis=1), "per_image": per_image,
            "interval": interval}


def _occlusion_method(model, x, target, **kw):
    return occlusion(model, x, target, **kw)


#: Explanation methods by name, each ``fn(model, x, target, **kwargs)``; grad-cam needs ``layer=``.
METHODS = {
    "saliency": saliency,
    "smoothgrad": smoothgrad,
    "integrated gradients": integrated_gradients,
    "guided backprop": guided_backprop,
    "grad-cam": grad_cam,
    "occlusion": _occlusion_method,
}


def explain(model, x, target, method, reduce="abs", **kwargs) -> np.ndarray:
    """One (N, H, W) map by method name (see :data:`METHODS`); attributions are reduced with
    :func:`attribution_map`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    return attribution_map(METHODS[method](model, x, target, **kwargs), reduce)
