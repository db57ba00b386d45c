"""Chapter 4's figures and the training explorer.

* :func:`im2col_figure`: a small image unfolded into the matrix whose product with the kernel is the
  whole convolution (the trick behind :func:`cnnlib.functional.conv2d`).
* :func:`curves_figure`, :func:`confusion_figure`, :func:`misclassified_figure`: how a training run went.
* :func:`training_run` and :func:`training_explorer`: train the digits network with a chosen optimiser,
  learning rate and batch size, and watch the loss and accuracy curves.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import data, functional, losses, models, optim, training
from ..metrics import confusion_matrix
from ..viz import LiveFigure, annotate_cells, image_grid, show_kernel
from ..widgets import Choice, Explorer, new_figure

__all__ = [
    "im2col_matrix",
    "im2col_figure",
    "curves_figure",
    "confusion_figure",
    "misclassified_figure",
    "OPTIMIZERS",
    "make_optimizer",
    "training_run",
    "render_training",
    "training_explorer",
]


# --------------------------------------------------------------------------- im2col


def im2col_matrix(image, kernel_size, stride=1, padding=0):
    """The unfolded matrix of one 2-D image, exactly as :func:`cnnlib.functional.conv2d` builds it.

    Row ``u·k + v`` holds, for every output position (one column each, row-major), the input pixel at
    offset (u, v) of that position's window; so ``kernel.ravel() @ matrix`` is the convolution, flattened.

    Args:
        image: (H, W).
        kernel_size, stride, padding: ints, as for ``conv2d``.

    Returns:
        (k·k, H_out·W_out) array.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {image.shape}")
    x = image[None, None]
    k = np.zeros((1, 1, kernel_size, kernel_size))
    _, _, _, s, p, d, out_hw = functional._conv_args(x, k, None, stride, padding, 1)  # checks the arguments
    return functional._im2col(x, k.shape[2:], s, p, d, out_hw, np.float64)


def im2col_figure(size=4, kernel=None, stride=1):
    """Picture of im2col on a ``size``×``size`` image numbered 1, 2, …: the image with one window
    outlined, the kernel, the unfolded matrix (the same window is the highlighted column), and the
    output ``kernel row × matrix`` folded back into an image.

    Args:
        size: side of the toy image (3 to 6 keeps the numbers readable).
        kernel: a (k, k) kernel (default: a 3×3 diagonal 1, 2, −1, easy to follow by hand).
        stride: the convolution's stride.
    """
    from matplotlib.patches import Rectangle

    if not 2 <= int(size) <= 6:
        raise ValueError(f"size must be between 2 and 6 so the numbers stay readable, got {size}")
    size = int(size)
    image = np.arange(1, size * size + 1, dtype=np.float64).reshape(size, size)
    if kernel is None:
        kernel = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, -1.0]])
    kernel = np.asarray(kernel, dtype=np.float64)
    k = kernel.shape[0]
    if kernel.ndim != 2 or kernel.shape[1] != k:
        raise ValueError(f"kernel must be square (k, k), got shape {kernel.shape}")
    cols = im2col_matrix(image, k, stride)
    out = (kernel.ravel() @ cols).reshape(functional.conv_output_size(size, k, stride),
                                          functional.conv_output_size(size, k, stride))
    n_out = cols.shape[1]
    fig, axes = new_figure(
        7.0, 3.4, ncols=4, gridspec_kw={"width_ratios": [size, k, max(n_out, 4), max(out.shape[1], 2)]}
    )
    ax_img, ax_k, ax_cols, ax_out = axes
    ax_img.imshow(image, cmap="Greys", vmin=0, vmax=image.max() * 2.5, interpolation="nearest")
    annotate_cells(ax_img, image, fmt="{:.0f}", fontsize=9)
    ax_img.add_patch(Rectangle((-0.5, -0.5), k, k, fill=False, ec="tab:orange", lw=2))
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    ax_img.set_title(f"image {size}×{size}\n(first window outlined)", fontsize=9)
    show_kernel(ax_k, kernel, title=f"kernel {k}×{k}", fmt="{:.0f}")
    ax_cols.imshow(cols, cmap="Greys", vmin=0, vmax=image.max() * 2.5, interpolation="nearest", aspect="auto")
    annotate_cells(ax_cols, cols, fmt="{:.0f}", fontsize=9 if n_out <= 9 else 5)
    ax_cols.add_patch(Rectangle((-0.5, -0.5), 1, k * k, fill=False, ec="tab:orange", lw=2))
    ax_cols.set_title(f"unfolded: {k * k} rows (kernel offsets) × {n_out} columns (output positions)", fontsize=9)
    ax_cols.set_xlabel("output position (row-major)", fontsize=9)
    ax_cols.set_ylabel("kernel offset (u, v)", fontsize=9)
    ax_cols.set_xticks(range(n_out), [str(i) for i in range(n_out)], fontsize=9)
    ax_cols.set_yticks(range(k * k), [f"({u},{v})" for u in range(k) for v in range(k)], fontsize=9)
    vmax = float(np.abs(out).max()) or 1.0
    ax_out.imshow(out, cmap="RdBu_r", vmin=-vmax * 2, vmax=vmax * 2, interpolation="nearest")
    annotate_cells(ax_out, out, fmt="{:.0f}", fontsize=9)
    ax_out.set_xticks([])
    ax_out.set_yticks([])
    ax_out.set_title(f"kernel row × matrix\n= output {out.shape[0]}×{out.shape[1]}", fontsize=9)
    return fig


