"""The explain explorer (chapter 5): an image, an explanation method and a target class; the image,
the map and the map over the image side by side, with the object's outline and the map's maximum (the
pointing game, one image at a time).

Two networks, one explorer each (:func:`explain_explorer`): ``"shapes"`` (chapter 5's 32×32 shapes
network, one held-out image per class) and ``"texture"`` (the 64×64 photographs network of
:func:`cnnlib.models.trained_texture_cnn`, one test scene per class, and, live, the reader's own
uploaded photograph). Grad-CAM's layer is part of the method ("Grad-CAM (conv 2)"), so no control is
ever shown that changes nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import data, explain, images, layers, models, twin_outputs
from ..functional import softmax
from ..widgets import HTML, Choice, Explorer, new_figure

__all__ = [
    "explain_explorer", "render_explanation", "explorer_model", "explorer_images", "network_spec",
    "method_options", "clear_caches", "METHOD_NAMES", "MAP_CMAP", "NETWORKS",
    "overlay", "shapes_figure", "gallery_figure", "curves_figure", "to_rgb", "html_table",
]

#: Explanation methods (the names of :data:`cnnlib.explain.METHODS`), in the order offered.
METHOD_NAMES = ("saliency", "smoothgrad", "integrated gradients", "guided backprop", "grad-cam", "occlusion")
#: Colour map of every explanation map and overlay (perceptually uniform, dark = nothing).
MAP_CMAP = "inferno"
#: The networks the explorer can explain.
NETWORKS = ("shapes", "texture")
#: What the target control offers besides the class names.
TRUE, OTHER = "true class", "strongest other class"
#: The "image" value of the reader's uploaded photograph (texture network, live mode).
UPLOAD = "your photo"

_LABELS = {"saliency": "saliency", "smoothgrad": "SmoothGrad", "integrated gradients": "Integrated Gradients",
           "guided backprop": "guided backprop", "occlusion": "occlusion"}
_SETTINGS = {"smoothgrad": {"n_samples": 24}, "integrated gradients": {"steps": 24}}
_SCALE = {"shapes": 12, "texture": 6}  # pixel scale of the panels: 384 image pixels, shown at 192 px
_COMPACT = [False]  # True while a static page is precomputed: palette PNGs, compressed hard


@dataclass(frozen=True)
class NetworkSpec:
    """What the explorer needs to know about one network."""

    name: str
    classes: tuple[str, ...]
    conv_relus: tuple[int, ...]  # index of the ReLU after each conv layer (Grad-CAM's layers)
    static_cams: tuple[int, ...]  # which of them (1-based conv numbers) the static page precomputes
    occlusion: dict


def _conv_relus(model) -> tuple[int, ...]:
    out = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, layers.Conv2d):
            nxt = model.layers[i + 1] if i + 1 < len(model.layers) else None
            out.append(i + 1 if isinstance(nxt, layers.ReLU) else i)
    return tuple(out)


def _check_network(network):
    if network not in NETWORKS:
        raise ValueError(f"network must be one of {list(NETWORKS)}, got {network!r}")


@functools.cache
def explorer_model(network: str = "shapes"):
    """The trained network (from the weights cache when present)."""
    _check_network(network)
    if network == "shapes":
        return models.trained_shapes_cnn(cache=models.cache_path("shapes_cnn.npz"))[0]
    from .overview import texture_model

    return texture_model()


@functools.cache
def network_spec(network: str = "shapes") -> NetworkSpec:
    """Class names, Grad-CAM layers and occlusion settings of ``network``."""
    model = explorer_model(network)
    relus = _conv_relus(model)
    if network == "shapes":
        return NetworkSpec("shapes", tuple(data.SHAPE_CLASSES), relus, (2, 3), {"patch_size": 4, "stride": 2})
    n = len(relus)
    return NetworkSpec("texture", tuple(data.TEXTURE_CLASSES), relus, (n,), {"patch_size": 8, "stride": 4})


@functools.cache
def explorer_images(network: str = "shapes"):
    """One held-out image per class, class order: ``(raw x, model input x, masks)``.

    Shapes: ``data.shapes(64, seed=1)`` (the network sees them standardised); texture: the test split of
    ``data.texture_scenes`` (the network normalises inside).
    """
    _check_network(network)
    if network == "shapes":
        x, y, masks = data.shapes(64, seed=1)
        n_classes, prep = len(data.SHAPE_CLASSES), models.standardise
    else:
        x, y, masks = data.texture_scenes(64, split="test", seed=0)
        n_classes, prep = len(data.TEXTURE_CLASSES), (lambda a: np.asarray(a, dtype=np.float32))
    idx = [int(np.flatnonzero(y == k)[0]) for k in range(n_classes)]
    return x[idx], prep(x[idx]), masks[idx]


def method_options(network: str = "shapes", static: bool = False) -> dict[str, str]:
    """The method control's options, label -> value: the methods, Grad-CAM once per conv layer."""
    spec = network_spec(network)
    out = {}
    for m in METHOD_NAMES:
        if static and spec.name == "texture" and m in ("saliency", "guided backprop"):
            continue  # one scene per class: the page keeps four methods (the live explorer has all)
        if m == "grad-cam":
            for k in range(1, len(spec.conv_relus) + 1):
                if not static or k in spec.static_cams:
                    out[f"Grad-CAM (conv {k})"] = f"grad-cam {k}"
        else:
            out[_LABELS[m]] = m
    return out


