"""The receptive-field explorer (chapter 7, Q2): stack up to four convolutions and see how much of the
input one unit of the last layer sees, with the numbers of the receptive-field recursion."""

from __future__ import annotations

import numpy as np

from .. import viz
from ..receptive import receptive_field, receptive_field_influence
from ..widgets import HTML, Choice, Explorer, IntRange, new_figure

__all__ = ["render_receptive_field", "receptive_field_explorer", "MAX_FIELD"]

#: The largest receptive field the explorer offers (4 layers, kernel 5, stride 2, dilation 2).
MAX_FIELD = receptive_field([(5, 2, 2)] * 4)[-1].size


class _FieldView:
    """The receptive-field explorer's figure, built once; the field and the growth curves are updated in
    place. The background (axis ranges) depends on kernel, stride and dilation only."""

    def __init__(self, live: bool = True):
        fig, (ax, ax_r) = new_figure(6.6, 2.9, ncols=2, gridspec_kw={"width_ratios": [1.1, 1]})
        self.lf = lf = viz.LiveFigure(fig, live=live)
        self.ax, self.ax_r = ax, ax_r
        self.im = lf.moving(ax.imshow(np.zeros((2, 2)), cmap="magma", vmin=0, vmax=1, interpolation="nearest"))
        ax.set_facecolor("#eeeeee")
        self.title = lf.moving(ax.set_title(" ", fontsize=10))
        cb = fig.colorbar(self.im, ax=ax, shrink=0.8)
        cb.set_label("paths to the unit\n(share of the most)", fontsize=9)
        cb.ax.tick_params(labelsize=9)
        self.field = lf.moving(ax_r.plot([], [], marker="o", label="field r")[0])
        self.jump = lf.moving(ax_r.plot([], [], marker="s", ls="--", label="jump J")[0])
        ax_r.set_xticks(range(5))
        ax_r.set_xlim(-0.2, 4.2)
        ax_r.set_xlabel("layers", fontsize=9)
        ax_r.set_ylabel("input pixels", fontsize=9)
        ax_r.tick_params(labelsize=9)
        ax.tick_params(labelsize=9)
        ax_r.grid(alpha=0.3)
        ax_r.legend(fontsize=9, loc="upper left")
        ax_r.set_title("growth with depth", fontsize=10)

    def __call__(self, layers: int, kernel: int, stride: int, dilation: int):
        specs = [(kernel, stride, dilation)] * int(layers)
        rf = receptive_field(specs)
        paths = np.asarray(receptive_field_influence(specs), dtype=np.float64)
        r = rf[-1].size
        frame = receptive_field([(kernel, stride, dilation)] * 4)[-1].size
        off = (frame - r) / 2
        self.im.set_data(paths / paths.max())
        self.im.set_extent((off, off + r, off + r, off))
        self.ax.set_xlim(0, frame)
        self.ax.set_ylim(frame, 0)
        self.ax.set_xticks([0, frame])
        self.ax.set_yticks([0, frame])
        self.ax_r.set_ylim(0, frame * 1.05 + 1)
        self.lf.key = (kernel, stride, dilation)
        self.title.set_text(f"receptive field {r}×{r} pixels")
        depth = np.arange(len(rf) + 1)
        self.field.set_data(depth, [1] + [x.size for x in rf])
        self.jump.set_data(depth, [1] + [x.jump for x in rf])
        steps, r_prev, j_prev = [], 1, 1
        for x in rf:
            steps.append(f"{r_prev} + {dilation}·{kernel - 1}·{j_prev} = {x.size}")
            r_prev, j_prev = x.size, x.jump
        caption = "r<sub>l</sub> = r<sub>l−1</sub> + d·(k−1)·J<sub>l−1</sub>: " + " → ".join(steps)
        return self.lf, HTML(caption)


def render_receptive_field(layers: int, kernel: int, stride: int, dilation: int):
    """One output unit of ``layers`` identical convolutions and the input pixels it sees.

    The heat map is the share of paths from each input pixel to the unit (the centre has the most); the
    frame is the field of four such layers, so moving the layers slider compares sizes while a small field
    still fills enough of the picture to be seen. Returns ``(figure, HTML caption)``.
    """
    lf, caption = _FieldView(live=False)(layers, kernel, stride, dilation)
    return lf.fig, caption


def receptive_field_explorer(title: str | None = "Receptive field of a stack of convolutions") -> Explorer:
    """Layers 1–4 × kernel 3 or 5 × stride 1 or 2 × dilation 1 or 2: 32 precomputed states."""
    return Explorer(
        controls={
            "layers": IntRange(1, 4, value=2),
            "kernel": Choice([3, 5], style="buttons"),
            "stride": Choice([1, 2], style="buttons"),
            "dilation": Choice([1, 2], style="buttons"),
        },
        render=_FieldView(),
        title=title,
    )
