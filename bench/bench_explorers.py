"""Live-update time of every explorer of the book: render plus PNG encoding, as a reader moving a control
waits for it (native CPython, chapter-sized inputs).

Run: ``make bench`` (or ``python bench/bench_explorers.py``). Prints one table; nothing here is pass/fail.

For each explorer the sweep is: every control moved through its values (up to 12 of them, evenly spread)
one at a time from the initial setting, then 12 random settings (seeded), in that order, one update after
the other as a reader would move the controls. Each update is timed once, on its first visit (so a cache of
finished pictures cannot flatter the numbers); the first update (which builds the figure) is reported
separately as "first". The target is a median under 100 ms at any setting.

The training explorer trains a network per setting. Its live *update* is defined as redrawing the curves of
a run that has been trained (runs are cached by setting): the bench trains every setting of the sweep first
and reports the median training time separately ("train"), then times the updates.

``--only NAME`` (repeatable) restricts the table to some explorers; ``--random N`` sets the number of random
settings.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's cnnlib first

from cnnlib import models  # noqa: E402
from cnnlib.explorers import algorithms, beyond, convolution, core_concepts, questions  # noqa: E402
from cnnlib.explorers import training as ch4  # noqa: E402

MAX_VALUES = 12


def _digits_model():
    return models.trained_digits_cnn(cache=models.cache_path("digits_cnn.npz"))[0]


def _explain():
    from cnnlib.explorers.explain import explain_explorer

    return explain_explorer()


def _explain_photographs():
    from cnnlib.explorers.explain import explain_explorer

    return explain_explorer(network="texture")


def _overview(part):
    """The whole-network overview (another input, the highlighted channel) or its unit view (any layer,
    channel and position), as an object the sweep can drive: ``controls`` and ``render_state``."""
    from types import SimpleNamespace

    from cnnlib.explorers import overview

    names, x, classes = overview.texture_inputs(8)
    ov = overview.Overview(overview.texture_model(), dict(zip(names, x, strict=True)), classes)
    layers = [c.label for c in ov.convs]
    if part == "overview":
        controls = {"input": names, "layer": layers, "channel": list(range(10))}

        def render(input, layer, channel):  # noqa: A002 - the control's name
            return ov.render_overview(input, layer, channel)
    else:
        controls = {"layer": layers, "channel": list(range(10)), "row": list(range(0, 26, 5)),
                    "col": list(range(0, 26, 5))}

        def render(layer, channel, row, col):
            return ov.render_unit(names[0], layer, channel, row, col)

    ctrl = {k: SimpleNamespace(values=v, value=v[0]) for k, v in controls.items()}
    return SimpleNamespace(controls=ctrl, render_state=lambda **s: render(**s))


def factories():
    """name -> (chapter, a function making the explorer)."""
    return {
        "feature maps": ("1", lambda: core_concepts.feature_map_explorer(_digits_model())),
        "convolution": ("2", convolution.convolution_explorer),
        "your own kernel": ("2", core_concepts.kernel_explorer),
        "rgb": ("2", core_concepts.rgb_explorer),
        "pooling": ("2", core_concepts.pooling_explorer),
        "dense": ("2", lambda: core_concepts.dense_explorer(_digits_model())),
        "activation": ("2", core_concepts.activation_explorer),
        "loss": ("2", core_concepts.loss_explorer),
        "gradient descent": ("2", core_concepts.gradient_descent_explorer),
        "stepper": ("3", algorithms.sliding_window_explorer),
        "flip": ("3", algorithms.flip_explorer),
        "training": ("4", ch4.training_explorer),
        "explain": ("5", _explain),
        "explain (photographs)": ("5", _explain_photographs),
        "overview": ("5", lambda: _overview("overview")),
        "unit view": ("5", lambda: _overview("unit")),
        "sliding kernel": ("6", beyond.sliding_kernel_explorer),
        "receptive field": ("7", questions.receptive_field_explorer),
    }


def _spread(values):
    if len(values) <= MAX_VALUES:
        return list(values)
    idx = sorted({round(i * (len(values) - 1) / (MAX_VALUES - 1)) for i in range(MAX_VALUES)})
    return [values[i] for i in idx]


def _controls(explorer):
    """name -> list of live values, and the initial values."""
    if hasattr(explorer, "controls"):
        ctrl = {n: list(c.values) for n, c in explorer.controls.items()}
        return ctrl, {n: c.value for n, c in explorer.controls.items()}
    # the editable-kernel explorer (not an Explorer before this bench was written): input × kernel numbers
    from cnnlib import data

    kernels = [tuple(map(float, k.ravel())) for k in data.KERNELS.values()]
    rng = random.Random(1)
    kernels += [tuple(round(rng.uniform(-2, 2), 1) for _ in range(9)) for _ in range(6)]
    ctrl = {"image": list(convolution.INPUTS), "kernel": kernels}
    return ctrl, {"image": "photo", "kernel": kernels[0]}


def sweep(explorer, n_random=12, seed=0):
    """The settings of the sweep, in order (see the module documentation)."""
    ctrl, start = _controls(explorer)
    states = [dict(start)]
    for name, values in ctrl.items():
        for v in _spread(values):
            states.append({**start, name: v})
    rng = random.Random(seed)
    for _ in range(n_random):
        states.append({n: rng.choice(v) for n, v in ctrl.items()})
    return states


def _update_function(explorer):
    """A function of one setting performing one live update (render + PNG), for old and new code alike."""
    if hasattr(explorer, "render_state"):
        return lambda s: explorer.render_state(**s)
    # the old KernelEditor: its live update rendered a new figure and saved it as a PNG
    from cnnlib.widgets import _figure_png

    def update(s):
        fig, _ = core_concepts.render_kernel(s["image"], s["kernel"])
        return _figure_png(fig)

    return update


def bench(name, make, n_random):
    explorer = make()
    states = sweep(explorer, n_random)
    train = None
    if name == "training":
        t_train = []
        for s in states:
            t0 = time.perf_counter()
            ch4.training_run(s["optimizer"], s["lr"], s["batch_size"], 6)
            t_train.append(time.perf_counter() - t0)
        train = statistics.median(t_train)
    update = _update_function(explorer)
    times = []
    for s in states:
        t0 = time.perf_counter()
        update(s)
        times.append(time.perf_counter() - t0)
    first, rest = times[0], times[1:]
    return {"n": len(rest), "first": first, "median": statistics.median(rest), "worst": max(rest), "train": train}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", help="explorer name (repeatable)")
    parser.add_argument("--random", type=int, default=12, help="random settings per explorer")
    args = parser.parse_args(argv)
    table = factories()
    names = args.only or list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        parser.error(f"unknown explorer(s) {unknown}; known: {list(table)}")
    print("Explorer live update (render + PNG), milliseconds; target: median < 100")
    print(f"{'ch':>2}  {'explorer':<17} {'updates':>7} {'median':>7} {'worst':>7} {'first':>7}  note")
    for name in names:
        chapter, make = table[name]
        r = bench(name, make, args.random)
        note = "" if r["train"] is None else f"training a new setting: {r['train'] * 1e3:.0f} ms (median), cached"
        flag = "" if r["median"] < 0.1 else " *"
        print(f"{chapter:>2}  {name:<17} {r['n']:>7} {r['median'] * 1e3:>7.0f} {r['worst'] * 1e3:>7.0f} "
              f"{r['first'] * 1e3:>7.0f}  {note}{flag}", flush=True)
    print("(* median over the target)")


if __name__ == "__main__":
    main()
