"""What a network costs: trainable parameters and floating-point operations (FLOPs), per layer and per
convolution, the dense layer a convolution replaces, how the cost of ``conv2d`` grows with image size and
channels, and their figures.

Counting conventions (those of most papers and profilers):

* a *multiply–add* (MAC) is one multiplication and one addition; ``flops = 2 · macs`` for convolution
  and dense layers (plus one addition per output for a bias);
* pooling counts one comparison (max) or one addition (average) per window element, activations one
  operation per element; reshaping layers cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import layers as L
from ._checks import as_int

__all__ = [
    "LayerCost",
    "count_parameters",
    "conv2d_flops",
    "layer_costs",
    "dense_equivalent_parameters",
    "conv_growth",
    "cost_figure",
    "growth_figure",
    "parameters_figure",
]


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
