"""Layers: objects that hold parameters and remember what their backward pass needs.

A layer's ``forward(x)`` (also ``layer(x)``) computes the output and caches what the gradient needs;
``backward(dy)`` takes the gradient of the loss with respect to the output, *adds* the gradients of
its parameters into ``Parameter.grad`` (as PyTorch accumulates into ``.grad``) and returns the
gradient with respect to its input. Names and defaults follow ``torch.nn``.
"""

from __future__ import annotations

import math

import numpy as np

from . import functional as F
from . import parallel
from ._checks import as_float_array, as_int, as_pair, as_single, check_ndim

__all__ = [
    "Parameter",
    "Layer",
    "Conv2d",
    "Conv1d",
    "MaxPool2d",
    "MaxPool1d",
    "AvgPool2d",
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Flatten",
    "GlobalAvgPool2d",
    "Dropout",
    "Normalize",
    "Sequential",
    "as_generator",
]


def as_generator(rng) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, an int seed or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, int | np.integer):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


class Parameter:
    """A trainable array ``.data`` and the gradient ``.grad`` of the same shape (zeros to start)."""

    def __init__(self, data: np.ndarray):
        self.data = np.asarray(data)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self):
        return self.data.shape

    def zero_grad(self) -> None:
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Layer:
    """Base class. Subclasses implement ``forward`` and ``backward`` and list their parameters as
    attributes (a :class:`Parameter`, or ``None`` for a switched-off bias)."""

    _param_names: tuple[str, ...] = ()

    def __init__(self):
        self.training = True

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy):  # pragma: no cover - abstract
        raise NotImplementedError

    def named_parameters(self, prefix: str = ""):
        """List of ``(name, Parameter)``, names as in PyTorch (``"0.weight"`` inside a Sequential)."""
        out = []
        for name in self._param_names:
            p = getattr(self, name)
            if p is not None:
                out.append((prefix + name, p))
        return out

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def _need_cache(self, name: str):
        value = getattr(self, name, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        return ""

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (without its weights): used by :mod:`cnnlib.io`."""
        return {}


def _kaiming_uniform(rng, shape, fan_in, dtype):
    # PyTorch's default: kaiming_uniform_(a=√5) gives bound = 1/√fan_in, for weights and biases alike
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def _conv_repr(layer, kernel_size, stride, padding, dilation) -> str:
    """PyTorch's wording: padding, dilation and bias only when they differ from their defaults."""
    text = f"{layer.in_channels}, {layer.out_channels}, kernel_size={kernel_size}, stride={stride}"
    if np.any(np.asarray(padding) != 0):
        text += f", padding={padding}"
    if np.any(np.asarray(dilation) != 1):
        text += f", dilation={dilation}"
    if layer.bias is None:
        text += ", bias=False"
    return text


class Conv2d(Layer):
    """2-D convolution layer. x (N, C_in, H, W) -> (N, C_out, H_out, W_out).

    ``weight``: (C_out, C_in, kH, kW); ``bias``: (C_out,) or None. Initialised as in PyTorch.
    """

    _param_names = ("weight", "bias")

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels = as_int(in_channels, "in_channels", 1)
        self.out_channels = as_int(out_channels, "out_channels", 1)
        self.kernel_size = as_pair(kernel_size, "kernel_size", 1)
        self.stride = as_pair(stride, "stride", 1)
        self.padding = as_pair(padding, "padding", 0)
        self.dilation = as_pair(dilation, "dilation", 1)
        rng = as_generator(rng)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(_kaiming_uniform(rng, shape, fan_in, dtype))
        self.bias = Parameter(_kaiming_uniform(rng, (self.out_channels,), fan_in, dtype)) if bias else None
        self._cols = self._x_shape = self._parts = None
        self._workspace = {}  # scratch arrays reused between steps (see functional._scratch)
        self._part_workspaces = {}  # one per part of a batch computed in parts (see cnnlib.parallel)

    def forward(self, x):
        """x (N, C_in, H, W) -> y (N, C_out, H_out, W_out)."""
        bias = None if self.bias is None else self.bias.data
        x, w, b, s, p, d, out_hw = F._conv_args(x, self.weight.data, bias, self.stride, self.padding,
                                                self.dilation)
        # a big batch goes through in parts, one per core, when BLAS may use several threads
        self._parts = parallel.batch_parts(x.shape[0], w[0].size * out_hw[0] * out_hw[1])
        self._x_shape = x.shape
        if len(self._parts) > 1:
            return self._forward_in_parts(x, w, b, s, p, d, out_hw)
        y, self._cols = F._conv2d_forward(x, w, b, s, p, d, out_hw, self._workspace)
        return y

    def backward(self, dy, need_dx=True):
        """Accumulates the parameters' gradients and returns dx (N, C_in, H, W), or
        None when ``need_dx`` is False (the first layer of a network in training:
        nothing upstream learns)."""
        cols, dy = self._need_cache("_cols"), np.asarray(dy)
        if len(self._parts) > 1:
            dx, dw, db = self._backward_in_parts(dy, cols, need_dx)
        else:
            dx, dw, db = F._conv2d_backward(
                dy, cols, self._x_shape, self.weight.data, self.stride, self.padding,
                self.dilation, need_dx=need_dx, workspace=self._workspace)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx

    def _forward_in_parts(self, x, w, b, s, p, d, out_hw):
        """forward, one part of the batch per core (:mod:`cnnlib.parallel`); keeps one cols per part."""
        y = np.empty((x.shape[0], w.shape[0], *out_hw), dtype=F.common_dtype(x, w, b))

        def part(i, rows):
            workspace = self._part_workspaces.setdefault(i, {})
            return F._conv2d_forward(x[rows], w, b, s, p, d, out_hw, workspace, out=y[rows])[1]

        self._cols = parallel.run_parts(part, self._parts)
        return y

    def _backward_in_parts(self, dy, cols, need_dx):
        """(dx or None, dweight, dbias) from the parts kept by :meth:`_forward_in_parts`."""
        dx = np.empty(self._x_shape, dtype=cols[0].dtype) if need_dx else None

        def part(i, rows):
            x_shape = (rows.stop - rows.start, *self._x_shape[1:])
            return F._conv2d_backward(dy[rows], cols[i], x_shape, self.weight.data, self.stride,
                                      self.padding, self.dilation, need_dx=need_dx,
                                      workspace=self._part_workspaces[i],
                                      dx_out=None if dx is None else dx[rows])[1:]

        (dw, db), *others = parallel.run_parts(part, self._parts)
        for dw_part, db_part in others:  # the parameters' gradients sum over the whole batch
            dw += dw_part
            db += db_part
        return dx, dw, db

    def extra_repr(self):
        return _conv_repr(self, self.kernel_size, self.stride, self.padding, self.dilation)

    def config(self):
        return dict(in_channels=self.in_channels, out_channels=self.out_channels,
                    kernel_size=list(self.kernel_size), stride=list(self.stride), padding=list(self.padding),
                    dilation=list(self.dilation), bias=self.bias is not None, dtype=self.weight.data.dtype.name)


class Conv1d(Conv2d):
    """1-D convolution over sequences, x (N, C_in, L) -> (N, C_out, L_out): a Conv2d of height one.

    ``weight``: (C_out, C_in, k); ``bias``: (C_out,) or None.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, rng=None, dtype=np.float32):
        k = as_single(kernel_size, "kernel_size", 1)
        super().__init__(in_channels, out_channels, (1, k), (1, as_single(stride, "stride", 1)),
                         (0, as_single(padding, "padding", 0)), (1, as_single(dilation, "dilation", 1)),
                         bias=bias, rng=rng, dtype=dtype)
        # store the weight as PyTorch does, (C_out, C_in, k); the 2-D view shares its memory
        self.weight.data = self.weight.data[:, :, 0, :].copy()
        self.weight.grad = np.zeros_like(self.weight.data)

    def forward(self, x):
        x = as_float_array(x, "x")
        check_ndim(x, 3, "x", "(N, C_in, L)")
        bias = None if self.bias is None else self.bias.data
        x4, w4, b, s, p, d, out_hw = F._conv_args(x[:, :, None, :], self.weight.data[:, :, None, :], bias,
                                                  self.stride, self.padding, self.dilation)
        y, cols = F._conv2d_forward(x4, w4, b, s, p, d, out_hw, self._workspace)
        self._cols, self._x_shape = cols, x4.shape
        return y[:, :, 0, :]

    def backward(self, dy):
        cols = self._need_cache("_cols")
        dy = np.asarray(dy)[:, :, None, :]
        dx, dw, db = F._conv2d_backward(dy, cols, self._x_shape, self.weight.data[:, :, None, :],
                                        self.stride, self.padding, self.dilation, workspace=self._workspace)
        self.weight.grad += dw[:, :, 0, :]
        if self.bias is not None:
            self.bias.grad += db
        return dx[:, :, 0, :]

    def extra_repr(self):
        return _conv_repr(self, self.kernel_size[1], self.stride[1], self.padding[1], self.dilation[1])

    def config(self):
        c = super().config()
        c.update(kernel_size=self.kernel_size[1], stride=self.stride[1], padding=self.padding[1],
                 dilation=self.dilation[1])
        return c


class MaxPool2d(Layer):
    """Max pooling, x (N, C, H, W) -> (N, C, H_out, W_out); ``stride=None`` means ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = as_pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride", 1)
        self.padding = as_pair(padding, "padding", 0)
        self._idx = None

    def forward(self, x):
        x, k, s, p, out_hw = F._pool_args(x, self.kernel_size, self.stride, self.padding)
        y, self._idx = F._max_pool2d_forward(x, k, s, p, out_hw)
        self._x_shape, self._out_hw = x.shape, out_hw
        return y

    def backward(self, dy):
        idx = self._need_cache("_idx")
        return F._max_pool2d_backward(np.asarray(dy), idx, self._x_shape, self.kernel_size, self.stride,
                                      self.padding, self._out_hw)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def config(self):
        return dict(kernel_size=list(self.kernel_size), stride=list(self.stride), padding=list(self.padding))


class MaxPool1d(MaxPool2d):
    """Max pooling over sequences, x (N, C, L) -> (N, C, L_out)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        k = as_single(kernel_size, "kernel_size", 1)
        s = k if stride is None else as_single(stride, "stride", 1)
        super().__init__((1, k), (1, s), (0, as_single(padding, "padding", 0)))

    def forward(self, x):
        x = as_float_array(x, "x")
        check_ndim(x, 3, "x", "(N, C, L)")
        return super().forward(x[:, :, None, :])[:, :, 0, :]

    def backward(self, dy):
        return super().backward(np.asarray(dy)[:, :, None, :])[:, :, 0, :]

    def extra_repr(self):
        return f"kernel_size={self.kernel_size[1]}, stride={self.stride[1]}, padding={self.padding[1]}"

    def config(self):
        return dict(kernel_size=self.kernel_size[1], stride=self.stride[1], padding=self.padding[1])


class AvgPool2d(MaxPool2d):
    """Average pooling, x (N, C, H, W) -> (N, C, H_out, W_out); padded zeros count in the average."""

    def forward(self, x):
        x, k, s, p, out_hw = F._pool_args(x, self.kernel_size, self.stride, self.padding)
        self._x_shape, self._out_hw = x.shape, out_hw
        self._idx = True  # marks that forward ran
        return F._avg_pool2d_forward(x, k, s, p, out_hw)

    def backward(self, dy):
        self._need_cache("_idx")
        return F._avg_pool2d_backward(np.asarray(dy), self._x_shape, self.kernel_size, self.stride,
                                      self.padding, self._out_hw)


class Linear(Layer):
    """Fully connected layer, x (N, in_features) -> (N, out_features): ``y = x·Wᵀ + b``.

    ``weight``: (out_features, in_features); ``bias``: (out_features,) or None.
    """

    _param_names = ("weight", "bias")

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float32):
        super().__init__()
        self.in_features = as_int(in_features, "in_features", 1)
        self.out_features = as_int(out_features, "out_features", 1)
        rng = as_generator(rng)
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(_kaiming_uniform(rng, shape, self.in_features, dtype))
        self.bias = (Parameter(_kaiming_uniform(rng, (self.out_features,), self.in_features, dtype))
                     if bias else None)
        self._x = None

    def forward(self, x):
        x = as_float_array(x, "x")
        self._x = x
        return F.linear(x, self.weight.data, None if self.bias is None else self.bias.data)

    def backward(self, dy):
        x = self._need_cache("_x")
        dx, dw, db = F.linear_backward(np.asarray(dy), x, self.weight.data)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}"

    def config(self):
        return dict(in_features=self.in_features, out_features=self.out_features, bias=self.bias is not None,
                    dtype=self.weight.data.dtype.name)


class ReLU(Layer):
    """``max(x, 0)``, any shape."""

    def forward(self, x):
        x = as_float_array(x, "x")
        self._x = x
        return F.relu(x)

    def backward(self, dy):
        return F.relu_backward(np.asarray(dy), self._need_cache("_x"))


class LeakyReLU(Layer):
    """``x`` if positive else ``negative_slope·x``, any shape."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        x = as_float_array(x, "x")
        self._x = x
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, dy):
        return F.leaky_relu_backward(np.asarray(dy), self._need_cache("_x"), self.negative_slope)

    def config(self):
        return dict(negative_slope=self.negative_slope)


