"""Measuring networks: parameters and FLOPs per layer, receptive fields, and the shifted, rotated and
augmented inputs used to test what a CNN is (and is not) invariant to.

Counting conventions (those of most papers and profilers):

* a *multiply–add* (MAC) is one multiplication and one addition; ``flops = 2 · macs`` for convolution
  and dense layers (plus one addition per output for a bias);
* pooling counts one comparison (max) or one addition (average) per window element, activations one
  operation per element; reshaping layers cost nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import layers as L
from ._checks import as_float_array, as_int, check_ndim

__all__ = [
    "dense_digits_net",
    "train_dense_digits",
    "probabilities_figure",
    "accuracy_under",
    "train_augmented_digits_cnn",
    "conv_growth",
    "growth_figure",
    "cost_figure",
    "parameters_figure",
    "feature_change",
    "robustness_figure",
    "LayerCost",
    "layer_costs",
    "count_parameters",
    "conv2d_flops",
    "dense_equivalent_parameters",
    "RFLayer",
    "receptive_field",
    "receptive_field_influence",
    "blob_kernel",
    "shift_images",
    "rotate_images",
    "augment",
    "confusion_matrix",
    "top_k_accuracy",
]


# --------------------------------------------------------------------------- cost


@dataclass(frozen=True)
class LayerCost:
    """The cost of one layer for one input sample.

    Attributes:
        index: position in the Sequential.  name: the layer's ``repr``.
        output_shape: shape of its output for one sample (no batch axis).
        params: trainable numbers.  flops: floating-point operations for one sample.
    """

    index: int
    name: str
    output_shape: tuple
    params: int
    flops: int


def count_parameters(model) -> int:
    """Total number of trainable numbers in a layer or Sequential."""
    return int(sum(p.data.size for p in model.parameters()))


def conv2d_flops(h_out, w_out, c_in, c_out, kernel_size, bias=True) -> int:
    """FLOPs of one 2-D convolution for one sample: ``2 · H_out · W_out · C_out · C_in · kH · kW``
    (+ ``H_out · W_out · C_out`` for the bias). ``kernel_size`` is an int or a (kH, kW) pair."""
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    macs = int(h_out) * int(w_out) * int(c_out) * int(c_in) * int(kh) * int(kw)
    return 2 * macs + (int(h_out) * int(w_out) * int(c_out) if bias else 0)


def _flops(layer, in_shape, out_shape) -> int:
    n_out = int(np.prod(out_shape))
    if isinstance(layer, L.Conv2d):  # Conv1d too: its weight is (C_out, C_in, k)
        k_elems = int(np.prod(layer.weight.data.shape[1:]))  # C_in · kH · kW
        return 2 * n_out * k_elems + (n_out if layer.bias is not None else 0)
    if isinstance(layer, L.Linear):
        return 2 * layer.in_features * layer.out_features + (layer.out_features if layer.bias is not None else 0)
    if isinstance(layer, L.MaxPool2d):  # AvgPool2d, MaxPool1d too
        return n_out * layer.kernel_size[0] * layer.kernel_size[1]
    if isinstance(layer, L.GlobalAvgPool2d):
        return int(np.prod(in_shape))
    if isinstance(layer, L.Flatten | L.Dropout):
        return 0
    return n_out  # elementwise activations


def layer_costs(model, input_shape) -> list[LayerCost]:
    """Parameters and FLOPs of every layer of a Sequential, for one sample of ``input_shape``.

    Args:
        model: a :class:`~cnnlib.layers.Sequential` (or a single layer).
        input_shape: the shape of one sample without the batch axis, e.g. ``(1, 8, 8)``.

    Returns:
        a list of :class:`LayerCost`, one per layer, in order. The model is run once (in eval mode) on
        zeros to find the shapes; its parameters are not changed.
    """
    shape = tuple(as_int(s, "input_shape", 1) for s in input_shape)
    seq = model if isinstance(model, L.Sequential) else L.Sequential(model)
    was_training = seq.training
    seq.eval()
    x = np.zeros((1, *shape), dtype=np.float32)
    out = []
    try:
        for i, layer in enumerate(seq):
            y = layer.forward(x)
            out.append(LayerCost(i, repr(layer), tuple(y.shape[1:]), count_parameters(layer),
                                 int(_flops(layer, x.shape[1:], y.shape[1:]))))
            x = y
    finally:
        seq.train(was_training)
    return out


def dense_equivalent_parameters(height, width, in_channels, out_channels, kernel_size, bias=True) -> dict:
    """Parameters of a 'same'-padded conv layer and of the dense layer with the same input and output sizes.

    A dense layer mapping the ``C_in·H·W`` input values to the ``C_out·H·W`` outputs of the conv layer
    needs a weight for every (input, output) pair; the conv layer shares one ``C_in·k·k`` kernel per
    output channel across all positions.

    Returns:
        ``{"conv": ..., "dense": ..., "ratio": dense / conv}``.
    """
    h, w = as_int(height, "height", 1), as_int(width, "width", 1)
    c_in, c_out = as_int(in_channels, "in_channels", 1), as_int(out_channels, "out_channels", 1)
    k = as_int(kernel_size, "kernel_size", 1)
    conv = c_out * c_in * k * k + (c_out if bias else 0)
    n_in, n_out = c_in * h * w, c_out * h * w
    dense = n_in * n_out + (n_out if bias else 0)
    return {"conv": conv, "dense": dense, "ratio": dense / conv}


# --------------------------------------------------------------------------- receptive field


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


# --------------------------------------------------------------------------- shifting, rotating, augmenting


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


# --------------------------------------------------------------------------- many classes


def confusion_matrix(y_true, y_pred, n_classes=None) -> np.ndarray:
    """``M[i, j]`` = how many samples of true class i were predicted as class j."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y_true.shape} and {y_pred.shape}")
    if n_classes is None:
        n_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    n_classes = as_int(n_classes, "n_classes", 1)
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= n_classes):
        raise ValueError(f"labels must be in [0, {n_classes}), got values outside")
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def top_k_accuracy(logits, y, k=1) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores."""
    logits = as_float_array(logits, "logits")
    check_ndim(logits, 2, "logits", "(N, classes)")
    k = as_int(k, "k", 1)
    if k > logits.shape[1]:
        raise ValueError(f"k must be at most the number of classes {logits.shape[1]}, got {k}")
    top = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == np.asarray(y)[:, None], axis=1)))


# --------------------------------------------------------------------------- experiments of chapters 6 and 7


def accuracy_under(model, x, y, transform, values) -> list[float]:
    """Accuracy of ``model`` on ``transform(x, v)`` for each ``v`` in ``values`` (e.g. shifts or angles)."""
    from .training import evaluate

    return [evaluate(model, transform(x, v), y)["accuracy"] for v in values]


def _train_on_digits(model, x_train, y_train, epochs, seed):
    """Train ``model`` with the recipe of :func:`cnnlib.models.trained_digits_cnn` (Adam, same lr and batch
    size, one BLAS thread), validating on the digits' validation split. Returns (model in eval mode, history)."""
    from . import data, losses, models, optim, training

    opt = optim.Adam(model.parameters(), lr=models.DIGITS_RECIPE["lr"])
    with training.one_blas_thread():
        history = training.fit(model, losses.CrossEntropyLoss(), opt, x_train, y_train, epochs=epochs,
                               batch_size=models.DIGITS_RECIPE["batch_size"], validation_data=data.load_digits("val"),
                               seed=seed, progress=False)
    model.eval()
    return model, history