def _parse_method(method: str, spec: NetworkSpec):
    if isinstance(method, str) and method.startswith("grad-cam "):
        k = method.split()[1]
        if k.isdigit() and 1 <= int(k) <= len(spec.conv_relus):
            return "grad-cam", int(k)
    elif method in METHOD_NAMES and method != "grad-cam":
        return method, None
    raise ValueError(f"method must be one of {list(method_options(spec.name).values())}, got {method!r}")


class _Uploads:
    """The reader's uploaded photographs, one per network (live mode)."""

    images: dict = {}
    version: dict = {}


@functools.lru_cache(maxsize=512)
def _forward(network: str, image: str, version: int):
    x1 = _input(network, image)
    return softmax(explorer_model(network).forward(x1), axis=1)[0]


def clear_caches() -> None:
    """Forget cached models, maps, figures and uploads (tests swap the model)."""
    for f in (explorer_model, network_spec, explorer_images, _forward, _heat, _figure):
        getattr(f, "cache_clear", lambda: None)()  # a test may have replaced one by a plain function
    _Uploads.images.clear()
    _Uploads.version.clear()


def _input(network: str, image: str):
    if image == UPLOAD:
        if network not in _Uploads.images:
            raise ValueError("no photo uploaded yet: use the upload button above")
        return _Uploads.images[network][None]
    spec = network_spec(network)
    if image not in spec.classes:
        raise ValueError(f"image must be one of {list(spec.classes)}, got {image!r}")
    i = spec.classes.index(image)
    return explorer_images(network)[1][i : i + 1]


@functools.lru_cache(maxsize=512)
def _heat(network: str, image: str, version: int, method: str, layer, t: int) -> np.ndarray:
    """The map (H, W) of one image, method and target (cached: moving another control reuses it)."""
    spec = network_spec(network)
    kw = dict(_SETTINGS.get(method, {}))
    if method == "grad-cam":
        kw["layer"] = spec.conv_relus[layer - 1]
    if method == "occlusion":
        kw.update(spec.occlusion)
    return explain.explain(explorer_model(network), _input(network, image), t, method, **kw)[0]


def _target_index(target, probs, true_index, classes) -> tuple[int, str]:
    if target == TRUE:
        if true_index is None:  # an uploaded photo has no label: explain the prediction
            return int(probs.argmax()), "the predicted class"
        return true_index, "the true class"
    if target == OTHER:
        ref = int(probs.argmax()) if true_index is None else true_index
        order = [int(k) for k in np.argsort(-probs) if k != ref]
        return order[0], "the strongest other class"
    if target not in classes:
        raise ValueError(f"target must be one of {[TRUE, OTHER, *classes]}, got {target!r}")
    return classes.index(target), "chosen"


