"""Building blocks of interpretability (Olah et al. 2018): which channels of a layer carry one decision.

Channel attribution: for an input ``x``, a layer with output ``A`` (N, K, h, w) and the logit ``z_t`` of
class ``t``, channel ``k`` gets :math:`\\sum_{i,j} A_{k,i,j}\\, \\partial z_t / \\partial A_{k,i,j}`
(activation × gradient, summed over space). Shown next to each channel's feature visualisation, the
strongest channels form a small "semantic dictionary" of the decision (:func:`semantic_dictionary`).
"""

from __future__ import annotations

import numpy as np

from . import explain
from ._checks import as_int
from .widgets import new_figure

__all__ = ["channel_attribution", "top_channels", "semantic_dictionary"]


def channel_attribution(model, x, layer, target) -> np.ndarray:
    """Activation × gradient of the ``target`` logit, summed over space, per channel of ``layer``.

    Args:
        x: (N, C, H, W); target: int or (N,) classes.

    Returns:
        (N, K): one number per image and channel; positive channels push towards the target.
    """
    explain._check_model(model)
    x = explain._check_x(x)
    idx = explain.layer_index(model, layer)
    with explain.preserved(model):
        a = np.asarray(model[: idx + 1].forward(x))
        if a.ndim != 4:
            raise ValueError(f"layer {idx} ({type(model.layers[idx]).__name__}) has no spatial output "
                             f"(shape {a.shape}); channel attribution needs (N, K, h, w)")
        head = model[idx + 1 :]
        z = head.forward(a)
        t = explain._targets(target, len(x), z.shape[1])
        g = head.backward(explain._one_hot(t, z.shape[1], z.dtype))
    return (a.astype(np.float64) * np.asarray(g)).sum(axis=(2, 3))


def top_channels(attributions, k, by="value") -> np.ndarray:
    """Indices of the ``k`` channels with the largest attribution (``by="value"``, the evidence *for*
    the class) or the largest absolute attribution (``by="abs"``), strongest first; ``attributions`` (K,)."""
    a = np.asarray(attributions, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"attributions must be 1-D (K,) for one image, got shape {a.shape}")
    if by not in ("value", "abs"):
        raise ValueError(f"by must be 'value' or 'abs', got {by!r}")
    k = min(as_int(k, "k", 1), len(a))
    key = a if by == "value" else np.abs(a)
    return np.argsort(-key, kind="stable")[:k]


def semantic_dictionary(image, attributions, visualisations, k=4, title="", channel_names=None,
                        by="value", width=6.4, dpi=None):
    """A figure: the input on the left, then the ``k`` strongest channels, each as its feature
    visualisation with its attribution underneath (a bar, signed, on one shared scale).

    Args:
        image: (3, H, W) in [0, 1].
        attributions: (K,) for this image (:func:`channel_attribution`).
        visualisations: (K, 3, h, w) in [0, 1], one per channel of the layer.
        channel_names: optional labels (default ``"ch k"``).
        dpi: render resolution (default :data:`cnnlib.viz.DPI`: twice the displayed pixels).

    Returns:
        a matplotlib Figure.
    """
    attributions = np.asarray(attributions, dtype=np.float64)
    vis = np.asarray(visualisations)
    if vis.ndim != 4 or vis.shape[0] != len(attributions) or vis.shape[1] != 3:
        raise ValueError(f"visualisations must be (K, 3, h, w) with K = {len(attributions)}, got shape {vis.shape}")
    top = top_channels(attributions, k, by=by)
    names = [f"ch {c}" for c in range(len(attributions))] if channel_names is None else list(channel_names)
    n = len(top)
    fig, axes = new_figure(width, width / (n + 1) * 1.75, dpi=dpi, ncols=n + 1, nrows=2,
                           gridspec_kw={"height_ratios": [3, 1]})
    axes[0, 0].imshow(np.asarray(image).transpose(1, 2, 0), interpolation="nearest")
    axes[0, 0].set_title("input", fontsize=9)
    axes[1, 0].axis("off")
    lim = max(np.abs(attributions).max(), 1e-12)
    for m, c in enumerate(top, start=1):
        axes[0, m].imshow(vis[c].transpose(1, 2, 0), interpolation="bilinear")
        axes[0, m].set_title(names[c], fontsize=9)
        colour = "#0072B2" if attributions[c] >= 0 else "#D55E00"  # Okabe–Ito blue / vermilion
        axes[1, m].barh([0], [attributions[c]], color=colour)
        axes[1, m].set_xlim(-lim, lim)
        axes[1, m].axvline(0, color="0.5", lw=0.8)
        axes[1, m].set_yticks([])
        axes[1, m].tick_params(labelsize=8)
        axes[1, m].set_xlabel(f"{attributions[c]:+.2f}", fontsize=9)
    for ax in axes[0]:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
