"""The convolution explorer (chapter 2): an input, a kernel, a stride and a padding; the output image,
its shape and the output-size formula filled in with the current numbers."""

from __future__ import annotations

import functools

import numpy as np

from .. import data, viz
from ..functional import conv2d, conv_output_size
from ..widgets import HTML, Choice, Explorer, IntRange, new_figure

__all__ = ["convolution_explorer", "INPUTS", "conv_kernels"]

#: Inputs offered by the explorer, by label.
INPUTS = ("photo", "digit", "checkerboard")


@functools.cache
def _input(name: str) -> np.ndarray:
    if name == "photo":
        return data.sample_image(size=64)
    if name == "digit":
        x_test, y_test = data.load_digits("test")
        return x_test[int(np.flatnonzero(y_test == 3)[0]), 0].astype(np.float64)
    if name == "checkerboard":
        return data.checkerboard(size=32, square=4)
    raise ValueError(f"input must be one of {INPUTS}, got {name!r}")


def conv_kernels() -> dict[str, np.ndarray]:
    """The explorer's kernel presets: :data:`cnnlib.data.KERNELS` plus a 9×9 blur, too large for a digit."""
    kernels = dict(data.KERNELS)
    kernels["blur 9×9"] = np.full((9, 9), 1 / 81)
    return kernels


def _formula(axis: str, n: int, k: int, s: int, p: int) -> str:
    out = conv_output_size(n, k, s, p)
    return f"{axis}<sub>out</sub> = ⌊({axis} + 2p − k) / s⌋ + 1 = ⌊({n} + 2·{p} − {k}) / {s}⌋ + 1 = <b>{out}</b>"


class _ConvolutionView:
    """The convolution explorer's figure, built once: images, kernel numbers, frames and titles are updated
    in place (no panel has ticks, so nothing static depends on the setting)."""

    def __init__(self, live: bool = True):
        # fixed margins rather than constrained layout: the figure is redrawn on every slider move
        fig, axes = new_figure(6.8, 2.9, ncols=3, layout=None, gridspec_kw={"width_ratios": [1, 0.45, 1]})
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.86, wspace=0.12)
        self.lf = lf = viz.LiveFigure(fig, live=live)
        self.ax_in, self.ax_k, self.ax_out = axes
        z = np.zeros((2, 2))
        self.im_in = lf.moving(self.ax_in.imshow(z, cmap="gray", vmin=0, vmax=1, interpolation="nearest"))
        self.pad = lf.moving(self.ax_in.add_patch(_rect(0, 0, 1, 1, "#1f77b4", lw=1.5, ls="--")))
        self.win = lf.moving(self.ax_in.add_patch(_rect(0, 0, 1, 1, "#d62728", lw=2)))
        self.im_k = lf.moving(self.ax_k.imshow(z, cmap=viz.SIGNED_CMAP, vmin=-1, vmax=1, interpolation="nearest"))
        self.numbers = [lf.moving(self.ax_k.text(0, 0, "", ha="center", va="center", fontsize=viz.SMALL))
                        for _ in range(9)]
        self.im_out = lf.moving(self.ax_out.imshow(z, cmap="gray", interpolation="nearest"))
        self.titles = [lf.moving(ax.set_title(" ", fontsize=10)) for ax in axes]
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        for side in ("right", "bottom"):
            self.ax_out.spines[side].set_visible(False)

    def __call__(self, image: str, kernel: str, stride: int, padding: int):
        x = _input(image)
        k = conv_kernels()[kernel]
        y = conv2d(x[None, None], k[None, None], stride=stride, padding=padding)[0, 0]  # ValueError if no fit
        h, w = x.shape
        kh, kw = k.shape
        hp, wp = h + 2 * padding, w + 2 * padding
        self.im_in.set_data(np.pad(x, padding))
        self.im_in.set_extent((0, wp, hp, 0))
        self.ax_in.set_xlim(0, wp)
        self.ax_in.set_ylim(hp, 0)
        self.pad.set_bounds(padding, padding, w, h)
        self.pad.set_visible(bool(padding))
        self.win.set_bounds(0, 0, kw, kh)  # the first window
        self.titles[0].set_text(f"input {h}×{w}, padded {hp}×{wp}")

        vmax = float(np.abs(k).max()) or 1.0
        self.im_k.set_data(k)
        self.im_k.set_clim(-vmax, vmax)
        self.im_k.set_extent((-0.5, kw - 0.5, kh - 0.5, -0.5))
        self.ax_k.set_xlim(-0.5, kw - 0.5)
        self.ax_k.set_ylim(kh - 0.5, -0.5)
        cells = list(np.ndindex(kh, kw)) if kh * kw <= len(self.numbers) else []
        for n, t in enumerate(self.numbers):  # numbers for the small kernels (a 9×9 shows colours only)
            if n < len(cells):
                i, j = cells[n]
                v = k[i, j]
                t.set_position((j, i))
                t.set_text(f"{v:.2g}".replace("-0", "−0").replace("-", "−"))
                t.set_color("white" if abs(v) > 0.6 * vmax else "black")
                t.set_visible(True)
            else:
                t.set_visible(False)
        self.titles[1].set_text(f"kernel {kh}×{kw}")

        # same scale as the input: an output half as wide looks half as wide
        lo, hi = float(y.min()), float(y.max())
        if lo < 0:  # signed output (edges): symmetric colours, clipped at the 99th percentile for contrast
            m = max(float(np.percentile(np.abs(y), 99)), 1e-12)
            cmap, lo, hi = viz.SIGNED_CMAP, -m, m
        else:
            cmap = "gray"
            hi = hi if hi > lo else lo + 1
        ho, wo = y.shape
        self.im_out.set_data(y)
        self.im_out.set_cmap(cmap)
        self.im_out.set_clim(lo, hi)
        self.im_out.set_extent((0, wo, ho, 0))
        self.ax_out.set_xlim(0, wp)
        self.ax_out.set_ylim(hp, 0)
        self.titles[2].set_text(f"output {ho}×{wo} (stride {stride})")
        for ax in (self.ax_in, self.ax_k, self.ax_out):
            ax.apply_aspect()  # the boxes follow the limits (equal aspect), as a full draw would
        self.lf.key = (image, padding, kh)  # the frames (spines) depend on the boxes
        caption = (
            f"output shape {ho}×{wo}<br>{_formula('H', h, kh, stride, padding)}<br>"
            f"{_formula('W', w, kw, stride, padding)}"
        )
        return self.lf, HTML(caption)


