"""Scoring a classifier with many classes: the confusion matrix, top-k accuracy, and a bar chart of one
sample's softmax probabilities."""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, as_int, check_ndim

__all__ = ["confusion_matrix", "top_k_accuracy", "probabilities_figure"]


def confusion_matrix(y_true, y_pred, n_classes=None) -> np.ndarray:
    """``M[i, j]`` = how many samples of true class i were predicted as class j."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D of the same length, got {y_true.shape} and {y_pred.shape}")
    if n_classes is None:
        n_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    n_classes = as_int(n_classes, "n_classes", 1)
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= n_classes):
        raise ValueError(f"labels must be in [0, {n_classes}), got values outside")
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def top_k_accuracy(logits, y, k=1) -> float:
    """Fraction of samples whose true class is among the ``k`` highest scores."""
    logits = as_float_array(logits, "logits")
    check_ndim(logits, 2, "logits", "(N, classes)")
    k = as_int(k, "k", 1)
    if k > logits.shape[1]:
        raise ValueError(f"k must be at most the number of classes {logits.shape[1]}, got {k}")
    top = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == np.asarray(y)[:, None], axis=1)))


def probabilities_figure(logits, true_class=None, title="softmax output"):
    """Bars of ``softmax(logits)`` for one sample (K classes), the true class in green."""
    from .functional import softmax
    from .widgets import new_figure

    p = softmax(np.asarray(logits, dtype=np.float64).reshape(1, -1))[0]
    fig, ax = new_figure(3.4, 2.2)
    colors = ["#2ca02c" if k == true_class else "#1f77b4" for k in range(len(p))]
    ax.bar(np.arange(len(p)), p, color=colors)
    ax.set_xticks(np.arange(len(p)))
    ax.set_xlabel("class")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    return fig
