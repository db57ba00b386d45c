"""The comparison networks of chapter 7, trained with the digits CNN's recipe
(:data:`cnnlib.models.DIGITS_RECIPE`, one BLAS thread, validation on the digits' validation split): a dense
network with about the CNN's parameter budget, and the digits CNN trained on augmented digits.
"""

from __future__ import annotations

from . import layers as L
from ._checks import as_int
from .robustness import augment

__all__ = ["dense_digits_net", "train_dense_digits", "train_augmented_digits_cnn"]


def dense_digits_net(hidden=80, rng=0):
    """A dense network for the 8×8 digits with about as many parameters as the digits CNN:
    flatten – linear 64→hidden – ReLU – linear hidden→10 (6,010 parameters for hidden=80)."""
    rng = L.as_generator(rng)
    hidden = as_int(hidden, "hidden", 1)
    return L.Sequential(L.Flatten(), L.Linear(64, hidden, rng=rng), L.ReLU(), L.Linear(hidden, 10, rng=rng))


def train_dense_digits(hidden=80, epochs=15, seed=0):
    """:func:`dense_digits_net` trained with the digits CNN's recipe. Returns (model, history)."""
    from . import data

    x_train, y_train = data.load_digits("train")
    return _train_on_digits(dense_digits_net(hidden, seed), x_train, y_train, epochs, seed)


def _train_on_digits(model, x_train, y_train, epochs, seed):
    """Train ``model`` with the recipe of :func:`cnnlib.models.trained_digits_cnn` (Adam, same lr and batch
    size, one BLAS thread), validating on the digits' validation split. Returns (model in eval mode, history)."""
    from . import data, losses, models, optim, training

    opt = optim.Adam(model.parameters(), lr=models.DIGITS_RECIPE["lr"])
    with training.one_blas_thread():
        history = training.fit(model, losses.CrossEntropyLoss(), opt, x_train, y_train, epochs=epochs,
                               batch_size=models.DIGITS_RECIPE["batch_size"], validation_data=data.load_digits("val"),
                               seed=seed, progress=False)
    model.eval()
    return model, history


def train_augmented_digits_cnn(copies=1, max_shift=1, max_angle=30.0, epochs=15, seed=0, init=None):
    """:func:`cnnlib.models.digits_cnn` trained with the recipe of :func:`cnnlib.models.trained_digits_cnn`
    on the digits plus ``copies`` shifted and rotated copies of each (:func:`cnnlib.robustness.augment`).

    Args:
        copies, max_shift, max_angle: the augmentation (see :func:`cnnlib.robustness.augment`);
            seed: for it and the training.
        epochs: passes over the augmented set.
        init: optional trained digits CNN to start from (its weights are copied, it is not changed):
            fine-tuning a trained network on augmented data takes a few epochs instead of fifteen.

    Returns:
        (model in eval mode, history).
    """
    from . import data, models

    x_train, y_train = data.load_digits("train")
    xa, ya = augment(x_train, y_train, copies, max_shift, max_angle, seed)
    model = models.digits_cnn(seed)
    if init is not None:
        src = dict(init.named_parameters())
        for name, p in model.named_parameters():
            if name not in src or src[name].data.shape != p.data.shape:
                raise ValueError(f"init must be a digits CNN: parameter {name!r} is missing or has another shape")
            p.data[...] = src[name].data
    return _train_on_digits(model, xa, ya, epochs, seed)
