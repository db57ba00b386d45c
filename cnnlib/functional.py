"""Pure operations, forward and backward, on NCHW arrays (read this module as ``F``).

Every function here is stateless: layers in :mod:`cnnlib.layers` call them and keep what the backward
pass needs. Names and layouts follow ``torch.nn.functional`` so that what you learn here carries over.

Convolution is computed the way fast libraries do it, by *im2col*: every receptive field is copied
into a column of one big matrix, and the whole layer becomes a single matrix product. We lay the
columns out with the batch index innermost, ``(C·kH·kW, H_out·W_out·N)``, so that each window row is
one contiguous run of memory: the copy and its inverse (col2im) become long, cheap block moves.
The readable loop versions live in :mod:`cnnlib.reference`.

dtype rule: float32 in gives float32 out, float64 in gives float64 out; other numbers become float64.
Inputs are never modified.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._checks import as_float_array, as_int, as_pair, as_single, check_ndim, common_dtype
from .matmul import matmul

__all__ = [
    "conv_output_size",
    "conv2d",
    "conv2d_backward",
    "conv1d",
    "conv1d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "max_pool1d",
    "max_pool1d_backward",
    "linear",
    "linear_backward",
    "relu",
    "relu_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "softmax",
    "log_softmax",
]


# --------------------------------------------------------------------------- sizes


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1) -> int:
    """Length of a convolution's (or pooling's) output along one axis.

    ``⌊(size + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1``

    Raises ``ValueError`` when the (dilated) kernel does not fit in the padded input.
    """
    size = as_int(size, "size", 1)
    k = as_int(kernel_size, "kernel_size", 1)
    s = as_int(stride, "stride", 1)
    p = as_int(padding, "padding", 0)
    d = as_int(dilation, "dilation", 1)
    span = d * (k - 1) + 1
    if span > size + 2 * p:
        raise ValueError(
            f"kernel_size {k} (spanning {span} with dilation {d}) is larger than the padded input "
            f"{size} + 2·{p} = {size + 2 * p}; allowed: a kernel span of at most {size + 2 * p}"
        )
    return (size + 2 * p - span) // s + 1


# --------------------------------------------------------------------------- convolution


def _conv_args(x, weight, bias, stride, padding, dilation):
    """Check and normalise the arguments of conv2d; returns arrays, pairs and the output size."""
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight")
    check_ndim(x, 4, "x", "(N, C_in, H, W)")
    check_ndim(weight, 4, "weight", "(C_out, C_in, kH, kW)")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"weight has C_in={weight.shape[1]} input channels but x has C={x.shape[1]}; "
            f"allowed: weight.shape[1] == x.shape[1]"
        )
    if min(weight.shape) < 1:
        raise ValueError(f"weight must have no empty dimension, got shape {weight.shape}")
    if min(x.shape) < 1:
        raise ValueError(f"x must have no empty dimension, got shape {x.shape}")
    if bias is not None:
        bias = as_float_array(bias, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"bias must have shape (C_out,) = ({weight.shape[0]},), got shape {bias.shape}"
            )
    s = as_pair(stride, "stride", 1)
    p = as_pair(padding, "padding", 0)
    d = as_pair(dilation, "dilation", 1)
    h_out = conv_output_size(x.shape[2], weight.shape[2], s[0], p[0], d[0])
    w_out = conv_output_size(x.shape[3], weight.shape[3], s[1], p[1], d[1])
    return x, weight, bias, s, p, d, (h_out, w_out)


def _scratch(workspace, name, shape, dtype):
    """An uninitialised array, reused from ``workspace`` (a dict a layer keeps) when shapes match.

    Layers call the same shapes every step: reusing big buffers saves the page faults that a fresh
    multi-megabyte array costs on every call. Without a workspace this is plain ``np.empty``.
    """
    if workspace is None:
        return np.empty(shape, dtype=dtype)
    buf = workspace.get(name)
    if buf is None or buf.shape != tuple(shape) or buf.dtype != dtype:
        buf = workspace[name] = np.empty(shape, dtype=dtype)
    return buf


def _padded_batch_last(x, padding, dtype, workspace=None):
    """x (N, C, H, W) -> zero-padded copy laid out (C, H + 2ph, W + 2pw, N)."""
    n, c, h, w = x.shape
    ph, pw = padding
    xp = _scratch(workspace, "x_padded", (c, h + 2 * ph, w + 2 * pw, n), dtype)
    if ph:  # zero only the borders: cheaper than np.pad or np.zeros on big batches
        xp[:, :ph] = 0
        xp[:, ph + h :] = 0
    if pw:
        xp[:, :, :pw] = 0
        xp[:, :, pw + w :] = 0
    xp[:, ph : ph + h, pw : pw + w, :] = x.transpose(1, 2, 3, 0)
    return xp


def _im2col(x, kernel_hw, stride, padding, dilation, out_hw, dtype, workspace=None):
    """Unfold x (N, C, H, W) into columns (C·kH·kW, H_out·W_out·N), batch innermost.

    Row ``(c, i, j)`` holds input channel c at kernel offset (i, j) for every output
    position and sample, so that ``weight.reshape(C_out, -1) @ cols`` is the whole
    convolution.
    """
    kh, kw = kernel_hw
    (sh, sw), (dh, dw) = stride, dilation
    h_out, w_out = out_hw
    xp = _padded_batch_last(x, padding, dtype, workspace)
    c, n = xp.shape[0], xp.shape[3]
    s_c, s_h, s_w, s_n = xp.strides
    windows = as_strided(
        xp,
        shape=(c, kh, kw, h_out, w_out, n),
        strides=(s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw, s_n),
        writeable=False,
    )
    cols = _scratch(workspace, "cols", (c, kh, kw, h_out, w_out, n), dtype)
    np.copyto(cols, windows)
    return cols.reshape(c * kh * kw, h_out * w_out * n)


def _col2im(dcols, x_shape, kernel_hw, stride, padding, dilation, out_hw,
            workspace=None, out=None):
    """The adjoint of :func:`_im2col`: add every column back where it came from.
    Returns (N, C, H, W), written into ``out`` when given."""
    n, c, h, w = x_shape
    kh, kw = kernel_hw
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    h_out, w_out = out_hw
    dcols = dcols.reshape(c, kh, kw, h_out, w_out, n)
    padded_shape = (c, h + 2 * ph, w + 2 * pw, n)
    dxp = _scratch(workspace, "dx_padded", padded_shape, dcols.dtype)
    dxp.fill(0)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (h_out - 1) + 1, sh)
        for j in range(kw):
            cols = slice(j * dw, j * dw + sw * (w_out - 1) + 1, sw)
            dxp[:, rows, cols, :] += dcols[:, i, j]
    dx = dxp[:, ph : ph + h, pw : pw + w, :].transpose(3, 0, 1, 2)
    if out is None:  # a fresh array, never a view of the scratch buffer
        out = np.empty(dx.shape, dtype=dx.dtype)
    np.copyto(out, dx)
    return out


def _conv2d_forward(x, weight, bias, stride, padding, dilation, out_hw,
                    workspace=None, out=None):
    """Checked arguments in, (y, cols) out: layers keep cols for the backward pass.

    ``workspace``: an optional dict in which big scratch arrays are kept between
    calls (see _scratch); the returned cols then lives in it until the next call.
    ``out``: an (N, C_out, H_out, W_out) array to write y into (a layer computing its
    batch in parts passes each part's slice).
    """
    dtype = common_dtype(x, weight, bias)
    c_out = weight.shape[0]
    kernel_hw = weight.shape[2:]
    cols = _im2col(x, kernel_hw, stride, padding, dilation, out_hw, dtype, workspace)
    y = _scratch(workspace, "y_rows", (c_out, cols.shape[1]), dtype)
    w_rows = weight.reshape(c_out, -1).astype(dtype, copy=False)
    matmul(w_rows, cols, out=y)  # (C_out, H_out·W_out·N)
    y = y.reshape(c_out, out_hw[0], out_hw[1], x.shape[0]).transpose(3, 0, 1, 2)
    if out is None:  # a fresh array, never a view of the scratch buffer
        out = np.empty(y.shape, dtype=dtype)
    if bias is None:
        np.copyto(out, y)
    else:  # the bias is added in the same pass that puts the batch first
        np.add(y, bias.astype(dtype, copy=False)[None, :, None, None], out=out)
    return out, cols


def _conv2d_backward(dy, cols, x_shape, weight, stride, padding, dilation,
                     need_dx=True, workspace=None, dx_out=None):
    """Gradients from the saved columns. dy (N, C_out, H_out, W_out) ->
    (dx or None, dweight, dbias); dx is written into ``dx_out`` when given."""
    dtype = cols.dtype
    c_out = weight.shape[0]
    out_hw = dy.shape[2:]
    dy_rows = _scratch(workspace, "dy_rows", (c_out, *out_hw, dy.shape[0]), dtype)
    np.copyto(dy_rows, dy.transpose(1, 2, 3, 0))
    dy_rows = dy_rows.reshape(c_out, -1)  # (C_out, P), batch innermost like cols
    dweight = matmul(dy_rows, cols.T).reshape(weight.shape)
    dbias = dy_rows.sum(axis=1)
    dx = None
    if need_dx:
        # a contiguous Wᵀ lets BLAS take its fastest path for the largest product
        w_t = np.ascontiguousarray(weight.reshape(c_out, -1).T, dtype=dtype)
        dcols = _scratch(workspace, "dcols", (w_t.shape[0], dy_rows.shape[1]), dtype)
        matmul(w_t, dy_rows, out=dcols)
        dx = _col2im(dcols, x_shape, weight.shape[2:], stride, padding, dilation,
                     out_hw, workspace, out=dx_out)
    return dx, dweight, dbias


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation (what deep-learning libraries call convolution), with zero padding.

    ``y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v x_pad[n, c, i·s_h + u·d_h, j·s_w + v·d_w] · w[o, c, u, v]``

    Args:
        x: (N, C_in, H, W).
        weight: (C_out, C_in, kH, kW).
        bias: (C_out,) or None.
        stride, padding, dilation: an int or an (h, w) pair.

    Returns:
        y: (N, C_out, H_out, W_out) with sizes from :func:`conv_output_size`.
    """
    x, weight, bias, s, p, d, out_hw = _conv_args(x, weight, bias, stride, padding, dilation)
    return _conv2d_forward(x, weight, bias, s, p, d, out_hw)[0]


def conv2d_backward(dy, x, weight, stride=1, padding=0, dilation=1):
    """Gradients of :func:`conv2d`.

    Args:
        dy: (N, C_out, H_out, W_out), the gradient of the loss with respect to the output.
        x, weight, stride, padding, dilation: as given to the forward pass.

    Returns:
        (dx (N, C_in, H, W), dweight (C_out, C_in, kH, kW), dbias (C_out,)).
        dx is a *full* correlation of dy with the flipped kernel; dweight correlates x with dy.
    """
    x, weight, _, s, p, d, out_hw = _conv_args(x, weight, None, stride, padding, dilation)
    dy = as_float_array(dy, "dy")
    expected = (x.shape[0], weight.shape[0], *out_hw)
    if dy.shape != expected:
        raise ValueError(f"dy must have the output's shape {expected}, got {dy.shape}")
    dtype = common_dtype(x, weight, dy)
    cols = _im2col(x, weight.shape[2:], s, p, d, out_hw, dtype)
    return _conv2d_backward(dy, cols, x.shape, weight, s, p, d)


def _conv1d_args(x, weight, bias, stride, padding, dilation):
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight")
    check_ndim(x, 3, "x", "(N, C_in, L)")
    check_ndim(weight, 3, "weight", "(C_out, C_in, k)")
    pairs = [
        (1, as_single(v, name, low))
        for v, name, low in ((stride, "stride", 1), (padding, "padding", 0), (dilation, "dilation", 1))
    ]
    pairs[1] = (0, pairs[1][1])  # no padding along the dummy height axis
    return x[:, :, None, :], weight[:, :, None, :], bias, *pairs


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """1-D cross-correlation over sequences: a 2-D convolution with a height of one.

    Args:
        x: (N, C_in, L).  weight: (C_out, C_in, k).  bias: (C_out,) or None.
        stride, padding, dilation: an int (or a 1-tuple).

    Returns:
        y: (N, C_out, L_out).
    """
    x4, w4, bias, s, p, d = _conv1d_args(x, weight, bias, stride, padding, dilation)
    return conv2d(x4, w4, bias, s, p, d)[:, :, 0, :]


def conv1d_backward(dy, x, weight, stride=1, padding=0, dilation=1):
    """Gradients of :func:`conv1d`: dy (N, C_out, L_out) -> (dx (N, C_in, L), dweight, dbias)."""
    x4, w4, _, s, p, d = _conv1d_args(x, weight, None, stride, padding, dilation)
    dy = as_float_array(dy, "dy")
    check_ndim(dy, 3, "dy", "(N, C_out, L_out)")
    expected = (x4.shape[0], w4.shape[0], conv_output_size(x4.shape[3], w4.shape[3], s[1], p[1], d[1]))
    if dy.shape != expected:  # checked here so the message speaks of sequences, not 4-D arrays
        raise ValueError(f"dy must have the output's shape {expected}, got {dy.shape}")
    dx, dw, db = conv2d_backward(dy[:, :, None, :], x4, w4, s, p, d)
    return dx[:, :, 0, :], dw[:, :, 0, :], db


# --------------------------------------------------------------------------- pooling


def _pool_args(x, kernel_size, stride, padding):
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    k = as_pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else as_pair(stride, "stride", 1)
    p = as_pair(padding, "padding", 0)
    for pad, kern in zip(p, k, strict=True):
        if 2 * pad > kern:
            raise ValueError(
                f"padding must be at most half the kernel size: kernel_size={kernel_size} allows "
                f"padding <= {kern // 2}, got padding={padding}"
            )
    out_hw = (
        conv_output_size(x.shape[2], k[0], s[0], p[0]),
        conv_output_size(x.shape[3], k[1], s[1], p[1]),
    )
    return x, k, s, p, out_hw


def _pad_value(x, padding, value):
    """x (N, C, H, W) padded with a constant on H and W (no copy when there is no padding)."""
    ph, pw = padding
    if not (ph or pw):
        return x
    n, c, h, w = x.shape
    xp = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    return xp


def _windows(kernel, stride, out_hw):
    """Yield (flat index, row slice, col slice) of each kernel offset: slicing the padded input with
    them gives, for every output position at once, the input value at that offset of its window."""
    (kh, kw), (sh, sw), (h_out, w_out) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + sh * (h_out - 1) + 1, sh)
            cols = slice(j, j + sw * (w_out - 1) + 1, sw)
            yield i * kw + j, rows, cols


def _max_pool2d_forward(x, kernel, stride, padding, out_hw):
    """Returns (y, argmax) where argmax is the flat kernel offset of each output's maximum."""
    xp = _pad_value(x, padding, -np.inf)
    check_nan = bool(np.isnan(x).any())
    y = idx = better = step = None
    for k, rows, cols in _windows(kernel, stride, out_hw):
        window = xp[:, :, rows, cols]
        if y is None:
            y = window.copy()
            idx = np.zeros(y.shape, dtype=np.int16)
            better = np.empty(y.shape, dtype=bool)  # one mask buffer for every offset
            step = np.empty(y.shape, dtype=np.int16)
            continue
        # strictly greater: the first maximum in row-major order wins ties, as in PyTorch;
        # a NaN always wins, so NaN propagates (np.maximum propagates it too)
        np.greater(window, y, out=better)
        if check_nan:
            better |= np.isnan(window)
        np.maximum(y, window, out=y)
        # idx += better·(k − idx): arithmetic is ~20× faster than a masked copy (np.copyto's where=)
        np.subtract(k, idx, out=step)
        step *= better
        idx += step
    return y, idx


def _max_pool2d_backward(dy, idx, x_shape, kernel, stride, padding, out_hw):
    n, c, h, w = x_shape
    ph, pw = padding
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dy.dtype)
    disjoint = stride[0] >= kernel[0] and stride[1] >= kernel[1]
    # dy·hit is much faster than a masked copy, but it turns an inf or NaN in dy
    # into NaN elsewhere
    finite = bool(np.isfinite(dy).all())
    hit = np.empty(dy.shape, dtype=bool)
    for k, rows, cols in _windows(kernel, stride, out_hw):
        np.equal(idx, k, out=hit)
        if disjoint and finite:  # windows never overlap: each pixel is written once
            np.multiply(dy, hit, out=dxp[:, :, rows, cols])
        else:
            dxp[:, :, rows, cols] += dy * hit if finite else np.where(hit, dy, 0)
    return np.ascontiguousarray(dxp[:, :, ph : ph + h, pw : pw + w])