# --------------------------------------------------------------------------- how a run went


def curves_figure(history, title="Training the digits network"):
    """Loss (log scale) and accuracy per epoch, on the training set and (if present) the validation set.

    Args:
        history: a dict of per-epoch lists as returned by :func:`cnnlib.training.fit`.
    """
    if not history.get("loss"):
        raise ValueError("history must hold at least one epoch of 'loss'")
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_l, ax_a) = new_figure(6.6, 2.8, ncols=2)
    for key, label, style in (("loss", "training", "-o"), ("val_loss", "validation", "--s")):
        if key in history:
            vals = np.asarray(history[key], dtype=np.float64)
            ax_l.plot(epochs, np.where(np.isfinite(vals), vals, np.nan), style, ms=3, label=label)
    ax_l.set_yscale("log")
    finite = [v for key in ("loss", "val_loss") for v in history.get(key, ()) if np.isfinite(v) and v > 0]
    ax_l.set_ylim(min([0.01, *finite]) * 0.8, max([5.0, *finite]) * 1.2)  # the same scale for every run
    ax_l.set_xlabel("epoch")
    ax_l.set_ylabel("cross-entropy loss (log scale)")
    ax_l.set_title("loss", fontsize=9)
    for key, label, style in (("accuracy", "training", "-o"), ("val_accuracy", "validation", "--s")):
        if key in history:
            ax_a.plot(epochs, history[key], style, ms=3, label=label)
    ax_a.set_ylim(0, 1.02)
    ax_a.axhline(0.97, color="grey", lw=0.7, ls=":")
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("accuracy")
    ax_a.set_title("accuracy (dotted: 97 %)", fontsize=9)
    for ax in (ax_l, ax_a):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=9)
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title, fontsize=9)
    return fig


def confusion_figure(y_true, y_pred, n_classes=10, title="Confusion matrix (test set)"):
    """The confusion matrix with its counts printed: row = true digit, column = predicted digit."""
    m = confusion_matrix(y_true, y_pred, n_classes)
    fig, ax = new_figure(4.0, 3.5)
    im = ax.imshow(m, cmap="Blues", interpolation="nearest")
    annotate_cells(ax, m, fmt="{:.0f}", fontsize=9, cmap="Blues", vmin=0, vmax=m.max())
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.tick_params(labelsize=9)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}: {int(np.trace(m))}/{int(m.sum())} right", fontsize=9)
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    cb.ax.tick_params(labelsize=9)
    cb.set_label("count", fontsize=9)
    return fig


def misclassified_figure(x, y_true, logits, max_images=12, ncols=6):
    """The images the model got wrong, titled "true → predicted (probability)", most confident first.

    Args:
        x: (N, 1, H, W) or (N, H, W) images; y_true: (N,) labels; logits: (N, K) model outputs.

    Returns:
        the figure, or None when nothing was misclassified.
    """
    x = np.asarray(x)
    images = x[:, 0] if x.ndim == 4 else x
    probs = functional.softmax(np.asarray(logits, dtype=np.float64), axis=1)
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != np.asarray(y_true))
    if wrong.size == 0:
        return None
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][:max_images]
    titles = [f"{y_true[i]} → {pred[i]} ({probs[i, pred[i]]:.0%})" for i in wrong]
    return image_grid(images[wrong], titles=titles, ncols=min(ncols, wrong.size), colorbar=False, size=1.0,
                      suptitle=f"Misclassified test digits ({len(wrong)} shown): true → predicted (confidence)")


# --------------------------------------------------------------------------- the explorer

#: Optimisers offered by the explorer: label -> (class, extra keyword arguments).
OPTIMIZERS = {
    "SGD": (optim.SGD, {}),
    "SGD + momentum 0.9": (optim.SGD, {"momentum": 0.9}),
    "Adam": (optim.Adam, {}),
}


