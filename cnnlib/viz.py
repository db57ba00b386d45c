"""Plotting helpers shared by the chapters: figures made sharp for any screen, kernels with their numbers,
images and feature maps with titles and colour bars, grids of filters and feature maps.

Every helper draws with matplotlib's object API (no pyplot), so figures never leak into a notebook's
output by accident. :func:`new_figure` makes every figure of the book: it is sized in inches of the page
(one inch = :data:`DISPLAY_DPI` CSS pixels) and rendered at :data:`SCALE` times that many pixels, so it is
sharp on HiDPI screens. A notebook shows it by ending a cell with it (in IPython the figure's PNG carries
its display width, half its pixel width; see :func:`sharp_png`), and an explorer's ``render`` may return it.

Sizes: fonts are at least :data:`SMALL` (9) points at display size; a figure for the text column is at most
about 7 inches wide (688 CSS pixels).

Colour conventions (perceptually uniform or diverging maps only, never ``jet``):

* values that are all >= 0 (images, pooled maps, ReLU outputs): grey, 0 is black;
* signed values (kernels, edge responses, gradients): the diverging map ``RdBu_r`` centred on 0
  (red positive, blue negative, white zero), with limits ±max|value| so the colours of two panels mean
  the same thing only when they share a scale (``shared=True`` in the grids);
* heat-maps and surfaces: ``magma``/``inferno``/``viridis``.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from . import figure_language
from ._checks import as_int

__all__ = [
    "DISPLAY_DPI",
    "SCALE",
    "DPI",
    "SMALL",
    "SharpFigure",
    "LiveFigure",
    "CellNumbers",
    "new_figure",
    "sharp_png",
    "encode_png",
    "png_display_width",
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

#: CSS pixels per inch of figure on the page (the browser's reference pixel: 96 per inch).
DISPLAY_DPI = 96
#: Pixels rendered per displayed pixel: 2 keeps figures sharp on HiDPI screens.
SCALE = 2
#: Resolution every figure is rendered at (``DISPLAY_DPI * SCALE``).
DPI = DISPLAY_DPI * SCALE
#: The smallest font size of the book's figures, in points at display size.
SMALL = 9


class SharpFigure(Figure):
    """A matplotlib Figure that shows itself sharp in a notebook: a PNG of SCALE times the pixels it is
    displayed at, with its display width in the output's metadata (see :func:`sharp_png`)."""

    def _repr_png_(self):
        return sharp_png(self)


def new_figure(width: float = 4.0, height: float = 2.0, dpi: int | None = None, ncols: int = 1, nrows: int = 1,
               layout: str | None = "constrained", **kw):
    """A matplotlib figure and its axes, made without pyplot, sharp on any screen.

    Figures made this way never leak into a notebook's output and need no ``plt.close``.

    Args:
        width, height: size in inches of the page (one inch is :data:`DISPLAY_DPI` CSS pixels; the text
            column is about 7 inches wide).
        dpi: render resolution (default :data:`DPI`, twice the display resolution).
        ncols, nrows: passed to :meth:`~matplotlib.figure.Figure.subplots`.
        layout: ``"constrained"`` (tidy, but it costs time on every draw) or ``None`` (place the axes
            yourself, e.g. with ``fig.subplots_adjust``: the fastest for live explorers).
        **kw: further keyword arguments for ``subplots`` (e.g. ``gridspec_kw``).

    Returns:
        ``(fig, axes)`` as :meth:`~matplotlib.figure.Figure.subplots` returns them; ``fig`` is a
        :class:`SharpFigure`.
    """
    fig = SharpFigure(figsize=(width, height), dpi=DPI if dpi is None else dpi, layout=layout)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows=nrows, ncols=ncols, **kw)
    return fig, axes


def _png_size(png: bytes) -> tuple[int, int] | None:
    if png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) >= 24:
        return struct.unpack(">II", png[16:24])
    return None