def render_convolution(image: str, kernel: str, stride: int, padding: int):
    """Render one state: padded input, kernel and output at the same pixel scale, with a caption.

    Returns ``(figure, HTML caption)``.

    Raises:
        ValueError: the kernel does not fit in the padded input (from :func:`cnnlib.functional.conv2d`).
    """
    lf, caption = _ConvolutionView(live=False)(image, kernel, stride, padding)
    return lf.fig, caption


def _rect(x0, y0, w, h, color, lw=1.0, ls="-"):
    from matplotlib.patches import Rectangle

    return Rectangle((x0, y0), w, h, fill=False, edgecolor=color, linewidth=lw, linestyle=ls)


def convolution_explorer(title: str | None = "Convolution explorer") -> Explorer:
    """The convolution explorer of chapter 2: input, kernel preset, stride and padding.

    Live, every kernel preset, stride 1–4 and padding 0–4 are offered; the static page precomputes
    two inputs (photo, digit) × two kernels (Sobel, 9×9 blur) × stride 1–2 × padding 0 or 1 ("same")
    (16 states, to keep the page under 3 MB). The
    9×9 blur on the 8×8 digit without padding is impossible, and says so.

    Returns:
        an :class:`~cnnlib.widgets.Explorer`; a notebook cell ending with it shows it.
    """
    kernels = list(conv_kernels())
    return Explorer(
        controls={
            "image": Choice(list(INPUTS), label="input", style="buttons", static=["photo", "digit"]),
            "kernel": Choice(kernels, "sobel x", style="dropdown", static=["sobel x", "blur 9×9"]),
            "stride": IntRange(1, 4, static=[1, 2]),
            "padding": IntRange(0, 4, static=[0, 1]),
        },
        render=_ConvolutionView(),
        title=title,
        max_states=16,
    )
