"""Data that needs no network: scikit-learn's digits, a photograph shipped with matplotlib, named
kernels, and small generated images. Everything is deterministic."""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["load_digits", "DIGITS_SPLITS", "sample_image", "checkerboard", "KERNELS", "shapes", "SHAPE_CLASSES"]


#: How :func:`load_digits` splits scikit-learn's 1,797 digits: fixed, stratified, disjoint.
DIGITS_SPLITS = {"train": 1150, "val": 287, "test": 360}


def load_digits(split="train"):
    """scikit-learn's 8×8 handwritten digits, one split of a fixed stratified three-way split.

    The book's protocol: train on ``"train"`` (1,150 images), make every choice — epochs, learning rate,
    architecture — by the accuracy on ``"val"`` (287), and look at ``"test"`` (360) once, at the end. The
    three splits are disjoint and the same on every machine (``random_state=0``).

    Args:
        split: ``"train"``, ``"val"`` or ``"test"``.

    Returns:
        (x (N, 1, 8, 8) float32 in [0, 1], y (N,) int64), N as in :data:`DIGITS_SPLITS`.
    """
    if split not in DIGITS_SPLITS:
        raise ValueError(f"split must be one of {list(DIGITS_SPLITS)}, got {split!r}")
    return _digits_splits()[split]


@functools.lru_cache(maxsize=1)
def _digits_splits():
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    digits = _sk_load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_rest, x_test, y_rest, y_test = train_test_split(x, y, test_size=DIGITS_SPLITS["test"], stratify=y,
                                                      random_state=0)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=DIGITS_SPLITS["val"],
                                                      stratify=y_rest, random_state=0)
    out = {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}
    for xs, ys in out.values():  # callers get read-only arrays: a cached split cannot be changed by accident
        xs.flags.writeable = ys.flags.writeable = False
    return out


def sample_image(size=None, rgb=False):
    """A real photograph shipped inside matplotlib (Grace Hopper, 512×600), as floats in [0, 1].

    Args:
        size: if given, resize so that the longer side has this many pixels (aspect kept).
        rgb: return (H, W, 3) colour instead of (H, W) grey.
    """
    from matplotlib import cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = Image.open(f)
        img.load()
    if not rgb:
        img = img.convert("L")
    if size is not None:
        size = int(size)
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        w, h = img.size
        scale = size / max(w, h)
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.float64) / 255.0


def checkerboard(size=32, square=4):
    """A (size, size) board of 0/1 squares of side ``square``: edges in both directions."""
    i = np.arange(size) // square
    return ((i[:, None] + i[None, :]) % 2).astype(np.float64)


def _kernels():
    gauss = np.outer([1, 2, 1], [1, 2, 1]) / 16.0
    k = {
        "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "box blur": np.full((3, 3), 1 / 9),
        "gaussian blur": gauss,
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
        "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    }
    out = {}
    for name, v in k.items():
        arr = np.array(v, dtype=np.float64)
        arr.setflags(write=False)  # shared: nobody may change a preset by accident
        out[name] = arr
    return out


#: Named 3×3 kernels (read-only float64 arrays), for exploring what a convolution does.
KERNELS = _kernels()


#: The classes of :func:`shapes`, by label index.
SHAPE_CLASSES = ("circle", "square", "triangle", "cross")


def _shape_inside(kind: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether the points (u, v), in units of the shape's half-size around its centre, are inside it."""
    if kind == 0:  # circle
        return u * u + v * v <= 1.0
    if kind == 1:  # square (a little smaller than its box, so its area is close to the circle's)
        return (np.abs(u) <= 0.85) & (np.abs(v) <= 0.85)
    if kind == 2:  # triangle, apex up
        return (v <= 0.8) & (np.abs(u) <= (v + 1.0) / 1.8)
    # cross: two bars of a third of the width
    return ((np.abs(u) <= 0.3) & (np.abs(v) <= 1.0)) | ((np.abs(v) <= 0.3) & (np.abs(u) <= 1.0))


def _smooth_texture(rng, size: int, amplitude: float) -> np.ndarray:
    """(3, size, size): a sum of a few random low-frequency waves per channel, peak amplitude ``amplitude``."""
    i = np.arange(size)
    yy, xx = np.meshgrid(i, i, indexing="ij")
    tex = np.zeros((3, size, size))
    for c in range(3):
        for _ in range(3):
            fy, fx = rng.uniform(-3, 3, size=2) * 2 * np.pi / size
            tex[c] += np.sin(fy * yy + fx * xx + rng.uniform(0, 2 * np.pi))
        tex[c] *= amplitude / max(np.abs(tex[c]).max(), 1e-12)
    return tex


def shapes(n=2000, size=32, seed=0):
    """A synthetic colour data set with a known answer to "where is the evidence?".

    One shape per image (:data:`SHAPE_CLASSES`: circle, square, triangle, cross), fully inside the image
    at a random position, half-size 3.5–8.5 px (scaled with ``size``/32), random colour at least 0.5
    (RGB distance) from the background, anti-aliased edges; a background of base colour 0.2–0.8 per
    channel, a smooth texture of amplitude 0.1 and pixel noise σ = 0.05. The label depends on the shape
    alone: colours, sizes and positions are drawn the same way for every class.

    Args:
        n: number of images (>= 1).
        size: image side in pixels (>= 16).
        seed: the same seed always gives the same data.

    Returns:
        ``(x, y, masks)``: x (n, 3, size, size) float32 in [0, 1]; y (n,) int64 class indices;
        masks (n, size, size) bool, True where the shape covers at least half of the pixel.
    """
    from ._checks import as_int

    n = as_int(n, "n", 1)
    size = as_int(size, "size", 16)
    seed = as_int(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    scale = size / 32.0
    sub = 4  # anti-aliasing: coverage from sub×sub samples per pixel
    offsets = (np.arange(sub) + 0.5) / sub
    coords = (np.arange(size)[:, None] + offsets[None, :]).ravel()  # sample positions, pixel units
    x = np.empty((n, 3, size, size), dtype=np.float32)
    y = rng.integers(0, len(SHAPE_CLASSES), size=n).astype(np.int64)
    masks = np.empty((n, size, size), dtype=bool)
    for k in range(n):
        half = rng.uniform(3.5, 8.5) * scale
        cy, cx = rng.uniform(half, size - half, size=2)
        base = rng.uniform(0.2, 0.8, size=3)
        colour = rng.uniform(0, 1, size=3)
        while np.linalg.norm(colour - base) < 0.5:
            colour = rng.uniform(0, 1, size=3)
        v = (coords[:, None] - cy) / half
        u = (coords[None, :] - cx) / half
        inside = _shape_inside(int(y[k]), u, v).astype(np.float64)
        cover = inside.reshape(size, sub, size, sub).mean(axis=(1, 3))
        bg = base[:, None, None] + _smooth_texture(rng, size, 0.1)
        img = bg * (1 - cover) + colour[:, None, None] * cover
        img += rng.normal(0, 0.05, size=img.shape)
        x[k] = np.clip(img, 0, 1)
        masks[k] = cover >= 0.5
    return x, y, masks
