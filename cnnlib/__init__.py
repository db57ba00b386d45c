"""cnnlib: a small, readable, fast numpy library for convolutional neural networks.

The core: ``functional`` (pure ops, forward and backward), ``layers``, ``losses``, ``optim``, ``training``,
``gradcheck``, ``reference`` (the article's loops, fixed), ``data``, ``models``, ``io``; interpretability:
``explain``; the book's experiments: ``analysis``, ``sequences``, ``gridworld``, ``timing``. The display
modules ``viz``, ``widgets`` and ``explorers`` are imported on demand (they bring in matplotlib and ipywidgets).
The API follows PyTorch's names and NCHW layout.
"""

from . import (
    analysis,
    data,
    explain,
    functional,
    gradcheck,
    gridworld,
    io,
    layers,
    losses,
    models,
    optim,
    reference,
    sequences,
    timing,
    training,
)

__version__ = "0.1.0"
__all__ = [
    "analysis", "data", "explain", "functional", "gradcheck", "gridworld", "io", "layers", "losses", "models",
    "optim", "reference", "sequences", "timing", "training",
]