class Sigmoid(Layer):
    """Logistic function, any shape."""

    def forward(self, x):
        self._y = F.sigmoid(x)
        return self._y

    def backward(self, dy):
        return F.sigmoid_backward(np.asarray(dy), self._need_cache("_y"))


class Tanh(Layer):
    """Hyperbolic tangent, any shape."""

    def forward(self, x):
        self._y = F.tanh(x)
        return self._y

    def backward(self, dy):
        return F.tanh_backward(np.asarray(dy), self._need_cache("_y"))


class Flatten(Layer):
    """(N, ...) -> (N, prod(...))."""

    def forward(self, x):
        x = as_float_array(x, "x")
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return np.asarray(dy).reshape(self._need_cache("_shape"))


class GlobalAvgPool2d(Layer):
    """Mean over each whole feature map: (N, C, H, W) -> (N, C). A parameter-free replacement for a
    flatten + dense head (as in network-in-network and ResNets)."""

    def forward(self, x):
        x = as_float_array(x, "x")
        check_ndim(x, 4, "x", "(N, C, H, W)")
        self._shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dy):
        n, c, h, w = self._need_cache("_shape")
        share = np.asarray(dy) / np.asarray(dy).dtype.type(h * w)
        return np.broadcast_to(share[:, :, None, None], (n, c, h, w)).copy()


