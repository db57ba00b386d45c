"""Execute the chapters into the book's execution cache, two at a time (`make book` runs this before Sphinx).

    python tools/execute.py notebooks/*.ipynb            # what `make book` runs
    python tools/execute.py --workers 1 notebooks/05b_photographs.ipynb

Jupyter Book executes the notebooks one after the other, each kernel with numpy's BLAS on every core. On the
book's 2-core machine that leaves a core idle most of the time: much of a chapter is Python, plotting and small
matrix products that one thread runs as fast as two. So this script fills the same cache that MyST-NB reads
(``_config.yml``: ``execute.cache``; a notebook is matched by its code cells, their metadata and the kernelspec,
so Sphinx then finds every chapter executed) with ``--workers`` kernels at once, each with one BLAS thread
(``OPENBLAS_NUM_THREADS=1``; two kernels with two threads each on two cores were 2.6 times slower than one
after the other). One BLAS thread also makes the printed numbers the same on machines with any number of cores.

Before the chapters start, the networks several of them load from the weights cache are trained once
(:func:`train_shared_networks`), so that two chapters never train the same network at the same time.
A chapter that fails stops the build with its traceback, as Sphinx would.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "_build" / ".jupyter_cache"
TIMEOUT = 600  # seconds per cell, as _config.yml's execute.timeout


def train_shared_networks() -> None:
    """Train (or load) the networks that chapters share through the weights cache (cnnlib.models.cache_path):
    the digits CNN (chapters 5 and 5b), the shapes CNN (5 and 5b, and the explain explorer) and the texture
    network (the overview in chapters 1 and 5, and 5b: the shipped weights, or trained when they are ignored)."""
    from cnnlib import models
    from cnnlib.explorers import overview

    models.trained_digits_cnn(epochs=15, seed=0, cache=models.cache_path("digits_cnn.npz"))
    models.trained_shapes_cnn(cache=models.cache_path("shapes_cnn.npz"))
    overview.texture_model()


def _execute(path: str):
    """Worker: execute one notebook in its own folder; returns (path, executed notebook, seconds, error text)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=TIMEOUT, allow_errors=False,
                                 meta_override=True)
    return path, nb, result.time, result.exc_string if result.err else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--workers", type=int, default=2, help="kernels at once (default 2)")
    parser.add_argument("--cache", default=str(CACHE), help="the execution cache (default: the book's)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be >= 1, got {args.workers}")

    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(args.cache)
    todo = []
    for path in args.notebooks:
        path = str(Path(path).resolve())
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            todo.append(path)
    if not todo:
        print(f"execute: all {len(args.notebooks)} notebooks are in the cache")
        return 0

    # read by each kernel's OpenBLAS at start-up: the kernels inherit this process's environment
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    start = time.perf_counter()
    print("execute: the networks the chapters share (trained into the weights cache if missing) …", flush=True)
    train_shared_networks()
    trained = time.perf_counter() - start
    print(f"execute: {len(todo)} notebooks, {args.workers} at a time …", flush=True)
    todo.sort(key=lambda p: -LAST_SECONDS.get(Path(p).name, 0))  # longest first: the kernels finish together
    failed = []
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        for path, nb, secs, error in pool.imap_unordered(_execute, todo):
            name = Path(path).name
            if error:
                failed.append(name)
                print(f"execute: {name} failed\n{error}", file=sys.stderr)
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nb, path, data={"execution_seconds": secs}),
                                        check_validity=False, overwrite=True)
            print(f"execute: {name} in {secs:.0f} s", flush=True)
    print(f"execute: {len(todo) - len(failed)} of {len(todo)} notebooks in {time.perf_counter() - start:.0f} s "
          f"({args.workers} at a time; {trained:.0f} s of it training the shared networks)")
    return 1 if failed else 0


#: Each chapter's execution time in seconds, one after the other, on the book's 2-core machine (sets the order).
LAST_SECONDS = {"05b_photographs.ipynb": 100, "05_interpretability.ipynb": 80, "06_beyond_images.ipynb": 27,
                "03_algorithms.ipynb": 22, "04_implementation.ipynb": 22, "02_core_concepts.ipynb": 20,
                "07_questions.ipynb": 14, "01_background.ipynb": 12}


if __name__ == "__main__":
    sys.exit(main())
