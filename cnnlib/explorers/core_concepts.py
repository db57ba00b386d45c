"""Chapters 1 and 2: the parts of a CNN, each with the pure computation behind its picture and an explorer.

Pure computations (tested, usable without widgets):

* :func:`parse_kernel` — nine numbers (e.g. from nine text boxes) as a checked 3×3 kernel;
* :func:`rgb_convolution_parts` — a multi-channel convolution split into its per-channel sums;
* :func:`pool_windows`, :func:`max_pool_sources`, :func:`uncovered_cells` — where each pooled value came from;
* :func:`activation` — an activation function and its derivative;
* :func:`binary_losses` — cross-entropy and squared error for a predicted probability, with gradients;
* :func:`gradient_descent` and :data:`SURFACES` — a gradient-descent path on a 2-D loss surface;
* :func:`tiny_network` — the chain rule on a two-weight network, every intermediate number;
* :func:`dense_head` — flatten → linear → softmax of a trained CNN on one image.

Explorers (each ``*_explorer()`` returns something a notebook cell shows by ending with it):
:func:`kernel_explorer` (editable 3×3 kernel live, presets static), :func:`rgb_explorer`,
:func:`pooling_explorer`, :func:`dense_explorer`, :func:`activation_explorer`, :func:`loss_explorer`,
:func:`gradient_descent_explorer` and, for chapter 1, :func:`feature_map_explorer`.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import data, twin_outputs, viz
from .. import functional as F
from .._checks import as_int, as_pair
from ..widgets import Choice, Explorer, FloatRange, IntRange, _set_png, default_mode, explorer_frame, new_figure, tr
from .convolution import INPUTS, _input

__all__ = [
    "parse_kernel",
    "render_kernel",
    "KernelEditor",
    "kernel_explorer",
    "closest_preset",
    "RGB_KERNELS",
    "rgb_convolution_parts",
    "render_rgb",
    "rgb_explorer",
    "pool_windows",
    "max_pool_sources",
    "uncovered_cells",
    "POOL_INPUTS",
    "render_pooling",
    "pooling_explorer",
    "ACTIVATIONS",
    "activation",
    "render_activation",
    "activation_explorer",
    "binary_losses",
    "render_losses",
    "loss_explorer",
    "Surface",
    "SURFACES",
    "gradient_descent",
    "render_gradient_descent",
    "gradient_descent_explorer",
    "tiny_network",
    "dense_head",
    "dense_explorer",
    "digit_examples",
    "feature_map_explorer",
]


# =========================================================================== 2.1 convolution, editable kernel


def parse_kernel(values, size: int = 3) -> np.ndarray:
    """``size·size`` numbers (row by row, e.g. from nine number boxes) as a (size, size) float64 kernel.

    Raises:
        ValueError: wrong count, or a value that is not a finite number.
    """
    try:
        k = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"kernel values must be numbers, got {values!r}") from exc
    if k.size != size * size:
        raise ValueError(f"kernel needs {size * size} values ({size}×{size}), got {k.size}")
    if not np.all(np.isfinite(k)):
        raise ValueError(f"kernel values must be finite numbers, got {k.tolist()}")
    return k.reshape(size, size)


class _KernelView:
    """The editable-kernel explorer's figure, built once (fixed margins, the colour bar in its own axes):
    input, kernel numbers, output and colour scale updated in place."""

    def __init__(self, live: bool = True):
        fig, axes = new_figure(6.0, 2.2, ncols=3, layout=None, gridspec_kw={"width_ratios": [1, 0.75, 1]})
        fig.subplots_adjust(left=0.01, right=0.88, bottom=0.03, top=0.88, wspace=0.12)
        self.lf = lf = viz.LiveFigure(fig, live=live)
        self.axes = axes
        z = np.zeros((3, 3))
        self.im_x = lf.moving(viz.show_image(axes[0], z, " ", vmin=0, vmax=1, cmap="gray"))
        self.im_k = lf.moving(viz.show_kernel(axes[1], z, "kernel (weights)", numbers=False))
        self.numbers = viz.CellNumbers(axes[1], 9, live=lf)
        self.im_y = lf.moving(viz.show_image(axes[2], z, " "))
        self.titles = [lf.moving(axes[0].title), lf.moving(axes[2].title)]
        cax = fig.add_axes((0.895, 0.1, 0.014, 0.7))
        cb = fig.colorbar(self.im_y, cax=cax)
        cb.ax.tick_params(labelsize=viz.SMALL)
        lf.moving(cax)  # its ticks follow the output's colour limits
        if live:
            for name in INPUTS:  # load the inputs now, not at a reader's first click on one
                _input(name)

    def __call__(self, image: str, kernel):
        k = parse_kernel(kernel)
        x = _input(image)
        y = F.conv2d(x[None, None], k[None, None], padding=1)[0, 0]
        vmax = float(np.abs(k).max()) or 1.0
        cmap, lo, hi = viz.color_limits(y)
        self.im_x.set_data(x)
        self.im_k.set_data(k)
        self.im_k.set_clim(-vmax, vmax)
        self.numbers.show(k, cmap=viz.SIGNED_CMAP, vmin=-vmax, vmax=vmax)
        self.im_y.set_data(y)
        self.im_y.set_cmap(cmap)
        self.im_y.set_clim(lo, hi)
        for ax, im, a in zip(self.axes, (self.im_x, self.im_k, self.im_y), (x, k, y), strict=True):
            im.set_extent((-0.5, a.shape[1] - 0.5, a.shape[0] - 0.5, -0.5))
            ax.set_xlim(-0.5, a.shape[1] - 0.5)
            ax.set_ylim(a.shape[0] - 0.5, -0.5)
            ax.apply_aspect()
        self.titles[0].set_text(f"input {x.shape[0]}×{x.shape[1]}")
        self.titles[1].set_text(f"output {y.shape[0]}×{y.shape[1]}")
        self.lf.key = image  # the input's shape sets the panels' boxes
        caption = (f"kernel sum {k.sum():.3g} (1 keeps the brightness, 0 keeps only changes); "
                   f"output from {y.min():.2f} to {y.max():.2f}")
        return self.lf, caption


def render_kernel(image: str, kernel):
    """Input, kernel (numbers printed) and output of a 'same' convolution (padding 1), with colour bars.

    Args:
        image: one of :data:`cnnlib.explorers.convolution.INPUTS`.
        kernel: 3×3 numbers.

    Returns:
        ``(figure, caption)``.

    Raises:
        ValueError: unknown image or a bad kernel.
    """
    lf, caption = _KernelView(live=False)(image, kernel)
    return lf.fig, caption


class KernelEditor:
    """The convolution with an editable 3×3 kernel.

    Live (a kernel is running): a preset menu, the input, and nine number boxes holding the kernel;
    picking a preset fills the boxes, editing a box recomputes the output. Static (the built book):
    the presets only, precomputed (:class:`~cnnlib.widgets.Explorer` cannot offer free numbers).

    Args:
        presets: name → 3×3 kernel (default :data:`cnnlib.data.KERNELS`).
        static_presets: the presets precomputed for the static page.
        title: heading shown above the controls.
    """

    def __init__(self, presets=None, static_presets: Sequence[str] | None = None, title: str | None = None):
        self.presets = {n: parse_kernel(k) for n, k in (presets or data.KERNELS).items()}
        self.static_presets = list(static_presets or self.presets)
        unknown = [n for n in self.static_presets if n not in self.presets]
        if unknown:
            raise ValueError(f"static_presets {unknown} are not among the presets {list(self.presets)}")
        self.title = title
        self.widget = None
        self.view = _KernelView()  # one figure for every update, live or precomputed

    def static_explorer(self) -> Explorer:
        """The presets-only explorer used in static mode: titled and captioned as presets (the page cannot
        offer the editable grid without a kernel)."""
        title = None if self.title is None else f"{tr(self.title)}: {tr('kernel presets')}"
        return Explorer(
            controls={
                "image": Choice(list(INPUTS), label="input", style="buttons", static=["photo"]),
                "preset": Choice(list(self.presets), "sobel x", label="kernel", style="dropdown",
                                 static=self.static_presets),
            },
            render=lambda image, preset: self.view(image, self.presets[preset]),
            caption=lambda image, preset: tr("Presets only here: run this page live (button at the top) to type "
                                             "your own nine numbers."),
            title=title,
        )

    def render_state(self, image: str = "photo", kernel=None):
        """One live update (render plus PNG): the output for ``image`` and nine kernel numbers."""
        from ..widgets import Rendered, _message_html

        kernel = self.presets["sobel x"] if kernel is None else kernel
        try:
            lf, text = self.view(image, kernel)
        except ValueError as exc:
            return Rendered(message=_message_html(exc))
        return Rendered(png=lf.to_png(), caption=html.escape(text))

    @twin_outputs.bilingual
    def build(self, mode: str | None = None):
        """The widget in ``mode`` (``None``: :func:`cnnlib.widgets.default_mode`)."""
        mode = default_mode() if mode is None else mode
        if mode == "static":
            self.widget = self.static_explorer().build("static")
        elif mode == "live":
            self.widget = self._build_live()
        else:
            raise ValueError(f"mode must be 'live', 'static' or None, got {mode!r}")
        return self.widget

    def show(self, mode: str | None = None) -> None:
        from IPython.display import display

        display(self.build(mode))

    def _ipython_display_(self):
        self.show()

    def _build_live(self):
        import ipywidgets as widgets

        from ..widgets import DESCRIPTION_WIDTH

        preset = Choice(list(self.presets), "sobel x", label="preset", style="dropdown").make_widget("preset")
        image = Choice(list(INPUTS), label="input", style="buttons").make_widget("image")
        boxes = [widgets.FloatText(step=0.1, layout=widgets.Layout(width="70px")) for _ in range(9)]
        for b in boxes:
            b.add_class("explorer-control-kernel")
        grid = widgets.GridBox(boxes, layout=widgets.Layout(grid_template_columns="repeat(3, 74px)"))
        picture = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        caption = widgets.HTML()
        busy = {"filling": False}

        def update(_change=None):
            if busy["filling"]:
                return
            r = self.render_state(image.value, [b.value for b in boxes])
            if r.message:
                caption.value = r.message
                return
            _set_png(picture, r.png)  # at half its pixels: sharp on HiDPI, never stretched
            caption.value = f'<span style="font-family:monospace;font-size:90%">{r.caption}</span>'

        def fill(_change=None):
            busy["filling"] = True
            for b, v in zip(boxes, self.presets[preset.value].ravel(), strict=True):
                b.value = round(float(v), 4)
            busy["filling"] = False
            update()

        preset.observe(fill, names="value")
        image.observe(update, names="value")
        for b in boxes:
            b.observe(update, names="value")
        fill()
        label = widgets.HTML(f'<span style="display:inline-block;width:{DESCRIPTION_WIDTH};text-align:right;'
                             f'padding-right:8px">{html.escape(tr("kernel weights (edit me)"))}</span>')
        output = widgets.VBox([picture, caption])
        box = explorer_frame(self.title, [image, preset, widgets.HBox([label, grid])], output)
        box._explorer_update = update
        box._explorer_controls = {"preset": preset, "image": image, "kernel": boxes}
        return box


def kernel_explorer(title: str | None = "Your own kernel") -> KernelEditor:
    """Chapter 2.1: an editable 3×3 kernel (live) beside the presets (static: four presets on the photo)."""
    return KernelEditor(static_presets=["sharpen", "sobel y", "outline", "emboss"],
                        title=title)


def closest_preset(kernel, presets=None) -> tuple[str, float]:
    """The named kernel most like ``kernel`` (largest absolute cosine similarity), and that cosine.

    A negative cosine means "the same pattern with the opposite sign" (e.g. a dark-to-bright edge
    detector instead of bright-to-dark); ±1 is an exact match up to scale.

    Args:
        kernel: a kernel (any shape matching the presets).
        presets: name → kernel (default :data:`cnnlib.data.KERNELS`).

    Raises:
        ValueError: an all-zero kernel, or shapes that differ.
    """
    presets = data.KERNELS if presets is None else presets
    k = np.asarray(kernel, dtype=np.float64).ravel()
    if not np.any(k):
        raise ValueError("kernel must not be all zeros: it matches every pattern equally")
    best = ("", 0.0)
    for name, p in presets.items():
        p = np.asarray(p, dtype=np.float64).ravel()
        if p.shape != k.shape:
            raise ValueError(f"kernel has {k.size} values but preset {name!r} has {p.size}")
        cos = float(k @ p / (np.linalg.norm(k) * np.linalg.norm(p)))
        if abs(cos) > abs(best[1]):
            best = (name, cos)
    return best


# =========================================================================== 2.1 several channels


def _rgb_kernels():
    sobel = data.KERNELS["sobel x"]
    centre = np.zeros((3, 3))
    centre[1, 1] = 1.0
    grey = np.array([0.299, 0.587, 0.114])
    out = {
        "edges in brightness": grey[:, None, None] * sobel,
        "edges in red only": np.stack([sobel, 0 * sobel, 0 * sobel]),
        "red minus blue": np.stack([centre, 0 * centre, -centre]),
        "green, ignore the rest": np.stack([0 * centre, centre, 0 * centre]),
    }
    for v in out.values():
        v.setflags(write=False)
    return out


#: (3, 3, 3) kernels (input channel R, G, B; then 3×3) for the multi-channel demonstration.
RGB_KERNELS = _rgb_kernels()


@functools.cache
def _rgb_photo(size: int = 48) -> np.ndarray:
    return np.ascontiguousarray(data.sample_image(size=size, rgb=True).transpose(2, 0, 1))  # (3, H, W)


def rgb_convolution_parts(image, kernel, bias: float = 0.0, padding: int = 1):
    """One output channel of a convolution over a multi-channel input, split into its
    per-channel parts.

    ``y = b + Σ_c (x_c ⋆ k_c)``: one kernel spans all C input channels; each channel
    is correlated with its own 2-D slice of the kernel and the C results are *summed*
    into a single map.

    Args:
        image: (C, H, W) input.
        kernel: (C, kh, kw), one 2-D slice per input channel.
        bias: the output channel's bias.
        padding: zero padding on each side.

    Returns:
        ``(parts, y)``: parts (C, H_out, W_out), the correlation of each channel with
        its slice; y (H_out, W_out) = parts.sum(0) + bias, equal to
        :func:`cnnlib.functional.conv2d` with weight ``kernel[None]``.

    Raises:
        ValueError: the channel counts differ or shapes are wrong.
    """
    x = np.asarray(image, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 3 or k.ndim != 3:
        raise ValueError("image must be (C, H, W) and kernel (C, kh, kw), "
                         f"got {x.shape} and {k.shape}")
    if x.shape[0] != k.shape[0]:
        raise ValueError("kernel must have one slice per input channel: "
                         f"image has {x.shape[0]} channels, kernel {k.shape[0]}")
    parts = np.stack([F.conv2d(x[None, c:c + 1], k[None, c:c + 1],
                               padding=padding)[0, 0] for c in range(len(x))])
    return parts, parts.sum(axis=0) + bias


class _RgbView:
    """The RGB explorer's figure, built once: the photo's channels never change; the kernel slices (and
    their numbers), the partial maps, the sum and the colour bar are updated in place."""

    NAMES = ("red", "green", "blue")

    def __init__(self, live: bool = True):
        x = _rgb_photo()
        fig, axes = new_figure(6.4, 4.3, ncols=4, nrows=3)
        self.lf = lf = viz.LiveFigure(fig, live=live)
        cmaps = ("Reds_r", "Greens_r", "Blues_r")
        zero = np.zeros((3, 3))
        zmap = np.zeros(x.shape[1:])
        self.k_im, self.k_num, self.parts = [], [], []
        for c in range(3):
            viz.show_image(axes[0, c], x[c], f"input: {self.NAMES[c]}", cmap=cmaps[c], vmin=0, vmax=1)
            self.k_im.append(lf.moving(viz.show_kernel(axes[1, c], zero, f"kernel slice {c} ({self.NAMES[c]})",
                                                       vmax=1.0, numbers=False)))
            self.k_num.append(viz.CellNumbers(axes[1, c], 9, live=lf))
            self.parts.append(lf.moving(viz.show_image(axes[2, c], zmap, f"{self.NAMES[c]} ⋆ slice {c}",
                                                       cmap=viz.SIGNED_CMAP, vmin=-1, vmax=1)))
        viz.show_image(axes[0, 3], x.transpose(1, 2, 0), "the RGB photo")
        axes[1, 3].set_axis_off()
        axes[1, 3].text(0.5, 0.5, "one kernel\n(3, 3, 3)\nspans all\n3 channels", ha="center", va="center",
                        fontsize=9, transform=axes[1, 3].transAxes)
        # the layout is computed once, with these limits: one-decimal tick labels ("−2.0") leave room for
        # the widest label any kernel gives ("−2.5")
        self.sum = lf.moving(viz.show_image(axes[2, 3], zmap, "sum = ONE output map", cmap=viz.SIGNED_CMAP,
                                            vmin=-2.5, vmax=2.5))
        cb = fig.colorbar(self.sum, ax=axes[2, :].tolist(), shrink=0.8, aspect=15, format="{x:.1f}")
        cb.ax.tick_params(labelsize=9)
        lf.moving(cb.ax)  # its ticks follow the colour limits
        lf.freeze_layout()  # lay out now, live or not, so both faces of the explorer draw the same picture

    def __call__(self, kernel: str):
        if kernel not in RGB_KERNELS:
            raise ValueError(f"kernel must be one of {list(RGB_KERNELS)}, got {kernel!r}")
        k = RGB_KERNELS[kernel]
        parts, y = rgb_convolution_parts(_rgb_photo(), k)
        kmax = float(np.abs(k).max()) or 1.0
        _, lo, hi = viz.color_limits(np.concatenate([parts.ravel(), y.ravel()]), symmetric=True)
        for c in range(3):
            self.k_im[c].set_data(k[c])
            self.k_im[c].set_clim(-kmax, kmax)
            self.k_num[c].show(k[c], cmap=viz.SIGNED_CMAP, vmin=-kmax, vmax=kmax)
            self.parts[c].set_data(parts[c])
            self.parts[c].set_clim(lo, hi)
        self.sum.set_data(y)
        self.sum.set_clim(lo, hi)  # the colour bar listens to this image
        return self.lf, f"output shape {y.shape[0]}×{y.shape[1]}: three channels in, one map out (per kernel)"


def render_rgb(kernel: str):
    """The photo's three channels, the three slices of one (3, 3, 3) kernel, the three partial maps and
    their sum — the single output channel of that kernel. Returns ``(figure, caption)``."""
    lf, caption = _RgbView(live=False)(kernel)
    return lf.fig, caption


def rgb_explorer(title: str | None = "One kernel, three channels") -> Explorer:
    """Chapter 2.1: a (3, 3, 3) kernel on an RGB photo, channel by channel, and the sum (4 states)."""
    return Explorer(controls={"kernel": Choice(list(RGB_KERNELS), label="kernel", style="dropdown")},
                    render=_RgbView(), title=title)


# =========================================================================== 2.2 pooling


def pool_windows(shape, kernel_size, stride=None) -> np.ndarray:
    """Top-left corners of the pooling windows (no padding).

    Args:
        shape: (H, W) of the input.
        kernel_size, stride: ints or (h, w) pairs; ``stride=None`` means ``kernel_size``.

    Returns:
        (H_out, W_out, 2) int array: ``[i, j] = (row, col)`` of the window of output (i, j).

    Raises:
        ValueError: the window is larger than the input, or a size is not a positive integer.
    """
    h, w = as_pair(shape, "shape", 1)
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    sh, sw = (kh, kw) if stride is None else as_pair(stride, "stride", 1)
    ho, wo = F.conv_output_size(h, kh, sh), F.conv_output_size(w, kw, sw)
    rows, cols = np.meshgrid(np.arange(ho) * sh, np.arange(wo) * sw, indexing="ij")
    return np.stack([rows, cols], axis=-1)


def max_pool_sources(x, kernel_size, stride=None) -> np.ndarray:
    """For max pooling of the 2-D array x: the input cell each output value came from.

    Ties go to the first maximum in row-major order, as in :func:`cnnlib.functional.max_pool2d` and PyTorch.

    Returns:
        (H_out, W_out, 2) int array of (row, col) in x; ``x[src[..., 0], src[..., 1]]`` equals
        ``max_pool2d(x)``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (H, W), got shape {x.shape}")
    corners = pool_windows(x.shape, kernel_size, stride)
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    src = np.empty_like(corners)
    for (i, j), _ in np.ndenumerate(corners[..., 0]):
        r, c = corners[i, j]
        flat = int(np.argmax(x[r:r + kh, c:c + kw]))
        src[i, j] = (r + flat // kw, c + flat % kw)
    return src


def uncovered_cells(shape, kernel_size, stride=None) -> np.ndarray:
    """(H, W) bool: True for input cells that no pooling window covers (stride larger than the window,
    or rows/columns left over at the border) — pooling never looks at them."""
    h, w = as_pair(shape, "shape", 1)
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    seen = np.zeros((h, w), dtype=bool)
    for r, c in pool_windows((h, w), kernel_size, stride).reshape(-1, 2):
        seen[r:r + kh, c:c + kw] = True
    return ~seen


@functools.cache
def _pool_input(name: str) -> np.ndarray:
    if name == "numbers 7×7":
        return np.random.default_rng(3).integers(0, 10, size=(7, 7)).astype(np.float64)
    if name == "digit 8×8":
        return digit_examples()[0][4, 0].astype(np.float64) * 16  # the digit's original 0..16 grey levels
    raise ValueError(f"input must be one of {POOL_INPUTS}, got {name!r}")


#: Inputs of the pooling explorer.
POOL_INPUTS = ("numbers 7×7", "digit 8×8")


def _colors(n: int):
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _boxes(x0, y0, side) -> np.ndarray:
    """Squares with corners (x0, y0) and sides ``side`` (arrays or numbers): (n, 4, 2) vertices."""
    x0, y0, side = np.broadcast_arrays(np.atleast_1d(x0), np.atleast_1d(y0), np.atleast_1d(side))
    return np.stack([np.stack([x0, y0], -1), np.stack([x0 + side, y0], -1),
                     np.stack([x0 + side, y0 + side], -1), np.stack([x0, y0 + side], -1)], axis=1)


class _PoolingView:
    """The pooling explorer's figure, built once. The output is drawn at the input's cell size, centred in a
    box as large as the input's, so the axes never move; numbers, frames and hatching come from fixed pools
    updated in place."""

    CELLS = 64  # the largest input, 8×8: the most numbers either panel prints

    def __init__(self, live: bool = True):
        from matplotlib.collections import PolyCollection

        fig, axes = new_figure(6.0, 3.0, ncols=2, layout=None)
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.86, wspace=0.08)
        self.lf = lf = viz.LiveFigure(fig, live=live)
        self.ax_in, self.ax_out = axes
        z = np.zeros((2, 2))
        self.im_in = lf.moving(self.ax_in.imshow(z, cmap="Greys", interpolation="nearest"))
        self.im_out = lf.moving(self.ax_out.imshow(z, cmap="Greys", interpolation="nearest"))
        self.num_in = viz.CellNumbers(self.ax_in, self.CELLS, live=lf, fontsize=9)
        self.num_out = viz.CellNumbers(self.ax_out, self.CELLS, live=lf, fontsize=9)

        def boxes(ax, **kw):  # one collection of rectangles: one draw call, however many boxes
            return lf.moving(ax.add_collection(PolyCollection([], facecolors="none", **kw)))

        self.hatch = boxes(self.ax_in, hatch="///", edgecolors="0.6", linewidths=0)
        self.sources = boxes(self.ax_in)
        self.frames = boxes(self.ax_out, linewidths=2.5)
        self.titles = [lf.moving(ax.set_title(" ", fontsize=9)) for ax in axes]
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        self.ax_out.set_axis_off()
        if live:
            for name in POOL_INPUTS:  # load the digits now, not at a reader's first click on "digit 8×8"
                _pool_input(name)

    def __call__(self, image: str, mode: str, size: int, stride: int):
        if mode not in ("max", "avg"):
            raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
        x = _pool_input(image)
        pool = F.max_pool2d if mode == "max" else F.avg_pool2d
        y = pool(x[None, None], size, stride)[0, 0]  # raises ValueError if the window does not fit
        (h, w), (ho, wo) = x.shape, y.shape
        dx, dy = (w - wo) / 2, (h - ho) / 2  # the output's offset: centred in the input-sized box
        vmax = float(x.max()) or 1.0
        for ax, im, a, off in ((self.ax_in, self.im_in, x, (0.0, 0.0)), (self.ax_out, self.im_out, y, (dx, dy))):
            im.set_data(a)
            im.set_clim(0, vmax * 1.6)  # light greys: black numbers stay readable
            im.set_extent((off[0] - 0.5, off[0] + a.shape[1] - 0.5, off[1] + a.shape[0] - 0.5, off[1] - 0.5))
            ax.set_xlim(-0.5, w - 0.5)
            ax.set_ylim(h - 0.5, -0.5)
        self.num_in.show(x, fmt="{:.0f}")
        self.num_out.show(y, fmt="{:.0f}" if mode == "max" else "{:.1f}", offset=(dx, dy))
        self.titles[0].set_text(f"input {h}×{w}")
        self.titles[1].set_text(f"{mode} pool {size}×{size}, stride {stride} → {ho}×{wo}")

        colors = _colors(y.size)
        src = max_pool_sources(x, size, stride) if mode == "max" else pool_windows(x.shape, size, stride)
        side = 1 if mode == "max" else size
        n = np.arange(y.size)
        # several outputs may share a source cell or overlap: nest their frames
        inset = (0.08 + 0.1 * (n % 3)) if mode == "max" else (0.06 + 0.08 * (n % 3))
        i, j = np.divmod(n, wo)
        r, c = src[..., 0].ravel(), src[..., 1].ravel()
        self.frames.set_verts(_boxes(dx + j - 0.5, dy + i - 0.5, 1.0))
        self.frames.set_edgecolors(colors)
        self.sources.set_verts(_boxes(c - 0.5 + inset, r - 0.5 + inset, side - 2 * inset))
        self.sources.set_edgecolors(colors)
        self.sources.set_linewidths(2 if mode == "max" else 1.5)
        unseen = np.argwhere(uncovered_cells(x.shape, size, stride))
        self.hatch.set_verts(_boxes(unseen[:, 1] - 0.5, unseen[:, 0] - 0.5, 1.0))
        self.ax_in.apply_aspect()
        self.ax_out.apply_aspect()
        self.lf.key = image  # the input's frame depends on its shape

        what = "the cell holding its maximum" if mode == "max" else "the window it averages"
        caption = (f"each output cell and {what} share a colour; {len(unseen)} input cell(s) never looked at "
                   f"(hatched); output {ho}×{wo} = ⌊({h} − {size}) / {stride}⌋ + 1")
        return self.lf, caption


