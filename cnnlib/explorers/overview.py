"""The whole-network overview (CNN Explainer's main view, chapters 1 and 5) and its unit view.

The overview shows one input photograph on the left, every layer's feature maps in columns (all
channels, each numbered, one grey scale per layer from 0 to the layer's largest value, stated in the
column's header), and the class probabilities on the right. Choosing another input changes every
column. The *unit view* opens one channel of one convolutional layer at one output position: the
input channels the unit reads with the window marked, its kernels with their numbers, the element-wise
products, the per-channel sums, the bias, and the ReLU: chapter 3's sliding window on a real unit::

    y[o,i,j] = ReLU(b[o] + Σ_c Σ_u Σ_v x̃[c, i·s + u·d, j·s + v·d] · w[o,c,u,v]).

Two faces, as every explorer of the book: live (any test scene or an uploaded photograph, any layer,
channel and position; pictures composed as pixel arrays with matplotlib drawing only text on a
transparent layer, so an update costs tens of milliseconds), and static (precomputed PNGs switched
client-side, see :mod:`cnnlib.widgets`). The root widget carries the CSS class ``cnn-overview``.

The network is any :class:`~cnnlib.layers.Sequential` of convolutions, ReLUs, poolings, a flatten and
linear layers, on (3, H, W) inputs; the book uses :func:`cnnlib.models.trained_texture_cnn`.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass

import numpy as np

from .. import explain, images, twin_outputs
from .. import layers as L
from ..functional import softmax
from ..widgets import HTML, Choice, Explorer, tr

__all__ = ["overview_explorer", "Overview", "Column", "network_columns", "unit_numbers", "texture_inputs",
           "MAP_CMAP", "SELECT_COLOUR"]

#: Colour map of the feature maps (non-negative after ReLU and pooling: black is 0, as in cnnlib.viz).
MAP_CMAP = "gray"
#: Frame of the selected map and of the unit view's window (orange, visible on grey and in dark mode).
SELECT_COLOUR = "#e69f00"


@dataclass(frozen=True)
class Column:
    """One column of the overview: the output of model layer ``index``.

    ``kind`` is ``"conv"`` (a convolution, shown after its ReLU when one follows: the label does not
    repeat it) or ``"pool"``;
    ``conv`` is the index of the convolution layer itself; ``shape`` is (C, h, w).
    """

    label: str
    index: int
    kind: str
    conv: int | None
    shape: tuple[int, int, int]


def network_columns(model, input_shape=(3, 64, 64)) -> list[Column]:
    """The overview's columns of ``model`` for inputs ``input_shape`` (C, H, W)."""
    if not isinstance(model, L.Sequential):
        raise TypeError(f"model must be a cnnlib Sequential, got {type(model).__name__}")
    x = np.zeros((1, *input_shape), dtype=np.float32)
    cols, n_conv, n_pool = [], 0, 0
    with explain.preserved(model):
        outs = []
        for layer in model.layers:
            x = layer.forward(x)
            outs.append(np.shape(x))
    layers_ = list(model.layers)
    for i, layer in enumerate(layers_):
        if isinstance(layer, L.Conv2d):
            n_conv += 1
            show = i + 1 if i + 1 < len(layers_) and isinstance(layers_[i + 1], L.ReLU) else i
            cols.append(Column(f"conv {n_conv}", show, "conv", i, tuple(outs[show][1:])))
        elif isinstance(layer, L.MaxPool2d):  # AvgPool2d is a MaxPool2d subclass in cnnlib
            n_pool += 1
            word = "avg-pool" if isinstance(layer, L.AvgPool2d) else "max-pool"
            cols.append(Column(f"{word} {n_pool}", i, "pool", None, tuple(outs[i][1:])))
    if not cols:
        raise ValueError("the model has no convolution or pooling layer to show")
    return cols


def _forward_all(model, x1) -> list[np.ndarray]:
    """The output of every layer for one input (1, C, H, W), the model left as it was."""
    outs = []
    with explain.preserved(model):
        a = x1
        for layer in model.layers:
            a = layer.forward(a)
            outs.append(np.asarray(a))
    return outs