def _avg_pool2d_forward(x, kernel, stride, padding, out_hw):
    xp = _pad_value(x, padding, 0)
    y = None
    for _, rows, cols in _windows(kernel, stride, out_hw):
        y = xp[:, :, rows, cols].copy() if y is None else y + xp[:, :, rows, cols]
    y *= x.dtype.type(1.0 / (kernel[0] * kernel[1]))
    return y


def _avg_pool2d_backward(dy, x_shape, kernel, stride, padding, out_hw):
    n, c, h, w = x_shape
    ph, pw = padding
    share = dy * dy.dtype.type(1.0 / (kernel[0] * kernel[1]))
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dy.dtype)
    for _, rows, cols in _windows(kernel, stride, out_hw):
        dxp[:, :, rows, cols] += share
    return np.ascontiguousarray(dxp[:, :, ph : ph + h, pw : pw + w])


def _check_dy(dy, x, out_hw):
    dy = as_float_array(dy, "dy")
    expected = (*x.shape[:2], *out_hw)
    if dy.shape != expected:
        raise ValueError(f"dy must have the output's shape {expected}, got {dy.shape}")
    return dy.astype(common_dtype(x, dy), copy=False)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling: ``y[n, c, i, j] = max_{u, v} x_pad[n, c, i·s_h + u, j·s_w + v]``.

    Args:
        x: (N, C, H, W).
        kernel_size, stride, padding: an int or an (h, w) pair; ``stride=None`` means ``kernel_size``;
            padding (with −∞) is at most half the kernel, as in PyTorch.

    Returns:
        y: (N, C, H_out, W_out).
    """
    x, k, s, p, out_hw = _pool_args(x, kernel_size, stride, padding)
    return _max_pool2d_forward(x, k, s, p, out_hw)[0]


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    """Gradient of :func:`max_pool2d`: each output's gradient goes to the one input that was its
    maximum (the first one in row-major order on ties, as in PyTorch). Returns dx (N, C, H, W)."""
    x, k, s, p, out_hw = _pool_args(x, kernel_size, stride, padding)
    dy = _check_dy(dy, x, out_hw)
    _, idx = _max_pool2d_forward(x, k, s, p, out_hw)
    return _max_pool2d_backward(dy, idx, x.shape, k, s, p, out_hw)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling: ``y[n, c, i, j] = (1 / kH·kW) Σ_{u, v} x_pad[n, c, i·s_h + u, j·s_w + v]``.

    Padded zeros count in the average (PyTorch's default ``count_include_pad=True``).
    x: (N, C, H, W) -> y: (N, C, H_out, W_out).
    """
    x, k, s, p, out_hw = _pool_args(x, kernel_size, stride, padding)
    return _avg_pool2d_forward(x, k, s, p, out_hw)