class Dropout(Layer):
    """Zeroes each value with probability ``p`` in training mode and scales the rest by 1/(1 − p)
    (inverted dropout, as PyTorch); the identity in eval mode."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = as_generator(rng)
        self._mask = None

    def forward(self, x):
        x = as_float_array(x, "x")
        if not self.training or self.p == 0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape) >= self.p
        self._mask = keep.astype(x.dtype) / x.dtype.type(1 - self.p)
        return x * self._mask

    def backward(self, dy):
        return dy if self._mask is None else dy * self._mask

    def extra_repr(self):
        return f"p={self.p}"

    def config(self):
        return dict(p=self.p)


class Normalize(Layer):
    """A fixed per-channel affine map, x (N, C, ...) -> (x − mean[c]) / std[c], as torchvision's
    ``Normalize``: no parameters, so a model can take images in [0, 1] exactly as the data gives them.

    Args:
        mean, std: sequences of C numbers (std > 0).
    """

    def __init__(self, mean, std):
        super().__init__()
        mean = np.asarray(mean, dtype=np.float64).ravel()
        std = np.asarray(std, dtype=np.float64).ravel()
        if mean.size < 1 or mean.shape != std.shape or not np.all(np.isfinite(mean)):
            raise ValueError(f"mean and std must be equal-length sequences of finite numbers, "
                             f"got mean={mean.tolist()}, std={std.tolist()}")
        if not np.all(std > 0) or not np.all(np.isfinite(std)):
            raise ValueError(f"std must be finite and > 0 for every channel, got {std.tolist()}")
        self.mean, self.std = mean, std
        self._shape = None

    def _coefficients(self, x):
        shape = (1, self.mean.size) + (1,) * (x.ndim - 2)
        return self.mean.reshape(shape).astype(x.dtype), (1.0 / self.std).reshape(shape).astype(x.dtype)

    def forward(self, x):
        x = as_float_array(x, "x")
        if x.ndim < 2 or x.shape[1] != self.mean.size:
            raise ValueError(f"x must be (N, {self.mean.size}, ...), got shape {x.shape}")
        mean, inv = self._coefficients(x)
        self._shape = x.shape
        return (x - mean) * inv

    def backward(self, dy):
        self._need_cache("_shape")
        dy = np.asarray(dy)
        return dy * self._coefficients(dy)[1]

    def extra_repr(self):
        return f"mean={self.mean.tolist()}, std={self.std.tolist()}"

    def config(self):
        return dict(mean=self.mean.tolist(), std=self.std.tolist())


class Sequential(Layer):
    """Layers applied in order. Indexable, iterable and sized; collects its children's parameters
    with PyTorch's names (``"0.weight"``, ``"0.bias"``, ``"3.weight"``, ...)."""

    def __init__(self, *layers):
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {i} must be a cnnlib Layer, got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x):
        # BLAS on one thread: big layers use the cores by splitting their batch (see cnnlib.parallel)
        with parallel.parts_instead_of_blas_threads():
            for layer in self.layers:
                x = layer.forward(x)
        return x

    def backward(self, dy, need_input_grad=True):
        """Backpropagate ``dy`` (the gradient of the loss with respect to the output) through every layer,
        accumulating the parameters' gradients; returns the gradient with respect to the input.

        With ``need_input_grad=False`` (training) the pass stops at the first layer that has parameters,
        and a first Conv2d skips its input gradient: no layer upstream learns from it. Returns None then.
        """
        with parallel.parts_instead_of_blas_threads():
            return self._backward(dy, need_input_grad)

    def _backward(self, dy, need_input_grad):
        if need_input_grad:
            for layer in reversed(self.layers):
                dy = layer.backward(dy)
            return dy
        first = next((i for i, layer in enumerate(self.layers) if layer.parameters()), len(self.layers))
        for i in range(len(self.layers) - 1, first - 1, -1):
            layer = self.layers[i]
            if i == first and type(layer) is Conv2d:
                layer.backward(dy, need_dx=False)
            else:
                dy = layer.backward(dy)
        return None

    def named_parameters(self, prefix: str = ""):
        out = []
        for i, layer in enumerate(self.layers):
            out.extend(layer.named_parameters(f"{prefix}{i}."))
        return out

    def train(self, mode: bool = True):
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(*self.layers[i])
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
