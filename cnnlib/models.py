"""The book's networks, built and trained deterministically so every chapter can share them."""

from __future__ import annotations

import os

import numpy as np

from . import data, io, losses, optim, training
from . import layers as L

__all__ = [
    "digits_cnn", "trained_digits_cnn", "DIGITS_RECIPE",
    "shapes_cnn", "trained_shapes_cnn", "SHAPES_RECIPE", "standardise", "cache_path",
]

#: How :func:`trained_digits_cnn` trains (stored with a cached model; a different recipe retrains).
DIGITS_RECIPE = {"optimizer": "Adam", "lr": 3e-3, "batch_size": 32, "split": "train/val/test 1150/287/360",
                 "blas_threads": 1}


def digits_cnn(rng=0):
    """A small LeNet-style network for the 8×8 digits, (N, 1, 8, 8) -> logits (N, 10).

    conv 1→16 (3×3, pad 1) – ReLU – max-pool 2 – conv 16→32 (3×3, pad 1) – ReLU – max-pool 2 – flatten –
    linear 128→10. 6,090 parameters.
    """
    rng = L.as_generator(rng)
    return L.Sequential(
        L.Conv2d(1, 16, 3, padding=1, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Conv2d(16, 32, 3, padding=1, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Flatten(), L.Linear(32 * 2 * 2, 10, rng=rng),
    )


def trained_digits_cnn(epochs=15, seed=0, cache=None, progress=False):
    """:func:`digits_cnn` trained on the digits' training split (about a second on two cores).

    The history's ``val_*`` entries are measured on the validation split after every epoch; the test split
    is not touched. Training runs with one BLAS thread (:func:`cnnlib.training.one_blas_thread`), so the
    weights are the same on every machine.

    Args:
        epochs, seed: the training run; the same values always give the same weights.
        cache: optional ``.npz`` path: loaded if it holds a model trained with the same recipe,
            otherwise the model is trained and saved there.
        progress: show a progress bar while training.

    Returns:
        (model in eval mode, history dict of per-epoch lists as from :func:`cnnlib.training.fit`).
    """
    recipe = dict(DIGITS_RECIPE, epochs=int(epochs), seed=int(seed))
    hit = _cached(cache, recipe)
    if hit is not None:
        return hit
    model = digits_cnn(seed)
    opt = optim.Adam(model.parameters(), lr=recipe["lr"])
    with training.one_blas_thread():
        history = training.fit(model, losses.CrossEntropyLoss(), opt, *data.load_digits("train"), epochs=epochs,
                               batch_size=recipe["batch_size"], validation_data=data.load_digits("val"),
                               seed=seed, progress=progress)
    model.eval()
    if cache is not None:
        io.save(model, cache, metadata={"recipe": recipe, "history": history})
    return model, history


#: How :func:`trained_shapes_cnn` trains (stored with a cached model; a different recipe retrains).
SHAPES_RECIPE = {"optimizer": "Adam", "lr": 3e-3, "batch_size": 32, "n_train": 2000, "train_seed": 0,
                 "blas_threads": 1}


def standardise(x):
    """Each image minus its mean colour, divided by its spread: x (N, C, H, W) -> float32 of the same shape.

    The shapes network sees images this way: the background's colour and contrast vary from image to image,
    and removing them makes training fast and reliable. Applied outside the network (cnnlib has no such layer),
    so explanations are computed with respect to the standardised image.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W), got shape {x.shape}")
    centred = x - x.mean(axis=(2, 3), keepdims=True)
    spread = centred.std(axis=(1, 2, 3), keepdims=True)
    return (centred / np.maximum(spread, 1e-6)).astype(np.float32)


def shapes_cnn(rng=0):
    """A small CNN for :func:`cnnlib.data.shapes` (32×32 colour), (N, 3, 32, 32) -> logits (N, 4).

    ==  ==========================  ==============
    0   conv 3→16, 3×3, pad 1       16 × 32 × 32
    1   ReLU
    2   max-pool 2                  16 × 16 × 16
    3   conv 16→32, 3×3, pad 1      32 × 16 × 16
    4   ReLU                        (Grad-CAM's layer)
    5   max-pool 2                  32 × 8 × 8
    6   conv 32→32, 3×3, pad 1      32 × 8 × 8
    7   ReLU
    8   max-pool 8 (global max)     32 × 1 × 1
    9   flatten                     32
    10  linear 32→4                 4
    ==  ==========================  ==============

    The global max-pool keeps, for each channel, its strongest response anywhere in the image: the
    network can find a shape wherever it is. 14,468 parameters.
    """
    rng = L.as_generator(rng)
    return L.Sequential(
        L.Conv2d(3, 16, 3, padding=1, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Conv2d(16, 32, 3, padding=1, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Conv2d(32, 32, 3, padding=1, rng=rng), L.ReLU(), L.MaxPool2d(8),
        L.Flatten(), L.Linear(32, len(data.SHAPE_CLASSES), rng=rng),
    )


def _cached(cache, recipe):
    """(model, history) from the ``.npz`` at ``cache`` if it holds a model trained with ``recipe``, else None
    (a missing, stale or broken cache is simply rebuilt by the caller)."""
    if cache is None or not os.path.exists(cache):
        return None
    try:
        model, meta = io.load(cache, with_metadata=True)
    except ValueError:
        return None
    return (model, meta["history"]) if meta.get("recipe") == recipe else None


def trained_shapes_cnn(epochs=12, seed=0, cache=None, progress=False):
    """:func:`shapes_cnn` trained with Adam on ``standardise(data.shapes(2000, seed=0))``.

    About 15–40 s on two cores; pass ``cache`` to train once. Held-out images for evaluation:
    ``data.shapes(n, seed=1)`` (a different seed from the training set), standardised the same way.

    Args:
        epochs, seed: the training run (``seed`` sets the initial weights and the batch order); the same
            values always give the same weights.
        cache: optional ``.npz`` path: loaded if it holds a model trained with the same recipe,
            otherwise the model is trained and saved there.
        progress: show a progress bar while training.

    Returns:
        (model in eval mode, history dict of per-epoch training ``loss`` and ``accuracy`` lists).
    """
    recipe = dict(SHAPES_RECIPE, epochs=int(epochs), seed=int(seed))
    cached = _cached(cache, recipe)
    if cached is not None:
        return cached
    x, y, _ = data.shapes(recipe["n_train"], seed=recipe["train_seed"])
    model = shapes_cnn(seed)
    opt = optim.Adam(model.parameters(), lr=recipe["lr"])
    with training.one_blas_thread():
        history = training.fit(model, losses.CrossEntropyLoss(), opt, standardise(x), y, epochs=epochs,
                               batch_size=recipe["batch_size"], seed=seed, progress=progress)
    model.eval()
    if cache is not None:
        io.save(model, cache, metadata={"recipe": recipe, "history": history})
    return model, history


def cache_path(name: str) -> str:
    """Where the book keeps trained weights between runs: ``$CNNLIB_CACHE_DIR/name``, by default
    ``~/.cache/cnnlib/name`` (outside the repository; delete it to retrain)."""
    folder = os.environ.get("CNNLIB_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "cnnlib")
    return os.path.join(folder, name)
