"""Data that needs no network: scikit-learn's digits, a photograph shipped with matplotlib, named
kernels, and small generated images. Everything is deterministic."""

from __future__ import annotations

import numpy as np

__all__ = ["load_digits", "sample_image", "checkerboard", "KERNELS"]


def load_digits():
    """scikit-learn's 8×8 handwritten digits with a fixed stratified split.

    Returns:
        (x_train (1437, 1, 8, 8), y_train (1437,), x_test (360, 1, 8, 8), y_test (360,)):
        images float32 in [0, 1], labels int64.
    """
    from sklearn.datasets import load_digits as _sk_load_digits
    from sklearn.model_selection import train_test_split

    digits = _sk_load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=360, stratify=y, random_state=0)
    return x_train, y_train, x_test, y_test


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
