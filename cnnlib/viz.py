"""Plotting helpers shared by the chapters: kernels with their numbers, images and feature maps with titles
and colour bars, grids of filters and feature maps.

Every helper draws with matplotlib's object API (no pyplot), so figures never leak into a notebook's
output by accident; the grid helpers return a :class:`~matplotlib.figure.Figure` made with
:func:`cnnlib.widgets.new_figure` (small, 72 dpi, constrained layout), which a notebook shows by ending a
cell with it and an explorer's ``render`` may return directly.

Colour conventions:

* values that are all >= 0 (images, pooled maps, ReLU outputs): grey, 0 is black;
* signed values (kernels, edge responses, gradients): the diverging map ``RdBu_r`` centred on 0
  (red positive, blue negative, white zero), with limits ±max|value| so the colours of two panels mean
  the same thing only when they share a scale (``shared=True`` in the grids).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._checks import as_int
from .widgets import _figure_png, new_figure

__all__ = [
    "SIGNED_CMAP",
    "IMAGE_CMAP",
    "color_limits",
    "annotate_cells",
    "show_kernel",
    "show_image",
    "image_grid",
    "filter_grid",
    "feature_map_grid",
    "figure_png",
]

#: Colour map of signed values (kernels, edge maps, gradients), centred on zero.
SIGNED_CMAP = "RdBu_r"
#: Colour map of non-negative values (images, activations after ReLU).
IMAGE_CMAP = "gray"


def _as_2d(a, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def color_limits(values, symmetric: bool | None = None) -> tuple[str, float, float]:
    """The colour map and limits for showing ``values``.

    Args:
        values: any array of numbers (NaNs ignored).
        symmetric: ``True``: diverging map with limits ±max|v|; ``False``: grey from min to max;
            ``None``: symmetric exactly when some value is negative.

    Returns:
        ``(cmap name, vmin, vmax)``; a constant array gets a non-empty range around its value.
    """
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if symmetric is None:
        symmetric = lo < 0
    if symmetric:
        m = max(abs(lo), abs(hi))
        m = m if m > 0 else 1.0
        return SIGNED_CMAP, -m, m
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return IMAGE_CMAP, lo, hi


def annotate_cells(ax, values, fmt: str = "{:.2g}", fontsize: float = 7, cmap=None, vmin=None, vmax=None) -> None:
    """Print each value of a 2-D array at the centre of its cell (as drawn by ``imshow``).

    The text is black on light cells and white on dark ones when ``cmap``/``vmin``/``vmax`` are given
    (those of the image underneath); otherwise black.

    Args:
        ax: the axes holding the image.
        values: (H, W) numbers.
        fmt: a ``str.format`` pattern for one number.
        fontsize: text size in points.
    """
    import matplotlib

    values = _as_2d(values, "values")
    colormap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
    for (i, j), v in np.ndenumerate(values):
        color = "black"
        if colormap is not None and vmin is not None and vmax is not None and vmax > vmin:
            r, g, b, _ = colormap((v - vmin) / (vmax - vmin))
            if 0.299 * r + 0.587 * g + 0.114 * b < 0.5:
                color = "white"
        text = fmt.format(v)
        if text.startswith("-"):  # "-0.0": a tiny negative number rounded to zero shows as "0.0"
            try:
                if float(text) == 0:
                    text = text[1:]
            except ValueError:
                pass
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=color)


def show_kernel(ax, kernel, title: str | None = None, fmt: str = "{:.2g}", fontsize: float | None = None,
                vmax: float | None = None, numbers: bool = True):
    """Draw a 2-D kernel as coloured cells with its number printed in each cell.

    Colours are diverging and centred on zero (red positive, blue negative), with limits ±``vmax``
    (default: the kernel's largest magnitude), so a kernel's sign pattern is visible at a glance.

    Args:
        ax: matplotlib axes.
        kernel: (kh, kw) numbers.
        title: axes title.
        fmt: ``str.format`` pattern of each printed number.
        fontsize: size of the printed numbers (default: smaller for larger kernels).
        vmax: colour limit (use the same value for several kernels to compare them).
        numbers: print the numbers (set False for kernels too large to read, e.g. 9×9 on a tiny panel).

    Returns:
        the :class:`~matplotlib.image.AxesImage`.

    Raises:
        ValueError: the kernel is not a non-empty 2-D array.
    """
    k = _as_2d(kernel, "kernel")
    if vmax is None:
        vmax = float(np.abs(k).max()) or 1.0
    im = ax.imshow(k, cmap=SIGNED_CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest")
    if numbers:
        if fontsize is None:
            fontsize = 8 if max(k.shape) <= 3 else 6 if max(k.shape) <= 5 else 4
        annotate_cells(ax, k, fmt=fmt, fontsize=fontsize, cmap=SIGNED_CMAP, vmin=-vmax, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=8)
    return im


def show_image(ax, image, title: str | None = None, colorbar: bool = False, symmetric: bool | None = None,
               vmin: float | None = None, vmax: float | None = None, cmap: str | None = None):
    """Draw an image or a feature map with optional title and colour bar.

    Args:
        ax: matplotlib axes.
        image: (H, W) values, or (H, W, 3) RGB in [0, 1].
        title: axes title.
        colorbar: add a colour bar beside the axes (ignored for RGB).
        symmetric: see :func:`color_limits` (default: diverging colours if any value is negative).
        vmin, vmax, cmap: override the limits / colour map chosen by :func:`color_limits`.

    Returns:
        the :class:`~matplotlib.image.AxesImage`.

    Raises:
        ValueError: the image is neither (H, W) nor (H, W, 3).
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3 and img.shape[2] == 3:
        im = ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
    else:
        img = _as_2d(img, "image")
        auto_cmap, lo, hi = color_limits(img, symmetric)
        im = ax.imshow(img, cmap=cmap or auto_cmap, vmin=lo if vmin is None else vmin,
                       vmax=hi if vmax is None else vmax, interpolation="nearest")
        if colorbar:
            cb = ax.figure.colorbar(im, ax=ax, shrink=0.8, aspect=15)
            cb.ax.tick_params(labelsize=6)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=8)
    return im


