"""Loss functions: ``forward(pred, target) -> float`` (also ``loss(pred, target)``) and
``backward() -> dpred``, the gradient of the (mean) loss with respect to the prediction."""

from __future__ import annotations

import numpy as np

from . import functional as F
from ._checks import as_float_array

__all__ = ["CrossEntropyLoss", "MSELoss"]


class CrossEntropyLoss:
    """Mean cross-entropy of logits (N, K) against integer class targets (N,).

    ``L = −(1/N) Σ_n log softmax(z_n)[y_n]``, with the log-softmax fused in so that it is stable
    for any logits. Its gradient is the famous ``(softmax(z) − onehot(y)) / N``.
    """

    def __init__(self):
        self._probs = self._target = None

    def __call__(self, logits, target):
        return self.forward(logits, target)

    def forward(self, logits, target) -> float:
        logits = as_float_array(logits, "logits")
        if logits.ndim != 2:
            raise ValueError(f"logits must be 2-D (N, K), got shape {logits.shape}")
        target = np.asarray(target)
        if target.shape != (logits.shape[0],) or target.dtype.kind not in "iu":
            raise ValueError(
                f"target must be integer class indices of shape ({logits.shape[0]},), "
                f"got shape {target.shape} and dtype {target.dtype}"
            )
        k = logits.shape[1]
        if target.size and (target.min() < 0 or target.max() >= k):
            raise ValueError(f"target values must be in [0, {k - 1}], got {target.min()}..{target.max()}")
        logp = F.log_softmax(logits, axis=1)
        self._probs, self._target = np.exp(logp), target
        return float(-logp[np.arange(len(target)), target].mean())

    def backward(self):
        if self._probs is None:
            raise RuntimeError("CrossEntropyLoss.backward called before forward")
        grad = self._probs.copy()
        n = len(self._target)
        grad[np.arange(n), self._target] -= 1
        return grad / grad.dtype.type(n)


class MSELoss:
    """Mean squared error over all elements: ``L = mean((pred − target)²)``."""

    def __init__(self):
        self._diff = None

    def __call__(self, pred, target):
        return self.forward(pred, target)

    def forward(self, pred, target) -> float:
        pred = as_float_array(pred, "pred")
        target = np.asarray(target, dtype=pred.dtype)
        if pred.shape != target.shape:
            raise ValueError(f"target must have pred's shape {pred.shape}, got {target.shape}")
        self._diff = pred - target
        return float(np.mean(self._diff**2))

    def backward(self):
        if self._diff is None:
            raise RuntimeError("MSELoss.backward called before forward")
        return self._diff * self._diff.dtype.type(2.0 / self._diff.size)
