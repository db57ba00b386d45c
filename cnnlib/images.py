"""Images in and out of explorers: decoding a reader's uploaded photograph, and showing pictures sharply.

* :func:`decode_image` turns the bytes of an image file (PNG, JPEG, GIF, BMP, WebP, … as
  :class:`ipywidgets.FileUpload` gives them) into a network input ``(3, size, size)`` float32 in [0, 1]:
  the largest centred square, resized. A file that is not an image, is corrupt or truncated, or is too
  large is refused with a one-line :class:`ValueError`.
* :func:`upload_control` is the upload button of the explorers (live mode only): a good file calls back
  with the decoded image, a bad one shows that one line and changes nothing else.
* :func:`upscale`, :func:`figure_pixels` and :func:`encode_png` are the fast path of live explorers:
  pictures composed as arrays (nearest-neighbour upscaling, no resampling at draw time), a figure's
  pixels, and PNG encoding that is quick (live) or compact (static pages).
* :func:`sharp_images` shows the PNGs of a widget tree at half their pixel width, so figures rendered
  at 2× the displayed pixels stay crisp on high-density screens (the explorer framework shows a PNG at
  its natural width).

Pillow is used for decoding; it comes with matplotlib, and the browser's Pyodide has it too.
"""

from __future__ import annotations

import functools
import html
import io
import warnings

import numpy as np

from . import viz
from ._checks import as_int
from .viz import figure_pixels

__all__ = ["MAX_UPLOAD_BYTES", "decode_image", "decode_upload", "upload_control", "sharp_images", "encode_png",
           "figure_pixels", "upscale", "under", "sparse_layer"]

#: The largest file an upload may be (bytes).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: The most pixels a decoded file may have (a small file can claim huge dimensions: a "decompression bomb").
MAX_PIXELS = 40_000_000


def _as_bytes(data) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"data must be bytes (the file's content), got {type(data).__name__}")


def decode_image(data, size: int = 64) -> np.ndarray:
    """The image file ``data`` as a square network input.

    The largest centred square of the picture is cut out and resized to ``size`` × ``size`` (Lanczos);
    the EXIF orientation of phone photographs is applied first. Transparent pixels are put on white;
    greyscale, palette, CMYK and 16-bit images become RGB.

    Args:
        data: the file's bytes (``bytes``, ``bytearray`` or ``memoryview``).
        size: side of the result in pixels (>= 8).

    Returns:
        ``(3, size, size)`` float32 in [0, 1].

    Raises:
        ValueError: the file is empty, over :data:`MAX_UPLOAD_BYTES`, not an image, corrupt or
            truncated, or has more than :data:`MAX_PIXELS` pixels. The message is one line.
        TypeError: ``data`` is not bytes.
    """
    from PIL import Image, ImageOps

    data = _as_bytes(data)
    size = as_int(size, "size", 8)
    if not data:
        raise ValueError("the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.1f} MB")
    try:
        with warnings.catch_warnings():  # our own pixel limit below gives the reader's message
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > MAX_PIXELS:
            raise ValueError(f"the image is {w}×{h} pixels; the limit is {MAX_PIXELS / 1e6:.0f} megapixels")
        img.load()  # decoding happens here: a truncated or corrupt file fails now, not later
        img = ImageOps.exif_transpose(img)
        rgb = _to_rgb(img)
    except ValueError:
        raise
    except (OSError, SyntaxError, Image.DecompressionBombError, EOFError) as exc:
        # UnidentifiedImageError (not an image) and "image file is truncated" are OSErrors
        what = "is not an image Pillow can read" if isinstance(exc, Image.UnidentifiedImageError) else \
            "is corrupt or truncated"
        raise ValueError(f"the file {what} ({type(exc).__name__})") from None
    w, h = rgb.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    small = rgb.resize((size, size), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side))
    return (np.asarray(small, dtype=np.float32) / 255.0).transpose(2, 0, 1).copy()


def _to_rgb(img):
    """Any Pillow mode -> RGB (transparency composited on white, high bit depths scaled to 8 bits)."""
    from PIL import Image

    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        img = Image.fromarray(np.clip(a / top * 255.0, 0, 255).astype(np.uint8))
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, img)
    return img.convert("RGB")


