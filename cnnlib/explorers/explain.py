"""The explain explorer (chapter 5): an image of the shapes data set, an explanation method, a layer
(for Grad-CAM) and a target class; the heat-map over the image, the object's outline and the map's
maximum (the pointing game, one image at a time)."""

from __future__ import annotations

import functools

import numpy as np

from .. import data, explain, models
from ..functional import softmax
from ..widgets import HTML, Choice, Explorer, new_figure

__all__ = [
    "explain_explorer", "render_explanation", "explorer_model", "explorer_images", "LAYERS", "METHOD_NAMES",
    "overlay", "shapes_figure", "gallery_figure", "curves_figure", "to_rgb", "html_table",
]

#: Layers offered for Grad-CAM: label -> index in :func:`cnnlib.models.shapes_cnn`.
LAYERS = {"conv 1 (32×32)": 1, "conv 2 (16×16)": 4, "conv 3 (8×8)": 7}
#: Methods offered, in order.
METHOD_NAMES = ("saliency", "smoothgrad", "integrated gradients", "guided backprop", "grad-cam", "occlusion")

_SETTINGS = {"smoothgrad": {"n_samples": 25}, "integrated gradients": {"steps": 32}}


@functools.lru_cache(maxsize=1)
def explorer_model():
    """The trained shapes network (from the weights cache when present)."""
    return models.trained_shapes_cnn(cache=models.cache_path("shapes_cnn.npz"))[0]


@functools.lru_cache(maxsize=1)
def explorer_images():
    """One held-out image per class (``data.shapes(64, seed=1)``): (raw x, standardised x, masks), class order."""
    x, y, masks = data.shapes(64, seed=1)
    idx = [int(np.flatnonzero(y == k)[0]) for k in range(len(data.SHAPE_CLASSES))]
    return x[idx], models.standardise(x[idx]), masks[idx]


@functools.lru_cache(maxsize=256)
def _heat(i: int, method: str, layer, t: int) -> np.ndarray:
    kw = dict(_SETTINGS.get(method, {}))
    if layer is not None:
        kw["layer"] = layer
    return explain.explain(explorer_model(), explorer_images()[1][i : i + 1], t, method, **kw)[0]


def render_explanation(image: str, method: str, layer: int, target: str):
    """One state: the image with the heat-map over it, and the heat-map with the object's outline and
    a cross at its maximum. ``layer`` matters for Grad-CAM only.

    Raises:
        ValueError: unknown image, method or target name.
    """
    names = list(data.SHAPE_CLASSES)
    for value, what in ((image, "image"), (target, "target")):
        if value not in names:
            raise ValueError(f"{what} must be one of {names}, got {value!r}")
    if method not in METHOD_NAMES:
        raise ValueError(f"method must be one of {list(METHOD_NAMES)}, got {method!r}")
    model = explorer_model()
    raw, xs, masks = explorer_images()
    i, t = names.index(image), names.index(target)
    x1, mask = xs[i : i + 1], masks[i]
    heat = _heat(i, method, layer if method == "grad-cam" else None, t)
    probs = softmax(model.forward(x1), axis=1)[0]

    fig, (ax_img, ax_map) = new_figure(3.6, 1.75, ncols=2)
    rgb = raw[i].transpose(1, 2, 0)
    ax_img.imshow(rgb, interpolation="nearest")
    ax_img.imshow(overlay(heat), interpolation="bilinear")
    ax_img.set_title(f"image, prediction: {names[int(probs.argmax())]}", fontsize=7)
    im = ax_map.imshow(heat, cmap="inferno", interpolation="nearest")
    ax_map.contour(mask, levels=[0.5], colors="cyan", linewidths=0.8)
    r, c = np.unravel_index(int(heat.argmax()), heat.shape)
    hit = explain.pointing_game(heat[None], mask[None], tolerance=2) == 1.0
    ax_map.plot(c, r, "x", color="lime" if hit else "red", markersize=7, markeredgewidth=2)
    where = f"Grad-CAM at layer {layer}" if method == "grad-cam" else method
    ax_map.set_title(f"{where} for '{target}'", fontsize=7)
    cb = fig.colorbar(im, ax=ax_map, shrink=0.8, aspect=15)
    cb.ax.tick_params(labelsize=6)
    for ax in (ax_img, ax_map):
        ax.set_xticks([])
        ax.set_yticks([])
    verdict = "on the object (±2 px)" if hit else "<b>off</b> the object"
    caption = (f"p({target}) = {probs[t]:.3f} · map maximum {verdict}"
               + ("" if method == "grad-cam" else " · the layer control is used by Grad-CAM only"))
    return fig, HTML(caption)