def _grid_shape(n: int, ncols: int | None) -> tuple[int, int]:
    ncols = min(n, 8) if ncols is None else as_int(ncols, "ncols", 1)
    return math.ceil(n / ncols), ncols


def image_grid(images, titles: Sequence[str] | None = None, ncols: int | None = None, size: float = 1.1,
               shared: bool = False, symmetric: bool | None = None, colorbar: bool = True,
               suptitle: str | None = None):
    """A grid of images or feature maps, each with its title, in one small figure.

    Args:
        images: (N, H, W) array or a sequence of N (H, W) arrays (sizes may differ).
        titles: N titles (default: none).
        ncols: panels per row (default: up to 8).
        size: inches per panel.
        shared: one colour scale for all panels (then one colour bar for the whole grid) instead of one
            per panel; use it when the panels' values must be compared.
        symmetric: see :func:`color_limits`.
        colorbar: draw colour bars (one per panel, or one shared).
        suptitle: a title for the whole figure.

    Returns:
        the :class:`~matplotlib.figure.Figure`.

    Raises:
        ValueError: no images, a non-2-D image, or a wrong number of titles.
    """
    imgs = [_as_2d(im, f"images[{i}]") for i, im in enumerate(images)]
    if not imgs:
        raise ValueError("images must hold at least one image, got none")
    if titles is not None and len(titles) != len(imgs):
        raise ValueError(f"titles must have one entry per image ({len(imgs)}), got {len(titles)}")
    nrows, ncols = _grid_shape(len(imgs), ncols)
    extra = 0.5 if colorbar and shared else 0.35 * colorbar
    fig, axes = new_figure(ncols * (size + extra * (not shared)) + extra * shared, nrows * size + 0.3 * bool(suptitle),
                           ncols=ncols, nrows=nrows, squeeze=False)
    lims = color_limits(np.concatenate([im.ravel() for im in imgs]), symmetric) if shared else None
    im_obj = None
    for idx, ax in enumerate(axes.ravel()):
        if idx >= len(imgs):
            ax.set_axis_off()
            continue
        title = None if titles is None else titles[idx]
        if shared:
            cmap, lo, hi = lims
            im_obj = show_image(ax, imgs[idx], title, cmap=cmap, vmin=lo, vmax=hi)
        else:
            show_image(ax, imgs[idx], title, colorbar=colorbar, symmetric=symmetric)
    if shared and colorbar:
        cb = fig.colorbar(im_obj, ax=axes.ravel().tolist(), shrink=0.8, aspect=20)
        cb.ax.tick_params(labelsize=6)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    return fig


