"""The 1-D convolution explorer (chapter 6): a kernel of three numbers slides along a signal; at each
position the window, the products and their sum — one output value — are shown, and the output so far."""

from __future__ import annotations

import numpy as np

from ..sequences import SIGNAL_KERNELS, kernel_response, synthetic_signal
from ..widgets import HTML, Choice, Explorer, IntRange, new_figure

__all__ = ["render_sliding", "sliding_kernel_explorer", "SIGNAL_LENGTH"]

#: Length of the explorer's signal (positions 0 … SIGNAL_LENGTH − 3 for a kernel of three).
SIGNAL_LENGTH = 20


def render_sliding(kernel: str, position: int):
    """The signal with the kernel's window at ``position``, the kernel, and the output up to there.

    Raises:
        ValueError: unknown kernel, or a position where the window would leave the signal.
    """
    if kernel not in SIGNAL_KERNELS:
        raise ValueError(f"kernel must be one of {list(SIGNAL_KERNELS)}, got {kernel!r}")
    x = synthetic_signal(SIGNAL_LENGTH)
    k = SIGNAL_KERNELS[kernel]
    y = kernel_response(x, k)
    if not 0 <= position < len(y):
        raise ValueError(f"position must be in 0..{len(y) - 1} for a kernel of {len(k)} on {len(x)} samples, "
                         f"got {position}")
    t = np.arange(len(x))
    win = slice(position, position + len(k))
    fig, (ax_x, ax_y) = new_figure(5.2, 3.0, nrows=2, sharex=True)
    ax_x.bar(t, x, color="#bbbbbb", width=0.8)
    ax_x.bar(t[win], x[win], color="#1f77b4", width=0.8)
    ax_x.axvspan(position - 0.5, position + len(k) - 0.5, color="#1f77b4", alpha=0.12, lw=0)
    for m, (xv, kv) in enumerate(zip(x[win], k, strict=True)):
        ax_x.text(position + m, max(xv, 0) + 0.12, f"×{kv:.2g}", ha="center", fontsize=7, color="#d62728")
    ax_x.set_ylim(-0.2, 2.6)
    ax_x.set_ylabel("input x")
    ax_x.set_title(f"kernel {kernel} at position {position}", fontsize=9)
    # output y[i] sits under the centre of its window
    centre = np.arange(len(y)) + (len(k) - 1) / 2
    ax_y.axhline(0, color="black", lw=0.5)
    ax_y.plot(centre, y, color="#dddddd", marker="o", ms=3, lw=1)
    ax_y.plot(centre[: position + 1], y[: position + 1], color="#d62728", marker="o", ms=4, lw=1.5)
    ax_y.plot(centre[position], y[position], "o", ms=8, mfc="none", mec="black")
    lim = max(1.0, float(np.abs(y).max())) * 1.2
    ax_y.set_ylim(-lim, lim)
    ax_y.set_ylabel("output y")
    ax_y.set_xlabel("sequence position")
    terms = " + ".join(f"{xv:g}·{kv:.2g}" for xv, kv in zip(x[win], k, strict=True))
    caption = f"y[{position}] = Σ<sub>m</sub> x[{position}+m]·k[m] = {terms} = <b>{y[position]:.3g}</b>"
    return fig, HTML(caption)


def sliding_kernel_explorer(title: str | None = "A 1-D kernel sliding along a signal") -> Explorer:
    """Three kernels (edge, smoothing, spike) × every position: 3 × 18 = 54 precomputed states."""
    return Explorer(
        controls={
            "kernel": Choice(list(SIGNAL_KERNELS), style="buttons"),
            "position": IntRange(0, SIGNAL_LENGTH - 3, value=3),
        },
        render=render_sliding,
        title=title,
    )
