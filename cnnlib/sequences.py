"""Convolution over sequences (chapter 6): a generated text task and a signal to slide kernels over.

The task: every string of a generated corpus hides exactly one of a few three-letter words
(``"dog"``, ``"god"``, ``"cat"``, ``"act"`` by default) among random letters drawn from the *same*
letters, and the class is which word. Counting letters cannot solve it: ``dog`` and ``god`` have the
same letters, so the network must detect letter *order*, which is what a 1-D kernel of width 3 over
one-hot characters does. After training, each kernel can be read back as the trigram it responds to
most (for one-hot input the best trigram is exact: the best letter at each of the kernel's positions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import layers as L
from . import losses, optim, training
from ._checks import as_float_array, as_int, check_ndim

__all__ = [
    "letter_count_baseline",
    "kernels_figure",
    "ALPHABET",
    "MOTIFS",
    "make_motif_corpus",
    "one_hot",
    "decode",
    "motif_cnn",
    "MotifTask",
    "train_motif_cnn",
    "kernel_patterns",
    "kernel_response",
    "synthetic_signal",
    "SIGNAL_KERNELS",
]

#: Letters of the generated corpus (the motif letters are among them, so they also appear at random).
ALPHABET = "acdgotbeimnr"
#: The words to find, one class each.
MOTIFS = ("dog", "god", "cat", "act")


def _contains_other(s: str, motifs, keep: int) -> bool:
    return any(m in s for i, m in enumerate(motifs) if i != keep) or s.count(motifs[keep]) != 1


def make_motif_corpus(n, length=20, motifs=MOTIFS, alphabet=ALPHABET, seed=0):
    """``n`` strings of ``length`` random letters, each holding exactly one motif once.

    Args:
        n: number of strings (classes are balanced: sample i has class ``i % len(motifs)`` before shuffling).
        length: characters per string.
        motifs: the words to hide (all of the same length, made of letters of ``alphabet``).
        alphabet: the letters; the background is uniform over all of them.
        seed: fixes the corpus.

    Returns:
        (strings, labels): a list of ``n`` str and an int64 array of class indices into ``motifs``.

    Raises:
        ValueError: bad sizes, motifs of different lengths, letters outside the alphabet.
    """
    n = as_int(n, "n", 1)
    length = as_int(length, "length", 1)
    motifs = tuple(motifs)
    if not motifs or len({len(m) for m in motifs}) != 1:
        raise ValueError(f"motifs must be non-empty words of one length, got {motifs!r}")
    m_len = len(motifs[0])
    if length < m_len:
        raise ValueError(f"length must be >= the motif length {m_len}, got {length}")
    bad = sorted(set("".join(motifs)) - set(alphabet))
    if bad:
        raise ValueError(f"motif letters {bad} are not in the alphabet {alphabet!r}")
    rng = np.random.default_rng(seed)
    letters = np.array(list(alphabet))
    strings, labels = [], []
    for i in range(n):
        label = i % len(motifs)
        while True:  # rejection: exactly one motif, exactly once
            s = list(rng.choice(letters, size=length))
            pos = int(rng.integers(0, length - m_len + 1))
            s[pos : pos + m_len] = motifs[label]
            s = "".join(s)
            if not _contains_other(s, motifs, label):
                break
        strings.append(s)
        labels.append(label)
    order = rng.permutation(n)
    return [strings[i] for i in order], np.asarray(labels, dtype=np.int64)[order]


def one_hot(strings, alphabet=ALPHABET) -> np.ndarray:
    """Strings of equal length -> float32 array (N, len(alphabet), L): channel c is 1 where letter c is.

    Raises:
        ValueError: strings of different lengths or letters outside the alphabet.
    """
    if isinstance(strings, str):
        strings = [strings]
    strings = list(strings)
    if not strings:
        raise ValueError("strings must not be empty")
    lengths = {len(s) for s in strings}
    if len(lengths) != 1:
        raise ValueError(f"strings must all have the same length, got lengths {sorted(lengths)}")
    index = {c: i for i, c in enumerate(alphabet)}
    out = np.zeros((len(strings), len(alphabet), lengths.pop()), dtype=np.float32)
    for n, s in enumerate(strings):
        try:
            idx = [index[c] for c in s]
        except KeyError as exc:
            raise ValueError(f"letter {exc.args[0]!r} of string {n} is not in the alphabet {alphabet!r}") from None
        out[n, idx, np.arange(len(s))] = 1
    return out


def decode(x, alphabet=ALPHABET) -> list[str]:
    """The inverse of :func:`one_hot` (the most active channel at each position)."""
    x = as_float_array(x, "x")
    check_ndim(x, 3, "x", "(N, letters, L)")
    letters = np.array(list(alphabet))
    return ["".join(letters[row]) for row in x.argmax(axis=1)]


def motif_cnn(n_letters=12, n_classes=4, length=20, n_kernels=8, width=3, rng=0):
    """Conv1d(letters → n_kernels, width) – ReLU – global max pool –
    Linear(n_kernels → classes).

    The global max pool (a MaxPool1d as wide as the whole sequence) keeps, for each
    kernel, its best match anywhere in the string: the network asks "does this trigram
    occur?", wherever it is.
    """
    rng = L.as_generator(rng)
    l_out = as_int(length, "length", 1) - as_int(width, "width", 1) + 1
    if l_out < 1:
        raise ValueError(f"width must be at most length={length}, got {width}")
    return L.Sequential(
        L.Conv1d(n_letters, n_kernels, width, rng=rng), L.ReLU(), L.MaxPool1d(l_out),
        L.Flatten(), L.Linear(n_kernels, n_classes, rng=rng),
    )


@dataclass
class MotifTask:
    """A trained motif network and its data: ``model``, ``history`` (from :func:`cnnlib.training.fit`),
    the one-hot splits and the strings of the test set."""

    model: L.Sequential
    history: dict
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_strings: list
    motifs: tuple
    alphabet: str


def train_motif_cnn(n_train=1600, n_test=400, length=20, n_kernels=8, epochs=15, seed=0, motifs=MOTIFS,
                    alphabet=ALPHABET) -> MotifTask:
    """Generate the corpus, train :func:`motif_cnn` with Adam (lr 0.01, batches of 32). About a second."""
    strings, labels = make_motif_corpus(n_train + n_test, length, motifs, alphabet, seed)
    x = one_hot(strings, alphabet)
    model = motif_cnn(len(alphabet), len(motifs), length, n_kernels, len(motifs[0]), rng=seed)
    opt = optim.Adam(model.parameters(), lr=0.01)
    xtr, ytr, xte, yte = x[:n_train], labels[:n_train], x[n_train:], labels[n_train:]
    with training.one_blas_thread():
        history = training.fit(model, losses.CrossEntropyLoss(), opt, xtr, ytr, epochs=epochs, batch_size=32,
                               validation_data=(xte, yte), seed=seed, progress=False)
    model.eval()
    return MotifTask(model, history, xtr, ytr, xte, yte, strings[n_train:], tuple(motifs), alphabet)


def kernel_patterns(weight, alphabet=ALPHABET, threshold=0.5) -> list[tuple[str, float]]:
    """Read 1-D kernels over one-hot letters back as words.

    For one-hot input a kernel's response to a window is the sum of one weight per position, so the
    window it likes best is exactly the best letter at each position.

    Args:
        weight: (C_out, letters, width) kernels of a Conv1d over :func:`one_hot` input.
        threshold: a position whose best weight is below ``threshold`` times the kernel's strongest
            position is shown as ``·`` (the kernel hardly cares which letter is there); 0 shows every letter.

    Returns:
        for each kernel, ``(word, score)``: its favourite n-gram and the response it gives (bias excluded).
    """
    w = as_float_array(weight, "weight")
    check_ndim(w, 3, "weight", "(C_out, letters, width)")
    if w.shape[1] != len(alphabet):
        raise ValueError(f"weight has {w.shape[1]} input channels but the alphabet has {len(alphabet)} letters")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    letters = np.array(list(alphabet))
    out = []
    for o in range(w.shape[0]):
        best = w[o].max(axis=0)  # (width,)
        strong = best >= threshold * best.max()
        word = "".join(letters[b] if keep else "·" for b, keep in zip(w[o].argmax(axis=0), strong, strict=True))
        out.append((word, float(best.sum())))
    return out


def kernel_response(signal, kernel, padding=0) -> np.ndarray:
    """Slide one 1-D kernel over one signal: ``y[i] = Σ_m x[i + m]·k[m]`` (cross-correlation).

    ``signal`` (L,) or (C, L); ``kernel`` (k,) or (C, k). Returns (L_out,). Uses :func:`cnnlib.functional.conv1d`.
    """
    from .functional import conv1d

    x = as_float_array(signal, "signal")
    k = as_float_array(kernel, "kernel")
    x = x[None] if x.ndim == 1 else x
    k = k[None] if k.ndim == 1 else k
    return conv1d(x[None], k[None], padding=padding)[0, 0]


def synthetic_signal(length=20):
    """A small deterministic signal with a step up, a spike and a step down, for sliding kernels over."""
    length = as_int(length, "length", 8)
    t = np.arange(length)
    x = np.where((t >= length // 4) & (t < 3 * length // 4), 1.0, 0.0)
    x[length // 2] += 1.0  # a spike on the plateau
    return x


#: Kernels the 1-D explorer offers (read-only).
SIGNAL_KERNELS = {
    "edge [-1, 0, 1]": np.array([-1.0, 0.0, 1.0]),
    "smooth [1, 1, 1]/3": np.full(3, 1 / 3),
    "spike [-1, 2, -1]": np.array([-1.0, 2.0, -1.0]),
}
for _k in SIGNAL_KERNELS.values():
    _k.setflags(write=False)


def letter_count_baseline(task: MotifTask, epochs=15, seed=0) -> float:
    """A control: a linear classifier on letter *counts* (order thrown away), trained like the CNN.

    Returns its test accuracy. ``dog``/``god`` and ``cat``/``act`` have the same letters, so it cannot
    beat about 50 % on the default motifs: the CNN's advantage is that its kernels see letter order.
    """
    counts_train = task.x_train.sum(axis=2)
    counts_test = task.x_test.sum(axis=2)
    model = L.Sequential(L.Linear(counts_train.shape[1], len(task.motifs), rng=seed))
    opt = optim.Adam(model.parameters(), lr=0.01)
    training.fit(model, losses.CrossEntropyLoss(), opt, counts_train, task.y_train, epochs=epochs, batch_size=32,
                 seed=seed, progress=False)
    return training.evaluate(model, counts_test, task.y_test)["accuracy"]


def kernels_figure(task: MotifTask, threshold=0.5):
    """Each learned kernel as a (letters × positions) heat map, titled with the word it reads as and
    the class its strongest vote goes to (the largest weight in the dense layer's column)."""
    from .viz import SIGNED_CMAP
    from .widgets import new_figure

    w = task.model[0].weight.data
    votes = task.model[-1].weight.data  # (classes, kernels)
    patterns = kernel_patterns(w, task.alphabet, threshold)
    n = w.shape[0]
    ncols = min(n, 8)
    nrows = -(-n // ncols)
    fig, axes = new_figure(1.0 * ncols + 0.7, 2.6 * nrows, ncols=ncols, nrows=nrows, squeeze=False)
    vmax = float(np.abs(w).max())
    im = None
    for o, ax in enumerate(axes.ravel()):
        if o >= n:
            ax.set_axis_off()
            continue
        im = ax.imshow(w[o], cmap=SIGNED_CMAP, vmin=-vmax, vmax=vmax, aspect="auto", interpolation="nearest")
        ax.set_yticks(range(len(task.alphabet)), list(task.alphabet), fontsize=7)
        ax.set_xticks(range(w.shape[2]), [str(m) for m in range(w.shape[2])], fontsize=6)
        if o % ncols:
            ax.set_yticklabels([])
        word = patterns[o][0]
        ax.set_title(f"“{word}”\n→ {task.motifs[int(votes[:, o].argmax())]}", fontsize=8)
    cb = fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, aspect=20)
    cb.ax.tick_params(labelsize=6)
    fig.suptitle("learned kernels: weight of each letter (row) at each position (column)", fontsize=9)
    return fig