def decode_upload(value, size: int = 64) -> tuple[str, np.ndarray]:
    """The first file of an :class:`ipywidgets.FileUpload` value, decoded by :func:`decode_image`.

    Args:
        value: the widget's ``value`` (ipywidgets 8: a tuple of dicts with ``name`` and ``content``),
            or a single such dict.

    Returns:
        ``(file name, (3, size, size) float32 image)``.

    Raises:
        ValueError: no file, or the file is refused (see :func:`decode_image`).
    """
    files = [value] if isinstance(value, dict) else list(value or ())
    if not files:
        raise ValueError("no file was uploaded")
    f = files[0]
    name = str(f.get("name", "upload"))
    return name, decode_image(f.get("content", b""), size=size)


def upload_control(on_image, size: int = 64, description: str = "Upload a photo"):
    """An upload button and a one-line status: ``on_image(name, image)`` is called with each good file.

    A refused file shows its one-line reason and does not call ``on_image`` (nothing else changes).
    If ``on_image`` raises :class:`ValueError`, its message is shown the same way.

    Returns:
        an :class:`ipywidgets.HBox` (CSS class ``explorer-upload``); ``box._upload_handle(value)``
        processes a FileUpload value directly (tests).
    """
    import ipywidgets as widgets

    from .widgets import tr

    button = widgets.FileUpload(accept="image/*", multiple=False, description=tr(description))
    status = widgets.HTML("")

    def handle(value):
        try:
            name, image = decode_upload(value, size=size)
            on_image(name, image)
        except ValueError as exc:
            status.value = f'<span class="upload-error" style="color:#b3261e">{html.escape(str(exc))}</span>'
            return False
        shown = tr("showing {name} (centre square, {size}×{size})").format(name=html.escape(name), size=size)
        status.value = f'<span class="upload-ok">{shown}</span>'
        return True

    def changed(change):
        if change["new"]:
            handle(change["new"])

    button.observe(changed, names="value")
    box = widgets.HBox([button, status], layout=widgets.Layout(align_items="center", gap="0.8em"))
    box.add_class("explorer-upload")
    box._upload_handle = handle
    return box


def _png_width(png: bytes) -> int | None:
    if isinstance(png, memoryview):
        png = png[:24].tobytes()
    if isinstance(png, bytes | bytearray) and png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) >= 24:
        return int.from_bytes(png[16:20], "big")
    return None