def png_display_width(png: bytes) -> int | None:
    """The CSS width a PNG is meant to be shown at: its pixel width × :data:`DISPLAY_DPI` / its resolution
    (the ``pHYs`` chunk; a PNG without one is shown 1:1). None if it is not a PNG."""
    size = _png_size(png)
    if size is None:
        return None
    at = png.find(b"pHYs", 0, 4096)
    if at >= 0 and png[at + 12] == 1:  # unit: metre
        ppm = struct.unpack(">I", png[at + 4: at + 8])[0]
        dpi = ppm * 0.0254
        if dpi > 0:
            return max(1, round(size[0] * DISPLAY_DPI / dpi))
    return size[0]


def encode_png(rgba, colors: int | None = None, dpi: float = DPI) -> bytes:
    """An (H, W, 3 or 4) uint8 picture as PNG bytes, with its resolution recorded (``pHYs``).

    Args:
        rgba: the pixels (the alpha channel, if any, is dropped: figures are opaque).
        colors: None: full colour, fast (zlib level 1: what a live explorer needs); an int (2–256): a
            palette of that many colours, about 3× smaller (what a static page needs).
        dpi: the resolution to record (:func:`png_display_width` reads it back).
    """
    from PIL import Image

    a = np.asarray(rgba)
    if colors is None:
        return _png_rgb(a, dpi)
    colors = as_int(colors, "colors", 2)
    if colors > 256:
        raise ValueError(f"colors must be between 2 and 256, got {colors}")
    img = Image.fromarray(np.ascontiguousarray(a[..., :3]))
    out = io.BytesIO()
    pal = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    pal.save(out, format="png", compress_level=9, dpi=(round(dpi), round(dpi)))
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_rgb(a: np.ndarray, dpi: float) -> bytes:
    """A full-colour PNG written directly: no row filter and zlib level 1, about twice as fast as Pillow's
    adaptive filtering for a figure (mostly flat colour), for files ~15 % larger."""
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.dtype != np.uint8:
        raise ValueError(f"pixels must be (H, W, 3 or 4) uint8, got {a.shape} {a.dtype}")
    h, w = a.shape[:2]
    rows = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "none" for every row
    rows[:, 1:].reshape(h, w, 3)[...] = a[..., :3]
    ppm = round(dpi / 0.0254)  # pixels per metre
    return (b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + _png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
            + _png_chunk(b"IDAT", zlib.compress(rows.data, 1))
            + _png_chunk(b"IEND", b""))


def figure_pixels(fig) -> np.ndarray:
    """Draw ``fig`` (Agg) and return its pixels, (H, W, 4) uint8 (a view valid until the next draw)."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    with figure_language.translated_texts(fig):  # the Chinese edition's second drawing (twin_outputs)
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())


def figure_png(fig, colors: int | None = 128) -> bytes:
    """A figure as PNG bytes at the figure's resolution, by default reduced to a palette of ``colors``
    colours (about 3× smaller: static explorers store one PNG per state in the page). ``colors=None``
    keeps full colour and encodes fast (live explorers).

    Raises:
        ValueError: colors not between 2 and 256.
    """
    png = encode_png(figure_pixels(fig), colors=colors, dpi=fig.dpi)
    if getattr(fig, "number", None) is not None:  # made with pyplot: release it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return png


def sharp_png(fig):
    """The notebook display of a figure: ``(base64 PNG, {"width", "height"})``, the PNG at the figure's
    resolution (SCALE times the display pixels), the sizes in CSS pixels, cropped to what is drawn (as
    matplotlib's inline backend does). IPython uses it for every :class:`SharpFigure` (registered when
    this module is imported in IPython)."""
    from binascii import b2a_base64

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches="tight", pad_inches=0.04,
                metadata={"Software": None}, facecolor="white")
    png = buf.getvalue()
    w, h = _png_size(png)
    ratio = DISPLAY_DPI / fig.dpi
    # rounded down: the PNG always has at least SCALE pixels per displayed pixel
    meta = {"width": max(1, int(w * ratio)), "height": max(1, int(h * ratio))}
    return b2a_base64(png, newline=False).decode("ascii"), meta


def _register_ipython() -> bool:
    """Show :class:`SharpFigure` with :func:`sharp_png` in a running IPython (ahead of the inline backend's
    own PNG formatter, which would show it at its pixel size). Returns whether a shell was found."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["image/png"].for_type(SharpFigure, sharp_png)
    return True


