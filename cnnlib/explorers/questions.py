"""The receptive-field explorer (chapter 7, Q2): stack up to four convolutions and see how much of the
input one unit of the last layer sees, with the numbers of the receptive-field recursion."""

from __future__ import annotations

import numpy as np

from ..receptive import receptive_field, receptive_field_influence
from ..widgets import HTML, Choice, Explorer, IntRange, new_figure

__all__ = ["render_receptive_field", "receptive_field_explorer", "MAX_FIELD"]

#: The largest receptive field the explorer offers (4 layers, kernel 5, stride 2, dilation 2).
MAX_FIELD = receptive_field([(5, 2, 2)] * 4)[-1].size


def render_receptive_field(layers: int, kernel: int, stride: int, dilation: int):
    """One output unit of ``layers`` identical convolutions and the input pixels it sees.

    The heat map counts the paths from each input pixel to the unit (the centre has the most); the grey
    frame is the field of four such layers, so moving the layers slider compares sizes while a small field
    still fills enough of the picture to be seen.
    """
    specs = [(kernel, stride, dilation)] * int(layers)
    rf = receptive_field(specs)
    paths = receptive_field_influence(specs)
    r = rf[-1].size
    frame = receptive_field([(kernel, stride, dilation)] * 4)[-1].size
    fig, (ax, ax_r) = new_figure(5.2, 2.8, ncols=2, gridspec_kw={"width_ratios": [1.1, 1]})
    off = (frame - r) / 2
    im = ax.imshow(paths, cmap="magma", interpolation="nearest", extent=(off, off + r, off + r, off))
    ax.set_xlim(0, frame)
    ax.set_ylim(frame, 0)
    ax.set_facecolor("#eeeeee")
    ax.set_xticks([0, frame])
    ax.set_yticks([0, frame])
    ax.set_title(f"receptive field {r}×{r} pixels", fontsize=9)
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    cb.set_label("paths to the unit", fontsize=7)
    cb.ax.tick_params(labelsize=6)
    depth = np.arange(len(rf) + 1)
    ax_r.plot(depth, [1] + [x.size for x in rf], marker="o", label="field r")
    ax_r.plot(depth, [1] + [x.jump for x in rf], marker="s", label="jump j")
    ax_r.set_xticks(depth)
    ax_r.set_xlabel("layers")
    ax_r.set_ylabel("input pixels")
    ax_r.set_ylim(0, frame * 1.05 + 1)
    ax_r.grid(alpha=0.3)
    ax_r.legend(fontsize=7)
    ax_r.set_title("growth with depth", fontsize=9)
    steps, r_prev, j_prev = [], 1, 1
    for x in rf:
        steps.append(f"{r_prev} + {dilation}·{kernel - 1}·{j_prev} = {x.size}")
        r_prev, j_prev = x.size, x.jump
    caption = "r<sub>l</sub> = r<sub>l−1</sub> + d·(k−1)·j<sub>l−1</sub>: " + " → ".join(steps)
    return fig, HTML(caption)


def receptive_field_explorer(title: str | None = "Receptive field of a stack of convolutions") -> Explorer:
    """Layers 1–4 × kernel 3 or 5 × stride 1 or 2 × dilation 1 or 2: 32 precomputed states."""
    return Explorer(
        controls={
            "layers": IntRange(1, 4, value=2),
            "kernel": Choice([3, 5], style="buttons"),
            "stride": Choice([1, 2], style="buttons"),
            "dilation": Choice([1, 2], style="buttons"),
        },
        render=render_receptive_field,
        title=title,
    )