def render_pooling(image: str, mode: str, size: int, stride: int):
    """The input with every number, the pooled output (at the input's cell size), and for each output cell
    (matched by colour) the input cell it came from (max) or the window it averages (avg); grey hatching
    marks unseen cells. Returns ``(figure, caption)``."""
    lf, caption = _PoolingView(live=False)(image, mode, size, stride)
    return lf.fig, caption


def pooling_explorer(title: str | None = "Pooling explorer") -> Explorer:
    """Chapter 2.2: max or average pooling, window size and stride, with the source of every output value.

    Live: both inputs, sizes 1–4, strides 1–4; static: the 7×7 numbers, sizes 2–3, strides 1–3 (2 modes × 2 × 3
    = 12 states).
    """
    return Explorer(
        controls={
            "image": Choice(list(POOL_INPUTS), label="input", style="buttons", static=["numbers 7×7"]),
            "mode": Choice(["max", "avg"], style="buttons"),
            "size": IntRange(1, 4, value=2, label="window size", static=[2, 3]),
            "stride": IntRange(1, 4, value=2, static=[1, 2, 3]),
        },
        render=_PoolingView(),
        title=title,
    )


# =========================================================================== 2.4 activations


#: Activation functions offered by :func:`activation`.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky relu")


def activation(name: str, x, negative_slope: float = 0.1):
    """An activation function and its derivative, computed with :mod:`cnnlib.functional`.

    Args:
        name: one of :data:`ACTIVATIONS`.
        x: array of pre-activations.
        negative_slope: slope of leaky ReLU for x < 0 (0.1 here, so it can be seen; PyTorch uses 0.01).

    Returns:
        ``(f(x), f'(x))``, both shaped like x. At x = 0 ReLU's derivative is taken as 0 (as frameworks do).

    Raises:
        ValueError: unknown name.
    """
    x = np.asarray(x, dtype=np.float64)
    one = np.ones_like(x)
    if name == "sigmoid":
        y = F.sigmoid(x)
        return y, F.sigmoid_backward(one, y)
    if name == "tanh":
        y = F.tanh(x)
        return y, F.tanh_backward(one, y)
    if name == "relu":
        return F.relu(x), F.relu_backward(one, x)
    if name == "leaky relu":
        return F.leaky_relu(x, negative_slope), F.leaky_relu_backward(one, x, negative_slope)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


