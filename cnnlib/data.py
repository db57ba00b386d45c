"""Data that needs no network: scikit-learn's digits, a photograph shipped with matplotlib, named
kernels, and small generated images. Everything is deterministic."""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["load_digits", "DIGITS_SPLITS", "sample_image", "checkerboard", "KERNELS", "shapes", "SHAPE_CLASSES",
           "texture_scenes", "TEXTURE_CLASSES", "TEXTURE_SOURCES", "TEXTURE_BANDS", "texture_photograph_regions",
           "write_texture_photographs", "TEXTURE_PHOTOGRAPHS_FILE"]


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


# --- Texture scenes cut from photographs that ship inside installed packages -------------------------------

#: The classes of :func:`texture_scenes`, by label index.
TEXTURE_CLASSES = ("brick", "grass", "gravel", "moon", "stars", "tissue")

#: Where every texture comes from: (class, scikit-image function, colour, the part of the photograph used
#: as (row0, row1, col0, col1) after downsampling by ``step``, and the licence, as given in the docstring
#: of the ``skimage.data`` function). All are loaded with ``skimage.data`` from files inside the package.
TEXTURE_SOURCES = (
    # class     skimage.data   colour  step  rows, cols              licence / source
    ("brick",   "brick",       False,  1, (0, 512, 0, 512),   "CC0 (CC0Textures, Bricks25)"),
    ("grass",   "grass",       False,  1, (0, 512, 0, 512),   "CC0 (DeviantArt, linolafett, Grass-01)"),
    ("gravel",  "gravel",      False,  1, (0, 512, 0, 512),   "CC0 (CC0Textures, Gravel04)"),
    ("moon",    "moon",        False,  1, (0, 300, 0, 512),   "scikit-image sample data, no licence stated"),
    ("stars",   "hubble_deep_field", True, 2, (0, 436, 0, 500), "public domain (NASA, Hubble eXtreme Deep Field)"),
    ("tissue",  "immunohistochemistry", True, 1, (0, 512, 0, 512),
     "no known copyright restrictions (CMMI, colonic glands, IHC stain)"),
)

#: Fractions of each photograph's region (along its longer side) that feed each split: disjoint bands.
TEXTURE_BANDS = {"train": (0.0, 0.6), "val": (0.6, 0.8), "test": (0.8, 1.0)}


#: Where the browser's cnnlib finds the photographs' regions (:func:`write_texture_photographs` writes it
#: into the JupyterLite site's cnnlib wheel: Pyodide has no scikit-image). Not present in a normal install.
TEXTURE_PHOTOGRAPHS_FILE = "photographs/texture_sources.npz"


def _bundled_photographs():
    from importlib import resources

    return resources.files("cnnlib").joinpath(TEXTURE_PHOTOGRAPHS_FILE)


@functools.cache
def texture_photograph_regions() -> dict[str, np.ndarray]:
    """The raw pixels (uint8, (H, W) grey or (H, W, 3) colour) of each class's region of
    :data:`TEXTURE_SOURCES`, before any processing, read from scikit-image — or, where scikit-image is
    missing (the browser), from the file :func:`write_texture_photographs` made.

    Raises:
        ImportError: neither scikit-image nor that file is available.
    """
    try:
        import skimage.data
    except ImportError:
        bundle = _bundled_photographs()
        if not bundle.is_file():
            raise ImportError("texture_scenes needs scikit-image's sample photographs: "
                              "pip install scikit-image") from None
        with bundle.open("rb") as f, np.load(f) as z:
            regions = {name: z[name] for name in TEXTURE_CLASSES}
    else:
        regions = {}
        for name, fn, _, step, (r0, r1, c0, c1), _ in TEXTURE_SOURCES:
            raw = np.asarray(getattr(skimage.data, fn)())
            regions[name] = raw[r0 * step: r1 * step, c0 * step: c1 * step]  # whole blocks of the downsampling
    for a in regions.values():
        a.setflags(write=False)  # cached: shared by every caller
    return regions


def write_texture_photographs(path) -> None:
    """Save :func:`texture_photograph_regions` (read from scikit-image) to ``path`` (compressed ``.npz``,
    about 3 MB): what a cnnlib without scikit-image needs to make the very same scenes."""
    np.savez_compressed(path, **texture_photograph_regions())