def explain_explorer(title: str | None = "Explain explorer") -> Explorer:
    """Image × method × layer × target class → heat-map over the image.

    Live, four images, six methods, three Grad-CAM layers and four targets are offered; the static page
    precomputes two images (triangle, cross) × four methods (saliency, guided backprop, Grad-CAM, occlusion)
    × two layers × two targets (triangle, cross): 32 states, outputs that do not depend on the layer
    stored once.

    Returns:
        an :class:`~cnnlib.widgets.Explorer`.
    """
    classes = list(data.SHAPE_CLASSES)
    return Explorer(
        controls={
            "image": Choice(classes, "triangle", style="buttons", static=["triangle", "cross"]),
            "method": Choice(list(METHOD_NAMES), "grad-cam", style="dropdown",
                             static=["saliency", "guided backprop", "grad-cam", "occlusion"]),
            "layer": Choice(LAYERS, 4, style="buttons", label="Grad-CAM layer", static=[4, 7]),
            "target": Choice(classes, "triangle", style="buttons", label="target class", static=["triangle", "cross"]),
        },
        render=render_explanation,
        title=title,
    )


# --------------------------------------------------------------------------- the chapter's figures


def overlay(heat, cmap: str = "jet", strength: float = 0.75) -> np.ndarray:
    """An RGBA image of a heat-map (H, W) to draw over a picture: colour from ``cmap``, opacity growing
    with the value (0 is transparent), scaled to the map's 99th percentile (so a single extreme pixel
    does not make the rest invisible)."""
    from matplotlib import colormaps

    heat = np.asarray(heat, dtype=np.float64)
    top = np.percentile(heat, 99)
    top = top if top > 0 else heat.max()
    shown = np.clip(heat / top, 0, 1) if top > 0 else np.zeros_like(heat)
    rgba = colormaps[cmap](shown)
    rgba[..., 3] = strength * shown
    return rgba


def to_rgb(x) -> np.ndarray:
    """(C, H, W) with any range -> (H, W, 3) in [0, 1], stretched to its own min and max (for display)."""
    img = np.asarray(x, dtype=np.float64).transpose(1, 2, 0)
    lo, hi = img.min(), img.max()
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)


def _bare(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def shapes_figure(x, y, masks=None, n: int = 8):
    """The first ``n`` images of the shapes data set with their class (and, below, their masks)."""
    rows = 1 if masks is None else 2
    fig, axes = new_figure(0.95 * n, 1.05 * rows, ncols=n, nrows=rows, squeeze=False)
    for k in range(n):
        axes[0, k].imshow(np.asarray(x[k]).transpose(1, 2, 0), interpolation="nearest")
        axes[0, k].set_title(data.SHAPE_CLASSES[int(y[k])], fontsize=7)
        _bare(axes[0, k])
        if masks is not None:
            axes[1, k].imshow(masks[k], cmap="gray", interpolation="nearest")
            _bare(axes[1, k])
    if masks is not None:
        axes[1, 0].set_ylabel("mask", fontsize=7)
    return fig


def gallery_figure(raw, maps: dict, masks=None, size: float = 0.95):
    """Rows: images; columns: the image, then each named map (N, H, W) drawn over it, with the object's
    outline (from ``masks``) and a cross at each map's maximum (green on the object ±2 px, red off it)."""
    names = list(maps)
    n = len(raw)
    fig, axes = new_figure(size * (len(names) + 1), size * n + 0.2, ncols=len(names) + 1, nrows=n, squeeze=False)
    for i in range(n):
        rgb = np.asarray(raw[i]).transpose(1, 2, 0)
        axes[i, 0].imshow(rgb, interpolation="nearest")
        for j, name in enumerate(names):
            ax = axes[i, j + 1]
            heat = np.asarray(maps[name][i], dtype=np.float64)
            ax.imshow(rgb * 0.6 + 0.2, interpolation="nearest")
            ax.imshow(overlay(heat), interpolation="bilinear")
            if masks is not None:
                ax.contour(masks[i], levels=[0.5], colors="white", linewidths=0.6)
                r, c = np.unravel_index(int(heat.argmax()), heat.shape)
                hit = explain.pointing_game(heat[None], masks[i][None], tolerance=2) == 1.0
                ax.plot(c, r, "x", color="lime" if hit else "red", markersize=5, markeredgewidth=1.5)
            if i == 0:
                ax.set_title(name, fontsize=7)
        if i == 0:
            axes[i, 0].set_title("image", fontsize=7)
    for ax in axes.ravel():
        _bare(ax)
    return fig


def curves_figure(curves: dict, x=None, xlabel: str = "", ylabel: str = "", title: str = "", size=(4.2, 2.4),
                  styles: dict | None = None, xticklabels=None):
    """Named curves on one axes, with a legend outside on the right (``xticklabels``: one label per point)."""
    fig, ax = new_figure(*size)
    styles = styles or {}
    for name, ys in curves.items():
        xs = np.arange(len(ys)) if x is None else x
        ax.plot(xs, ys, label=name, marker="o", markersize=2.5, linewidth=1.2, **styles.get(name, {}))
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=7)
    if xticklabels is not None:
        ax.set_xticks(np.arange(len(xticklabels)) if x is None else x, list(xticklabels), fontsize=6)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def html_table(header, rows, fmt: str = "{:.2f}") -> HTML:
    """A small HTML table (numbers formatted with ``fmt``), for the chapter's evaluation table."""
    def cell(v):
        return fmt.format(v) if isinstance(v, float | np.floating) else str(v)

    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return HTML(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