@functools.cache
def _edge_map() -> np.ndarray:
    """A signed feature map: vertical edges of the photo, scaled to [−1, 1]."""
    x = data.sample_image(size=64)
    y = F.conv2d(x[None, None], data.KERNELS["sobel x"][None, None], padding=1)[0, 0]
    return y / np.abs(y).max()


#: Colour limit of the activation explorer's feature maps: one fixed scale, so a bias shift shows.
_ACT_LIMIT = 2.5


class _ActivationView:
    """The activation explorer's figure, built once: curves and maps updated in place."""

    def __init__(self, live: bool = True):
        self.z = np.linspace(-4, 4, 401)
        fig, axes = new_figure(7.0, 2.6, ncols=3, gridspec_kw={"width_ratios": [1.3, 1, 1]})
        self.lf = lf = viz.LiveFigure(fig, live=live)
        ax = axes[0]
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        self.f = lf.moving(ax.plot(self.z, self.z, color="C0", label="f(x)")[0])
        self.df = lf.moving(ax.plot(self.z, self.z, color="C3", ls="--", label="slope f′(x)")[0])
        ax.set_ylim(-1.3, 2.0)
        ax.set_xlabel("x (pre-activation)", fontsize=9)
        ax.legend(fontsize=9, loc="upper left")
        ax.tick_params(labelsize=9)
        self.t0 = lf.moving(ax.set_title(" ", fontsize=10))
        m = _ACT_LIMIT
        zero = np.zeros_like(_edge_map())
        self.before = lf.moving(viz.show_image(axes[1], zero, " ", cmap=viz.SIGNED_CMAP, vmin=-m, vmax=m))
        self.after = lf.moving(viz.show_image(axes[2], zero, " ", cmap=viz.SIGNED_CMAP, vmin=-m, vmax=m))
        self.t1 = lf.moving(axes[1].title)
        self.t2 = lf.moving(axes[2].title)
        cb = fig.colorbar(self.after, ax=axes[1:].tolist(), shrink=0.8, aspect=15, extend="both")
        cb.ax.tick_params(labelsize=9)

    def __call__(self, function: str, bias: float):
        f, df = activation(function, self.z)
        self.f.set_ydata(f)
        self.df.set_ydata(df)
        self.t0.set_text(f"{function} and its slope")
        before = _edge_map() + bias
        after, slope = activation(function, before)
        self.before.set_data(before)
        self.after.set_data(after)
        self.t1.set_text(f"before: edges {bias:+g}")
        self.t2.set_text(f"after {function}")
        zero = float(np.mean(after == 0))
        small = float(np.mean(slope < 0.05))
        return self.lf, (f"after {function}: {zero:.0%} of the map is exactly 0; "
                         f"{small:.0%} of positions have slope < 0.05 (almost no gradient flows back there)")