def avg_pool2d_backward(dy, x, kernel_size, stride=None, padding=0):
    """Gradient of :func:`avg_pool2d`: each output's gradient is spread evenly over its window."""
    x, k, s, p, out_hw = _pool_args(x, kernel_size, stride, padding)
    dy = _check_dy(dy, x, out_hw)
    return _avg_pool2d_backward(dy, x.shape, k, s, p, out_hw)


def _pool1d_args(x, kernel_size, stride, padding):
    x = as_float_array(x, "x")
    check_ndim(x, 3, "x", "(N, C, L)")
    k = as_single(kernel_size, "kernel_size", 1)
    s = k if stride is None else as_single(stride, "stride", 1)
    p = as_single(padding, "padding", 0)
    if 2 * p > k:  # checked here so the message speaks of one kernel length, not an (h, w) pair
        raise ValueError(f"padding must be at most half the kernel size: kernel_size={k} allows "
                         f"padding <= {k // 2}, got padding={p}")
    return x[:, :, None, :], (1, k), (1, s), (0, p)


def max_pool1d(x, kernel_size, stride=None, padding=0):
    """Max pooling over sequences: x (N, C, L) -> (N, C, L_out)."""
    x4, k, s, p = _pool1d_args(x, kernel_size, stride, padding)
    return max_pool2d(x4, k, s, p)[:, :, 0, :]


