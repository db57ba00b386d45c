"""cnnlib: a small, readable, fast numpy library for convolutional neural networks.

The core: ``functional`` (pure ops, forward and backward), ``layers``, ``losses``, ``optim``, ``training``,
``gradcheck``, ``reference`` (the article's loops, fixed), ``data``, ``models``, ``io``; interpretability:
``explain``; measuring networks: ``costs`` (parameters, FLOPs), ``receptive`` (receptive fields), ``metrics``
(confusion matrix, top-k); the book's experiments: ``robustness`` (shifts, rotations, augmentation), ``baselines``
(chapter 7's comparison networks), ``sequences``, ``gridworld``, ``timing``. The display
modules ``viz``, ``widgets`` and ``explorers`` are imported on demand (they bring in matplotlib and ipywidgets).
The API follows PyTorch's names and NCHW layout.
"""

from . import (
    baselines,
    costs,
    data,
    explain,
    functional,
    gradcheck,
    gridworld,
    io,
    layers,
    losses,
    metrics,
    models,
    optim,
    receptive,
    reference,
    robustness,
    sequences,
    timing,
    training,
)

__version__ = "0.1.0"
__all__ = [
    "baselines", "costs", "data", "explain", "functional", "gradcheck", "gridworld", "io", "layers", "losses",
    "metrics", "models", "optim", "receptive", "reference", "robustness", "sequences", "timing", "training",
]
