"""Optimisers: update ``Parameter.data`` in place from ``Parameter.grad``, as ``torch.optim`` does."""

from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Adam"]


class _Optimizer:
    def __init__(self, parameters, lr):
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("parameters must not be empty")
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        self.lr = float(lr)

    def zero_grad(self) -> None:
        for p in self.parameters:
            p.zero_grad()


class SGD(_Optimizer):
    """Stochastic gradient descent: ``θ ← θ − η·g``.

    With momentum μ (PyTorch's form): ``v ← μ·v + g``, ``θ ← θ − η·v``. Weight decay λ adds ``λ·θ`` to g.
    """

    def __init__(self, parameters, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(parameters, lr)
        if momentum < 0:
            raise ValueError(f"momentum must be >= 0, got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self._velocity = [None] * len(self.parameters)

    def step(self) -> None:
        for i, p in enumerate(self.parameters):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                v = self._velocity[i]
                self._velocity[i] = v = g.copy() if v is None else v * self.momentum + g
                g = v
            p.data -= (self.lr * g).astype(p.data.dtype, copy=False)


class Adam(_Optimizer):
    """Adam (Kingma & Ba): moving averages of the gradient and its square, bias-corrected.

    ``m ← β₁m + (1−β₁)g``, ``v ← β₂v + (1−β₂)g²``, ``θ ← θ − η·m̂ / (√v̂ + ε)``.
    """

    def __init__(self, parameters, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(parameters, lr)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must each be in [0, 1), got {betas}")
        self.betas, self.eps = (float(b1), float(b2)), float(eps)
        self._m = [np.zeros_like(p.data) for p in self.parameters]
        self._v = [np.zeros_like(p.data) for p in self.parameters]
        self._t = 0

    def step(self) -> None:
        self._t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self._t, 1 - b2**self._t
        for p, m, v in zip(self.parameters, self._m, self._v, strict=True):
            g = p.grad
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            step = (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)
            p.data -= step.astype(p.data.dtype, copy=False)