_register_ipython()


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


def _cell_label(v: float, fmt: str) -> str:
    """One cell's number as printed: ``fmt`` applied, a tiny negative rounded to zero shown as "0"."""
    text = fmt.format(v)
    if text.startswith("-"):  # "-0.0": a tiny negative number rounded to zero shows as "0.0"
        try:
            if float(text) == 0:
                text = text[1:]
        except ValueError:
            pass
    return text


def _ink(v: float, colormap, vmin, vmax) -> str:
    """Black on light cells, white on dark ones (luma of the colour ``colormap`` gives ``v``)."""
    if colormap is not None and vmin is not None and vmax is not None and vmax > vmin:
        r, g, b, _ = colormap((v - vmin) / (vmax - vmin))
        if 0.299 * r + 0.587 * g + 0.114 * b < 0.5:
            return "white"
    return "black"


def annotate_cells(ax, values, fmt: str = "{:.2g}", fontsize: float = SMALL, cmap=None, vmin=None, vmax=None) -> None:
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
        ax.text(j, i, _cell_label(v, fmt), ha="center", va="center", fontsize=fontsize,
                color=_ink(v, colormap, vmin, vmax))


class CellNumbers:
    """Numbers printed in the cells of an image, updated in place: a fixed pool, nothing made per update.

    In a live :class:`LiveFigure` the numbers are pasted into the finished pixels from glyphs rasterised
    once (:class:`cnnlib.images.Glyphs`): matplotlib would lay out and rasterise each text anew on every
    update, about a millisecond apiece. Otherwise (a one-off figure) they are ordinary text artists.

    Args:
        ax: the axes holding the image.
        capacity: the most cells ever numbered at once (e.g. 64 for an 8×8 grid).
        live: the :class:`LiveFigure` the axes belong to, if any.
        fontsize: text size in points.
    """

    def __init__(self, ax, capacity: int, live: LiveFigure | None = None, fontsize: float = SMALL):
        self.ax = ax
        self.capacity = int(capacity)
        self.cells: list = []  # (x, y, text, colour), data coordinates
        if live is not None and live.live:
            from .images import Glyphs

            self.glyphs = Glyphs.shared(fontsize, dpi=round(ax.figure.dpi))
            self.texts = []
            live.paint_over(self._paint)
        else:
            self.texts = [ax.text(0, 0, "", ha="center", va="center", fontsize=fontsize, visible=False)
                          for _ in range(self.capacity)]

    def show(self, values, fmt: str = "{:.2g}", offset=(0.0, 0.0), cmap=None, vmin=None, vmax=None) -> None:
        """Print ``values`` (H, W) with cell (i, j) centred at ``(j + offset[0], i + offset[1])``; the colour
        rule is :func:`annotate_cells`'s. Cells beyond ``values.size`` are blank.

        Raises:
            ValueError: more values than the pool holds.
        """
        import matplotlib

        values = _as_2d(values, "values")
        if values.size > self.capacity:
            raise ValueError(f"values has {values.size} cells, more than this pool's {self.capacity}")
        colormap = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
        self.cells = [(j + offset[0], i + offset[1], _cell_label(v, fmt), _ink(v, colormap, vmin, vmax))
                      for (i, j), v in np.ndenumerate(values)]
        for t, (x, y, text, ink) in zip(self.texts, self.cells, strict=False):
            t.set_position((x, y))
            t.set_text(text)
            t.set_color(ink)
            t.set_visible(True)
        for t in self.texts[len(self.cells):]:
            t.set_visible(False)

    def hide(self) -> None:
        self.cells = []
        for t in self.texts:
            t.set_visible(False)

    def _paint(self, pixels) -> None:
        if not self.cells or not self.ax.get_visible():
            return
        xy = self.ax.transData.transform([(x, y) for x, y, _, _ in self.cells])
        height = pixels.shape[0]
        rgb = pixels[..., :3]
        for (px, py), (_, _, text, ink) in zip(xy, self.cells, strict=True):
            colour = (255, 255, 255) if ink == "white" else (0, 0, 0)
            self.glyphs.draw(rgb, text, px, height - py, ha="center", va="center", colour=colour)


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
        fontsize: size of the printed numbers (default :data:`SMALL`).
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
            fontsize = SMALL
        annotate_cells(ax, k, fmt=fmt, fontsize=fontsize, cmap=SIGNED_CMAP, vmin=-vmax, vmax=vmax)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=SMALL)
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
            cb.ax.tick_params(labelsize=SMALL)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=SMALL)
    return im


