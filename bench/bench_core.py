"""Speed of cnnlib against PyTorch (CPU, float32, 2 threads) and against the article's loops.

Run: ``make bench`` (or ``python bench/bench_core.py``). Prints one table; nothing here is pass/fail.
PyTorch is optional: without it the PyTorch columns are skipped.

The big layers are bound by the matrix products, so by the BLAS kernel numpy runs; the first line says
which. Some machines force an older OpenBLAS kernel through ``OPENBLAS_CORETYPE`` (e.g. Haswell, AVX2, on
an AVX-512 CPU), which halves peak float32 throughput; ``make bench-native`` runs the same script with
that override removed, so both numbers can be reported.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import cnnlib.functional as F
from cnnlib import data, layers, losses, optim, reference, training
from cnnlib.matmul import matmul

try:
    import torch

    torch.set_num_threads(2)
except ImportError:  # the oracle is optional
    torch = None

LAYERS = [  # (name, N, C_in, H, C_out, k, padding)
    ("64×1×28×28 → 6, k5, p2", 64, 1, 28, 6, 5, 2),
    ("64×6×14×14 → 16, k5", 64, 6, 14, 16, 5, 0),
    ("32×32×32×32 → 64, k3, p1", 32, 32, 32, 64, 3, 1),
    ("Tiny VGG 32×3×64×64 → 10, k3", 32, 3, 64, 10, 3, 0),
    ("Tiny VGG 32×10×62×62 → 10, k3", 32, 10, 62, 10, 3, 0),
]


def print_row(name, ours, theirs, products=None):
    """One line of the table: cnnlib's time, PyTorch's (when installed) and their ratio; then the time of
    cnnlib's matrix products alone and their ratio to PyTorch's whole time (the floor of the first ratio)."""
    ratio = f"{ours / theirs:7.2f}×" if theirs else "      -"
    theirs_ms = f"{theirs * 1e3:10.2f}" if theirs else f"{'-':>10}"
    line = f"{name:<34}{ours * 1e3:10.2f}{theirs_ms}{ratio}"
    if products is not None:
        floor = f"{products / theirs:7.2f}×" if theirs else "      -"
        line += f"{products * 1e3:10.2f}{floor}"
    print(line)


def bench_products(n, c, h, o, k, p, repeat):
    """The three matrix products of a Conv2d's forward and backward, alone, as cnnlib calls them:
    y = W·cols, dW = dy·colsᵀ, dcols = Wᵀ·dy (numpy's BLAS does all of them). Whatever im2col, col2im
    and the layout changes cost comes on top, so cnnlib's time cannot go below this."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h)).astype(np.float32)
    out = F.conv_output_size(h, k, 1, p)
    cols = np.ascontiguousarray(F._im2col(x, (k, k), (1, 1), (p, p), (1, 1), (out, out), np.float32))
    w = rng.standard_normal((o, c * k * k)).astype(np.float32)
    w_t = np.ascontiguousarray(w.T)
    dy = rng.standard_normal((o, cols.shape[1])).astype(np.float32)
    y, dcols = np.empty_like(dy), np.empty_like(cols)

    def products():
        matmul(w, cols, out=y)
        matmul(dy, cols.T)
        matmul(w_t, dy, out=dcols)

    return best_time(products, repeat)


def best_time(fn, repeat):
    """Best of `repeat` runs (seconds), after one warm-up run."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_layer(n, c, h, o, k, p, repeat):
    rng = np.random.default_rng(0)
    conv = layers.Conv2d(c, o, k, padding=p, rng=0)
    x = rng.standard_normal((n, c, h, h)).astype(np.float32)
    dy = rng.standard_normal(conv(x).shape).astype(np.float32)

    def ours():
        conv.forward(x)
        conv.backward(dy)

    t_ours = best_time(ours, repeat)
    t_torch = None
    if torch is not None:
        tconv = torch.nn.Conv2d(c, o, k, padding=p)
        xt = torch.tensor(x, requires_grad=True)
        dyt = torch.tensor(dy)

        def theirs():
            tconv.zero_grad()
            xt.grad = None
            tconv(xt).backward(dyt)

        t_torch = best_time(theirs, repeat)
    return t_ours, t_torch


def bench_functional(n, c, h, o, k, p, repeat):
    """The functional path: ``conv2d`` then ``conv2d_backward`` (which unfolds x again), against PyTorch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h)).astype(np.float32)
    w = rng.standard_normal((o, c, k, k)).astype(np.float32)
    dy = rng.standard_normal(F.conv2d(x, w, padding=p).shape).astype(np.float32)
    def ours():
        F.conv2d(x, w, padding=p)
        F.conv2d_backward(dy, x, w, padding=p)

    t_ours = best_time(ours, repeat)
    t_torch = None
    if torch is not None:
        xt, wt, dyt = (torch.tensor(a, requires_grad=True) for a in (x, w, dy))

        def theirs():
            xt.grad = wt.grad = None
            torch.nn.functional.conv2d(xt, wt, padding=p).backward(dyt)

        t_torch = best_time(theirs, repeat)
    return t_ours, t_torch


