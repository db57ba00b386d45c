"""The 1-D convolution explorer (chapter 6): a kernel of three numbers slides along a signal; at each
position the window, the products and their sum — one output value — are shown, and the output so far."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from .. import viz
from ..sequences import SIGNAL_KERNELS, kernel_response, synthetic_signal
from ..widgets import HTML, Choice, Explorer, IntRange, new_figure

__all__ = ["render_sliding", "sliding_kernel_explorer", "SIGNAL_LENGTH"]

#: Length of the explorer's signal (positions 0 … SIGNAL_LENGTH − 3 for a kernel of three).
SIGNAL_LENGTH = 20


class _SlidingView:
    """The 1-D explorer's figure, one per kernel (the output curve is static); the window moves. Live,
    every kernel's figure is made and drawn at the first view (about 70 ms more, once), so that switching
    kernels does not take 140 ms."""

    def __init__(self, live: bool = True):
        self.live = live
        self.figures: dict = {}

    def _figure(self, kernel: str):
        x = synthetic_signal(SIGNAL_LENGTH)
        k = SIGNAL_KERNELS[kernel]
        y = kernel_response(x, k)
        t = np.arange(len(x))
        # fixed places (what constrained layout chose for the widest tick labels): laying the figure
        # out took about 75 ms of each kernel's first view
        fig, (ax_x, ax_y) = new_figure(6.4, 3.4, nrows=2, sharex=True, layout=None)
        ax_x.set_position((0.097, 0.55, 0.891, 0.381))
        ax_y.set_position((0.097, 0.131, 0.891, 0.381))
        lf = viz.LiveFigure(fig, live=self.live)
        ax_x.bar(t, x, color="#bbbbbb", width=0.8)
        win = list(ax_x.bar(t[: len(k)], x[: len(k)], color="#1f77b4", width=0.8).patches)
        lf.moving(*win)
        # a Rectangle in (data x, axes y), not axvspan: matplotlib 3.8 (the browser's) returns a Polygon
        # there, which has no set_x to move it
        span = lf.moving(ax_x.add_patch(Rectangle((-0.5, 0), len(k), 1, transform=ax_x.get_xaxis_transform(),
                                                  color="#1f77b4", alpha=0.12, lw=0)))
        # the weights once, above the window (one label per bar would overlap: bars are ~20 px apart)
        weights = "× [" + ", ".join(f"{v:.2g}" for v in k) + "]"
        label = lf.moving(ax_x.text(1, 2.3, weights, ha="center", va="center", fontsize=9, color="#b2182b",
                                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#b2182b", "lw": 0.8}))
        ax_x.set_ylim(-0.2, 2.7)
        ax_x.set_ylabel("input x", fontsize=9)
        ax_x.tick_params(labelsize=9)
        title = lf.moving(ax_x.set_title(" ", fontsize=10))
        centre = np.arange(len(y)) + (len(k) - 1) / 2  # y[i] sits under the centre of its window
        ax_y.axhline(0, color="black", lw=0.5)
        ax_y.plot(centre, y, color="#cccccc", marker="o", ms=3, lw=1)
        done = lf.moving(ax_y.plot([], [], color="#d62728", marker="o", ms=4, lw=1.5)[0])
        now = lf.moving(ax_y.plot([], [], "o", ms=9, mfc="none", mec="black")[0])
        lim = max(1.0, float(np.abs(y).max())) * 1.2
        ax_y.set_ylim(-lim, lim)
        ax_y.set_ylabel("output y", fontsize=9)
        ax_y.set_xlabel("sequence position", fontsize=9)
        ax_y.xaxis.set_major_locator(MaxNLocator(integer=True))  # positions are whole numbers
        ax_y.tick_params(labelsize=9)
        return {"lf": lf, "x": x, "k": k, "y": y, "centre": centre, "win": win, "span": span, "label": label,
                "title": title, "done": done, "now": now}

    def __call__(self, kernel: str, position: int):
        if kernel not in SIGNAL_KERNELS:
            raise ValueError(f"kernel must be one of {list(SIGNAL_KERNELS)}, got {kernel!r}")
        if kernel not in self.figures:
            self.figures[kernel] = self._figure(kernel)
        shown = self._show(kernel, position)  # checks the position
        if self.live and len(self.figures) == 1:  # the first view: the other kernels' figures too
            for other in SIGNAL_KERNELS:
                if other != kernel:
                    self.figures[other] = self._figure(other)
                    self._show(other, 0)[0].pixels()  # its background
        return shown

    def _show(self, kernel: str, position: int):
        f = self.figures[kernel]
        x, k, y = f["x"], f["k"], f["y"]
        if not 0 <= position < len(y):
            raise ValueError(f"position must be in 0..{len(y) - 1} for a kernel of {len(k)} on {len(x)} samples, "
                             f"got {position}")
        for m, bar in enumerate(f["win"]):
            bar.set_x(position + m - 0.4)
            bar.set_height(x[position + m])
        f["span"].set_x(position - 0.5)
        f["label"].set_position((min(max(position + (len(k) - 1) / 2, 2.0), len(x) - 3.0), 2.3))
        f["title"].set_text(f"kernel {kernel} at position {position}")
        f["done"].set_data(f["centre"][: position + 1], y[: position + 1])
        f["now"].set_data([f["centre"][position]], [y[position]])
        terms = " + ".join(f"{xv:g}·{kv:.2g}" for xv, kv in zip(x[position:position + len(k)], k, strict=True))
        caption = f"y[{position}] = Σ<sub>m</sub> x[{position}+m]·k[m] = {terms} = <b>{y[position]:.3g}</b>"
        return f["lf"], HTML(caption)


def render_sliding(kernel: str, position: int):
    """The signal with the kernel's window at ``position``, the kernel, and the output up to there.

    Returns ``(figure, HTML caption)``.

    Raises:
        ValueError: unknown kernel, or a position where the window would leave the signal.
    """
    lf, caption = _SlidingView(live=False)(kernel, position)
    return lf.fig, caption


def sliding_kernel_explorer(title: str | None = "A 1-D kernel sliding along a signal") -> Explorer:
    """Three kernels (edge, smoothing, spike) × every position: 3 × 18 = 54 precomputed states."""
    return Explorer(
        controls={
            "kernel": Choice(list(SIGNAL_KERNELS), style="buttons"),
            "position": IntRange(0, SIGNAL_LENGTH - 3, value=3),
        },
        render=_SlidingView(),
        title=title,
    )
