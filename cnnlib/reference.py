"""The article's loop implementations (§4.1–4.3), kept readable for teaching and used as an oracle.

``convolution``, ``max_pooling`` and ``avg_pooling`` are the article's double loops *fixed*: the padding
the article counts in the output size is actually applied. ``article_convolution``,
``article_max_pooling`` and ``article_backward_propagation`` are the article's code as printed
(only indented), so the book can run them and show what goes wrong.
All work on single 2-D arrays (one image, one channel).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_float_array, as_int

__all__ = [
    "convolution",
    "max_pooling",
    "avg_pooling",
    "article_convolution",
    "article_max_pooling",
    "article_backward_propagation",
]


def _check_2d(image, name="image"):
    image = as_float_array(image, name)
    if image.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {image.shape}")
    return image


def _output_size(size, window, stride, padding, name):
    out = (size + 2 * padding - window) // stride + 1
    if window > size + 2 * padding:
        raise ValueError(
            f"{name} {window} is larger than the padded input {size} + 2·{padding} = {size + 2 * padding}"
        )
    return out


def convolution(image, kernel, stride=1, padding=0):
    """2-D cross-correlation of one image with one kernel, by two loops over output
    positions.

    image: (H, W), kernel: (kH, kW) -> (H_out, W_out). Zero padding *is* applied here.
    """
    image, kernel = _check_2d(image), _check_2d(kernel, "kernel")
    stride, padding = as_int(stride, "stride", 1), as_int(padding, "padding", 0)
    kh, kw = kernel.shape
    out_h = _output_size(image.shape[0], kh, stride, padding, "kernel height")
    out_w = _output_size(image.shape[1], kw, stride, padding, "kernel width")
    padded = np.pad(image, padding)  # the step the article forgot
    out = np.zeros((out_h, out_w), dtype=np.result_type(image, kernel))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * stride : i * stride + kh,
                            j * stride : j * stride + kw]
            out[i, j] = np.sum(window * kernel)
    return out


def _pooling(image, pool_size, stride, padding, reduce, pad_value):
    image = _check_2d(image)
    pool_size = as_int(pool_size, "pool_size", 1)
    stride, padding = as_int(stride, "stride", 1), as_int(padding, "padding", 0)
    if 2 * padding > pool_size:
        raise ValueError(f"padding must be at most half of pool_size {pool_size}, got {padding}")
    out_h = _output_size(image.shape[0], pool_size, stride, padding, "pool_size")
    out_w = _output_size(image.shape[1], pool_size, stride, padding, "pool_size")
    padded = np.pad(image, padding, constant_values=pad_value)
    out = np.zeros((out_h, out_w), dtype=image.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * stride : i * stride + pool_size, j * stride : j * stride + pool_size]
            out[i, j] = reduce(window)
    return out


def max_pooling(image, pool_size=2, stride=2, padding=0):
    """Max pooling of one 2-D image by loops; padding with −∞ (it never wins). (H, W) -> (H_out, W_out)."""
    return _pooling(image, pool_size, stride, padding, np.max, -np.inf)


def avg_pooling(image, pool_size=2, stride=2, padding=0):
    """Average pooling of one 2-D image by loops; padded zeros count in the mean, as in PyTorch."""
    return _pooling(image, pool_size, stride, padding, np.mean, 0.0)


# ----------------------------------------------------------------------------- the article, as printed
# Parameter names shadow the builtin `input` because the article's code does; kept verbatim on purpose.


def article_convolution(input, kernel, stride=1, padding=0):  # noqa: A002
    """The article's §4.1 code, verbatim. Defect: counts padding in the output size
    but never pads."""
    input_height, input_width = input.shape[:2]
    kernel_height, kernel_width = kernel.shape[:2]
    output_height = (input_height + 2 * padding - kernel_height) // stride + 1
    output_width = (input_width + 2 * padding - kernel_width) // stride + 1
    output = np.zeros((output_height, output_width))
    for i in range(output_height):
        for j in range(output_width):
            output[i, j] = np.sum(
                input[i * stride : i * stride + kernel_height,
                      j * stride : j * stride + kernel_width] * kernel
            )
    return output


def article_max_pooling(input, pool_size=2, stride=2, padding=0):  # noqa: A002
    """The article's §4.2 code, verbatim. Same padding defect as
    ``article_convolution``."""
    input_height, input_width = input.shape[:2]
    output_height = (input_height + 2 * padding - pool_size) // stride + 1
    output_width = (input_width + 2 * padding - pool_size) // stride + 1
    output = np.zeros((output_height, output_width))
    for i in range(output_height):
        for j in range(output_width):
            output[i, j] = np.max(
                input[i * stride : i * stride + pool_size,
                      j * stride : j * stride + pool_size]
            )
    return output


def article_backward_propagation(input, output, loss_function,  # noqa: A002
                                 learning_rate):
    """The article's §4.3 code, verbatim. Defect: it changes the *input pixels* in
    place; real backpropagation changes the parameters, with gradients from the chain
    rule. Returns None."""
    gradients = loss_function(input, output)
    input_height, input_width = input.shape[:2]
    output_height, output_width = output.shape[:2]
    for i in range(input_height):
        for j in range(input_width):
            input[i, j] -= learning_rate * gradients[i, j]