def render_activation(function: str, bias: float):
    """Left: f and f′ on [−4, 4]. Right: a feature map (photo ⋆ sobel x, plus ``bias``) before and after f,
    on one fixed colour scale (±2.5). Returns ``(figure, caption)``."""
    if function not in ACTIVATIONS:
        raise ValueError(f"function must be one of {ACTIVATIONS}, got {function!r}")
    lf, caption = _ActivationView(live=False)(function, bias)
    return lf.fig, caption


def activation_explorer(title: str | None = "Activation explorer") -> Explorer:
    """Chapter 2.4: four activations with derivatives, and a feature map before/after.

    The bias runs from −3 to 3, covering the regimes that matter: a dead ReLU (bias −2: almost every
    value below zero) and a saturated sigmoid/tanh (bias +3: slope near 0 everywhere). Static: 4 functions ×
    bias {−2, 0, 0.5, 3} = 16 states."""
    return Explorer(
        controls={
            "function": Choice(list(ACTIVATIONS), "relu", style="buttons"),
            "bias": FloatRange(-3, 3, num=25, value=0.0, label="bias added before", static=[-2.0, 0.0, 0.5, 3.0]),
        },
        render=_ActivationView(),
        title=title,
    )


# =========================================================================== 2.5 losses


def binary_losses(p) -> dict:
    """Cross-entropy and squared error when the network gives the true class probability p.

    Two classes, target one-hot (0, 1), prediction (1 − p, p) = softmax of logits (0, z), so p = σ(z).
    Gradients are taken with respect to the logit z, the number the network actually changes:

    * cross-entropy ``−log p``, gradient ``p − 1``;
    * squared error ``((1−p − 0)² + (p − 1)²) / 2 = (1 − p)²`` (the mean of :class:`cnnlib.losses.MSELoss`),
      gradient ``−2 (1 − p) · p (1 − p)``, which vanishes when p → 0: a confidently wrong network barely learns.

    Args:
        p: probability of the true class, 0 < p < 1 (array or float).

    Returns:
        dict with ``"ce"``, ``"mse"``, ``"dce_dz"``, ``"dmse_dz"`` (arrays shaped like p).

    Raises:
        ValueError: p outside (0, 1).
    """
    p = np.asarray(p, dtype=np.float64)
    if np.any(~(p > 0) | ~(p < 1)):
        raise ValueError(f"p must be strictly between 0 and 1, got {p.tolist()}")
    return {
        "ce": -np.log(p),
        "mse": (1 - p) ** 2,
        "dce_dz": p - 1,
        "dmse_dz": -2 * (1 - p) ** 2 * p,
    }


