"""The convolution explorer (chapter 2): an input, a kernel, a stride and a padding; the output image,
its shape and the output-size formula filled in with the current numbers."""

from __future__ import annotations

import functools

import numpy as np

from .. import data
from ..functional import conv2d, conv_output_size
from ..viz import show_kernel
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


def render_convolution(image: str, kernel: str, stride: int, padding: int):
    """Render one state: padded input, kernel and output at the same pixel scale, with a caption.

    Raises:
        ValueError: the kernel does not fit in the padded input (from :func:`cnnlib.functional.conv2d`).
    """
    x = _input(image)
    k = conv_kernels()[kernel]
    y = conv2d(x[None, None], k[None, None], stride=stride, padding=padding)[0, 0]
    h, w = x.shape
    kh, kw = k.shape
    hp, wp = h + 2 * padding, w + 2 * padding

    # fixed margins rather than constrained layout: this figure is redrawn on every slider move
    fig, axes = new_figure(5.2, 2.2, ncols=3, layout=None, gridspec_kw={"width_ratios": [1, 0.45, 1]})
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.88, wspace=0.12)
    ax_in, ax_k, ax_out = axes
    xp = np.pad(x, padding)
    ax_in.imshow(xp, cmap="gray", vmin=0, vmax=1, interpolation="nearest", extent=(0, wp, hp, 0))
    if padding:
        ax_in.add_patch(_rect(padding, padding, w, h, "#1f77b4", ls="--"))
    ax_in.add_patch(_rect(0, 0, kw, kh, "#d62728", lw=1.5))  # the first window
    ax_in.set_title(f"input {h}×{w}, padded {hp}×{wp}", fontsize=9)

    show_kernel(ax_k, k, title=f"kernel {kh}×{kw}", fontsize=9, numbers=kh <= 3)  # numbers, legible on dark cells

    # Same scale as the input: an output half as wide looks half as wide.
    lo, hi = float(y.min()), float(y.max())
    if lo < 0:  # signed output (edges): symmetric colours, clipped at the 99th percentile for contrast
        m = max(float(np.percentile(np.abs(y), 99)), 1e-12)
        cmap, lo, hi = "RdBu_r", -m, m
    else:
        cmap = "gray"
    ho, wo = y.shape
    ax_out.imshow(y, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest", extent=(0, wo, ho, 0))
    ax_out.set_xlim(0, wp)
    ax_out.set_ylim(hp, 0)
    ax_out.set_title(f"output {ho}×{wo} (stride {stride})", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for side in ("right", "bottom"):
        ax_out.spines[side].set_visible(False)

    caption = (
        f"output shape {ho}×{wo}<br>{_formula('H', h, kh, stride, padding)}<br>"
        f"{_formula('W', w, kw, stride, padding)}"
    )
    return fig, HTML(caption)


def _rect(x0, y0, w, h, color, lw=1.0, ls="-"):
    from matplotlib.patches import Rectangle

    return Rectangle((x0, y0), w, h, fill=False, edgecolor=color, linewidth=lw, linestyle=ls)


def convolution_explorer(title: str | None = "Convolution explorer") -> Explorer:
    """The convolution explorer of chapter 2: input, kernel preset, stride and padding.

    Live, every kernel preset, stride 1–4 and padding 0–4 are offered; the static page precomputes
    two inputs (photo, digit) × three kernels × stride 1–3 × padding 0, 1 ("same") or 2 (54 states). The
    9×9 blur on the 8×8 digit without padding is impossible, and says so.

    Returns:
        an :class:`~cnnlib.widgets.Explorer`; a notebook cell ending with it shows it.
    """
    kernels = list(conv_kernels())
    return Explorer(
        controls={
            "image": Choice(list(INPUTS), label="input", style="buttons", static=["photo", "digit"]),
            "kernel": Choice(kernels, "sobel x", style="dropdown", static=["gaussian blur", "sobel x", "blur 9×9"]),
            "stride": IntRange(1, 4, static=[1, 2, 3]),
            "padding": IntRange(0, 4, static=[0, 1, 2]),
        },
        render=render_convolution,
        title=title,
        max_states=54,
    )
