"""The book's networks, built and trained deterministically so every chapter can share them."""

from __future__ import annotations

import os

from . import data, io, losses, optim, training
from . import layers as L

__all__ = ["digits_cnn", "trained_digits_cnn", "DIGITS_RECIPE"]

#: How :func:`trained_digits_cnn` trains (stored with a cached model; a different recipe retrains).
DIGITS_RECIPE = {"optimizer": "Adam", "lr": 3e-3, "batch_size": 32}


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
    """:func:`digits_cnn` trained on :func:`cnnlib.data.load_digits` (about a second on two cores).

    Args:
        epochs, seed: the training run; the same values always give the same weights.
        cache: optional ``.npz`` path: loaded if it holds a model trained with the same recipe,
            otherwise the model is trained and saved there.
        progress: show a progress bar while training.

    Returns:
        (model in eval mode, history dict of per-epoch lists as from :func:`cnnlib.training.fit`).
    """
    recipe = dict(DIGITS_RECIPE, epochs=int(epochs), seed=int(seed))
    if cache is not None and os.path.exists(cache):
        try:
            model, meta = io.load(cache, with_metadata=True)
            if meta.get("recipe") == recipe:
                return model, meta["history"]
        except ValueError:
            pass  # a stale or broken cache is simply rebuilt
    x_train, y_train, x_test, y_test = data.load_digits()
    model = digits_cnn(seed)
    opt = optim.Adam(model.parameters(), lr=recipe["lr"])
    history = training.fit(model, losses.CrossEntropyLoss(), opt, x_train, y_train, epochs=epochs,
                           batch_size=recipe["batch_size"], validation_data=(x_test, y_test), seed=seed,
                           progress=progress)
    model.eval()
    if cache is not None:
        io.save(model, cache, metadata={"recipe": recipe, "history": history})
    return model, history
