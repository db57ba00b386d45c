"""cnnlib.functional against PyTorch (when installed), the reference loops, and its own contract."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlib.functional as F
from cnnlib import reference

TOL = 1e-7


def random_conv_case(rng):
    """A random conv configuration: odd sizes, non-square kernels, any stride/padding/dilation."""
    while True:
        n, c, o = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 5)
        kh, kw = rng.integers(1, 5, size=2)
        s = tuple(int(v) for v in rng.integers(1, 4, size=2))
        p = tuple(int(v) for v in rng.integers(0, 3, size=2))
        d = tuple(int(v) for v in rng.integers(1, 3, size=2))
        h, w = rng.integers(3, 12, size=2)
        if d[0] * (kh - 1) + 1 <= h + 2 * p[0] and d[1] * (kw - 1) + 1 <= w + 2 * p[1]:
            x = rng.standard_normal((n, c, h, w))
            weight = rng.standard_normal((o, c, kh, kw))
            bias = rng.standard_normal(o)
            return x, weight, bias, s, p, d


@pytest.mark.parametrize("case", range(40))
def test_conv2d_forward_backward_matches_torch(torch, case):
    rng = np.random.default_rng(case)
    x, w, b, s, p, d = random_conv_case(rng)
    y = F.conv2d(x, w, b, s, p, d)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, s, p, d)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL, rtol=0)
    dy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(dy))
    dx, dw, db = F.conv2d_backward(dy, x, w, s, p, d)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(dw, wt.grad.numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(db, bt.grad.numpy(), atol=TOL, rtol=0)


@pytest.mark.parametrize("case", range(20))
def test_pooling_matches_torch(torch, case):
    rng = np.random.default_rng(100 + case)
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    s = tuple(int(v) for v in rng.integers(1, 4, size=2))
    p = (int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1)))
    x = rng.standard_normal((2, 3, int(rng.integers(kh, 12)), int(rng.integers(kw, 12))))
    tf = torch.nn.functional
    for ours, ours_back, theirs in [
        (F.max_pool2d, F.max_pool2d_backward, tf.max_pool2d),
        (F.avg_pool2d, F.avg_pool2d_backward, tf.avg_pool2d),
    ]:
        y = ours(x, (kh, kw), s, p)
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt, (kh, kw), s, p)
        np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL, rtol=0)
        dy = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(dy))
        np.testing.assert_allclose(ours_back(dy, x, (kh, kw), s, p), xt.grad.numpy(), atol=TOL, rtol=0)


def test_max_pool_ties_route_like_torch(torch):
    # constant windows: every position ties; overlapping windows (stride 1) make routing visible
    x = np.ones((1, 1, 5, 5))
    x[0, 0, 2, 2] = 0.5
    dy = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2, 1).backward(torch.tensor(dy))
    np.testing.assert_array_equal(F.max_pool2d_backward(dy, x, 2, 1), xt.grad.numpy())


def test_max_pool_tie_goes_to_first_position():
    x = np.zeros((1, 1, 2, 2))
    dx = F.max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
    np.testing.assert_array_equal(dx[0, 0], [[1, 0], [0, 0]])


def test_conv1d_and_pool1d_match_torch(torch):
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((2, 3, 17)), rng.standard_normal((4, 3, 3)), rng.standard_normal(4)
    y = F.conv1d(x, w, b, stride=2, padding=1, dilation=2)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv1d(xt, wt, bt, 2, 1, 2)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL, rtol=0)
    dy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(dy))
    for ours, theirs in zip(F.conv1d_backward(dy, x, w, 2, 1, 2), (xt.grad, wt.grad, bt.grad), strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), atol=TOL, rtol=0)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.max_pool1d(xt, 3, 2, 1)
    y = F.max_pool1d(x, 3, 2, 1)
    np.testing.assert_allclose(y, yt.detach().numpy(), atol=TOL, rtol=0)
    dy = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(F.max_pool1d_backward(dy, x, 3, 2, 1), xt.grad.numpy(), atol=TOL, rtol=0)


def test_activations_match_torch(torch):
    x = np.linspace(-30, 30, 101)
    xt = torch.tensor(x)
    np.testing.assert_allclose(F.sigmoid(x), torch.sigmoid(xt).numpy(), atol=1e-15)
    np.testing.assert_allclose(F.tanh(x), torch.tanh(xt).numpy(), atol=1e-15)
    z = np.random.default_rng(0).standard_normal((4, 7)) * 10
    np.testing.assert_allclose(F.softmax(z), torch.softmax(torch.tensor(z), -1).numpy(), atol=1e-15)
    np.testing.assert_allclose(F.log_softmax(z, axis=0), torch.log_softmax(torch.tensor(z), 0).numpy(), atol=1e-13)


@pytest.mark.parametrize("case", range(25))
def test_conv_matches_reference_loops(case):
    rng = np.random.default_rng(200 + case)
    h, w = (int(v) for v in rng.integers(4, 12, size=2))
    k = int(rng.integers(1, min(h, w) + 1))
    s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    img, ker = rng.standard_normal((h, w)), rng.standard_normal((k, k))
    np.testing.assert_allclose(F.conv2d(img[None, None], ker[None, None], stride=s, padding=p)[0, 0],
                               reference.convolution(img, ker, s, p), atol=1e-12)
    pk = int(rng.integers(1, min(h, w) + 1))
    pp = int(rng.integers(0, pk // 2 + 1))
    np.testing.assert_allclose(F.max_pool2d(img[None, None], pk, s, pp)[0, 0],
                               reference.max_pooling(img, pk, s, pp), atol=0)
    np.testing.assert_allclose(F.avg_pool2d(img[None, None], pk, s, pp)[0, 0],
                               reference.avg_pooling(img, pk, s, pp), atol=1e-12)


def test_article_convolution_never_pads():
    # the article's code computes a padded output size but slices the unpadded input:
    # border windows are short, so numpy's broadcasting fails
    img, ker = np.ones((5, 5)), np.ones((3, 3))
    with pytest.raises(ValueError, match="broadcast"):
        reference.article_convolution(img, ker, padding=1)
    assert reference.convolution(img, ker, padding=1)[0, 0] == 4.0  # a real corner window sees 4 pixels


@settings(max_examples=60, deadline=None)
@given(
    h=st.integers(1, 14), w=st.integers(1, 14), kh=st.integers(1, 5), kw=st.integers(1, 5),
    s=st.integers(1, 4), p=st.integers(0, 3), d=st.integers(1, 3),
)
def test_output_shape_property(h, w, kh, kw, s, p, d):
    fits = d * (kh - 1) + 1 <= h + 2 * p and d * (kw - 1) + 1 <= w + 2 * p
    x, weight = np.zeros((2, 3, h, w), np.float32), np.zeros((4, 3, kh, kw), np.float32)
    if not fits:
        with pytest.raises(ValueError, match="kernel_size"):
            F.conv2d(x, weight, stride=s, padding=p, dilation=d)
        return
    y = F.conv2d(x, weight, stride=s, padding=p, dilation=d)
    assert y.shape == (2, 4, F.conv_output_size(h, kh, s, p, d), F.conv_output_size(w, kw, s, p, d))
    assert F.conv_output_size(h, kh, s, p, d) == (h + 2 * p - d * (kh - 1) - 1) // s + 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    x = np.ones((2, 3, 6, 6), dtype)
    w = np.ones((4, 3, 3, 3), dtype)
    b = np.ones(4, dtype)
    outs = [F.conv2d(x, w, b), *F.conv2d_backward(np.ones((2, 4, 4, 4), dtype), x, w), F.max_pool2d(x, 2),
            F.avg_pool2d(x, 2), F.max_pool2d_backward(np.ones((2, 3, 3, 3), dtype), x, 2), F.relu(x),
            F.sigmoid(x), F.tanh(x), F.softmax(x), F.log_softmax(x),
            F.linear(x.reshape(2, -1), np.ones((5, 108), dtype))]
    assert all(o.dtype == dtype for o in outs)


def test_inputs_never_modified():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    copies = [a.copy() for a in (x, w, b)]
    y = F.conv2d(x, w, b, padding=1)
    dy = np.ones_like(y)
    dy_copy = dy.copy()
    F.conv2d_backward(dy, x, w, padding=1)
    F.max_pool2d(x, 3, 2, 1)
    F.max_pool2d_backward(np.ones((2, 3, 4, 4)), x, 3, 2, 1)
    F.avg_pool2d_backward(np.ones((2, 3, 4, 4)), x, 3, 2, 1)
    F.softmax(x)
    for a, c in zip((x, w, b, dy), (*copies, dy_copy), strict=True):
        np.testing.assert_array_equal(a, c)


def test_stable_for_extreme_inputs():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(F.softmax(z)).all()
        assert np.isfinite(F.log_softmax(z)).all()
        s = F.sigmoid(np.array([1000.0, -1000.0]))
    np.testing.assert_allclose(F.softmax(z)[0], [1, 0, 0])
    np.testing.assert_allclose(F.log_softmax(z)[1], np.log([1 / 3] * 3))
    np.testing.assert_array_equal(s, [1.0, 0.0])
    assert F.sigmoid(np.float32([-1000])).dtype == np.float32


def test_nan_propagates():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan
    assert np.isnan(F.conv2d(x, np.ones((1, 1, 2, 2)))[0, 0, 0, 0])
    y = F.max_pool2d(x, 2)
    assert np.isnan(y[0, 0, 0, 0]) and y[0, 0, 1, 1] == 0
    assert np.isnan(F.avg_pool2d(x, 2)[0, 0, 0, 0])
    assert np.isnan(F.relu(x)[0, 0, 1, 1])


BAD_CONV = [
    (dict(x=np.zeros((3, 5, 5))), ValueError, r"x must be 4-D .*\(3, 5, 5\)"),
    (dict(weight=np.zeros((2, 4, 3, 3))), ValueError, r"C_in=4 .* C=3"),
    (dict(weight=np.zeros((2, 3, 9, 3))), ValueError, r"kernel_size 9 .* 5 \+ 2·0 = 5"),
    (dict(stride=0), ValueError, r"stride must be >= 1, got 0"),
    (dict(padding=-1), ValueError, r"padding must be >= 0, got -1"),
    (dict(dilation=0), ValueError, r"dilation must be >= 1, got 0"),
    (dict(stride=1.5), ValueError, r"stride must be an integer, got 1.5"),
    (dict(stride="2"), TypeError, r"stride must be an integer, got '2' of type str"),
    (dict(padding=(1, 2, 3)), ValueError, r"padding must be an int or a pair"),
    (dict(bias=np.zeros(3)), ValueError, r"bias must have shape \(C_out,\) = \(2,\), got shape \(3,\)"),
]


@pytest.mark.parametrize("change, error, message", BAD_CONV)
def test_conv_bad_input(change, error, message):
    args = dict(x=np.zeros((1, 3, 5, 5)), weight=np.zeros((2, 3, 3, 3)), bias=None, stride=1, padding=0)
    args.update(change)
    with pytest.raises(error, match=message):
        F.conv2d(**args)


def test_pool_bad_input():
    x = np.zeros((1, 1, 6, 6))
    with pytest.raises(ValueError, match=r"padding must be at most half the kernel size: kernel_size=2 allows"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"kernel_size 7"):
        F.avg_pool2d(x, 7)
    with pytest.raises(ValueError, match=r"stride must be >= 1"):
        F.max_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match=r"x must be 4-D"):
        F.max_pool2d(x[0], 2)
    with pytest.raises(ValueError, match=r"dy must have the output's shape"):
        F.max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 2)
    with pytest.raises(ValueError, match=r"pool_size"):
        reference.max_pooling(np.zeros((3, 3)), 4)


def test_one_d_errors_and_reprs_speak_of_sequences():
    from cnnlib import layers

    x, w = np.zeros((1, 2, 6)), np.zeros((3, 2, 3))
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(1, 3, 4\), got \(1, 3, 5\)"):
        F.conv1d_backward(np.zeros((1, 3, 5)), x, w)
    with pytest.raises(ValueError, match=r"kernel_size=2 allows padding <= 1, got padding=2"):
        F.max_pool1d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"dy must have the output's shape \(1, 2, 3\)"):
        F.max_pool1d_backward(np.zeros((1, 2, 4)), x, 2)
    assert repr(layers.Conv1d(2, 3, 5, rng=0)) == "Conv1d(2, 3, kernel_size=5, stride=1)"
    assert (repr(layers.Conv1d(2, 3, 5, padding=2, dilation=2, bias=False, rng=0))
            == "Conv1d(2, 3, kernel_size=5, stride=1, padding=2, dilation=2, bias=False)")
    assert repr(layers.MaxPool1d(2)) == "MaxPool1d(kernel_size=2, stride=2, padding=0)"


def test_max_pool_backward_keeps_infinite_gradients_at_the_maximum():
    """The fast path multiplies dy by a mask, which would spread inf·0 = NaN; non-finite dy takes the other."""
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    dy = np.array([[[[np.inf, 1], [np.nan, -2]]]], dtype=np.float32)
    for stride in (2, 1):  # disjoint and overlapping windows
        y = F.max_pool2d(x, 2, stride)
        g = np.ones_like(y)
        g[..., :2, :2] = dy
        dx = F.max_pool2d_backward(g, x, 2, stride)
        assert np.isposinf(dx).sum() == 1 and np.isnan(dx).sum() == 1  # only at the maxima
        assert np.isposinf(dx[0, 0, 1, 1]) and (dx[np.isfinite(dx)] >= -2).all()