class _LossView:
    """The loss explorer's figure, built once; each update moves the markers (curves are static)."""

    def __init__(self, live: bool = True):
        grid = np.linspace(0.005, 0.995, 199)
        g = binary_losses(grid)
        fig, axes = new_figure(6.8, 2.7, ncols=2)
        self.lf = viz.LiveFigure(fig, live=live)
        ax, ax2 = axes
        ax.plot(grid, g["ce"], color="C0", label="cross-entropy −log p")
        ax.plot(grid, g["mse"], color="C1", ls="--", label="squared error (1−p)²")
        ax.set_ylim(0, 5)
        ax.set_title("loss", fontsize=10)
        ax2.plot(grid, np.abs(g["dce_dz"]), color="C0", label="cross-entropy")
        ax2.plot(grid, np.abs(g["dmse_dz"]), color="C1", ls="--", label="squared error")
        ax2.set_ylim(0, 1.05)
        ax2.set_title("|gradient| w.r.t. the logit z", fontsize=10)
        self.marks, self.vlines = [], []
        for a in axes:
            a.set_xlabel("p = predicted probability of the true class", fontsize=9)
            a.tick_params(labelsize=9)
            a.legend(fontsize=9, loc="upper right")
            self.vlines.append(self.lf.moving(a.axvline(0.5, color="0.5", lw=0.8, ls=":")))
        self.marks.append(self.lf.moving(ax.plot([], [], "o", color="k", ms=5)[0]))
        self.marks.append(self.lf.moving(ax2.plot([], [], "o", color="k", ms=5)[0]))

    def __call__(self, p: float):
        now = binary_losses(p)
        self.marks[0].set_data([p, p], [now["ce"], now["mse"]])
        self.marks[1].set_data([p, p], [abs(now["dce_dz"]), abs(now["dmse_dz"])])
        for v in self.vlines:
            v.set_xdata([p, p])
        caption = (f"p = {p:g}: cross-entropy {float(now['ce']):.3f} (gradient {float(now['dce_dz']):+.3f}), "
                   f"squared error {float(now['mse']):.3f} (gradient {float(now['dmse_dz']):+.3f})")
        return self.lf, caption