#: Width of the text column in inches (688 CSS pixels): the grids fit in it by default.
COLUMN_WIDTH = 7.0


def _grid_shape(n: int, ncols: int | None, panel: float = 1.0) -> tuple[int, int]:
    """Rows and columns of a grid; by default as many columns (up to 8) as fit in the text column."""
    fit = max(1, int((COLUMN_WIDTH - 0.6) // panel))
    ncols = min(n, 8, fit) if ncols is None else as_int(ncols, "ncols", 1)
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
    extra = 0.5 if colorbar and shared else 0.45 * colorbar
    nrows, ncols = _grid_shape(len(imgs), ncols, size + extra * (not shared))
    fig, axes = new_figure(ncols * (size + extra * (not shared)) + extra * shared,
                           nrows * (size + 0.2 * (titles is not None)) + 0.3 * bool(suptitle),
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
        cb.ax.tick_params(labelsize=SMALL)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
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
    nrows, ncols = _grid_shape(len(kernels), ncols, size)
    vmax = float(np.abs(kernels).max()) or 1.0
    fig, axes = new_figure(ncols * size + 0.6, nrows * (size + 0.2) + 0.3 * bool(suptitle), ncols=ncols, nrows=nrows,
                           squeeze=False)
    im = None
    for idx, ax in enumerate(axes.ravel()):
        if idx >= len(kernels):
            ax.set_axis_off()
            continue
        # a number needs about 23 points of cell at 9 points: smaller cells show colours only
        fits = size * 72 / max(kernels.shape[1:]) >= 23
        im = show_kernel(ax, kernels[idx], title=f"filter {idx}", fmt=fmt, vmax=vmax, numbers=numbers and fits)
    cb = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, aspect=20)
    cb.ax.tick_params(labelsize=SMALL)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
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


class LiveFigure:
    """A figure drawn once and updated in place, for live explorers (no new figure per update).

    Static parts (axes, ticks, labels, colour bars, fixed curves) are drawn once per *layout key* and kept
    as pixels; the *moving* artists (``animated``: lines, markers, images, texts whose data change) are
    updated by the caller (``set_data``, ``set_array``, ``set_text``) and redrawn over that background on
    every update. An explorer's ``render`` updates the artists, sets :attr:`key` if something static
    changed (e.g. an axis range), and returns the LiveFigure; the framework calls :meth:`to_png`.

    Args:
        fig: a figure from :func:`new_figure` (``layout=None`` or constrained: the layout is computed at
            the first draw of each key and then frozen).
        max_backgrounds: how many layout keys to keep (oldest dropped first).
        live: False makes nothing animated, so ``fig`` is an ordinary figure (same drawing code for a
            one-off picture and a live explorer).
    """

    def __init__(self, fig, max_backgrounds: int = 16, live: bool = True):
        self.fig = fig
        self.live = bool(live)  # False: a plain figure (nothing animated), e.g. for a one-off picture
        self.key = None
        self._moving: list = []
        self._frames: list = []  # spines of the axes holding moving artists, drawn over them
        self._painters: list = []  # functions that paint into the finished pixels (see paint_over)
        self._laid_out = False  # see freeze_layout
        self._backgrounds: dict = {}
        self._max = int(max_backgrounds)
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)

    def moving(self, *artists):
        """Mark artists as redrawn on every update; returns the first one (handy for ``line = lf.moving(...)``).

        The frame (spines) of each moving artist's axes is redrawn after the moving artists, so an image
        that reaches its axes' edge does not paint over the frame."""
        from matplotlib.axes import Axes

        for a in artists:
            a.set_animated(self.live)
            self._moving.append(a)
            ax = a if isinstance(a, Axes) else getattr(a, "axes", None)
            if self.live and ax is not None:
                for spine in ax.spines.values():
                    if spine not in self._frames:
                        spine.set_animated(True)
                        self._frames.append(spine)
        return artists[0] if artists else None

    def paint_over(self, painter) -> None:
        """Call ``painter(pixels)`` after every update's drawing, with the (H, W, 4) uint8 pixels to paint
        into in place (e.g. numbers pasted from glyphs: :class:`CellNumbers`). Only in live mode."""
        self._painters.append(painter)

    def freeze_layout(self) -> None:
        """Lay the figure out now with every artist counted (a layout engine skips animated ones, so a
        moving title or colour bar would get no room), then keep those positions for good. Called by the
        first :meth:`pixels`; call it yourself so a one-off figure (``live=False``) gets the same layout."""
        if self._laid_out or self.fig.get_layout_engine() is None:
            return
        self._laid_out = True
        artists = self._moving + self._frames
        for a in artists:
            a.set_animated(False)
        self.fig.canvas.draw()
        self.fig.set_layout_engine("none")
        for a in artists:
            a.set_animated(self.live)

    def invalidate(self) -> None:
        """Forget the cached backgrounds (call after changing a static part without changing :attr:`key`)."""
        self._backgrounds.clear()

    def pixels(self) -> np.ndarray:
        """Draw (background from cache when possible, then the moving artists); (H, W, 4) uint8 view."""
        with figure_language.translated_texts(self.fig):  # the Chinese edition's second drawing (twin_outputs)
            return self._pixels()

    def _pixels(self) -> np.ndarray:
        canvas = self.fig.canvas
        if not self.live:  # an ordinary figure: nothing is cached, every call draws it whole
            canvas.draw()
            return np.asarray(canvas.buffer_rgba())
        self.freeze_layout()
        key = (self.key, figure_language.is_speaking())  # a background drawn in English is not the Chinese one
        bg = self._backgrounds.get(key)
        if bg is None:
            # animated artists are skipped: this is the background. Matplotlib < 3.9 still draws animated
            # images there (Axes.draw kept them), so a moving image is hidden while the background is drawn.
            images = [a for a in self._moving if isinstance(a, AxesImage) and a.get_visible()]
            for a in images:
                a.set_visible(False)
            canvas.draw()
            for a in images:
                a.set_visible(True)
            if len(self._backgrounds) >= self._max:
                self._backgrounds.pop(next(iter(self._backgrounds)))
            bg = self._backgrounds[key] = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(bg)
        for a in self._moving:
            if a.get_visible() and (a.axes is None or a.axes.get_visible()):
                self.fig.draw_artist(a)
        for spine in self._frames:  # as Axes.draw would: only for axes shown with their frame
            ax = spine.axes
            if spine.get_visible() and ax.get_visible() and ax.axison and ax.get_frame_on():
                self.fig.draw_artist(spine)
        pixels = np.asarray(canvas.buffer_rgba())
        for paint in self._painters:
            paint(pixels)
        return pixels

    def to_png(self, compact: bool = False) -> bytes:
        """The current picture as PNG (fast full colour; ``compact``: a palette PNG for static pages)."""
        return encode_png(self.pixels(), colors=128 if compact else None, dpi=self.fig.dpi)
