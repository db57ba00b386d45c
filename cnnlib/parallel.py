"""Parts of a batch computed at once, one per core, for the big convolutions.

A convolution layer spends its time in three matrix products and in the copies around them (padding,
im2col, col2im, layout changes). BLAS runs the products on every core, but the copies run on one, and
after each product OpenBLAS's helper threads keep spinning for a while, holding the other cores. So a
big layer is faster when each core takes a part of the batch through the *whole* layer, products with one
BLAS thread and copies alike. Measured by ``make bench`` on 2 cores, forward and backward of a batch of 32:
a 32→64-channel 3×3 layer on 32×32 images 39.2 → 28.5 ms, Tiny VGG's first layer 15.6 → 7.4 ms.

This only happens when BLAS may use more than one thread. With one (inside
:func:`cnnlib.training.one_blas_thread`, where the book trains its networks, and in the book's build, which
runs every chapter with one BLAS thread) a layer computes the whole batch at once, so those results do not
depend on this module. With several, the results agree with one pass up to float32 rounding: the weight
gradient is summed part by part, and OpenBLAS treats the edge tiles of a smaller matrix differently.

A network (:class:`cnnlib.layers.Sequential`) holds BLAS at one thread for its whole forward and backward
pass (:func:`parts_instead_of_blas_threads`) and lets its layers split their batches instead. Otherwise a
small product between two split layers (a dense layer's, say) would wake OpenBLAS's helper thread, which
then spins on one core while the next layer's parts need both: measured on Tiny VGG's training step,
batch 32, 52 ms with BLAS's threads between the parts, 36 ms with them held.

Nowhere else: in the browser (Pyodide) there are no threads, and without threadpoolctl (a dependency of
scikit-learn) the BLAS thread count cannot be set, so every batch is computed in one piece.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import os
import sys
import threading

__all__ = ["blas_threads", "split", "batch_parts", "run_parts", "parts_instead_of_blas_threads"]

#: A batch is split when its unfolded input has at least this many numbers. Measured on 2 cores, forward
#: and backward: LeNet's second layer (batch 64, 960,000 numbers) took 1.5 ms whole and 2.2 ms in parts;
#: its first layer (1.25 million) 2.4 and 2.0 ms; Tiny VGG's third (batch 32, 1.9 million) 7.9 and 2.2 ms.
MIN_PART_NUMBERS = 2**20

_lock = threading.Lock()
_state: dict = {"inside": 0}  # how many holds and runs of parts are active, and BLAS's count before them
_local = threading.local()  # .in_part: this thread is computing a part (which is never split again)


def _blas():
    """numpy's BLAS as a threadpoolctl controller, or None where its threads cannot be set."""
    if "blas" not in _state:
        controller = None
        if sys.platform != "emscripten":
            try:
                import numpy as np
                from threadpoolctl import ThreadpoolController

                found = ThreadpoolController().select(user_api="blas").lib_controllers
                if len(found) > 1:  # SciPy brings a BLAS of its own: keep numpy's (numpy/ or numpy.libs/)
                    root = os.path.dirname(os.path.abspath(np.__file__))
                    found = [c for c in found if os.path.abspath(c.filepath).startswith(root)]
                controller = found[0] if len(found) == 1 else None
            except Exception:  # pragma: no cover - no threadpoolctl, or a BLAS it does not know
                controller = None
        _state["blas"] = controller
    return _state["blas"]


def blas_threads() -> int:
    """How many threads numpy's BLAS may use now (1 where that cannot be known or set)."""
    blas = _blas()
    return 1 if blas is None else max(1, int(blas.num_threads))


def split(n, parts) -> list[slice]:
    """``range(n)`` cut into at most ``parts`` consecutive, non-empty slices, the first ones one longer
    where it does not divide evenly (as ``np.array_split``)."""
    size, extra = divmod(n, parts)
    bounds = [0]
    for i in range(parts):
        bounds.append(bounds[-1] + size + (i < extra))
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def batch_parts(n, numbers_per_sample) -> list[slice]:
    """How a layer should split a batch of ``n`` samples: one slice per part, in order.

    ``numbers_per_sample``: the size of one sample's unfolded input (C·kH·kW·H_out·W_out). One part
    (the whole batch) unless BLAS may use several threads and each part would be big enough
    (:data:`MIN_PART_NUMBERS`).
    """
    parts = min(_cores(), n, max(1, (n * numbers_per_sample) // MIN_PART_NUMBERS))
    return split(n, parts)


def _cores():
    """Into how many parts a batch may be cut here: BLAS's thread count, or what it was before a hold
    (see :func:`parts_instead_of_blas_threads`); 1 inside a part."""
    if getattr(_local, "in_part", False):
        return 1
    with _lock:
        if _state["inside"]:
            return _state["threads"]
    return blas_threads()


def _pool(workers):
    with _lock:
        pool = _state.get("pool")
        if pool is None or _state["workers"] < workers or _state["pid"] != os.getpid():
            if pool is not None and _state["pid"] == os.getpid():
                pool.shutdown(wait=False)  # its threads finish what they run, then end
            pool = _state["pool"] = concurrent.futures.ThreadPoolExecutor(workers, "cnnlib-part")
            _state["workers"], _state["pid"] = workers, os.getpid()
    return pool


def _hold_blas(enter):
    """Entering and leaving a hold or the parts of :func:`run_parts`, which may nest or overlap (callers
    may use threads of their own): the first to enter sets BLAS to one thread, the last to leave restores
    its count."""
    blas = _blas()
    with _lock:
        if enter:
            if _state["inside"] == 0:
                _state["threads"] = blas_threads()
                if blas is not None:
                    blas.set_num_threads(1)
            _state["inside"] += 1
        else:
            _state["inside"] -= 1
            if _state["inside"] == 0 and blas is not None:
                blas.set_num_threads(_state["threads"])


@contextlib.contextmanager
def parts_instead_of_blas_threads():
    """A context in which BLAS uses one thread and layers use the cores it had by splitting big batches
    (:func:`batch_parts`). :class:`cnnlib.layers.Sequential` runs its passes inside it."""
    _hold_blas(True)
    try:
        yield
    finally:
        _hold_blas(False)


def _as_part(fn, i, part):
    _local.in_part = True
    try:
        return fn(i, part)
    finally:
        _local.in_part = False


def run_parts(fn, parts):
    """``[fn(0, parts[0]), fn(1, parts[1]), ...]``, computed at once, BLAS limited to one thread meanwhile.

    The first part runs in the calling thread, the others in a pool of threads. An exception in any part
    is raised here, after every part has finished, and BLAS's thread count is restored in any case.
    """
    if len(parts) == 1:
        return [fn(0, parts[0])]
    with parts_instead_of_blas_threads():
        pool = _pool(len(parts) - 1)
        futures = [pool.submit(_as_part, fn, i, part) for i, part in enumerate(parts[1:], start=1)]
        try:
            first = _as_part(fn, 0, parts[0])
        finally:
            concurrent.futures.wait(futures)
        return [first, *(f.result() for f in futures)]
