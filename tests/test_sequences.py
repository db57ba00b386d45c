"""1-D convolution guarantees (errors, PyTorch agreement of the layers) and the sequence task of chapter 6."""

import numpy as np
import pytest

import cnnlib.functional as F
from cnnlib import gradcheck, layers, sequences

TOL = 1e-7
X = np.zeros((1, 2, 5))
W = np.zeros((3, 2, 3))


# --------------------------------------------------------------------------- the 1-D API's errors

BAD_1D = [
    ("x must be 3-D", lambda: F.conv1d(X[0], W)),
    ("weight must be 3-D", lambda: F.conv1d(X, W[0])),
    ("input channels", lambda: F.conv1d(X, np.zeros((3, 1, 3)))),
    ("kernel_size 7", lambda: F.conv1d(X, np.zeros((3, 2, 7)))),
    ("stride must be >= 1", lambda: F.conv1d(X, W, stride=0)),
    ("padding must be >= 0", lambda: F.conv1d(X, W, padding=-1)),
    ("dilation must be an int or a 1-tuple", lambda: F.conv1d(X, W, dilation=(1, 2))),
    ("stride must be an integer", lambda: F.conv1d(X, W, stride=1.5)),
    ("bias must have shape", lambda: F.conv1d(X, W, bias=np.zeros(2))),
    ("dy must have the output's shape", lambda: F.conv1d_backward(np.zeros((1, 3, 4)), X, W)),
    ("dy must be 3-D", lambda: F.conv1d_backward(np.zeros((1, 3)), X, W)),
    ("x must be 3-D", lambda: F.max_pool1d(X[0], 2)),
    ("kernel_size must be >= 1", lambda: F.max_pool1d(X, 0)),
    ("padding must be at most half the kernel", lambda: F.max_pool1d(X, 2, padding=2)),
    ("kernel_size 7", lambda: F.max_pool1d(X, 7)),
    ("dy must have the output's shape", lambda: F.max_pool1d_backward(np.zeros((1, 2, 3)), X, 2)),
    ("kernel_size must be an int or a 1-tuple", lambda: layers.Conv1d(2, 3, (3, 3))),
    ("x must be 3-D", lambda: layers.Conv1d(2, 3, 3)(np.zeros((1, 2, 5, 5)))),
    ("x must be 3-D", lambda: layers.MaxPool1d(2)(np.zeros((2, 5)))),
    ("stride must be >= 1", lambda: layers.MaxPool1d(2, stride=0)),
]


@pytest.mark.parametrize("message, call", BAD_1D, ids=[f"{i}-{m}" for i, (m, _) in enumerate(BAD_1D)])
def test_1d_api_rejects_bad_input_with_a_clear_value_error(message, call):
    with pytest.raises(ValueError, match=message):
        call()


def test_1d_backward_before_forward_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="before forward"):
        layers.Conv1d(2, 3, 3).backward(np.zeros((1, 3, 3)))


def test_conv1d_is_conv2d_of_height_one():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 13)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    y = F.conv1d(x, w, b, stride=2, padding=1, dilation=2)
    y2 = F.conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 1), (1, 2))[:, :, 0]
    np.testing.assert_array_equal(y, y2)
    assert y.shape == (2, 4, F.conv_output_size(13, 3, 2, 1, 2))


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 2)])
def test_conv1d_layer_gradcheck(stride, padding, dilation):
    layer = layers.Conv1d(2, 3, 3, stride, padding, dilation, rng=1, dtype=np.float64)
    x = np.random.default_rng(2).standard_normal((2, 2, 10))
    assert gradcheck.check_layer(layer, x) < 1e-6


def _assert_forward_backward_match(torch, ours, theirs, x, seed):
    """Same output and same input gradient for a random output gradient; returns dy for further checks."""
    xt = torch.tensor(x, requires_grad=True)
    y, yt = ours(x), theirs(xt)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL, rtol=0)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    yt.backward(torch.from_numpy(dy))
    np.testing.assert_allclose(ours.backward(dy), xt.grad.numpy(), atol=TOL, rtol=0)


@pytest.mark.parametrize("stride, padding, dilation, bias", [(1, 0, 1, True), (2, 1, 2, True), (1, 2, 1, False)])
def test_conv1d_layer_matches_torch_nn_conv1d(torch, stride, padding, dilation, bias):
    ours = layers.Conv1d(3, 5, 4, stride, padding, dilation, bias=bias, rng=4, dtype=np.float64)
    theirs = torch.nn.Conv1d(3, 5, 4, stride, padding, dilation, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        if bias:
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    assert tuple(theirs.weight.shape) == ours.weight.shape  # same layout (C_out, C_in, k)
    x = np.random.default_rng(3).standard_normal((2, 3, 15))
    _assert_forward_backward_match(torch, ours, theirs, x, seed=4)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), atol=TOL, rtol=0)
    if bias:
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), atol=TOL, rtol=0)


