"""Adversarial examples: small changes of the input that change a classifier's answer.

* :func:`fgsm` (Goodfellow, Shlens & Szegedy 2015), one step:
  :math:`x' = \\mathrm{clip}_{[lo, hi]}(x + \\varepsilon\\,\\mathrm{sign}(\\nabla_x L(x, t)))`, with ``t`` the
  true class (the loss goes up);
* :func:`targeted_attack` (iterative, projected: Kurakin et al. 2017; Madry et al. 2018): repeat
  :math:`x \\leftarrow \\Pi(x - \\alpha\\,\\mathrm{sign}(\\nabla_x L(x, c)))` to make the loss of a chosen class
  ``c`` go down, where :math:`\\Pi` projects back into the L∞ ball of radius ε around the original input and
  into the valid range.
* :func:`success_rate`: the share of images whose prediction an attack changes, for several ε.

The gradient of the loss with respect to the input is ``model.backward`` of the cross-entropy's gradient,
computed inside :func:`cnnlib.explain.preserved` (the model is left as it was); inputs are never modified.
"""

from __future__ import annotations

import numpy as np

from . import explain, losses, training
from ._checks import as_float_array, as_int, check_ndim

__all__ = ["input_loss_gradient", "fgsm", "targeted_attack", "predict", "success_rate"]

_ATTACKS = ("fgsm", "targeted")


def _check_inputs(model, x, valid_range):
    explain._check_model(model)
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    try:
        lo, hi = (float(v) for v in valid_range)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"valid_range must be a pair (low, high), got {valid_range!r}") from exc
    if not lo < hi:
        raise ValueError(f"valid_range must have low < high, got {valid_range!r}")
    if x.min() < lo or x.max() > hi:
        raise ValueError(f"x must lie in valid_range {valid_range}, got values {x.min():.3g}..{x.max():.3g}")
    return x, lo, hi


def _check_eps(eps, name="eps"):
    if isinstance(eps, bool) or not isinstance(eps, int | float | np.floating | np.integer) or not eps >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {eps!r}")
    return float(eps)


def input_loss_gradient(model, x, target):
    """The cross-entropy loss of ``target`` (int or (N,)) summed over the batch, and its gradient with
    respect to ``x`` (N, C, H, W) (each image's gradient is that of its own loss)."""
    explain._check_model(model)
    x = as_float_array(x, "x")
    with explain.preserved(model):
        logits = model.forward(x)
        t = explain._targets(target, len(x), logits.shape[1])
        loss_fn = losses.CrossEntropyLoss()
        loss = loss_fn.forward(logits, t) * len(x)
        dx = model.backward(loss_fn.backward() * len(x))
    return loss, np.asarray(dx)


def predict(model, x, batch_size=None) -> np.ndarray:
    """The predicted class of every image, (N,) int64; ``batch_size=None`` picks
    :func:`cnnlib.training.batch_size_for`. The model's mode and gradients are left as they were."""
    explain._check_model(model)
    x = as_float_array(x, "x")
    with explain.preserved(model):
        return training.predict(model, x, batch_size).argmax(axis=1).astype(np.int64)


def fgsm(model, x, target, eps, valid_range=(0.0, 1.0)) -> np.ndarray:
    """Fast gradient sign method, untargeted: one step of size ``eps`` up the loss of the true class
    ``target`` (int or (N,)), clipped to ``valid_range``. Returns a new array shaped like ``x``;
    ``|x' − x| ≤ eps`` everywhere."""
    x, lo, hi = _check_inputs(model, x, valid_range)
    eps = _check_eps(eps)
    _, g = input_loss_gradient(model, x, target)
    return np.clip(x + eps * np.sign(g), lo, hi).astype(x.dtype)


def targeted_attack(model, x, target_class, eps, steps=20, step_size=None, valid_range=(0.0, 1.0),
                    stop_early=True) -> np.ndarray:
    """Targeted iterative attack (projected sign-gradient descent on the loss of ``target_class``).

    Each step moves every pixel by ``step_size`` (default ``2.5·eps/steps``, Madry et al.'s choice) against
    the sign of the gradient of the loss of ``target_class``, then projects into
    ``[x − eps, x + eps] ∩ valid_range``. With ``stop_early`` an image stops moving once it is classified
    as ``target_class`` (the smallest change that works, as far as this search can tell).

    Args:
        target_class: the class to reach, an int or (N,).
        eps: the L∞ radius (>= 0).
        steps: number of steps (>= 1).

    Returns:
        the adversarial images, a new array shaped like ``x``.
    """
    x, lo, hi = _check_inputs(model, x, valid_range)
    eps = _check_eps(eps)
    steps = as_int(steps, "steps", 1)
    alpha = 2.5 * eps / steps if step_size is None else _check_eps(step_size, "step_size")
    low, high = np.maximum(x - eps, lo), np.minimum(x + eps, hi)
    adv = x.copy()
    t = explain._targets(target_class, len(x))
    active = np.ones(len(x), dtype=bool)
    for _ in range(steps):
        if stop_early:
            active = predict(model, adv) != t
            if not active.any():
                break
        _, g = input_loss_gradient(model, adv[active], t[active])
        adv[active] = np.clip(adv[active] - alpha * np.sign(g), low[active], high[active])
    return adv


def success_rate(model, x, y, eps_values, attack="fgsm", target_class=None, **kwargs) -> np.ndarray:
    """For each ε in ``eps_values``, the share of images the attack succeeds on.

    Only images the model classifies correctly count (an attack cannot "flip" a wrong answer).
    ``"fgsm"`` succeeds when the prediction is no longer ``y``; ``"targeted"`` when it becomes
    ``target_class`` (int or (N,); default: the class after the true one, ``(y + 1) mod K``), and images
    whose true class is the target are left out. ``kwargs`` go to the attack.

    Returns:
        (len(eps_values),) success rates in [0, 1].
    """
    if attack not in _ATTACKS:
        raise ValueError(f"attack must be one of {_ATTACKS}, got {attack!r}")
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    y = explain._targets(y, len(x))
    eps_values = [_check_eps(e) for e in np.atleast_1d(eps_values)]
    pred = predict(model, x)
    keep = pred == y
    if attack == "targeted":
        with explain.preserved(model):
            k = np.asarray(model.forward(x[:1])).shape[1]
        tc = (y + 1) % k if target_class is None else explain._targets(target_class, len(x), k)
        keep &= tc != y
    if not keep.any():
        raise ValueError("no image is classified correctly (and differs from its target): nothing to attack")
    xs, ys = x[keep], y[keep]
    rates = []
    for eps in eps_values:
        if attack == "fgsm":
            rates.append(float(np.mean(predict(model, fgsm(model, xs, ys, eps, **kwargs)) != ys)))
        else:
            adv = targeted_attack(model, xs, tc[keep], eps, **kwargs)
            rates.append(float(np.mean(predict(model, adv) == tc[keep])))
    return np.array(rates)