def render_losses(p: float):
    """Each loss against p, and the size of its gradient with respect to the logit, with the current p marked.

    Returns ``(figure, caption)``."""
    lf, caption = _LossView(live=False)(p)
    return lf.fig, caption


def loss_explorer(title: str | None = "Loss explorer") -> Explorer:
    """Chapter 2.5: a predicted-probability slider; cross-entropy against squared error (static: 8 states)."""
    return Explorer(
        controls={"p": FloatRange(0.01, 0.99, num=99, value=0.1, decimals=2, label="predicted p(true class)",
                                  static=[0.01, 0.1, 0.3, 0.5, 0.9, 0.99])},
        render=_LossView(),
        title=title,
    )


# =========================================================================== 2.6 backpropagation


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: ``f(x, y)`` and its gradient, with a start point and the view box."""

    name: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    extent: float = 3.0
    note: str = ""


def _quadratic(name, a, b, start, note):
    return Surface(name, lambda x, y: 0.5 * (a * x * x + b * y * y),
                   lambda w: np.array([a * w[0], b * w[1]]), start, note=note)


#: The loss surfaces of the gradient-descent explorer, by name. For ``½(a x² + b y²)`` plain gradient
#: descent multiplies each coordinate by ``(1 − η a)`` and ``(1 − η b)`` every step: it diverges exactly
#: when η > 2 / max(a, b).
SURFACES = {
    "round bowl": _quadratic("round bowl", 2.0, 2.0, (-2.5, 2.0), "½(2x² + 2y²): diverges for η > 1"),
    "narrow valley": _quadratic("narrow valley", 1.0, 5.0, (-2.7, 1.5), "½(x² + 5y²): diverges for η > 0.4"),
    "two minima": Surface(
        "two minima",
        lambda x, y: (x * x - 1) ** 2 + 0.5 * y * y + 0.3 * x,
        lambda w: np.array([4 * w[0] * (w[0] ** 2 - 1) + 0.3, w[1]]),
        (0.2, 1.8), extent=2.0,
        note="(x² − 1)² + ½y² + 0.3x: where you end up depends on where you start and on η",
    ),
}


def gradient_descent(grad: Callable[[np.ndarray], np.ndarray], start, lr: float, steps: int,
                     blow_up: float = 1e6) -> np.ndarray:
    """The path of plain gradient descent ``w ← w − η ∇f(w)``.

    Args:
        grad: ``grad(w) -> ∇f(w)`` for a point w (array of shape (d,)).
        start: the first point (d numbers).
        lr: the learning rate η > 0.
        steps: number of updates (>= 0).
        blow_up: stop early once a coordinate exceeds this in magnitude (a diverged run).

    Returns:
        (n, d) array: the start and each point after an update (n = steps + 1 unless it blew up).

    Raises:
        ValueError: lr not a positive finite number.
    """
    lr = float(lr)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr}")
    steps = as_int(steps, "steps", 0)
    w = np.asarray(start, dtype=np.float64).copy()
    path = [w.copy()]
    for _ in range(steps):
        w = w - lr * np.asarray(grad(w), dtype=np.float64)
        path.append(w.copy())
        if not np.all(np.isfinite(w)) or np.abs(w).max() > blow_up:
            break
    return np.array(path)


@functools.cache
def _surface_grid(name: str, n: int = 81):
    s = SURFACES[name]
    g = np.linspace(-s.extent, s.extent, n)
    xx, yy = np.meshgrid(g, g)
    return xx, yy, s.f(xx, yy)


class _DescentFigure:
    """One surface's figure for the gradient-descent explorer: contours drawn once, the path moving."""

    def __init__(self, surface: str, live: bool = True):
        s = SURFACES[surface]
        self.s = s
        xx, yy, zz = _surface_grid(surface)
        e = s.extent
        # fixed places (what constrained layout chose for the widest labels): laying the figure out
        # took about 100 ms of each surface's first view
        fig, (ax, ax2) = new_figure(6.8, 2.9, ncols=2, layout=None)
        ax.set_position((0.091, 0.153, 0.348, 0.766))
        ax2.set_position((0.666, 0.153, 0.316, 0.766))
        self.lf = lf = viz.LiveFigure(fig, live=live)
        levels = np.quantile(zz, np.linspace(0.0, 0.95, 14))
        cs = ax.contourf(xx, yy, zz, levels=levels, cmap="viridis", extend="max")
        cb = fig.colorbar(cs, cax=fig.add_axes((0.462, 0.211, 0.014, 0.62)), format="%.2g")  # levels: quantiles
        cb.ax.tick_params(labelsize=9)
        cb.set_label("loss", fontsize=9)
        self.path = lf.moving(ax.plot([], [], "-o", color="white", ms=3, lw=1)[0])
        ax.plot(*s.start, "o", color="orange", ms=6, mec="black", label="start")
        self.end = lf.moving(ax.plot([], [], "X", color="#d62728", ms=8, mec="white", label="end")[0])
        ax.set_xlim(-e, e)
        ax.set_ylim(-e, e)
        ax.set_xlabel("weight w₁", fontsize=9)
        ax.set_ylabel("weight w₂", fontsize=9)
        ax.tick_params(labelsize=9)
        ax.legend(fontsize=9, loc="lower right")
        self.title = lf.moving(ax.set_title(" ", fontsize=10))
        self.shift = min(0.0, float(zz.min())) - 1e-3  # the log axis needs positive values
        self.curve = lf.moving(ax2.semilogy([1], [1], "-o", ms=3)[0])
        ax2.set_ylim(1e-4, 1e4)  # fixed: a diverging run leaves through the top
        ax2.set_xlabel("step", fontsize=9)
        ax2.set_ylabel("loss" + (f" − ({self.shift:.2f})" if self.shift < -0.01 else ""), fontsize=9)
        ax2.tick_params(labelsize=9)
        ax2.set_title("loss after each step", fontsize=10)
        self.ax2 = ax2

    def __call__(self, surface: str, lr: float, steps: int):
        s = self.s
        path = gradient_descent(s.grad, s.start, lr, steps)
        losses = s.f(path[:, 0], path[:, 1])
        self.path.set_data(path[:, 0], path[:, 1])
        self.end.set_data([path[-1, 0]], [path[-1, 1]])
        self.title.set_text(f"{surface}, η = {lr:g}")
        self.curve.set_data(np.arange(len(losses)), np.clip(losses - self.shift, 1e-12, 1e12))
        self.ax2.set_xlim(0, steps)
        self.lf.key = steps  # the step axis is part of the background
        diverged = len(path) < steps + 1 or losses[-1] > losses[0]
        verdict = "DIVERGED: each step overshoots further" if diverged else f"final loss {losses[-1]:.4g}"
        return self.lf, f"{s.note}. After {len(path) - 1} steps: {verdict} (start loss {losses[0]:.3g})"


