"""cnnlib: a small, readable, fast numpy library for convolutional neural networks.

Modules: ``functional`` (pure ops, forward and backward), ``layers``, ``losses``, ``optim``, ``training``,
``gradcheck``, ``reference`` (the article's loops, fixed), ``data``; the book adds ``widgets``, ``explain``, ``io``.
The API follows PyTorch's names and NCHW layout.
"""

from . import data, functional, gradcheck, io, layers, losses, models, optim, reference, training

__version__ = "0.1.0"
__all__ = [
    "data", "functional", "gradcheck", "io", "layers", "losses", "models", "optim", "reference", "training",
]