def max_pool1d_backward(dy, x, kernel_size, stride=None, padding=0):
    """Gradient of :func:`max_pool1d`: dy (N, C, L_out) -> dx (N, C, L)."""
    x4, k, s, p = _pool1d_args(x, kernel_size, stride, padding)
    dy = as_float_array(dy, "dy")
    check_ndim(dy, 3, "dy", "(N, C, L_out)")
    expected = (*x4.shape[:2], conv_output_size(x4.shape[3], k[1], s[1], p[1]))
    if dy.shape != expected:
        raise ValueError(f"dy must have the output's shape {expected}, got {dy.shape}")
    return max_pool2d_backward(dy[:, :, None, :], x4, k, s, p)[:, :, 0, :]


# --------------------------------------------------------------------------- dense


def linear(x, weight, bias=None):
    """A fully connected layer: ``y = x · Wᵀ + b``.

    x: (N, in_features), weight: (out_features, in_features), bias: (out_features,) or None
    -> y: (N, out_features).
    """
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight")
    check_ndim(weight, 2, "weight", "(out_features, in_features)")
    if x.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"x must have shape (N, in_features) = (N, {weight.shape[1]}), got {x.shape}"
        )
    y = matmul(x, weight.T)
    if bias is not None:
        bias = as_float_array(bias, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
        y += bias
    return y


def linear_backward(dy, x, weight):
    """Gradients of :func:`linear`.

    dy (N, out) -> (dx (N, in), dweight (out, in), dbias (out,))."""
    return matmul(dy, weight), matmul(dy.T, x), dy.sum(axis=0)


# --------------------------------------------------------------------------- activations


def relu(x):
    """``max(x, 0)`` elementwise (NaN stays NaN)."""
    x = as_float_array(x, "x")
    return np.maximum(x, x.dtype.type(0))


def relu_backward(dy, x):
    """Gradient of :func:`relu`: dy where x > 0, else 0."""
    return dy * (x > 0)


def leaky_relu(x, negative_slope=0.01):
    """``x`` where positive, ``negative_slope · x`` elsewhere."""
    x = as_float_array(x, "x")
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def leaky_relu_backward(dy, x, negative_slope=0.01):
    """Gradient of :func:`leaky_relu`."""
    return dy * np.where(x > 0, 1, negative_slope).astype(dy.dtype)


def sigmoid(x):
    """``1 / (1 + e^{−x})``, computed without overflow for any x (e.g. ±1000)."""
    x = as_float_array(x, "x")
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


def sigmoid_backward(dy, y):
    """Gradient of :func:`sigmoid` from its output y: ``dy · y · (1 − y)``."""
    return dy * y * (1 - y)


def tanh(x):
    """Hyperbolic tangent (stable for any x)."""
    x = as_float_array(x, "x")
    return np.tanh(x)


def tanh_backward(dy, y):
    """Gradient of :func:`tanh` from its output y: ``dy · (1 − y²)``."""
    return dy * (1 - y * y)


def softmax(x, axis=-1):
    """``e^{x_k} / Σ_j e^{x_j}`` along ``axis``; the maximum is subtracted first, so ±1000 is fine."""
    x = as_float_array(x, "x")
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``x_k − log Σ_j e^{x_j}`` along ``axis``, computed stably (log-sum-exp)."""
    x = as_float_array(x, "x")
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