class _DescentView:
    """The gradient-descent explorer: one figure per surface. Live, every surface's figure is made and
    drawn at the first view (about 0.15 s more, once), so that switching surfaces does not take 0.25 s."""

    def __init__(self, live: bool = True):
        self.live = live
        self.figures: dict = {}

    def __call__(self, surface: str, lr: float, steps: int):
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {list(SURFACES)}, got {surface!r}")
        if surface not in self.figures:
            self.figures[surface] = _DescentFigure(surface, self.live)
        shown = self.figures[surface](surface, lr, steps)  # checks lr and steps
        if self.live and len(self.figures) == 1:  # the first view: the other surfaces' figures too
            for other in SURFACES:
                if other != surface:
                    self.figures[other] = _DescentFigure(other)
                    self.figures[other](other, lr, steps)[0].pixels()  # background for these steps
        return shown


def render_gradient_descent(surface: str, lr: float, steps: int):
    """Contours of the surface with the descent path, and the loss at each step (log scale).

    Returns ``(figure, caption)``."""
    lf, caption = _DescentView(live=False)(surface, lr, steps)
    return lf.fig, caption


def gradient_descent_explorer(title: str | None = "Gradient-descent explorer") -> Explorer:
    """Chapter 2.6: learning rate and number of steps on three 2-D loss surfaces (static: 3 × 4 rates, 20 steps)."""
    rates = [0.01, 0.05, 0.1, 0.2, 0.3, 0.35, 0.45, 0.6, 0.9, 1.05]
    return Explorer(
        controls={
            "surface": Choice(list(SURFACES), style="buttons"),
            "lr": Choice(rates, 0.3, label="learning rate η", static=[0.05, 0.3, 0.45, 1.05]),
            "steps": Choice([5, 10, 20, 40, 80], 20, static=[20]),
        },
        render=_DescentView(),
        title=title,
    )


def tiny_network(x: float, w1: float, b1: float, w2: float, b2: float,
                 target: float) -> dict:
    """Forward and backward pass of the smallest network worth the name, with every
    intermediate number.

    ``z = w1·x + b1``, ``h = σ(z)``, ``ŷ = w2·h + b2``, ``L = ½(ŷ − target)²``. The
    backward pass is the chain rule, one local derivative at a time, from L back to
    each parameter.

    Returns:
        dict: forward values ``z, h, y_hat, loss`` and gradients ``dL_dyhat, dL_dw2,
        dL_db2, dL_dh, dL_dz, dL_dw1, dL_db1, dL_dx`` (floats).
    """
    z = w1 * x + b1
    h = float(F.sigmoid(np.array(z)))
    y_hat = w2 * h + b2
    loss = 0.5 * (y_hat - target) ** 2
    dL_dyhat = y_hat - target  # d/dŷ of ½(ŷ − t)²
    dL_dw2 = dL_dyhat * h  # ŷ = w2·h + b2
    dL_db2 = dL_dyhat
    dL_dh = dL_dyhat * w2
    # σ'(z) = h(1 − h)
    dL_dz = float(F.sigmoid_backward(np.array(dL_dh), np.array(h)))
    return {
        "z": z, "h": h, "y_hat": y_hat, "loss": loss,
        "dL_dyhat": dL_dyhat, "dL_dw2": dL_dw2, "dL_db2": dL_db2,
        "dL_dh": dL_dh, "dL_dz": dL_dz,
        "dL_dw1": dL_dz * x, "dL_db1": dL_dz, "dL_dx": dL_dz * w1,
    }