def train_augmented_digits_cnn(copies=1, max_shift=1, max_angle=30.0, epochs=15, seed=0, init=None):
    """:func:`cnnlib.models.digits_cnn` trained with the recipe of :func:`cnnlib.models.trained_digits_cnn`
    on the digits plus ``copies`` shifted and rotated copies of each (:func:`augment`).

    Args:
        copies, max_shift, max_angle: the augmentation (see :func:`augment`); seed: for it and the training.
        epochs: passes over the augmented set.
        init: optional trained digits CNN to start from (its weights are copied, it is not changed):
            fine-tuning a trained network on augmented data takes a few epochs instead of fifteen.

    Returns:
        (model in eval mode, history).
    """
    from . import data, models

    x_train, y_train = data.load_digits("train")
    xa, ya = augment(x_train, y_train, copies, max_shift, max_angle, seed)
    model = models.digits_cnn(seed)
    if init is not None:
        src = dict(init.named_parameters())
        for name, p in model.named_parameters():
            if name not in src or src[name].data.shape != p.data.shape:
                raise ValueError(f"init must be a digits CNN: parameter {name!r} is missing or has another shape")
            p.data[...] = src[name].data
    return _train_on_digits(model, xa, ya, epochs, seed)


def dense_digits_net(hidden=80, rng=0):
    """A dense network for the 8×8 digits with about as many parameters as the digits CNN:
    flatten – linear 64→hidden – ReLU – linear hidden→10 (6,010 parameters for hidden=80)."""
    rng = L.as_generator(rng)
    hidden = as_int(hidden, "hidden", 1)
    return L.Sequential(L.Flatten(), L.Linear(64, hidden, rng=rng), L.ReLU(), L.Linear(hidden, 10, rng=rng))


def train_dense_digits(hidden=80, epochs=15, seed=0):
    """:func:`dense_digits_net` trained with the digits CNN's recipe. Returns (model, history)."""
    from . import data

    x_train, y_train = data.load_digits("train")
    return _train_on_digits(dense_digits_net(hidden, seed), x_train, y_train, epochs, seed)


def probabilities_figure(logits, true_class=None, title="softmax output"):
    """Bars of ``softmax(logits)`` for one sample (K classes), the true class in green."""
    from .functional import softmax
    from .widgets import new_figure

    p = softmax(np.asarray(logits, dtype=np.float64).reshape(1, -1))[0]
    fig, ax = new_figure(3.4, 2.2)
    colors = ["#2ca02c" if k == true_class else "#1f77b4" for k in range(len(p))]
    ax.bar(np.arange(len(p)), p, color=colors)
    ax.set_xticks(np.arange(len(p)))
    ax.set_xlabel("class")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    return fig