def unit_numbers(model, outs, x1, conv: int, channel: int, i: int, j: int) -> dict:
    """Everything the unit view shows for output channel ``channel`` of conv layer ``conv`` at (i, j).

    Args:
        outs: :func:`_forward_all` of ``x1``; x1: the input (1, C, H, W).

    Returns:
        dict with ``inputs`` (C_in, H, W) the zero-padded input x̃ it reads, ``window`` (C_in, k, k),
        ``kernel`` w[o] (C_in, k, k), ``products`` (C_in, k, k), ``sums`` (C_in,), ``bias``, ``z`` (the
        sum plus bias, equal to the conv output) and ``y`` (after the ReLU, if one follows), the window's
        top-left corner ``(r0, c0)`` in x̃ and the padding.
    """
    layer = model.layers[conv]
    a = x1[0] if conv == 0 else outs[conv - 1][0]
    (ph, pw), (sh, sw), (dh, dw) = layer.padding, layer.stride, layer.dilation
    kh, kw = layer.kernel_size
    xt = np.pad(np.asarray(a, dtype=np.float64), ((0, 0), (ph, ph), (pw, pw)))
    r0, c0 = i * sh, j * sw
    window = xt[:, r0: r0 + (kh - 1) * dh + 1: dh, c0: c0 + (kw - 1) * dw + 1: dw]
    w = np.asarray(layer.weight.data[channel], dtype=np.float64)
    products = window * w
    sums = products.sum(axis=(1, 2))
    b = 0.0 if layer.bias is None else float(layer.bias.data[channel])
    z = float(sums.sum() + b)
    relu = conv + 1 < len(model.layers) and isinstance(model.layers[conv + 1], L.ReLU)
    return {"inputs": xt, "window": window, "kernel": w, "products": products, "sums": sums, "bias": b,
            "z": z, "y": max(z, 0.0) if relu else z, "relu": relu, "corner": (r0, c0), "padding": (ph, pw),
            "extent": ((kh - 1) * dh + 1, (kw - 1) * dw + 1)}