# =========================================================================== 2.3 fully connected; chapter 1


@functools.cache
def digit_examples():
    """The first test digit of each class: ``(x (10, 1, 8, 8) float32, y (10,) = 0..9)``."""
    x_test, y_test = data.load_digits("test")
    idx = [int(np.flatnonzero(y_test == d)[0]) for d in range(10)]
    return x_test[idx], y_test[idx]


def dense_head(model, x):
    """Run a CNN that ends with ``Flatten, Linear`` on images and return the fully connected stage's numbers.

    Args:
        model: a :class:`cnnlib.layers.Sequential` whose last two layers are Flatten and Linear
            (e.g. :func:`cnnlib.models.trained_digits_cnn`).
        x: (N, C, H, W) images.

    Returns:
        ``(features, logits, probs)``: the flattened feature vectors (N, D) fed to the linear layer,
        its outputs (N, K) and their softmax (N, K).

    Raises:
        ValueError: the model does not end with Flatten, Linear.
    """
    from ..layers import Flatten, Linear

    layers = list(model.layers)
    if len(layers) < 2 or not isinstance(layers[-2], Flatten) or not isinstance(layers[-1], Linear):
        raise ValueError(f"model must end with Flatten, Linear; it ends with {[type(m).__name__ for m in layers[-2:]]}")
    model.eval()
    h = model[:-1].forward(np.asarray(x))  # as Sequentials: the numbers model.forward gives, to the bit
    logits = model[-1:].forward(h)
    return h, logits, F.softmax(logits, axis=1)


def dense_explorer(model, title: str | None = "Flatten → linear → softmax") -> Explorer:
    """Chapter 2.3: pick a digit; see the flattened features, the ten scores and their softmax (10 states).

    One figure, updated in place: the input and feature images, the bar heights, colours and logit labels."""
    xs, ys = digit_examples()
    feats, logits, probs = dense_head(model, xs)
    k_classes = probs.shape[1]
    fig, axes = new_figure(7.0, 2.7, ncols=3, gridspec_kw={"width_ratios": [0.8, 1.6, 1.4]})
    lf = viz.LiveFigure(fig)
    img = lf.moving(viz.show_image(axes[0], xs[0, 0], " ", vmin=0, vmax=1, cmap="gray"))
    t_img = lf.moving(axes[0].title)
    f_lo, f_hi = float(feats.min()), float(feats.max())
    cmap, lo, hi = viz.color_limits(np.array([f_lo, f_hi]))
    feat = lf.moving(viz.show_image(axes[1], feats[0].reshape(8, -1), f"flattened: {feats.shape[1]} numbers "
                                    "(8 per column)", cmap=cmap, vmin=lo, vmax=hi))
    cb = fig.colorbar(feat, ax=axes[1], shrink=0.8, aspect=15)
    cb.ax.tick_params(labelsize=9)
    ax = axes[2]
    bars = list(ax.bar(np.arange(k_classes), probs[0], color="C0").patches)
    lf.moving(*bars)
    # vertical labels: ten numbers side by side would overlap at 9 points
    labels = [lf.moving(ax.text(k, 0.02, "", ha="center", va="bottom", rotation=90, fontsize=9))
              for k in range(k_classes)]
    ax.set_ylim(0, 1.3)
    ax.set_xticks(range(k_classes))
    ax.tick_params(labelsize=9)
    ax.set_xlabel("class (logit above its bar)", fontsize=9)
    ax.set_ylabel("softmax probability", fontsize=9)
    t_bar = lf.moving(ax.set_title(" ", fontsize=10))

    def render(digit: int):
        i = int(digit)
        img.set_data(xs[i, 0])
        t_img.set_text(f"input: a {ys[i]}")
        feat.set_data(feats[i].reshape(8, -1))
        best = int(probs[i].argmax())
        for k, (bar, lab) in enumerate(zip(bars, labels, strict=True)):
            bar.set_height(probs[i, k])
            bar.set_color("C1" if k == best else "C0")
            bar.set_hatch("//" if k == best else None)  # not colour alone
            lab.set_text(f"{logits[i, k]:.0f}")
            lab.set_y(probs[i, k] + 0.03)
        t_bar.set_text(f"predicted {best} with p = {probs[i].max():.3f}")
        return lf, (f"logits z = W·features + b, W is {logits.shape[1]}×{feats.shape[1]}; "
                    "p = softmax(z) sums to 1")

    return Explorer(controls={"digit": IntRange(0, 9, value=3, label="digit")}, render=render, title=title)


def feature_map_explorer(model, title: str | None = "What the first layer sees") -> Explorer:
    """Chapter 1: pick a digit; see it and the first layer's feature maps after ReLU (10 states).

    One figure, updated in place (the maps share one fixed colour scale)."""
    xs, ys = digit_examples()
    conv, act = model.layers[0], model.layers[1]
    maps = act.forward(conv.forward(xs))  # (10, C, 8, 8)
    vmax = float(maps.max()) or 1.0
    n = maps.shape[1]
    ncols = (n + 1) // 2 + 1
    fig, axes = new_figure(min(7.0, 0.8 * ncols + 0.8), 2.4, ncols=ncols, nrows=2, squeeze=False)
    lf = viz.LiveFigure(fig)
    img = lf.moving(viz.show_image(axes[0, 0], xs[0, 0], " ", cmap="gray", vmin=0, vmax=1))
    t_img = lf.moving(axes[0, 0].title)
    axes[1, 0].set_axis_off()
    panels = [ax for row in axes[:, 1:] for ax in row]
    ims = []
    for c, ax in enumerate(panels):
        if c >= n:
            ax.set_axis_off()
            continue
        ims.append(lf.moving(viz.show_image(ax, maps[0, c], f"filter {c}", cmap="gray", vmin=0, vmax=vmax)))
    cb = fig.colorbar(ims[-1], ax=panels, shrink=0.8, aspect=15)
    cb.ax.tick_params(labelsize=9)

    def render(digit: int):
        i = int(digit)
        img.set_data(xs[i, 0])
        t_img.set_text(f"input: a {ys[i]}")
        for c, im in enumerate(ims):
            im.set_data(maps[i, c])
        silent = int(np.sum(maps[i].max(axis=(1, 2)) == 0))
        return lf, (f"{n} feature maps of {maps.shape[2]}×{maps.shape[3]} after ReLU, one colour scale "
                    f"(bright = strong response); {silent} of them are all zero for this digit")

    return Explorer(controls={"digit": IntRange(0, 9, value=3, label="digit")}, render=render, title=title)
