"""Finite-difference gradient checking: the way to know a backward pass is right."""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_layer"]


def numerical_gradient(f, x, eps=1e-6):
    """Centred differences ``(f(x + εe_i) − f(x − εe_i)) / 2ε`` for every element of x.

    ``f`` maps an array shaped like x to a scalar. x is not modified (a float64 copy is perturbed).
    """
    x = np.array(x, dtype=np.float64)  # copy
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = float(f(x))
        flat[i] = old - eps
        minus = float(f(x))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """``‖a − b‖ / max(‖a‖ + ‖b‖, tiny)``: 0 when equal, 1 when unrelated."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / max(denom, 1e-300))


def check_layer(layer, x, eps=1e-6, seed=0) -> float:
    """Largest relative error between the layer's backward pass and finite differences, over the
    input and every parameter. Use float64 layers and inputs; a correct layer gives ~1e-9.

    The scalar checked is ``Σ layer(x) · r`` for a fixed random r, so every output element counts.
    """
    x = np.array(x, dtype=np.float64)
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(np.shape(layer.forward(x)))

    def loss_of_input(xv):
        return float(np.sum(layer.forward(xv) * r))

    layer.zero_grad()
    layer.forward(x)
    dx = layer.backward(r)
    errors = [relative_error(dx, numerical_gradient(loss_of_input, x, eps))]
    analytic = {name: p.grad.copy() for name, p in layer.named_parameters()}
    for name, p in layer.named_parameters():
        original = p.data.copy()

        def loss_of_param(v, p=p):
            p.data[...] = v
            return float(np.sum(layer.forward(x) * r))

        numeric = numerical_gradient(loss_of_param, original, eps)
        p.data[...] = original
        errors.append(relative_error(analytic[name], numeric))
    layer.zero_grad()
    return max(errors)