def bench_texture_step(repeat):
    """One training step of Tiny VGG (batch 32, 64×64 RGB): forward, loss, backward, Adam."""
    from cnnlib import models

    x, y, _ = data.texture_scenes(32, seed=0)
    n_classes = len(data.TEXTURE_CLASSES)
    model = models.tiny_vgg(n_classes, rng=0)
    loss_fn, opt = losses.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3)

    def ours():
        loss_fn.forward(model.forward(x), y)
        opt.zero_grad()
        model.backward(loss_fn.backward(), need_input_grad=False)
        opt.step()

    t_ours = best_time(ours, repeat)
    t_torch = None
    if torch is not None:
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(3, 10, 3), torch.nn.ReLU(), torch.nn.Conv2d(10, 10, 3), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2), torch.nn.Conv2d(10, 10, 3), torch.nn.ReLU(), torch.nn.Conv2d(10, 10, 3),
            torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(1690, n_classes))
        topt = torch.optim.Adam(net.parameters(), lr=1e-3)
        xt, yt = torch.tensor(x), torch.tensor(y)

        def theirs():
            topt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt), yt).backward()
            topt.step()

        t_torch = best_time(theirs, repeat)
    return t_ours, t_torch


def digits_net(rng):
    return layers.Sequential(
        layers.Conv2d(1, 16, 3, padding=1, rng=rng), layers.ReLU(), layers.MaxPool2d(2),
        layers.Conv2d(16, 32, 3, padding=1, rng=rng), layers.ReLU(), layers.MaxPool2d(2),
        layers.Flatten(), layers.Linear(32 * 2 * 2, 10, rng=rng),
    )


def bench_training(epochs):
    x_train, y_train = data.load_digits("train")
    x_test, y_test = data.load_digits("test")
    model = digits_net(np.random.default_rng(0))
    opt = optim.Adam(model.parameters(), lr=3e-3)
    t0 = time.perf_counter()
    training.fit(model, losses.CrossEntropyLoss(), opt, x_train, y_train, epochs=epochs, batch_size=32,
                 progress=False)
    t_ours = time.perf_counter() - t0
    acc = training.evaluate(model, x_test, y_test)["accuracy"]
    t_torch = acc_torch = None
    if torch is not None:
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(32 * 2 * 2, 10),
        )
        topt = torch.optim.Adam(net.parameters(), lr=3e-3)
        xt, yt = torch.tensor(x_train), torch.tensor(y_train)
        g = torch.Generator().manual_seed(0)
        t0 = time.perf_counter()
        for _ in range(epochs):
            order = torch.randperm(len(xt), generator=g)
            for start in range(0, len(xt), 32):
                idx = order[start : start + 32]
                topt.zero_grad()
                torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx]).backward()
                topt.step()
        t_torch = time.perf_counter() - t0
        with torch.no_grad():
            acc_torch = float((net(torch.tensor(x_test)).argmax(1).numpy() == y_test).mean())
    return t_ours, acc, t_torch, acc_torch


def blas_kernel():
    """Which BLAS numpy runs and with which CPU kernel: the third layer's speed is bound by it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown BLAS"
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not infos:
        return "unknown BLAS"
    i = infos[0]
    return (f"{i.get('internal_api')} {i.get('version', '')}, kernel {i.get('architecture')}, "
            f"{i.get('num_threads')} threads")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    print(f"numpy {np.__version__} ({blas_kernel()})" + (
        f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ", torch not installed"))
    print(f"\n{'conv forward + backward (float32)':<34}{'cnnlib ms':>10}{'torch ms':>10}{'ratio':>8}"
          f"{'of which':>10}{'products':>8}")
    print(f"{'':<34}{'':>10}{'':>10}{'':>8}{'products':>10}{'÷ torch':>8}")
    for name, n, c, h, o, k, p in LAYERS:
        print_row(name, *bench_layer(n, c, h, o, k, p, args.repeat), bench_products(n, c, h, o, k, p, args.repeat))
    print_row("functional, 64×1×28×28 → 6, k5, p2", *bench_functional(64, 1, 28, 6, 5, 2, args.repeat))
    print_row("Tiny VGG training step, batch 32", *bench_texture_step(max(5, args.repeat // 2)))

    rng = np.random.default_rng(0)
    img, ker = rng.standard_normal((28, 28)), data.KERNELS["sobel x"]
    t_loop = best_time(lambda: reference.convolution(img, ker), max(3, args.repeat // 4))
    x4, w4 = img[None, None], ker[None, None]
    t_vec = best_time(lambda: F.conv2d(x4, w4), args.repeat * 10)
    print(f"\n28×28 single-channel 3×3 convolution: article loop {t_loop * 1e6:.0f} µs, "
          f"cnnlib {t_vec * 1e6:.1f} µs → {t_loop / t_vec:.0f}× faster")

    t_ours, acc, t_torch, acc_torch = bench_training(args.epochs)
    line = f"\ndigits CNN, {args.epochs} epochs: cnnlib {t_ours:.2f} s (test accuracy {acc:.3f})"
    if t_torch:
        line += f"; torch {t_torch:.2f} s (test accuracy {acc_torch:.3f}); ratio {t_ours / t_torch:.2f}×"
    print(line)


if __name__ == "__main__":
    main()