@functools.cache
def _texture_photo(name: str) -> np.ndarray:
    """(3, H, W) float32 in [0, 1], read-only: the region of :data:`TEXTURE_SOURCES` for class ``name``,
    contrast-stretched per channel by percentiles (1 %, 99 %) measured on its training band only."""
    step = next(s[3] for s in TEXTURE_SOURCES if s[0] == name)
    img = np.asarray(texture_photograph_regions()[name], dtype=np.float32)
    if img.ndim == 2:
        img = img[:, :, None]
    if step > 1:  # downsample by block means: denser texture, fewer JPEG artefacts
        h, w = (img.shape[0] // step) * step, (img.shape[1] // step) * step
        img = img[:h, :w].reshape(h // step, step, w // step, step, -1).mean(axis=(1, 3))
    img = img.transpose(2, 0, 1)
    if img.shape[0] == 1:
        img = np.repeat(img, 3, axis=0)
    lo, hi = np.percentile(_band(img, "train"), [1, 99], axis=(1, 2))  # per channel, shape (3,) each
    img = np.clip((img - lo[:, None, None]) / np.maximum(hi - lo, 1e-6)[:, None, None], 0, 1).astype(np.float32)
    img.setflags(write=False)
    return img


def _band(img: np.ndarray, split: str) -> np.ndarray:
    """The split's band of a (3, H, W) region: rows if it is taller than wide, else columns."""
    a, b = TEXTURE_BANDS[split]
    axis = 1 if img.shape[1] >= img.shape[2] else 2
    length = img.shape[axis]
    sl = slice(int(round(a * length)), int(round(b * length)))
    return img[:, sl] if axis == 1 else img[:, :, sl]


def _texture_max_size() -> int:
    return min(min(_band(_texture_photo(c), s).shape[1:]) for c in TEXTURE_CLASSES for s in TEXTURE_BANDS)


def _crops(rng, band: np.ndarray, n: int, size: int) -> np.ndarray:
    """(n, 3, size, size): random crops of ``band``, each flipped left-right and/or up-down at random."""
    _, h, w = band.shape
    r0 = rng.integers(0, h - size + 1, size=n)
    c0 = rng.integers(0, w - size + 1, size=n)
    ar = np.arange(size)
    flip_r, flip_c = rng.random(n) < 0.5, rng.random(n) < 0.5
    rows = r0[:, None] + np.where(flip_r[:, None], ar[::-1], ar)  # (n, size)
    cols = c0[:, None] + np.where(flip_c[:, None], ar[::-1], ar)
    return band[:, rows[:, :, None], cols[:, None, :]].transpose(1, 0, 2, 3)


#: Blob radius at rest, as fractions of the image side, and the largest amplitude of its wobble. The blob
#: lies wholly inside the scene, so the background touches every border: that is what tells a network which
#: of the two textures is the pasted region. Smaller blobs (which would leave the image centre more often)
#: were tried: at 13 % of the image Tiny VGG reached 46 %
#: validation accuracy after three epochs against 78 % at this size, and at 8 % it stalled near 40 %.
TEXTURE_BLOB_RADIUS = (0.17, 0.3)
TEXTURE_BLOB_WOBBLE = 0.3


def _blobs(rng, n: int, size: int) -> np.ndarray:
    """(n, size, size) bool: irregular blobs, a radius varying smoothly with angle (three harmonics)."""
    radius = rng.uniform(*TEXTURE_BLOB_RADIUS, size=n) * size
    amp = rng.uniform(-TEXTURE_BLOB_WOBBLE, TEXTURE_BLOB_WOBBLE, size=(n, 3)) / np.arange(1, 4)
    phase = rng.uniform(0, 2 * np.pi, size=(n, 3))
    reach = radius * (1 + np.abs(amp).sum(axis=1))
    # pixel centres lie 0.5 px inside the border: a centre farther than reach + 0.5 from every border
    # keeps the blob off the border pixels; the largest blobs shrink to fit
    fit = np.minimum(1.0, (size / 2 - 1) / reach)
    radius, reach = radius * fit, reach * fit
    margin = reach + 0.501
    cy = rng.uniform(margin, size - margin)
    cx = rng.uniform(margin, size - margin)
    i = np.arange(size, dtype=np.float32) + 0.5
    cos_phi, sin_phi = np.cos(phase).astype(np.float32), np.sin(phase).astype(np.float32)
    a_cos, a_sin = (amp * cos_phi).astype(np.float32), (amp * sin_phi).astype(np.float32)
    out = np.empty((n, size, size), dtype=bool)
    for start in range(0, n, 256):  # chunks that stay in cache
        sl = slice(start, start + 256)
        dy = i[None, :, None] - cy[sl, None, None].astype(np.float32)
        dx = i[None, None, :] - cx[sl, None, None].astype(np.float32)
        r2 = dy * dy + dx * dx
        r = np.sqrt(r2) + np.float32(1e-6)
        c1, s1 = dx / r, dy / r  # cos θ, sin θ; the harmonics by the angle-addition formulas
        c2, s2 = c1 * c1 - s1 * s1, 2 * c1 * s1
        c3, s3 = c1 * c2 - s1 * s2, s1 * c2 + c1 * s2
        wobble = np.zeros_like(r)
        for k, (ck, sk) in enumerate(((c1, s1), (c2, s2), (c3, s3))):
            # amp·cos(kθ + φ) = amp·(cos kθ cos φ − sin kθ sin φ)
            wobble += a_cos[sl, k, None, None] * ck - a_sin[sl, k, None, None] * sk
        out[sl] = r2 <= (radius[sl, None, None].astype(np.float32) * (1 + wobble)) ** 2
    return out


def texture_scenes(n, size=64, split="train", seed=0):
    """Scenes of real textures: a background of one class with an irregular blob of another pasted in.

    Each of the six classes of :data:`TEXTURE_CLASSES` is a texture cut from a photograph that ships
    inside scikit-image (``skimage.data``; nothing is downloaded):

    ======  ===============================  ======  =================================================
    class   photograph (``skimage.data``)    colour  licence (from the ``skimage.data`` docstrings)
    ======  ===============================  ======  =================================================
    brick   ``brick``, 512×512               grey    CC0 (CC0Textures "Bricks25")
    grass   ``grass``, 512×512               grey    CC0 (DeviantArt, linolafett "Grass-01")
    gravel  ``gravel``, 512×512              grey    CC0 (CC0Textures "Gravel04")
    moon    ``moon``, top 300 rows           grey    scikit-image sample data (no licence stated)
    stars   ``hubble_deep_field``            colour  public domain (NASA, Hubble eXtreme Deep Field)
    tissue  ``immunohistochemistry``         colour  no known copyright restrictions (CMMI; colonic
                                                     glands stained for FHL2)
    ======  ===============================  ======  =================================================

    Four classes are greyscale photographs (shown as grey RGB) and two are colour, so colour alone
    separates the two groups; within each group only the texture tells the classes apart. ``stars`` is
    downsampled 2× (block means). Each photograph is contrast-stretched once, per colour channel, by its
    1st and 99th percentiles measured on its training band.

    **No leakage.** Each photograph's region is cut along its longer side into three disjoint bands: the
    first 60 % feeds ``"train"``, the next 20 % ``"val"``, the last 20 % ``"test"``
    (:data:`TEXTURE_BANDS`). Every pixel of a scene is copied from its split's band, so no test pixel
    ever appears in a training or validation scene, whatever the seeds.

    A scene: a ``size``×``size`` crop of the background class (random position, random flips) and a crop
    of another class (drawn uniformly among the other five) shown inside a blob — a radius varying
    smoothly with angle (three random harmonics), 17–30 % of ``size`` at rest (:data:`TEXTURE_BLOB_RADIUS`),
    entirely inside the image. The blob covers about 9–29 % of the image: the background is always the
    larger part. A blob that large must cover the middle of a 64-pixel scene most of the time, so a map
    that always points at the centre already "finds" it in most scenes (the photographs section shows it).
    Labels are drawn uniformly. Generation is vectorised (about a second for 10,000 scenes).

    Args:
        n: number of scenes (>= 1).
        size: image side in pixels, 16 to 100 (the smallest band is 100 pixels wide).
        split: ``"train"``, ``"val"`` or ``"test"``.
        seed: the same (seed, split) always gives the same scenes; splits use independent streams.

    Returns:
        ``(x, y, masks)``: x (n, 3, size, size) float32 in [0, 1]; y (n,) int64, the blob's class;
        masks (n, size, size) bool, True on the blob (the evidence for the label).
    """
    from ._checks import as_int

    n = as_int(n, "n", 1)
    size = as_int(size, "size", 16)
    if split not in TEXTURE_BANDS:
        raise ValueError(f"split must be one of {list(TEXTURE_BANDS)}, got {split!r}")
    seed = as_int(seed, "seed", 0)
    biggest = _texture_max_size()
    if size > biggest:
        raise ValueError(f"size must be <= {biggest} (the smallest band of a photograph), got {size}")
    rng = np.random.default_rng([seed, list(TEXTURE_BANDS).index(split)])
    k = len(TEXTURE_CLASSES)
    y = rng.integers(0, k, size=n).astype(np.int64)
    bg = (y + rng.integers(1, k, size=n)) % k  # any class but the blob's
    masks = _blobs(rng, n, size)
    x = np.empty((n, 3, size, size), dtype=np.float32)
    fg = np.empty_like(x)
    for c, name in enumerate(TEXTURE_CLASSES):
        band = _band(_texture_photo(name), split)
        for labels, out in ((bg, x), (y, fg)):
            idx = np.flatnonzero(labels == c)
            if idx.size:
                out[idx] = _crops(rng, band, idx.size, size)
    np.copyto(x, fg, where=masks[:, None])
    return x, y, masks