def test_maxpool1d_layer_matches_torch(torch):
    x = np.random.default_rng(5).standard_normal((2, 3, 11))
    _assert_forward_backward_match(torch, layers.MaxPool1d(3, 2, 1), torch.nn.MaxPool1d(3, 2, 1), x, seed=6)


def test_motif_network_matches_torch(torch):
    """The chapter's whole text network (conv1d, ReLU, global max pool, dense) against PyTorch."""
    ours = sequences.motif_cnn(rng=0)
    nn = torch.nn
    theirs = nn.Sequential(nn.Conv1d(12, 8, 3), nn.ReLU(), nn.MaxPool1d(18), nn.Flatten(), nn.Linear(8, 4))
    with torch.no_grad():
        for i in (0, 4):
            theirs[i].weight.copy_(torch.from_numpy(ours[i].weight.data))
            theirs[i].bias.copy_(torch.from_numpy(ours[i].bias.data))
    strings, _ = sequences.make_motif_corpus(5, seed=3)
    x = sequences.one_hot(strings)
    np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-5, rtol=0)


# --------------------------------------------------------------------------- the corpus


def test_corpus_holds_exactly_one_motif_and_is_deterministic():
    strings, labels = sequences.make_motif_corpus(200, length=15, seed=1)
    assert len(strings) == 200 and all(len(s) == 15 for s in strings)
    assert np.bincount(labels).tolist() == [50, 50, 50, 50]
    for s, lab in zip(strings, labels, strict=True):
        present = [m for m in sequences.MOTIFS if m in s]
        assert present == [sequences.MOTIFS[lab]] and s.count(present[0]) == 1
        assert set(s) <= set(sequences.ALPHABET)
    again, _ = sequences.make_motif_corpus(200, length=15, seed=1)
    other, _ = sequences.make_motif_corpus(200, length=15, seed=2)
    assert again == strings and other != strings


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), "n must be >= 1"),
    (dict(n=4, length=2), "length must be >= the motif length 3"),
    (dict(n=4, motifs=("ab", "abc")), "one length"),
    (dict(n=4, motifs=("xyz",)), "not in the alphabet"),
])
def test_corpus_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sequences.make_motif_corpus(**kwargs)


def test_one_hot_and_decode_round_trip():
    strings = ["dogcat", "godact"]
    x = sequences.one_hot(strings)
    assert x.shape == (2, len(sequences.ALPHABET), 6) and x.dtype == np.float32
    np.testing.assert_array_equal(x.sum(axis=1), 1)
    assert sequences.decode(x) == strings
    with pytest.raises(ValueError, match="same length"):
        sequences.one_hot(["dog", "dogs"])
    with pytest.raises(ValueError, match="'z'"):
        sequences.one_hot(["zoo"])


def test_kernel_patterns_read_a_planted_word_back():
    x = sequences.one_hot(["dog", "cat"])                    # (2, letters, 3): exactly these words as kernels
    w = 2 * x - 0.1
    w[1, :, 0] = 0.01                                        # kernel 1 hardly cares about its first letter
    (word0, score0), (word1, _) = sequences.kernel_patterns(w)
    assert word0 == "dog" and score0 == pytest.approx(3 * 1.9)
    assert word1 == "·at"
    # with threshold 0 every position shows its best letter (all tie at 0.01: the first letter of the alphabet)
    assert [w for w, _ in sequences.kernel_patterns(w, threshold=0)] == ["dog", sequences.ALPHABET[0] + "at"]
    # the pattern is the window with the strongest response: check against every trigram of a corpus
    strings, _ = sequences.make_motif_corpus(50, seed=0)
    windows = {s[i:i + 3] for s in strings for i in range(len(s) - 2)}
    responses = {t: float(np.sum(w[0] * sequences.one_hot(t)[0])) for t in windows | {"dog"}}
    assert max(responses, key=responses.get) == "dog"
    with pytest.raises(ValueError, match="alphabet has 12 letters"):
        sequences.kernel_patterns(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="threshold"):
        sequences.kernel_patterns(w, threshold=2)


def test_kernel_response_is_a_cross_correlation():
    x = sequences.synthetic_signal(20)
    for k in sequences.SIGNAL_KERNELS.values():
        np.testing.assert_allclose(sequences.kernel_response(x, k), np.correlate(x, k, mode="valid"), atol=1e-12)
    with pytest.raises(ValueError):
        sequences.SIGNAL_KERNELS["edge [-1, 0, 1]"][0] = 5.0  # presets are read-only


def test_training_learns_order_which_letter_counts_cannot():
    task = sequences.train_motif_cnn(n_train=800, n_test=200, epochs=12)
    assert task.history["val_accuracy"][-1] >= 0.9
    assert sequences.letter_count_baseline(task) <= 0.7       # anagram pairs are indistinguishable by counts
    words = [w for w, _ in sequences.kernel_patterns(task.model[0].weight.data)]
    assert any(m in words for m in sequences.MOTIFS)
    fig = sequences.kernels_figure(task)
    assert len([ax for ax in fig.axes if ax.get_title()]) == task.model[0].weight.shape[0]