def sharp_images(widget, scale: int = 2):
    """Show every PNG :class:`ipywidgets.Image` under ``widget`` at 1/``scale`` of its pixel width,
    now and whenever its picture changes (live explorers). Returns ``widget``."""
    import ipywidgets as widgets

    def fix(img):
        w = _png_width(img.value)
        if w:
            want = str(max(1, w // scale))
            if img.width != want:
                img.width = want

    def walk(w):
        if isinstance(w, widgets.Image):
            fix(w)
            w.observe(lambda change, img=w: fix(img), names=["value", "width"])
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return widget


def upscale(a, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an image (H, W) or (H, W, C) by an integer ``scale``."""
    a = np.asarray(a)
    scale = as_int(scale, "scale", 1)
    return a.repeat(scale, axis=0).repeat(scale, axis=1)


def encode_png(pixels, compact: bool = False, colors: int = 64) -> bytes:
    """PNG bytes of ``pixels`` (H, W, 3|4) uint8 (alpha dropped).

    Args:
        compact: False: fast, light compression (live explorers, a few ms); True: reduced to a palette of
            ``colors`` colours and compressed hard (static pages, several times smaller).
    """
    from PIL import Image

    if not compact:
        return viz.encode_png(pixels)
    img = Image.fromarray(np.ascontiguousarray(np.asarray(pixels)[..., :3]))
    out = io.BytesIO()
    img = img.quantize(colors=as_int(colors, "colors", 2), method=Image.Quantize.FASTOCTREE,
                       dither=Image.Dither.NONE)
    img.save(out, format="png", optimize=True)
    return out.getvalue()


def sparse_layer(drawn):
    """The drawn pixels of ``drawn`` (H, W, 4) uint8 (a figure on a transparent background), kept for
    :func:`under`: ``(rows, cols, rgb, alpha)``. Text and lines cover few pixels, so keeping only those
    makes compositing fast, and a layer that does not change can be drawn once and kept."""
    drawn = np.asarray(drawn)
    rows, cols = np.nonzero(drawn[..., 3])
    return rows, cols, drawn[rows, cols, :3].astype(np.uint16), drawn[rows, cols, 3:4].astype(np.uint16)


def under(drawn, background) -> np.ndarray:
    """``drawn`` (H, W, 4) uint8, a figure drawn on a transparent background (or its
    :func:`sparse_layer`), composited over ``background`` (H, W, 3) uint8, in place: the fast way to put
    pixel panels under a figure's text and lines (matplotlib never resamples them). Returns ``background``."""
    rows, cols, rgb, a = drawn if isinstance(drawn, tuple) else sparse_layer(drawn)
    bg = background[rows, cols].astype(np.uint16)
    background[rows, cols] = ((rgb * a + bg * (255 - a) + 127) // 255).astype(np.uint8)
    return background


class Glyphs:
    """Short texts (numbers, labels) drawn straight into pixel arrays from glyphs rendered once.

    Matplotlib lays out and rasterises every text anew on every draw (a few ms each); a unit view has
    a hundred numbers. Here each character is rasterised once by matplotlib (same font, size and
    anti-aliasing) and a string is pasted glyph by glyph, with the font's advance widths (no kerning,
    which numbers do not need).

    Args:
        fontsize: points at display size; dpi: pixels per inch of the picture (144: 2× pixels).
        weight: "normal" or "bold".
    """

    @classmethod
    @functools.cache
    def shared(cls, fontsize: float = 9, dpi: int = 144, weight: str = "normal") -> Glyphs:
        """One glyph set per (fontsize, dpi, weight) for the whole process: each glyph is rasterised once."""
        return cls(fontsize, dpi, weight)

    def __init__(self, fontsize: float = 9, dpi: int = 144, weight: str = "normal"):
        self.fontsize, self.dpi, self.weight = fontsize, dpi, weight
        self.box = int(round(fontsize * dpi / 72 * 2))  # a glyph's square canvas, pixels
        self.baseline = int(round(self.box * 0.7))
        self._glyphs: dict = {}

    def _glyph(self, ch: str):
        if ch not in self._glyphs:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(self.box / self.dpi, self.box / self.dpi), dpi=self.dpi)
            fig.patch.set_facecolor("none")
            pad = self.box // 8
            t = fig.text(pad / self.box, 1 - self.baseline / self.box, ch, fontsize=self.fontsize,
                         weight=self.weight, va="baseline", ha="left", color="black")
            alpha = figure_pixels(fig)[..., 3].astype(np.float32) / 255.0
            renderer = fig.canvas.get_renderer()
            advance = t.get_window_extent(renderer).width if ch.strip() else self.box * 0.3
            self._glyphs[ch] = (alpha[:, pad:], float(advance))
        return self._glyphs[ch]

    def width(self, text: str) -> float:
        """The width of ``text`` in pixels."""
        return sum(self._glyph(ch)[1] for ch in text)

    def draw(self, pixels, text: str, x: float, y: float, ha: str = "left", va: str = "center",
             colour=(0, 0, 0)) -> None:
        """Paste ``text`` into ``pixels`` (H, W, 3) uint8 at pixel (x, y); ``ha`` left/center/right,
        ``va`` center/baseline/top."""
        if ha not in ("left", "center", "right") or va not in ("center", "baseline", "top"):
            raise ValueError(f"ha must be left/center/right and va center/baseline/top, got {ha!r}, {va!r}")
        w = self.width(text)
        x0 = x - (w / 2 if ha == "center" else w if ha == "right" else 0)
        em = self.fontsize * self.dpi / 72
        base = y + (0.36 * em if va == "center" else 0.0 if va == "baseline" else 0.76 * em)
        top = int(round(base)) - self.baseline
        col = np.asarray(colour, dtype=np.float32)
        h_img, w_img = pixels.shape[:2]
        for ch in text:
            alpha, adv = self._glyph(ch)
            gx = int(round(x0))
            x0 += adv
            gh, gw = alpha.shape
            ya, yb, xa, xb = max(top, 0), min(top + gh, h_img), max(gx, 0), min(gx + gw, w_img)
            if ya >= yb or xa >= xb:
                continue
            a = alpha[ya - top: yb - top, xa - gx: xb - gx, None]
            region = pixels[ya:yb, xa:xb].astype(np.float32)
            pixels[ya:yb, xa:xb] = (region * (1 - a) + col * a + 0.5).astype(np.uint8)