def _resize_index(n: int, size: int) -> np.ndarray:
    return np.minimum((np.arange(size) * n) // size, n - 1)


def _nearest(a, size: int) -> np.ndarray:
    """Nearest-neighbour resize of (h, w[, 3]) to (size, size[, 3]): fast, and every input pixel stays a block."""
    a = np.asarray(a)
    return a[_resize_index(a.shape[0], size)][:, _resize_index(a.shape[1], size)]


def _grey8(m, top: float) -> np.ndarray:
    g = np.clip(np.asarray(m) / top, 0, 1) if top > 0 else np.zeros(np.shape(m))
    return (g * 255).astype(np.uint8)[..., None].repeat(3, axis=-1)


def _frame(pixels, y, x, h, w, colour=(230, 159, 0), t=3):
    pixels[y - t: y, x - t: x + w + t] = colour
    pixels[y + h: y + h + t, x - t: x + w + t] = colour
    pixels[y: y + h, x - t: x] = colour
    pixels[y: y + h, x + w: x + w + t] = colour


def _text_figure(w_px: int, h_px: int):
    """A transparent matplotlib figure of w_px × h_px displayed pixels (2× pixels) and one axes in
    displayed-pixel coordinates (origin top left), for text drawn over composed pixels."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w_px / 72, h_px / 72), dpi=144)
    fig.patch.set_facecolor("none")
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, w_px)
    ax.set_ylim(h_px, 0)
    ax.axis("off")
    return fig, ax


class _OverviewPicture:
    """The overview as one picture, updated in place: pixels composed with numpy, text by matplotlib."""

    MAP, GAP, LABEL, HEAD, INPUT, PROBS = 50, 6, 14, 50, 128, 150

    def __init__(self, columns: list[Column], classes, input_size: int):
        self.columns, self.classes = columns, list(classes)
        n_ch = max(c.shape[0] for c in columns)
        self.col_w = self.LABEL + self.MAP + 16
        self.x_input = 8
        self.x_cols = [self.x_input + self.INPUT + 22 + k * self.col_w for k in range(len(columns))]
        self.x_probs = self.x_cols[-1] + self.col_w + 6
        self.w = self.x_probs + self.PROBS
        self.h = self.HEAD + n_ch * (self.MAP + self.GAP) + 4
        self.pixels = np.full((2 * self.h, 2 * self.w, 3), 255, np.uint8)
        fixed, fax = _text_figure(self.w, self.h)  # text that never changes: drawn once
        fig, ax = _text_figure(self.w, self.h)  # text that changes with the input
        fs = 10
        self.y_input = self.HEAD + 10
        fax.text(self.x_input, self.HEAD - 8, f"input\n3×{input_size}×{input_size}", fontsize=fs,
                 va="bottom", ha="left", linespacing=1.15)
        self.ranges = []
        for col, x in zip(columns, self.x_cols, strict=True):
            c, h, w = col.shape
            fax.text(x, 4, f"{col.label}", fontsize=fs, va="top", ha="left", weight="bold")
            fax.text(x, 18, f"{c}×{h}×{w}", fontsize=9, va="top", ha="left")
            self.ranges.append(ax.text(x, 31, "", fontsize=9, va="top", ha="left", color="#444444"))
            for ch in range(c):
                y = self.HEAD + ch * (self.MAP + self.GAP) + self.MAP / 2
                fax.text(x + self.LABEL - 3, y, str(ch), fontsize=9, va="center", ha="right", color="#444444")
        fax.text(self.x_probs, 4, "class\nprobabilities", fontsize=fs, va="top", ha="left", weight="bold",
                 linespacing=1.15)
        legend_y = self.y_input + self.INPUT + 48
        fax.text(self.x_input, legend_y, "Each column: the maps\nof every channel (its\nnumber on the left),\n"
                 "after the ReLU; black\nis 0, white the column's\nlargest value (its range\nunder the name).",
                 fontsize=9, va="top", ha="left", linespacing=1.25, color="#444444")
        n_cls = len(self.classes)
        self.row_h = min(26, (self.h - self.HEAD - 10) / max(n_cls, 1))
        self.bar_x, self.bar_w = self.x_probs + 4, self.PROBS - 14
        self.prob_text = []
        for k, name in enumerate(self.classes):
            y = self.HEAD + k * self.row_h
            self.prob_text.append(ax.text(self.bar_x, y + 1, name, fontsize=9, va="top", ha="left"))
        self.caption = ax.text(self.x_input, self.y_input + self.INPUT + 8, "", fontsize=9, va="top", ha="left",
                               linespacing=1.3)
        self.fixed = images.sparse_layer(images.figure_pixels(fixed))
        self.fig, self.ax = fig, ax

    def update(self, raw, outs, probs, selected=None, note: str = "", compact: bool = False) -> bytes:
        """raw: (3, H, W) in [0, 1]; outs: every layer's output; probs: (K,); selected: (column, channel)."""
        px = self.pixels
        px[:] = 255
        s = 2
        size = s * self.INPUT
        y0 = s * self.y_input
        px[y0: y0 + size, s * self.x_input: s * self.x_input + size] = _nearest(
            np.clip(np.asarray(raw).transpose(1, 2, 0) * 255, 0, 255).astype(np.uint8), size)
        m = s * self.MAP
        for k, (col, x) in enumerate(zip(self.columns, self.x_cols, strict=True)):
            maps = outs[col.index][0]
            top = float(maps.max())
            self.ranges[k].set_text(f"0 … {top:.3g}")
            for ch in range(col.shape[0]):
                y = s * (self.HEAD + ch * (self.MAP + self.GAP))
                xx = s * (x + self.LABEL)
                px[y: y + m, xx: xx + m] = _nearest(_grey8(maps[ch], top), m)
                if selected == (k, ch):
                    _frame(px, y, xx, m, m)
        best = int(np.argmax(probs))
        for k, p in enumerate(probs):
            y = int(s * (self.HEAD + k * self.row_h + 13))
            bar = int(round(s * self.bar_w * float(p)))
            px[y: y + int(s * (self.row_h - 15)), s * self.bar_x: s * self.bar_x + bar] = \
                (230, 159, 0) if k == best else (86, 180, 233)
            self.prob_text[k].set_text(f"{self.classes[k]}  {p:.2f}")
            self.prob_text[k].set_weight("bold" if k == best else "normal")
        self.caption.set_text(note)
        images.under(self.fixed, px)
        return images.encode_png(images.under(images.figure_pixels(self.fig), px), compact=compact)


class _UnitPicture:
    """The unit view as one picture: a column per input channel (the channel with the window, the
    kernel's numbers, the products' numbers, their sum), then the total, the bias, the ReLU and the
    output map with the position marked."""

    CELL_W, CELL_H, THUMB, GAP = 23, 20, 64, 6

    def __init__(self, c_in: int, k: int):
        self.c_in, self.k = c_in, k
        self.col_w = max(self.THUMB, k * self.CELL_W) + self.GAP
        self.x0 = 44
        self.w = max(self.x0 + c_in * self.col_w + 8, 560)
        self.y_thumb, self.y_kernel = 22, 22 + self.THUMB + 22
        self.y_prod = self.y_kernel + k * self.CELL_H + 22
        self.y_sum = self.y_prod + k * self.CELL_H + 4
        self.y_total = self.y_sum + 40
        self.out_size = 96
        self.h = self.y_total + self.out_size + 12
        self.pixels = np.full((2 * self.h, 2 * self.w, 3), 255, np.uint8)
        fixed, fax = _text_figure(self.w, self.h)  # labels: drawn once
        fig, ax = _text_figure(self.w, self.h)  # what changes with the position
        for y, label in ((self.y_thumb + self.THUMB / 2, "x̃[c]"), (self.y_kernel + k * self.CELL_H / 2, "w[o,c]"),
                         (self.y_prod + k * self.CELL_H / 2, "x̃·w"), (self.y_sum + 8, "Σ")):
            fax.text(4, y, label, fontsize=9, va="center", ha="left", style="italic")
        for c in range(c_in):
            x = self.x0 + c * self.col_w
            fax.text(x, self.y_thumb - 3, f"c = {c}", fontsize=9, va="bottom", ha="left")
            fax.text(x, self.y_kernel - 3, "kernel", fontsize=9, va="bottom", ha="left", color="#444444")
            fax.text(x, self.y_prod - 3, "products", fontsize=9, va="bottom", ha="left", color="#444444")
        self.x_out = 8
        self.total = ax.text(self.x_out + self.out_size + 16, self.y_total + 4, "", fontsize=10, ha="left",
                             va="top", linespacing=1.6)
        self.out_head = ax.text(self.x_out, self.y_total - 3, "", fontsize=9, va="bottom", ha="left")
        self.fixed = images.sparse_layer(images.figure_pixels(fixed))
        # the kernels' and products' numbers: pasted glyphs, far faster than matplotlib texts
        self.glyphs, self.bold = images.Glyphs(9), images.Glyphs(9, weight="bold")
        self.fig, self.ax = fig, ax

    def _numbers(self, px, x, y, values):
        """Draw the k×k ``values`` in the cells of the grid whose top left is (x, y), as :meth:`_grid`."""
        for u in range(self.k):
            cy = 2 * (y + (u + 0.5) * self.CELL_H)
            for v in range(self.k):
                self.glyphs.draw(px, _num(values[u, v]), 2 * (x + (v + 0.5) * self.CELL_W), cy, ha="center")

    @staticmethod
    def _cell_colours(values, top):
        """Signed values -> RdBu_r-like colours, light enough for black numbers on top."""
        t = np.clip(np.asarray(values) / top, -1, 1) if top > 0 else np.zeros(np.shape(values))
        red, blue, white = np.array([244, 165, 130]), np.array([146, 197, 222]), np.array([255, 255, 255])
        pos, neg = np.clip(t, 0, 1)[..., None], np.clip(-t, 0, 1)[..., None]
        return (white + (red - white) * pos + (blue - white) * neg).astype(np.uint8)

    def _grid(self, px, x, y, colours):
        s, k = 2, self.k
        cell = np.repeat(np.repeat(colours, s * self.CELL_H, axis=0), s * self.CELL_W, axis=1)
        px[s * y: s * y + k * s * self.CELL_H, s * x: s * x + k * s * self.CELL_W] = cell
        for u in range(k + 1):  # thin grid lines
            yy = s * y + u * s * self.CELL_H
            px[min(yy, px.shape[0] - 1), s * x: s * x + k * s * self.CELL_W] = 160
        for v in range(k + 1):
            xx = s * x + v * s * self.CELL_W
            px[s * y: s * y + k * s * self.CELL_H, min(xx, px.shape[1] - 1)] = 160

    def update(self, n: dict, out_map, position, label: str, compact: bool = False) -> bytes:
        px = self.pixels
        px[:] = 255
        s = 2
        inputs = n["inputs"]
        top_in = float(np.abs(inputs).max()) or 1.0
        signed_in = inputs.min() < 0
        r0, c0 = n["corner"]
        eh, ew = n["extent"]
        kmax = float(np.abs(n["kernel"]).max()) or 1.0
        pmax = float(np.abs(n["products"]).max()) or 1.0
        t = s * self.THUMB
        for c in range(self.c_in):
            x = self.x0 + c * self.col_w
            ch = inputs[c]
            if signed_in:
                thumb = self._cell_colours(ch, top_in)
                thumb = (thumb.astype(np.int32) * 0.85 + 20).astype(np.uint8)
            else:
                thumb = _grey8(ch, top_in)
            hh, ww = ch.shape
            px[s * self.y_thumb: s * self.y_thumb + t, s * x: s * x + t] = _nearest(thumb, t)
            # the window, in thumbnail pixels
            y1, x1 = s * self.y_thumb + r0 * t // hh, s * x + c0 * t // ww
            y2, x2 = s * self.y_thumb + (r0 + eh) * t // hh, s * x + (c0 + ew) * t // ww
            _frame(px, y1, x1, max(y2 - y1, 1), max(x2 - x1, 1), t=2)
            self._grid(px, x, self.y_kernel, self._cell_colours(n["kernel"][c], kmax))
            self._grid(px, x, self.y_prod, self._cell_colours(n["products"][c], pmax))
            self._numbers(px, x, self.y_kernel, n["kernel"][c])
            self._numbers(px, x, self.y_prod, n["products"][c])
            self.bold.draw(px, f"{n['sums'][c]:+.2f}", s * x, s * (self.y_sum + 8))
        # the output map with the position marked
        o = s * self.out_size
        top_out = float(np.abs(out_map).max()) or 1.0
        y0, x0 = s * self.y_total, s * self.x_out
        px[y0: y0 + o, x0: x0 + o] = _nearest(_grey8(np.maximum(out_map, 0), top_out), o)
        i, j = position
        oh, ow = out_map.shape
        _frame(px, y0 + i * o // oh, x0 + j * o // ow, max(o // oh, 2), max(o // ow, 2), t=2)
        self.out_head.set_text(label)
        relu = (f"ReLU({n['z']:+.3f}) = {n['y']:.3f}" if n["relu"] else f"y = {n['z']:+.3f}")
        terms = " ".join(f"{v:+.2f}" for v in n["sums"])
        self.total.set_text(f"Σ over channels  {terms}  =  {n['sums'].sum():+.3f}\n"
                            f"+ bias b[o] = {n['bias']:+.3f}   →   z = {n['z']:+.3f}\n{relu}"
                            f"   (output at row i = {i}, column j = {j})")
        images.under(self.fixed, px)
        return images.encode_png(images.under(images.figure_pixels(self.fig), px), compact=compact)


def _num(v: float) -> str:
    """A kernel or product number in four characters (−.12, 1.3, .05)."""
    a = abs(v)
    if a >= 9.95:
        t = f"{a:.0f}"
    elif a >= 0.995:
        t = f"{a:.1f}"
    else:
        t = f"{a:.2f}"[1:]
    return ("−" if v < 0 else "") + t


# --------------------------------------------------------------------------- the model and its inputs


@functools.cache
def texture_model():
    """The trained texture network (:func:`cnnlib.models.trained_texture_cnn`: the shipped weights, or
    the weights cache)."""
    from .. import models

    try:
        cache = models.shipped_weights("texture_cnn")
    except ValueError:  # not shipped (yet): train once into the weights cache
        cache = models.cache_path("texture_cnn.npz")
    return models.trained_texture_cnn(cache=cache)[0]


def texture_inputs(n: int = 8):
    """``n`` test scenes, classes taken in turn: ``(names, x (n, 3, 64, 64), class names)``; the names in the
    reader's language (:func:`cnnlib.widgets.tr`)."""
    labels, x, classes = _texture_scenes(n)
    names = [tr("scene {i}: {label}").format(i=i + 1, label=tr(classes[c])) for i, c in enumerate(labels)]
    return names, x, classes


@functools.cache
def _texture_scenes(n: int):
    from .. import data

    x, y, _ = data.texture_scenes(max(64, 4 * n), split="test", seed=0)
    classes = list(data.TEXTURE_CLASSES)
    order, seen = [], {}
    for k in range(len(x)):  # round-robin over classes: scene 1 of class 0, of class 1, …
        seen.setdefault(int(y[k]), []).append(k)
    while len(order) < n and any(seen.values()):
        for c in sorted(seen):
            if seen[c] and len(order) < n:
                order.append(seen[c].pop(0))
    return [int(y[k]) for k in order], np.asarray(x[order], dtype=np.float32), classes


class Overview:
    """The overview and unit view of one network, with caches, shared by both faces.

    Args:
        model: the network (:class:`~cnnlib.layers.Sequential`, input (1, 3, H, W) in [0, 1]).
        inputs: ``{name: (3, H, W) image}``, the scenes offered.
        classes: class names, in the order of the model's outputs.
    """

    def __init__(self, model, inputs: dict, classes):
        if not inputs:
            raise ValueError("inputs must name at least one image")
        self.model = model
        self.inputs = {k: np.asarray(v, dtype=np.float32) for k, v in inputs.items()}
        first = next(iter(self.inputs.values()))
        self.input_shape = tuple(first.shape)
        self.columns = network_columns(model, self.input_shape)
        self.classes = list(classes)
        self.convs = [c for c in self.columns if c.kind == "conv"]
        self._over = _OverviewPicture(self.columns, self.classes, self.input_shape[-1])
        self._units: dict = {}
        self._cache: dict = {}

    def state(self, name: str):
        """(input, every layer's output, probabilities) of the input called ``name`` (cached)."""
        if name not in self.inputs:
            raise ValueError(f"input must be one of {list(self.inputs)}, got {name!r}")
        key = (name, id(self.inputs[name]))
        if key not in self._cache:
            x = self.inputs[name]
            outs = _forward_all(self.model, x[None])
            probs = softmax(outs[-1], axis=1)[0]
            self._cache[key] = (x, outs, probs)
        return self._cache[key]

    def set_input(self, name: str, image) -> None:
        """Add or replace an input (an uploaded photograph), checked against the network's input shape."""
        image = np.asarray(image, dtype=np.float32)
        if image.shape != self.input_shape:
            raise ValueError(f"image must have shape {self.input_shape}, got {image.shape}")
        self.inputs[name] = image

    def conv_column(self, layer: str) -> tuple[int, Column]:
        for k, c in enumerate(self.columns):
            if c.label == layer and c.kind == "conv":
                return k, c
        raise ValueError(f"layer must be one of {[c.label for c in self.convs]}, got {layer!r}")

    def render_overview(self, name: str, layer: str | None = None, channel: int | None = None,
                        compact: bool = False) -> bytes:
        """The overview picture (PNG, 2× pixels) of input ``name``, the (layer, channel) framed."""
        x, outs, probs = self.state(name)
        sel = None
        if layer is not None:
            k, _ = self.conv_column(layer)
            sel = (k, channel)
        pred = self.classes[int(np.argmax(probs))]
        note = f"{name}\n" + tr("prediction: {label}").format(label=tr(pred))
        return self._over.update(x, outs, probs, sel, note, compact=compact)

    def render_unit(self, name: str, layer: str, channel: int, row: int | None = None, col: int | None = None,
                    compact: bool = False):
        """The unit view (PNG, 2× pixels) of ``channel`` of conv column ``layer`` at output (row, col);
        ``None`` for both: the unit's strongest response. Returns (png, caption HTML)."""
        x, outs, _ = self.state(name)
        _, column = self.conv_column(layer)
        c_out, h, w = column.shape
        if not 0 <= int(channel) < c_out:
            raise ValueError(f"channel must be in 0..{c_out - 1}, got {channel}")
        out_map = outs[column.index][0, int(channel)]
        if row is None and col is None:
            row, col = (int(v) for v in np.unravel_index(int(np.argmax(out_map)), out_map.shape))
        if not (0 <= int(row) < h and 0 <= int(col) < w):
            raise ValueError(f"position must be within the {h}×{w} output, got ({row}, {col})")
        n = unit_numbers(self.model, outs, x[None], column.conv, int(channel), int(row), int(col))
        c_in, k = n["kernel"].shape[0], n["kernel"].shape[1]
        if not self._units:  # every layer's picture at the first unit view: a later switch stays fast
            for conv in self.convs:
                c_in_k = self.model.layers[conv.conv].weight.data.shape[1:3]
                if c_in_k not in self._units:
                    self._units[c_in_k] = _UnitPicture(*c_in_k)
        label = f"{layer}, channel o = {channel}: output {h}×{w}"
        png = self._units[(c_in, k)].update(n, out_map, (int(row), int(col)), label, compact=compact)
        conv = self.model.layers[column.conv]
        kh, kw = conv.kernel_size
        caption = (f"y[o={channel}, i={row}, j={col}] of {html.escape(layer)}: b[o] + Σ<sub>c</sub>Σ<sub>u</sub>"
                   f"Σ<sub>v</sub> x̃[c, i·{conv.stride[0]}+u, j·{conv.stride[1]}+v]·w[o,c,u,v] over "
                   f"{c_in} input channels and a {kh}×{kw} window = {n['z']:+.3f}"
                   + (f" → ReLU → <b>{n['y']:.3f}</b>" if n["relu"] else ""))
        return png, HTML(caption)


# --------------------------------------------------------------------------- the explorer's two faces


#: The static unit view's notice (``name``: the input it shows).
UNIT_NOTE = ("Unit view of <i>{name}</i> at each unit's strongest response; run this page as a notebook for any "
             "input, channel and position, or to upload a photo.")


def _root(children, title):
    import ipywidgets as widgets

    parts = [widgets.HTML(f"<b>{html.escape(tr(title))}</b>")] if title else []
    box = widgets.VBox(parts + list(children))
    box.add_class("cnn-overview")
    box.add_class("cnn-explorer")
    return box


def _build_static(ov: Overview, title, unit_channels, static_inputs, unit_view=True):
    import ipywidgets as widgets

    names = list(ov.inputs)[:static_inputs]
    conv_labels = [c.label for c in ov.convs]
    first = names[0]
    over = Explorer(
        controls={"input": Choice(names, style="dropdown", label="input")},
        render=lambda input: ov.render_overview(input, compact=True),
        max_states=len(names), max_bytes=2_000_000,
    )
    unit = Explorer(
        controls={"layer": Choice(conv_labels, style="buttons", label="unit view: layer"),
                  "channel": Choice(list(unit_channels), style="buttons", label="channel o")},
        render=lambda layer, channel: ov.render_unit(first, layer, channel, compact=True),
        max_states=len(conv_labels) * len(unit_channels), max_bytes=1_500_000,
    )
    over_box = images.sharp_images(over.build("static"))
    if not unit_view:
        root = _root([over_box], title)
        root._overview_parts = (over_box,)
        return root
    unit_box = images.sharp_images(unit.build("static"))
    note = widgets.HTML('<span style="font-size:90%">' + tr(UNIT_NOTE).format(name=html.escape(first)) + "</span>")
    root = _root([over_box, note, unit_box], title)
    root._overview_parts = (over_box, unit_box)
    return root


def _build_live(ov: Overview, title, unit_view=True):
    import ipywidgets as widgets

    conv_labels = [c.label for c in ov.convs]
    w_input = widgets.Dropdown(options=list(ov.inputs), description=tr("input"),
                               style={"description_width": "initial"})
    w_layer = widgets.ToggleButtons(options=[(tr(label), label) for label in conv_labels], description=tr("layer"),
                                    style={"description_width": "initial", "button_width": "auto"})
    w_channel = widgets.IntSlider(0, 0, ov.convs[0].shape[0] - 1, description=tr("channel o"),
                                  style={"description_width": "initial"})
    w_row = widgets.IntSlider(0, 0, ov.convs[0].shape[1] - 1, description=tr("row i"),
                              style={"description_width": "initial"})
    w_col = widgets.IntSlider(0, 0, ov.convs[0].shape[2] - 1, description=tr("column j"),
                              style={"description_width": "initial"})
    for name, w in (("input", w_input), ("layer", w_layer), ("channel", w_channel), ("row", w_row),
                    ("col", w_col)):
        w.add_class(f"explorer-control-{name}")
    img_over = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
    img_unit = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
    caption = widgets.HTML()
    message = widgets.HTML()

    def show(img, png):
        img.value = png
        img.width = str(images._png_width(png) // 2)

    def update_overview(_=None):
        show(img_over, ov.render_overview(w_input.value, w_layer.value, w_channel.value))

    def update_unit(_=None):
        if not unit_view:
            return
        png, cap = ov.render_unit(w_input.value, w_layer.value, w_channel.value, w_row.value, w_col.value)
        show(img_unit, png)
        caption.value = cap.markup

    def on_layer(_=None):
        _, col = ov.conv_column(w_layer.value)
        with img_unit.hold_trait_notifications():
            w_channel.max = col.shape[0] - 1
            w_row.max, w_col.max = col.shape[1] - 1, col.shape[2] - 1
        update_overview()
        update_unit()

    def on_input(_=None):
        update_overview()
        update_unit()

    def on_channel(_=None):
        update_overview()
        update_unit()

    w_input.observe(on_input, names="value")
    w_layer.observe(on_layer, names="value")
    w_channel.observe(on_channel, names="value")
    w_row.observe(update_unit, names="value")
    w_col.observe(update_unit, names="value")

    def on_image(name, x):
        label = f"your photo: {name}"
        ov.set_input(label, x)
        ov._cache = {k: v for k, v in ov._cache.items() if k[0] != label}
        options = [o for o in w_input.options if o != label] + [label]
        w_input.options = options
        if w_input.value == label:
            on_input()
        else:
            w_input.value = label

    upload = images.upload_control(on_image, size=ov.input_shape[-1])
    on_layer()
    unit_part = [w_layer, w_channel, widgets.HBox([w_row, w_col]), img_unit, caption] if unit_view else []
    root = _root([w_input, upload, img_over, *unit_part, message], title)
    root._overview_controls = {"input": w_input, "layer": w_layer, "channel": w_channel, "row": w_row,
                               "col": w_col}
    root._overview_images = (img_over, img_unit)
    root._overview_upload = upload
    root._overview_update = (on_input, update_unit)
    return root


@twin_outputs.bilingual
def overview_explorer(title: str | None = "The whole network at a glance", mode: str | None = None,
                      model=None, inputs: dict | None = None, classes=None, n_inputs: int = 8,
                      unit_channels=(0, 1, 2), unit_view: bool = True):
    """The overview and unit view of the texture network (or of ``model``), as a widget.

    Args:
        title: heading.
        mode: ``"live"``, ``"static"`` or None (:func:`cnnlib.widgets.default_mode`).
        model, inputs, classes: the network, ``{name: (3, H, W)}`` inputs and class names; default: the
            trained texture network and ``n_inputs`` test scenes (:func:`texture_inputs`).
        n_inputs: how many test scenes (static: all precomputed).
        unit_channels: the channels the static unit view precomputes for each conv layer (live: all).
        unit_view: False shows the columns only, with the input control (chapter 1's preview).

    Returns:
        an :class:`ipywidgets.VBox` with CSS class ``cnn-overview`` (display it, or end a cell with it).
    """
    from ..widgets import default_mode

    mode = default_mode() if mode is None else mode
    if mode not in ("live", "static"):
        raise ValueError(f"mode must be 'live', 'static' or None, got {mode!r}")
    if model is None:
        model = texture_model()
    if inputs is None:
        names, x, default_classes = texture_inputs(n_inputs)
        inputs = dict(zip(names, x, strict=True))
        classes = default_classes if classes is None else classes
    if classes is None:
        raise ValueError("classes must be given with a custom model")
    ov = Overview(model, inputs, classes)
    if mode == "static":
        return _build_static(ov, title, unit_channels, n_inputs, unit_view)
    return _build_live(ov, title, unit_view)