def make_optimizer(name, parameters, lr):
    """An optimiser from :data:`OPTIMIZERS` by label."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")
    cls, kw = OPTIMIZERS[name]
    return cls(parameters, lr=lr, **kw)


@functools.lru_cache(maxsize=64)
def _digits():
    return (*data.load_digits("train"), *data.load_digits("val"))


@functools.lru_cache(maxsize=64)
def training_run(optimizer="Adam", lr=3e-3, batch_size=32, epochs=6, seed=0):
    """Train :func:`cnnlib.models.digits_cnn` on the digits; the same arguments give the same history.

    BLAS is limited to one thread while training, as for every network of the book
    (:func:`cnnlib.training.one_blas_thread`). Results are cached.

    Returns:
        the history dict of :func:`cnnlib.training.fit` (with validation loss and accuracy: the reader
        tunes against the validation split; the test split is not used here).
    """
    x_train, y_train, x_val, y_val = _digits()
    model = models.digits_cnn(seed)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    kw = dict(epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val), seed=seed, progress=False)
    # a diverging run overflows: that is what the reader should see
    with np.errstate(all="ignore"), training.one_blas_thread():
        history = training.fit(model, losses.CrossEntropyLoss(), opt, x_train, y_train, **kw)
    return {k: tuple(v) for k, v in history.items()}  # immutable: the cache hands out the same object


class _TrainingView:
    """The training explorer's figure, built once: the four curves of a (cached) run updated in place."""

    def __init__(self, epochs: int, live: bool = True):
        self.epochs = int(epochs)
        fig, (ax_l, ax_a) = new_figure(6.8, 2.9, ncols=2)
        self.lf = lf = LiveFigure(fig, live=live)
        self.lines = {}
        for key, label, style, ax in (("loss", "training", "-o", ax_l), ("val_loss", "validation", "--s", ax_l),
                                      ("accuracy", "training", "-o", ax_a),
                                      ("val_accuracy", "validation", "--s", ax_a)):
            self.lines[key] = lf.moving(ax.plot([], [], style, ms=4, label=label,
                                                color="C0" if label == "training" else "C1")[0])
        ax_l.set_yscale("log")
        ax_l.set_ylim(0.01, 10.0)  # one scale for every run
        ax_l.set_ylabel("cross-entropy loss (log)", fontsize=9)
        ax_l.set_title("loss", fontsize=10)
        ax_a.set_ylim(0, 1.02)
        ax_a.axhline(0.97, color="grey", lw=0.7, ls=":")
        ax_a.set_ylabel("accuracy", fontsize=9)
        ax_a.set_title("accuracy (dotted: 97 %)", fontsize=10)
        for ax in (ax_l, ax_a):
            ax.set_xlim(0.7, self.epochs + 0.3)
            ax.set_xticks(range(1, self.epochs + 1))
            ax.set_xlabel("epoch", fontsize=9)
            ax.tick_params(labelsize=9)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=9, loc="lower left" if ax is ax_a else "upper right")
        self.title = lf.moving(fig.suptitle(" ", fontsize=10))

    def __call__(self, optimizer, lr, batch_size):
        h = training_run(optimizer, lr, batch_size, self.epochs)
        epochs = np.arange(1, len(h["loss"]) + 1)
        for key, line in self.lines.items():
            vals = np.asarray(h[key], dtype=np.float64)
            line.set_data(epochs, np.where(np.isfinite(vals), vals, np.nan))
        self.title.set_text(f"{optimizer}, learning rate {lr:g}, batch size {batch_size}")
        steps = self.epochs * math.ceil(len(_digits()[0]) / batch_size)
        final = h["val_accuracy"][-1]
        loss = h["loss"][-1]
        if not np.isfinite(loss):
            verdict = "diverged: the loss overflowed"
        elif final < 0.15:
            verdict = "stuck at chance level (10 % is guessing)"
        elif final >= 0.95:
            verdict = "learned well"
        else:
            verdict = "still learning"
        return self.lf, (f"after {self.epochs} epochs ({steps} parameter updates): validation accuracy "
                         f"{final:.1%}, training loss {loss:.3g} — {verdict}")


def render_training(optimizer, lr, batch_size, epochs=6):
    """One state of the explorer: curves of a run and a caption with the final validation accuracy.

    Returns ``(figure, caption)``."""
    lf, caption = _TrainingView(epochs, live=False)(optimizer, lr, batch_size)
    return lf.fig, caption


def training_explorer(epochs=6):
    """The chapter's training explorer: optimiser, learning rate and batch size → loss and accuracy curves.

    Live, a setting seen for the first time trains a new network (about a second on two cores); every run
    is cached by setting (:func:`training_run`), so the live *update* — what the reader waits for when
    coming back to a setting, and what ``bench/bench_explorers.py`` times — is redrawing the four curves of
    a cached run in the one figure of the explorer. Static, 3 optimisers × 3 learning rates × 3 batch
    sizes (27 runs) are precomputed. The curves are on the validation split: tune against it, not the test set.
    """
    return Explorer(
        controls={
            "optimizer": Choice(list(OPTIMIZERS), value="Adam", style="buttons", label="optimiser"),
            "lr": Choice([0.001, 0.003, 0.01, 0.03, 0.1, 0.3], value=0.01, static=[0.001, 0.01, 0.1],
                         label="learning rate"),
            "batch_size": Choice([8, 16, 32, 64, 128], value=32, static=[16, 32, 128], label="batch size"),
        },
        render=_TrainingView(epochs),
        title="Training explorer: how the optimiser, learning rate and batch size shape training",
    )
