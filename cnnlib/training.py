"""Training loops: ``fit``, ``evaluate`` and ``predict`` for any model with forward/backward."""

from __future__ import annotations

import contextlib

import numpy as np

from . import parallel
from .layers import Sequential

__all__ = ["fit", "evaluate", "predict", "batch_size_for", "one_blas_thread"]


def one_blas_thread():
    """A context in which BLAS uses one thread (through threadpoolctl, when it is installed).

    Float32 sums come out in a different order with another thread count, which changes the last digits
    of every weight and, after a few epochs, sometimes a prediction. The book's networks are trained
    inside this context, so "the same network" prints the same accuracy on every machine and in every
    chapter; for matrices this small one thread is also as fast as two.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _batches(n, batch_size):
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for start in range(0, n, int(batch_size)):
        yield slice(start, start + int(batch_size))


def batch_size_for(sample_shape, numbers=2**18, largest=256) -> int:
    """How many samples of ``sample_shape`` (one sample's shape, e.g. ``(3, 64, 64)``) to push through a
    network at once when only the results matter (prediction, evaluation, explanations).

    About ``numbers`` input values per pass, between 1 and ``largest`` samples. Bigger passes are not
    faster: a convolution's unfolded input is kH·kW times its input, and once that leaves the CPU's cache
    every pass waits on memory. Measured for Tiny VGG on 64×64 RGB scenes (one BLAS thread, 1,000 scenes):
    batches of 16 took 0.9 s, of 256 (the old default) 3.6 s. 8×8 digits still go 256 at a time.
    """
    per_sample = max(1, int(np.prod(sample_shape, dtype=np.int64)))
    return int(min(largest, max(1, numbers // per_sample)))


def predict(model, x, batch_size=None):
    """Logits of ``model`` for x (N, ...), in eval mode, by batches. Returns (N, K).

    ``batch_size``: samples per forward pass; ``None`` picks :func:`batch_size_for` ``(x.shape[1:])``.
    """
    model.eval()
    x = np.asarray(x)
    if batch_size is None:
        batch_size = batch_size_for(x.shape[1:])
    return np.concatenate([model.forward(x[b]) for b in _batches(len(x), batch_size)])


def evaluate(model, x, y, loss_fn=None, batch_size=None) -> dict:
    """``{"accuracy": ...}`` (and ``"loss"`` with a loss function) of ``model`` on (x, y), in eval mode."""
    logits = predict(model, x, batch_size)
    out = {"accuracy": float(np.mean(logits.argmax(axis=1) == np.asarray(y)))}
    if loss_fn is not None:
        out["loss"] = float(loss_fn.forward(logits, y))
    return out


def _step(model, loss_fn, xb, yb, scale=None):
    """Forward and backward of one batch, gradients added to the parameters'; returns (loss, correct).

    ``scale`` multiplies the loss gradient (a part of a split batch); a Sequential skips the input
    gradient, which nothing upstream learns from."""
    logits = model.forward(xb)
    loss = loss_fn.forward(logits, yb)
    dy = loss_fn.backward()
    if scale is not None:
        dy = dy * scale
    if isinstance(model, Sequential):
        model.backward(dy, need_input_grad=False)
    else:
        model.backward(dy)
    return loss, float(np.sum(logits.argmax(axis=1) == yb))


class _SplitBatch:
    """Forward and backward of one mini-batch split into ``workers`` parts, one thread each.

    Every thread runs its own copy of the model (its own caches and scratch buffers) whose parameters
    share their arrays with ``model``; numpy releases the GIL inside array operations, so on a 2-core
    machine two halves of a batch run at once (:func:`cnnlib.parallel.run_parts`, BLAS on one thread).
    The gradients of the parts are added in a fixed order, so the result does not depend on thread
    timing. Returns (loss, correct) of the whole batch; the gradients are left in ``model``'s parameters,
    ready for the optimizer.
    """

    def __init__(self, model, loss_fn, workers):
        import copy

        self.models = [model] + [copy.deepcopy(model) for _ in range(workers - 1)]
        for replica in self.models[1:]:
            for mine, theirs in zip(model.parameters(), replica.parameters(), strict=True):
                theirs.data = mine.data  # the optimizer updates mine.data in place: replicas follow
        self.losses = [loss_fn] + [copy.deepcopy(loss_fn) for _ in range(workers - 1)]

    def _part(self, k, xb, yb, share):
        net = self.models[k]
        net.zero_grad()
        # the part's mean-loss gradient, scaled to its share of the whole batch's mean
        loss, correct = _step(net, self.losses[k], xb, yb, scale=np.float32(share))
        return loss * share, correct

    def __call__(self, xb, yb):
        parts = parallel.split(len(xb), len(self.models))
        results = parallel.run_parts(
            lambda k, rows: self._part(k, xb[rows], yb[rows], (rows.stop - rows.start) / len(xb)), parts)
        params = [net.parameters() for net in self.models]
        for k in range(1, len(parts)):
            for mine, theirs in zip(params[0], params[k], strict=True):
                mine.grad += theirs.grad
        return sum(r[0] for r in results), sum(r[1] for r in results)

    def train(self):
        for net in self.models:
            net.train()


def fit(model, loss_fn, optimizer, x, y, *, epochs=1, batch_size=32,
        validation_data=None, seed=0, progress=True, workers=1) -> dict:
    """Train with mini-batches shuffled from ``seed``; returns per-epoch lists.

    Args:
        x: (N, ...) inputs; y: (N,) integer labels.
        validation_data: optional (x_val, y_val), evaluated after each epoch.
        progress: show a ``tqdm.auto`` progress bar (terminal or notebook).
        workers: split every mini-batch into this many parts computed by as many
            threads (a :class:`~cnnlib.layers.Sequential` model only). The sum of the
            parts' gradients equals the batch's gradient up to float rounding, so the
            result depends on ``workers``, not on timing.

    Returns:
        ``{"loss": [...], "accuracy": [...]}`` (training loss and accuracy, averaged
        over the epoch's batches) plus ``"val_loss"`` and ``"val_accuracy"`` with
        validation data.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(
            f"x and y must have the same length, got {len(x)} and {len(y)}")
    rng = np.random.default_rng(seed)
    history = {"loss": [], "accuracy": []}
    if validation_data is not None:
        history.update(val_loss=[], val_accuracy=[])
    workers = int(workers)
    if workers < 1 or (workers > 1 and not isinstance(model, Sequential)):
        raise ValueError(
            f"workers must be 1, or >= 1 with a Sequential model, got {workers}")
    split = _SplitBatch(model, loss_fn, workers) if workers > 1 else None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(epochs), desc="training", unit="epoch")
    for _ in range(int(epochs)):
        (model if split is None else split).train()  # the split batch's replicas too
        order = rng.permutation(len(x))
        total_loss = total_correct = 0.0
        for b in _batches(len(x), batch_size):
            idx = order[b]
            xb, yb = x[idx], y[idx]
            if split is not None:
                loss, correct = split(xb, yb)
            else:
                optimizer.zero_grad()
                loss, correct = _step(model, loss_fn, xb, yb)
            optimizer.step()
            total_loss += loss * len(idx)
            total_correct += correct
        history["loss"].append(total_loss / len(x))
        history["accuracy"].append(total_correct / len(x))
        postfix = {"loss": f"{history['loss'][-1]:.3f}",
                   "acc": f"{history['accuracy'][-1]:.3f}"}
        if validation_data is not None:
            val = evaluate(model, *validation_data, loss_fn=loss_fn)
            history["val_loss"].append(val["loss"])
            history["val_accuracy"].append(val["accuracy"])
            postfix["val_acc"] = f"{val['accuracy']:.3f}"
        if bar is not None:
            bar.set_postfix(postfix)
            bar.update(1)
    if bar is not None:
        bar.close()
    model.train()
    return history