class _Figure:
    """One figure per network, made once; every render updates its artists in place.

    The three panels are composed as one pixel array (nearest-neighbour, ``scale`` image pixels per
    input pixel); matplotlib draws only the titles, the object's outline, the marker at the maximum and
    the colour bar's ticks on a transparent figure, which is composited over the panels
    (:func:`cnnlib.images.under`): no image resampling, so an update costs tens of ms.
    """

    W, H = 668, 220  # displayed pixels; the PNG has twice as many
    PANEL, GAP, X0, Y0, BAR = 192, 14, 6, 6, 12

    def __init__(self, size: int, scale: int):
        from matplotlib import colormaps
        from matplotlib.figure import Figure

        self.size, self.scale = size, scale
        fig = Figure(figsize=(self.W / 72, self.H / 72), dpi=144)
        fig.patch.set_facecolor("none")
        px = 2 * self.PANEL  # panel side in image pixels
        if size * scale != px:
            raise ValueError(f"size × scale must be {px}, got {size} × {scale}")
        self.lut = (colormaps[MAP_CMAP](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
        self.x_of = [2 * (self.X0 + k * (self.PANEL + self.GAP)) for k in range(3)]
        bar_x = self.x_of[2] + px + 2 * 10
        self.pixels = np.full((2 * self.H, 2 * self.W, 3), 255, np.uint8)  # the whole picture, white
        self.top = 2 * (self.H - self.Y0 - self.PANEL)  # first pixel row of the panels
        ramp = np.linspace(1, 0, px)[:, None].repeat(2 * self.BAR, axis=1)
        self.pixels[self.top: self.top + px, bar_x: bar_x + 2 * self.BAR] = self.lut[(ramp * 255).astype(int)]

        def box(x, w):
            return [x / self.W, self.Y0 / self.H, w / self.W, self.PANEL / self.H]

        self.axes = [fig.add_axes(box(self.X0 + k * (self.PANEL + self.GAP), self.PANEL)) for k in range(3)]
        for ax in self.axes:
            ax.set_facecolor("none")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlim(-0.5, size - 0.5)
            ax.set_ylim(size - 0.5, -0.5)
        bar = fig.add_axes(box(bar_x / 2, self.BAR))
        bar.set_facecolor("none")
        bar.set_xticks([])
        bar.set_ylim(0, 1)
        bar.yaxis.tick_right()
        bar.set_yticks([0, 0.5, 1], labels=["0", "½", "max"])
        bar.tick_params(labelsize=10)
        self.marks = [ax.plot([], [], linestyle="none", markersize=12, markeredgewidth=2.4)[0]
                      for ax in self.axes[1:]]
        self.titles = [ax.set_title("", fontsize=11, loc="left", pad=3) for ax in self.axes]
        self.outlines = []
        self.fig = fig

    def update(self, rgb, heat, mask, titles, hit, compact: bool):
        for cs in self.outlines:
            cs.remove()
        self.outlines = []
        px, s = 2 * self.PANEL, self.scale
        top = float(np.percentile(heat, 99.5))
        top = top if top > 0 else float(heat.max())
        shown = np.clip(heat / top, 0, 1) if top > 0 else np.zeros_like(heat)
        rgb8 = np.clip(np.asarray(rgb) * 255, 0, 255).astype(np.uint8)
        coloured = self.lut[(shown * 255).astype(np.uint8)]
        alpha = (0.8 * shown)[..., None]
        base = np.asarray(rgb) * 0.6 + 0.2
        over = np.clip((base * (1 - alpha) + coloured / 255.0 * alpha) * 255, 0, 255).astype(np.uint8)
        for k, panel in enumerate((rgb8, coloured, over)):
            self.pixels[self.top: self.top + px, self.x_of[k]: self.x_of[k] + px] = images.upscale(panel, s)
        for t, text in zip(self.titles, titles, strict=True):
            t.set_text(text)
        r, c = np.unravel_index(int(heat.argmax()), heat.shape)
        on = hit in (True, None)
        for mark in self.marks:
            mark.set_data([c], [r])
            # the marker's shape says hit or miss, not its colour alone
            mark.set_marker("o" if on else "X")
            mark.set_markerfacecolor("none" if on else "#56b4e9")
            mark.set_markeredgecolor("#56b4e9" if on else "white")
        if mask is not None:
            for ax in self.axes[1:]:
                self.outlines.append(ax.contour(mask.astype(float), levels=[0.5], colors="white",
                                                linewidths=1.2, linestyles="--"))
        picture = images.under(images.figure_pixels(self.fig), self.pixels.copy())
        return images.encode_png(picture, compact=compact, colors=128)


@functools.cache
def _figure(network: str) -> _Figure:
    size = explorer_images(network)[0].shape[-1]
    return _Figure(size, _SCALE[network])


def render_explanation(image: str, method: str, target: str, network: str = "shapes"):
    """One state: the image, the map, and the map over the image (the object's dashed outline, a circle
    at the map's maximum when it lies on the object ±2 px, a cross when it does not).

    Args:
        image: a class name (that class's held-out image) or, texture network only, :data:`UPLOAD`.
        method: a value of :func:`method_options` (``"saliency"``, ``"grad-cam 2"``, ...).
        target: :data:`TRUE`, :data:`OTHER` or a class name: the class whose evidence is mapped.
        network: ``"shapes"`` or ``"texture"``.

    Returns:
        (PNG bytes at 2× the displayed pixels, caption :class:`~cnnlib.widgets.HTML`).

    Raises:
        ValueError: unknown network, image, method or target, or no photo uploaded yet.
    """
    _check_network(network)
    spec = network_spec(network)
    name, layer = _parse_method(method, spec)
    version = _Uploads.version.get(network, 0) if image == UPLOAD else 0
    x1 = _input(network, image)
    probs = _forward(network, image, version)
    if image == UPLOAD:
        true_index, raw, mask = None, _Uploads.images[network], None
    else:
        true_index = spec.classes.index(image)
        raw_all, _, masks = explorer_images(network)
        raw, mask = raw_all[true_index], masks[true_index]
    t, why = _target_index(target, probs, true_index, list(spec.classes))
    heat = _heat(network, image, version, name, layer, t)
    hit = None if mask is None else bool(explain.pointing_hits(heat[None], mask[None], tolerance=2)[0])
    label = f"Grad-CAM (conv {layer})" if name == "grad-cam" else _LABELS[name]
    h = x1.shape[-1]
    titles = (f"{'your photo' if image == UPLOAD else 'test image'}, {h}×{h}",
              f"{label}", f"over the image: '{spec.classes[t]}'")
    png = _figure(network).update(np.asarray(raw, dtype=np.float64).transpose(1, 2, 0), heat, mask, titles, hit,
                                  compact=_COMPACT[0])
    pred = int(probs.argmax())
    verdict = "" if hit is None else (" · map maximum on the object (±2 px): ○" if hit
                                      else " · map maximum <b>off</b> the object: ✕")
    caption = (f"prediction: <b>{spec.classes[pred]}</b> (p = {probs[pred]:.2f}) · explained: "
               f"<b>{spec.classes[t]}</b>, {why if why != 'chosen' else 'chosen'} (p = {probs[t]:.2f}){verdict}")
    return png, HTML(caption)


class _ExplainExplorer(Explorer):
    """An Explorer whose pictures are shown at half their pixels, with an upload button live (texture)."""

    network = "shapes"

    @twin_outputs.bilingual
    def build(self, mode=None):
        from ..widgets import default_mode

        mode = default_mode() if mode is None else mode
        _COMPACT[0] = mode == "static"
        try:
            box = super().build(mode)
        finally:
            _COMPACT[0] = False
        box.add_class("cnn-explain")
        if mode == "live" and self.network == "texture":
            control = box._explorer_controls["image"]

            def on_image(name, x):
                _Uploads.images[self.network] = x
                _Uploads.version[self.network] = _Uploads.version.get(self.network, 0) + 1
                if control.value == UPLOAD:
                    box._explorer_update()
                else:
                    control.value = UPLOAD

            upload = images.upload_control(on_image)
            box.children = (*box.children[:-1], upload, box.children[-1])
            box._explorer_upload = upload
        images.sharp_images(box)
        self.widget = box
        return box


def explain_explorer(title: str | None = "Explain explorer", network: str = "shapes") -> Explorer:
    """Image × method × target class → the map, and the map over the image.

    Live, every class's image, every method (Grad-CAM at every conv layer) and every target are offered
    (texture network: and an uploaded photo). The static page precomputes every image × seven methods
    (Grad-CAM at the last two conv layers) × two targets (the true class, the strongest other class).

    Args:
        title: heading above the controls.
        network: ``"shapes"`` (chapter 5) or ``"texture"`` (the photographs section).

    Returns:
        an :class:`~cnnlib.widgets.Explorer` (shows itself when a cell ends with it).
    """
    _check_network(network)
    spec = network_spec(network)
    classes = list(spec.classes)
    image_options = classes + ([UPLOAD] if network == "texture" else [])
    methods = method_options(network)
    default_cam = f"grad-cam {spec.static_cams[0]}"
    e = _ExplainExplorer(
        controls={
            "image": Choice(image_options, classes[0], style="buttons" if len(classes) <= 5 else "dropdown",
                            static=classes),
            "method": Choice(methods, default_cam, style="dropdown",
                             static=list(method_options(network, static=True).values())),
            "target": Choice([TRUE, OTHER, *classes], TRUE, style="dropdown", label="explain the class",
                             static=[TRUE, OTHER]),
        },
        render=lambda image, method, target: render_explanation(image, method, target, network=network),
        title=title,
        max_bytes=2_400_000,
    )
    e.network = network
    return e


# --------------------------------------------------------------------------- the chapter's figures


def overlay(heat, cmap: str = MAP_CMAP, strength: float = 0.8) -> np.ndarray:
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
                hit = bool(explain.pointing_hits(heat[None], masks[i][None], tolerance=2)[0])
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