def conv_growth(sizes=(), channels=(), base_size=32, base_channels=8, kernel_size=3, batch=1, repeat=3, seed=0):
    """FLOPs and measured time of one ``conv2d`` (same padding, C_in = C_out) as the image side or the
    channel count grows.

    Args:
        sizes: image sides to try (channels fixed at ``base_channels``).
        channels: channel counts to try (side fixed at ``base_size``).
        kernel_size, batch: the convolution; ``repeat``: best-of measurements (:func:`cnnlib.timing.time_call`).

    Returns:
        ``{"size": [rows], "channels": [rows]}``, each row ``{"value", "flops", "seconds"}``.
    """
    from .functional import conv2d
    from .timing import time_call

    rng = np.random.default_rng(seed)
    k = as_int(kernel_size, "kernel_size", 1)
    out = {"size": [], "channels": []}
    for kind, values in (("size", sizes), ("channels", channels)):
        for v in values:
            n = as_int(v, kind, 1)
            side, c = (n, base_channels) if kind == "size" else (base_size, n)
            x = rng.standard_normal((batch, c, side, side)).astype(np.float32)
            w = rng.standard_normal((c, c, k, k)).astype(np.float32)
            secs = time_call(lambda x=x, w=w: conv2d(x, w, padding=k // 2), repeat=repeat)
            flops = batch * conv2d_flops(side, side, c, c, k, bias=False)
            out[kind].append({"value": n, "flops": flops, "seconds": secs})
    return out


def growth_figure(growth):
    """Two log–log panels from :func:`conv_growth`: FLOPs and seconds against image side and channels."""
    from matplotlib.ticker import NullLocator

    from .timing import loglog_slope
    from .widgets import new_figure

    fig, axes = new_figure(6.4, 2.7, ncols=2)
    for ax, kind, xlabel in zip(axes, ("size", "channels"), ("image side n (n×n pixels)",
                                                             "channels C (C in, C out)"), strict=True):
        rows = growth[kind]
        if not rows:
            ax.set_axis_off()
            continue
        v = [r["value"] for r in rows]
        f = [r["flops"] for r in rows]
        t = [r["seconds"] for r in rows]
        ax.loglog(v, f, "o-", color="#1f77b4", label=f"FLOPs (slope {loglog_slope(v, f):.2f})")
        ax.set_ylabel("FLOPs per image", color="#1f77b4")
        ax2 = ax.twinx()
        ax2.loglog(v, t, "s--", color="#d62728", label=f"time (slope {loglog_slope(v, t):.2f})")
        ax2.set_ylabel("seconds (measured)", color="#d62728")
        ax.set_xscale("log", base=2)  # after the twin's loglog, which resets the shared x axis
        ax.set_xticks(v, [str(x) for x in v])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(xlabel)
        lines = ax.get_lines() + ax2.get_lines()
        ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="upper left")
        ax.set_title(f"cost against {'image size' if kind == 'size' else 'channels'}", fontsize=9)
        ax.grid(alpha=0.3, which="major")
    return fig


def cost_figure(costs, title="Parameters and FLOPs per layer"):
    """Horizontal bars of parameters and FLOPs of each layer (from :func:`layer_costs`), log scale."""
    from .widgets import new_figure

    names = [f"{c.index}: {c.name.split('(')[0]}" for c in costs]
    fig, axes = new_figure(6.4, 0.3 * len(costs) + 1.0, ncols=2, sharey=True)
    ypos = np.arange(len(costs))
    for ax, key, color in zip(axes, ("params", "flops"), ("#2ca02c", "#ff7f0e"), strict=True):
        vals = [getattr(c, key) for c in costs]
        ax.barh(ypos, [max(v, 0.8) for v in vals], color=color)
        ax.set_xscale("log")
        for yy, v in zip(ypos, vals, strict=True):
            ax.text(max(v, 1) * 1.1, yy, f"{v:,}", va="center", fontsize=6)
        ax.set_xlabel(key if key == "params" else "FLOPs per image")
        ax.set_xlim(0.8, max(vals) * 20)
    axes[0].set_yticks(ypos, names, fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle(title, fontsize=9)
    return fig


def parameters_figure(sides=(8, 16, 32, 64, 128, 256), in_channels=1, out_channels=8, kernel_size=3):
    """Q1: parameters of one same-padded conv layer and of the dense layer with the same input and
    output sizes, against the image side (log scale)."""
    from .widgets import new_figure

    rows = [dense_equivalent_parameters(s, s, in_channels, out_channels, kernel_size) for s in sides]
    fig, ax = new_figure(4.6, 3.0)
    ax.loglog(sides, [r["dense"] for r in rows], "o-", label="dense layer")
    ax.loglog(sides, [r["conv"] for r in rows], "s-", label=f"conv {kernel_size}×{kernel_size}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(sides), [str(s) for s in sides])
    ax.minorticks_off()
    ax.set_xlabel("image side n (n×n pixels)")
    ax.set_ylabel("parameters")
    ax.set_title(f"{in_channels} → {out_channels} channels, same output size", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


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
