"""Small, honest timing helpers: how long one call takes, and how that grows with the image size.

The book measures speed *live*, on the reader's machine, with small repeat counts, so the numbers are
estimates, not benchmarks: each measurement is the best of a few runs (the minimum is the run least
disturbed by everything else the computer was doing), and a call that is too fast for the clock is
repeated in a loop and the total divided.

Nothing here imports PyTorch: a notebook that wants PyTorch in the comparison builds the function itself
(when torch is installed) and passes it in ``implementations``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ._checks import as_int
from .functional import conv2d
from .reference import convolution

__all__ = [
    "time_call",
    "conv_implementations",
    "speed_table",
    "loglog_slope",
    "format_seconds",
    "table_markdown",
    "speed_figure",
]


def time_call(fn: Callable[[], object], repeat: int = 3, number: int | None = None, min_time: float = 2e-3) -> float:
    """Seconds one call of ``fn()`` takes: the best of ``repeat`` measurements.

    Args:
        fn: a function of no arguments (wrap arguments with a lambda or functools.partial).
        repeat: how many measurements (>= 1); the smallest is returned.
        number: calls per measurement. ``None`` chooses it so that one measurement lasts at least
            ``min_time`` seconds (fast calls are looped, so the clock's resolution does not matter).
        min_time: see ``number``.

    Returns:
        seconds per call (float > 0).

    Raises:
        ValueError: ``repeat`` or ``number`` below 1, or ``min_time`` negative.
    """
    repeat = as_int(repeat, "repeat", 1)
    if min_time < 0:
        raise ValueError(f"min_time must be >= 0, got {min_time}")
    if number is None:
        t0 = time.perf_counter()
        fn()  # also a warm-up call (caches, lazy imports, first-touch allocations)
        first = time.perf_counter() - t0
        number = 1 if first >= min_time else min(10_000, math.ceil(min_time / max(first, 1e-7)))
    number = as_int(number, "number", 1)
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return max(best, 1e-9)


def _cnnlib_conv(image, kernel):
    return conv2d(image[None, None], kernel[None, None])[0, 0]


def conv_implementations() -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """The two convolutions every machine has, as ``name -> f(image (H, W), kernel (k, k)) -> (H_out, W_out)``.

    ``"loops"`` is :func:`cnnlib.reference.convolution` (the article's double loop, fixed);
    ``"cnnlib"`` is :func:`cnnlib.functional.conv2d` (im2col and one matrix product).
    """
    return {"loops": convolution, "cnnlib": _cnnlib_conv}


def speed_table(
    sizes: Sequence[int] = (16, 32, 64, 128),
    kernel_size: int = 3,
    implementations: Mapping[str, Callable] | None = None,
    repeat: int = 3,
    seed: int = 0,
    check: bool = True,
) -> list[dict]:
    """Time each implementation of a single-channel convolution on square random images of each size.

    Args:
        sizes: image sides in pixels (each >= ``kernel_size``).
        kernel_size: side of the square kernel.
        implementations: ``name -> f(image, kernel)``; default :func:`conv_implementations`. The first one
            is the reference that the others are checked against.
        repeat: measurements per cell (best of; see :func:`time_call`).
        seed: for the random image and kernel.
        check: verify that every implementation gives the reference's result (to 1e-6 relative), so the
            table never compares a fast wrong answer with a slow right one.

    Returns:
        one dict per size: ``{"size": n, name: seconds, ...}`` in the order of ``implementations``.

    Raises:
        ValueError: bad sizes, or an implementation disagreeing with the reference.
    """
    kernel_size = as_int(kernel_size, "kernel_size", 1)
    impls = dict(conv_implementations() if implementations is None else implementations)
    if not impls:
        raise ValueError("implementations must name at least one function")
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal((kernel_size, kernel_size))
    rows = []
    for n in sizes:
        n = as_int(n, "size", kernel_size)
        image = rng.standard_normal((n, n))
        row = {"size": n}
        reference = None
        for name, fn in impls.items():
            if check:
                out = np.asarray(fn(image, kernel), dtype=np.float64)
                if reference is None:
                    reference = out
                elif out.shape != reference.shape or not np.allclose(out, reference, rtol=1e-6, atol=1e-6):
                    raise ValueError(f"implementation {name!r} disagrees with {next(iter(impls))!r} at size {n}")
            row[name] = time_call(lambda fn=fn, image=image: fn(image, kernel), repeat=repeat)
        rows.append(row)
    return rows


def loglog_slope(sizes: Sequence[float], times: Sequence[float]) -> float:
    """Least-squares slope of log(time) against log(size): 2 means time grows like the pixel count.

    Raises:
        ValueError: fewer than two points, or a non-positive value.
    """
    x, y = np.asarray(sizes, dtype=np.float64), np.asarray(times, dtype=np.float64)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"need at least two (size, time) pairs of equal length, got {x.size} and {y.size}")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("sizes and times must be > 0 for a log-log slope")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def format_seconds(t: float) -> str:
    """``0.0000123 -> '12.3 µs'``: three significant digits in s, ms or µs."""
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def table_markdown(rows: list[dict], baseline: str | None = None) -> str:
    """A Markdown table of :func:`speed_table` rows; with ``baseline``, each other column also shows how
    many times faster it is than the baseline column."""
    if not rows:
        raise ValueError("rows must not be empty")
    names = [k for k in rows[0] if k != "size"]
    if baseline is not None and baseline not in names:
        raise ValueError(f"baseline must be one of {names}, got {baseline!r}")
    head = "| image | " + " | ".join(names) + " |"
    sep = "|---:|" + "---:|" * len(names)
    lines = [head, sep]
    for r in rows:
        cells = []
        for name in names:
            cell = format_seconds(r[name])
            if baseline is not None and name != baseline:
                cell += f" ({r[baseline] / r[name]:.0f}× faster)"
            cells.append(cell)
        lines.append(f"| {r['size']}×{r['size']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speed_figure(rows: list[dict], title: str = "Convolution time against image size", fit_from: int = 0):
    """Log–log plot of time per call against image side, one line per implementation, with its slope.

    Equal slopes and a vertical gap mean: the same growth, a constant factor apart.

    Args:
        rows: from :func:`speed_table`.
        title: the axes title.
        fit_from: the slopes in the legend are fitted on sizes >= this (small images measure the fixed
            cost of a call, not the growth); at least two sizes are always used.
    """
    from .widgets import new_figure

    if not rows:
        raise ValueError("rows must not be empty")
    names = [k for k in rows[0] if k != "size"]
    sizes = [r["size"] for r in rows]
    fig, ax = new_figure(4.6, 3.0)
    markers = "osD^v"
    fit = [i for i, n in enumerate(sizes) if n >= fit_from]
    fit = fit if len(fit) >= 2 else list(range(max(0, len(sizes) - 2), len(sizes)))
    span = f", n ≥ {sizes[fit[0]]}" if fit[0] > 0 else ""
    for i, name in enumerate(names):
        times = [r[name] for r in rows]
        slope = loglog_slope([sizes[j] for j in fit], [times[j] for j in fit]) if len(fit) > 1 else None
        label = name if slope is None else f"{name} (slope {slope:.2f}{span})"
        ax.loglog(sizes, times, marker=markers[i % len(markers)], label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("image side n (pixels; image is n×n)")
    ax.set_ylabel("seconds per convolution")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7)
    return fig