def filter_grid(weights, channel: int = 0, ncols: int | None = None, numbers: bool = True, size: float = 1.15,
                fmt: str = "{:.1f}", suptitle: str | None = None):
    """The kernels of a convolutional layer, one panel per output channel, with their numbers printed.

    All panels share one colour scale (±the largest magnitude in the layer), so a strong filter looks
    strong next to a weak one.

    Args:
        weights: (C_out, C_in, kh, kw), e.g. ``model.layers[0].weight.data``; ``channel`` picks the input
            channel shown. A (C_out, kh, kw) array is taken as one input channel.
        channel: which input channel to show (0 ≤ channel < C_in).
        ncols: panels per row (default: up to 8).
        numbers: print each weight in its cell.
        size: inches per panel.
        fmt: ``str.format`` pattern of each number.
        suptitle: a title for the whole figure.

    Returns:
        the :class:`~matplotlib.figure.Figure`.

    Raises:
        ValueError: weights not 3-D or 4-D, or channel out of range.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 3:
        w = w[:, None]
    if w.ndim != 4:
        raise ValueError(f"weights must be (C_out, C_in, kh, kw) or (C_out, kh, kw), got shape {w.shape}")
    channel = as_int(channel, "channel", 0)
    if channel >= w.shape[1]:
        raise ValueError(f"channel must be < C_in = {w.shape[1]}, got {channel}")
    kernels = w[:, channel]
    nrows, ncols = _grid_shape(len(kernels), ncols)
    vmax = float(np.abs(kernels).max()) or 1.0
    fig, axes = new_figure(ncols * size + 0.5, nrows * size + 0.3 * bool(suptitle), ncols=ncols, nrows=nrows,
                           squeeze=False)
    im = None
    for idx, ax in enumerate(axes.ravel()):
        if idx >= len(kernels):
            ax.set_axis_off()
            continue
        im = show_kernel(ax, kernels[idx], title=f"filter {idx}", fmt=fmt, vmax=vmax, numbers=numbers,
                         fontsize=min(7.0, 6.0 * size * 3 / max(kernels.shape[1:])))
    cb = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, aspect=20)
    cb.ax.tick_params(labelsize=6)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    return fig


def feature_map_grid(maps, ncols: int | None = None, size: float = 0.9, shared: bool = True,
                     suptitle: str | None = None, prefix: str = "map"):
    """The feature maps of one image after a layer, one panel per channel, titled ``"<prefix> <c>"``.

    Args:
        maps: (C, H, W) activations of one image, or (1, C, H, W) (a batch of one).
        ncols, size, suptitle: as for :func:`image_grid`.
        shared: one colour scale for all channels (default), so weak and strong channels can be compared.
        prefix: the word before each channel number in the titles.

    Returns:
        the :class:`~matplotlib.figure.Figure`.

    Raises:
        ValueError: maps not (C, H, W) or (1, C, H, W).
    """
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must be (C, H, W) or (1, C, H, W), got shape {np.shape(maps)}")
    return image_grid(list(m), titles=[f"{prefix} {c}" for c in range(len(m))], ncols=ncols, size=size,
                      shared=shared, suptitle=suptitle)


def figure_png(fig, colors: int | None = 128) -> bytes:
    """A figure as PNG bytes, by default reduced to a palette of ``colors`` colours (about 3× smaller).

    Static explorers store one PNG per state in the page, so their weight matters; 128 colours keep
    plots and grey images visually unchanged. ``colors=None`` keeps full colour.

    Raises:
        ValueError: colors not between 2 and 256.
    """
    import io

    png = _figure_png(fig)  # the framework's own rendering (it also releases pyplot figures)
    if colors is None:
        return png
    colors = as_int(colors, "colors", 2)
    if colors > 256:
        raise ValueError(f"colors must be between 2 and 256, got {colors}")
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    pal = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    pal.save(out, format="png", optimize=True)
    return out.getvalue()
