"""The book's networks, built and trained deterministically so every chapter can share them."""

from __future__ import annotations

import os
import sys

import numpy as np

from . import data, io, losses, optim, training
from . import layers as L

__all__ = [
    "digits_cnn", "trained_digits_cnn", "DIGITS_RECIPE",
    "shapes_cnn", "trained_shapes_cnn", "SHAPES_RECIPE", "standardise", "cache_path",
    "tiny_vgg", "TEXTURE_MEAN", "TEXTURE_STD", "trained_texture_cnn", "TEXTURE_RECIPE", "shipped_weights",
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


#: True in the browser (Pyodide): see :func:`_cached`.
IN_BROWSER = sys.platform == "emscripten"


def _cached(cache, recipe):
    """(model, history) from the ``.npz`` at ``cache`` if it holds a model trained with ``recipe``, else None
    (a missing, stale or broken cache is simply rebuilt by the caller)."""
    if cache is None:
        return None
    if not os.path.exists(cache):
        # In the browser (Pyodide, one thread) training the shapes network took 76 s here: there a
        # missing cache falls back to the weights the book ships under the same name, if the recipe matches.
        cache = os.path.join(_WEIGHTS_DIR, os.path.basename(cache))
        if not IN_BROWSER or not os.path.exists(cache):
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


#: Per-channel mean and spread of ``data.texture_scenes`` training scenes (measured on 4,000 scenes,
#: rounded; a test checks them): :func:`tiny_vgg`'s first layer subtracts and divides by them.
TEXTURE_MEAN = (0.41, 0.40, 0.40)
TEXTURE_STD = (0.27, 0.27, 0.27)


def tiny_vgg(n_classes, rng=0):
    """CNN Explainer's Tiny VGG for 64×64 RGB images in [0, 1], (N, 3, 64, 64) -> logits (N, n_classes).

    ==  ==============================  ==============
    0   normalise (x − mean) / std      3 × 64 × 64      (fixed: :data:`TEXTURE_MEAN`, :data:`TEXTURE_STD`)
    1   conv 3→10, 3×3                  10 × 62 × 62
    2   ReLU
    3   conv 10→10, 3×3                 10 × 60 × 60
    4   ReLU
    5   max-pool 2                      10 × 30 × 30
    6   conv 10→10, 3×3                 10 × 28 × 28
    7   ReLU
    8   conv 10→10, 3×3                 10 × 26 × 26
    9   ReLU                            (Grad-CAM's layer)
    10  max-pool 2                      10 × 13 × 13
    11  flatten                         1690
    12  linear 1690→n_classes           n_classes
    ==  ==============================  ==============

    Convolutions have no padding and stride 1, as in CNN Explainer. Their weights start with He's
    initialisation for ReLU networks (uniform, bound √(6 / fan_in), biases zero) rather than PyTorch's
    default (bound 1 / √fan_in), which shrinks the signal by about √3 per layer: with the default, this
    network learned more slowly and less reliably (test accuracies from 0.85 to 0.92 for two runs of the
    same recipe on barely different data; with He's, 0.87 after five epochs). With the six texture classes:
    13,156 parameters (the linear layer holds 10,146 of them).

    Args:
        n_classes: number of outputs (>= 2).
        rng: seed or Generator for the initial weights (PyTorch's default initialisation).
    """
    from ._checks import as_int

    n_classes = as_int(n_classes, "n_classes", 2)
    rng = L.as_generator(rng)
    model = L.Sequential(
        L.Normalize(TEXTURE_MEAN, TEXTURE_STD),
        L.Conv2d(3, 10, 3, rng=rng), L.ReLU(), L.Conv2d(10, 10, 3, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Conv2d(10, 10, 3, rng=rng), L.ReLU(), L.Conv2d(10, 10, 3, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Flatten(), L.Linear(10 * 13 * 13, n_classes, rng=rng),
    )
    for layer in model:
        if isinstance(layer, L.Conv2d):  # He: the same uniform draws, scaled from 1/√fan_in to √(6/fan_in)
            layer.weight.data *= np.float32(np.sqrt(6.0))
            layer.bias.data[:] = 0
    return model


#: How :func:`trained_texture_cnn` trains (stored with the weights; a different recipe retrains).
#: ``n_train`` fresh scenes every epoch (``seed = data_seed + epoch``): with one fixed training set of the
#: same size the network memorises its scenes (validation accuracy stalled near 0.7); fresh scenes are cheap
#: (about a second for 10,000) and keep it learning textures. The learning rate falls by ``lr_decay`` per
#: epoch; the epochs and rates were chosen on the validation split.
TEXTURE_RECIPE = {"optimizer": "Adam", "init": "He uniform (convolutions)", "lr": 2e-3, "lr_decay": 0.85,
                  "batch_size": 32, "n_train": 6000, "fresh_scenes_every_epoch": True, "n_val": 1000,
                  "data_seed": 0, "epochs": 10, "seed": 0, "blas_threads": 1, "workers": 2}


def trained_texture_cnn(cache=None, progress=False):
    """:func:`tiny_vgg` trained with Adam on ``data.texture_scenes`` (recipe: :data:`TEXTURE_RECIPE`).

    Every epoch trains on ``n_train`` fresh scenes, ``texture_scenes(n_train, split="train",
    seed=data_seed + epoch)``; the history's ``val_*`` entries are measured after every epoch on
    ``texture_scenes(n_val, split="val", seed=data_seed)``, and the epochs, learning rate and its decay
    were chosen by them. The test split is not touched here: evaluate on
    ``texture_scenes(n, split="test", seed=...)`` once, at the end. Training runs with one BLAS thread
    (:func:`cnnlib.training.one_blas_thread`) and every batch split in two halves computed by two threads
    (``workers``), so the weights do not depend on the machine's thread count or timing.

    The book ships the result as :func:`shipped_weights` ``("texture_cnn")``; this command rebuilds it::

        python -m cnnlib.models texture

    Args:
        cache: ``None`` trains from scratch and reads and writes nothing; a ``.npz`` path is loaded if it
            holds a model trained with the same recipe, otherwise the model is trained and saved there.
        progress: show a progress bar while training.

    Returns:
        (model in eval mode, history dict of per-epoch lists as from :func:`cnnlib.training.fit`).
    """
    recipe = dict(TEXTURE_RECIPE)
    hit = _cached(cache, recipe)
    if hit is not None:
        return hit
    xv, yv, _ = data.texture_scenes(recipe["n_val"], split="val", seed=recipe["data_seed"])
    model = tiny_vgg(len(data.TEXTURE_CLASSES), rng=recipe["seed"])
    opt = optim.Adam(model.parameters(), lr=recipe["lr"])
    history = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=recipe["epochs"], desc="training", unit="epoch")
    with training.one_blas_thread():
        for epoch in range(recipe["epochs"]):
            x, y, _ = data.texture_scenes(recipe["n_train"], split="train", seed=recipe["data_seed"] + epoch)
            opt.lr = recipe["lr"] * recipe["lr_decay"] ** epoch
            h = training.fit(model, losses.CrossEntropyLoss(), opt, x, y, epochs=1,
                             batch_size=recipe["batch_size"], validation_data=(xv, yv),
                             seed=recipe["seed"] + epoch, progress=False, workers=recipe["workers"])
            for key, values in h.items():
                history.setdefault(key, []).extend(values)
            if bar is not None:
                bar.set_postfix(loss=f"{h['loss'][-1]:.3f}", val_acc=f"{h['val_accuracy'][-1]:.3f}")
                bar.update(1)
    if bar is not None:
        bar.close()
    model.eval()
    if cache is not None:
        io.save(model, cache, metadata={"recipe": recipe, "history": history})
    return model, history


_WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")

#: ``ignore``: :func:`shipped_weights` points at the weights cache instead (train everything from scratch).
SHIPPED_WEIGHTS_VARIABLE = "CNNLIB_SHIPPED_WEIGHTS"


def shipped_weights(name="texture_cnn") -> str:
    """Path of trained weights shipped inside the package (``cnnlib/weights/<name>.npz``), for
    :func:`cnnlib.io.load` or as the ``cache`` of the matching ``trained_*`` function.

    Shipped: ``"texture_cnn"`` (:func:`trained_texture_cnn`, rebuilt by ``python -m cnnlib.models texture``);
    ``"shapes_cnn"`` and ``"digits_cnn"`` (:func:`trained_shapes_cnn` and :func:`trained_digits_cnn` with
    their default arguments, rebuilt by ``python -m cnnlib.models shapes`` / ``digits``), which the browser
    loads in place of a missing cache of the same name (:func:`cache_path`): training the shapes network
    there took 76 s on the machine that builds the book. Under CPython a missing cache is always trained.

    With the environment variable ``CNNLIB_SHIPPED_WEIGHTS=ignore`` this returns :func:`cache_path`
    ``(name + ".npz")`` instead, so every ``trained_*(cache=shipped_weights(...))`` trains once into the
    weights cache: ``make book-from-scratch`` builds the whole book that way, to show the shipped weights
    are only a shortcut.
    """
    path = os.path.join(_WEIGHTS_DIR, f"{name}.npz")
    if not os.path.exists(path):
        available = sorted(f[:-4] for f in os.listdir(_WEIGHTS_DIR)) if os.path.isdir(_WEIGHTS_DIR) else []
        raise ValueError(f"name must be one of the shipped weights {available}, got {name!r}")
    switch = os.environ.get(SHIPPED_WEIGHTS_VARIABLE, "")
    if switch not in ("", "use", "ignore"):
        raise ValueError(f"{SHIPPED_WEIGHTS_VARIABLE} must be 'use', 'ignore' or unset, got {switch!r}")
    return cache_path(f"{name}.npz") if switch == "ignore" else path


def _main(argv=None):
    """``python -m cnnlib.models texture|shapes|digits``: retrain and rewrite those shipped weights."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m cnnlib.models", description=_main.__doc__)
    parser.add_argument("name", choices=["texture", "shapes", "digits"])
    args = parser.parse_args(argv)
    path = os.path.join(_WEIGHTS_DIR, f"{args.name}_cnn.npz")
    if os.path.exists(path):
        os.unlink(path)  # retrain, never reuse
    t0 = time.perf_counter()
    if args.name != "texture":
        train = trained_shapes_cnn if args.name == "shapes" else trained_digits_cnn
        train(cache=path, progress=True)
        print(f"{args.name}: trained in {time.perf_counter() - t0:.0f} s; wrote {path} "
              f"({os.path.getsize(path) / 1e3:.0f} kB)")
        return
    model, history = trained_texture_cnn(cache=path, progress=True)
    xt, yt, _ = data.texture_scenes(2000, split="test", seed=0)
    acc = training.evaluate(model, xt, yt)["accuracy"]
    print(f"{args.name}: trained in {time.perf_counter() - t0:.0f} s, val accuracy "
          f"{history['val_accuracy'][-1]:.3f}, test accuracy {acc:.3f} (2,000 scenes, seed 0); "
          f"wrote {path} ({os.path.getsize(path) / 1e3:.0f} kB)")


if __name__ == "__main__":  # pragma: no cover - the command line
    _main()
