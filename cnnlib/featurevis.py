"""Feature visualisation, distill-style (Olah, Mordvintsev & Schubert 2017): the input that a channel wants.

An image is optimised by gradient ascent to maximise the mean activation of one channel of one layer.
Plain ascent on pixels finds high-frequency patterns that excite the channel but mean nothing to us;
three regularisers, all from the distill article, make the optimum look like something:

* **transformation robustness**: every step the image is jittered, scaled and rotated at random before
  the network sees it (one bilinear resampling, :func:`affine_sample`; its adjoint carries the gradient
  back), so only patterns that survive small transformations are rewarded;
* **a decorrelated parameterisation**: the image is the inverse Fourier transform of a spectrum whose
  frequency ``f`` is scaled by ``1/f`` (natural images have about that spectrum, so all frequencies
  learn at similar speed), and its colours are mixed by a fixed colour-correlation matrix
  (:data:`COLOUR_CORRELATION`, the square root of natural images' colour covariance), then squashed into
  [0, 1] by a sigmoid;
* **diversity**: optimising several images together with a penalty on how similar their style (the Gram
  matrices of the layer's activations) is, to find several different optima of one channel.

``regularizers`` switches between ``"none"`` (pixels, no transformation), ``"jitter"`` (pixels, random
shifts only) and ``"full"`` (everything above), so a chapter can compare them.

Gradients come from cnnlib's own backward passes: the model runs forward up to the chosen layer, a
gradient is put on that layer's output and ``backward`` is called on the layers below it, inside
:func:`cnnlib.explain.preserved` (the model is left exactly as it was).

The book re-exports :func:`feature_visualization` as ``cnnlib.explain.feature_visualization``.
"""

from __future__ import annotations

import numpy as np

from . import explain, optim, training
from . import layers as L
from ._checks import as_float_array, as_int, check_ndim

__all__ = [
    "COLOUR_CORRELATION",
    "REGULARIZERS",
    "FourierImage",
    "PixelImage",
    "affine_sample",
    "affine_sample_adjoint",
    "random_affines",
    "layer_gradient",
    "channel_objective",
    "diversity_penalty",
    "feature_visualization",
    "channel_activations",
]

#: Square root of the colour covariance of natural images (ImageNet), the matrix lucid uses, scaled so
#: its largest column has unit norm. Multiplying decorrelated colours by it gives correlated RGB.
_SVD_SQRT = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOUR_CORRELATION = _SVD_SQRT / np.max(np.linalg.norm(_SVD_SQRT, axis=0))

#: The regulariser settings of :func:`feature_visualization`.
REGULARIZERS = ("none", "jitter", "full")


# --------------------------------------------------------------------------- parameterisations


class PixelImage:
    """Images parameterised pixel by pixel: ``image = sigmoid(p)``, ``p`` of shape (N, 3, H, W)."""

    def __init__(self, n, size, rng, sd=0.01):
        self.param = L.Parameter((sd * rng.standard_normal((n, 3, size, size))).astype(np.float64))

    def image(self) -> np.ndarray:
        self._img = 1.0 / (1.0 + np.exp(-self.param.data))
        return self._img

    def backward(self, d_image) -> None:
        """Store ``d objective / d param`` in ``param.grad`` given ``d objective / d image``."""
        self.param.grad[...] = d_image * self._img * (1.0 - self._img)


class FourierImage:
    """Images parameterised in a decorrelated space (distill's "preconditioning").

    ``image = sigmoid(C · Re(ifft2(S ⊙ z)))``: ``z`` (N, 3, H, W) complex (stored as real and imaginary
    parts), ``S = 1 / max(f, 1/size)`` the 1/f scale of each frequency ``f`` (cycles per pixel) and ``C``
    the colour-correlation matrix applied to every pixel's 3-vector. Each map is linear up to the
    sigmoid, so the gradient is the adjoint of each: ``d z = S ⊙ fft2(Cᵀ d)/(HW)``.
    """

    def __init__(self, n, size, rng, sd=0.01, colour=None):
        fy = np.fft.fftfreq(size)[:, None]
        fx = np.fft.fftfreq(size)[None, :]
        self.scale = 1.0 / np.maximum(np.sqrt(fy**2 + fx**2), 1.0 / size)
        self.colour = COLOUR_CORRELATION if colour is None else np.asarray(colour, dtype=np.float64)
        if self.colour.shape != (3, 3):
            raise ValueError(f"colour must be a (3, 3) matrix, got shape {self.colour.shape}")
        self.param = L.Parameter(sd * rng.standard_normal((2, n, 3, size, size)))

    def image(self) -> np.ndarray:
        z = self.param.data[0] + 1j * self.param.data[1]
        # numpy's ifft2 divides by H·W; the 1/f scale is up to `size` at DC: multiply back so that
        # the pixel values have about the spread of the spectrum's coefficients
        dec = np.fft.ifft2(self.scale * z).real * self.scale.size / 4.0
        rgb = np.einsum("rc,nchw->nrhw", self.colour, dec)
        self._img = 1.0 / (1.0 + np.exp(-rgb))
        return self._img

    def backward(self, d_image) -> None:
        d_rgb = d_image * self._img * (1.0 - self._img)
        d_dec = np.einsum("rc,nrhw->nchw", self.colour, d_rgb) * self.scale.size / 4.0
        g = self.scale * np.fft.fft2(d_dec) / self.scale.size
        self.param.grad[0] = g.real
        self.param.grad[1] = g.imag


# --------------------------------------------------------------------------- transformations


def random_affines(n, size, rng, jitter=4, scale=(0.9, 1.1), degrees=10.0) -> np.ndarray:
    """``n`` random affine maps (n, 2, 3) from output pixel (row, column, 1) to source position:
    a rotation by up to ±``degrees`` and a scaling in ``scale`` about the centre, then a shift of up to
    ±``jitter`` pixels (integers, as distill's jitter)."""
    theta = np.deg2rad(rng.uniform(-degrees, degrees, n)) if degrees else np.zeros(n)
    s = rng.uniform(scale[0], scale[1], n) if scale is not None else np.ones(n)
    shift = rng.integers(-jitter, jitter + 1, size=(n, 2)) if jitter else np.zeros((n, 2))
    c = (size - 1) / 2
    cos, sin = np.cos(theta) / s, np.sin(theta) / s  # the inverse map: source = R(-θ)/s (out - c) + c
    a = np.empty((n, 2, 3))
    a[:, 0, 0], a[:, 0, 1] = cos, sin
    a[:, 1, 0], a[:, 1, 1] = -sin, cos
    a[:, :, 2] = c - np.einsum("nij,j->ni", a[:, :, :2], np.array([c, c])) + shift
    return a


def _corners(affines, size):
    """Indices and bilinear weights of the 4 source pixels of every output pixel, and a validity mask."""
    n = len(affines)
    r, c = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    pts = np.stack([r.ravel(), c.ravel(), np.ones(size * size)])  # (3, P)
    src = affines @ pts  # (n, 2, P)
    r0, c0 = np.floor(src[:, 0]), np.floor(src[:, 1])
    fr, fc = src[:, 0] - r0, src[:, 1] - c0
    out = []
    for dr, dc, w in ((0, 0, (1 - fr) * (1 - fc)), (0, 1, (1 - fr) * fc), (1, 0, fr * (1 - fc)), (1, 1, fr * fc)):
        rr, cc = r0 + dr, c0 + dc
        ok = (rr >= 0) & (rr < size) & (cc >= 0) & (cc < size)
        # intp, not int64: np.bincount refuses int64 indices on a 32-bit platform (the browser's wasm32)
        idx = (np.clip(rr, 0, size - 1) * size + np.clip(cc, 0, size - 1)).astype(np.intp)
        out.append((idx + (np.arange(n) * size * size)[:, None], np.where(ok, w, 0.0), np.where(ok, 0.0, w)))
    return out


def affine_sample(images, affines, fill=0.5) -> np.ndarray:
    """Resample ``images`` (N, C, S, S) by ``affines`` (N, 2, 3) (output pixel -> source position),
    bilinearly; source positions outside the image read ``fill`` (a grey border, like distill's padding).
    """
    n, ch, size, _ = images.shape
    flat = images.transpose(1, 0, 2, 3).reshape(ch, -1)  # (C, N·S·S)
    out = np.zeros((ch, n, size * size))
    for idx, w, w_out in _corners(affines, size):
        out += flat[:, idx] * w + fill * w_out
    return out.reshape(ch, n, size, size).transpose(1, 0, 2, 3)


def affine_sample_adjoint(d_out, affines) -> np.ndarray:
    """The adjoint of :func:`affine_sample` (in ``images``): the gradient of the source images given
    the gradient ``d_out`` (N, C, S, S) of the resampled ones. Each output pixel's gradient is scattered
    back to its 4 source pixels with the same bilinear weights."""
    n, ch, size, _ = d_out.shape
    g = d_out.transpose(1, 0, 2, 3).reshape(ch, -1)
    total = n * size * size
    out = np.zeros((ch, total))
    for idx, w, _ in _corners(affines, size):
        for k in range(ch):
            out[k] += np.bincount(idx.ravel(), weights=(g[k].reshape(n, -1) * w).ravel(), minlength=total)
    return out.reshape(ch, n, size, size).transpose(1, 0, 2, 3)


# --------------------------------------------------------------------------- objectives


def layer_gradient(model, x, layer, grad_fn):
    """Forward ``x`` to the output ``a`` of ``layer`` and back: returns ``(a, d objective / d x)``, where
    ``grad_fn(a)`` gives ``d objective / d a``. Call inside :func:`cnnlib.explain.preserved`."""
    idx = explain.layer_index(model, layer)
    upto = model[: idx + 1]  # a Sequential: its passes hold BLAS at one thread (cnnlib.parallel)
    a = np.asarray(upto.forward(x))
    g = upto.backward(grad_fn(a))
    return a, np.asarray(g)


def channel_objective(a, channels):
    """Mean activation of channel ``channels[n]`` of image ``n`` of ``a`` (N, K, h, w): value (N,) and
    gradient (shaped like ``a``)."""
    n, _, h, w = a.shape
    rows = np.arange(n)
    value = a[rows, channels].mean(axis=(1, 2))
    g = np.zeros_like(a)
    g[rows, channels] = 1.0 / (h * w)
    return value, g


def diversity_penalty(a):
    r"""Mean pairwise cosine similarity of the images' Gram matrices (lucid's diversity objective):
    :math:`G_n = F_n^\top F_n` with :math:`F_n` (hw, K) the activations of image ``n``; the penalty is
    :math:`\frac{1}{N(N-1)}\sum_{n\ne m} \langle \hat G_n, \hat G_m\rangle`, :math:`\hat G = G/\lVert G\rVert`.
    Returns (value, gradient shaped like ``a`` (N, K, h, w)). One image has no penalty."""
    n, k, h, w = a.shape
    if n < 2:
        return 0.0, np.zeros_like(a)
    f = a.reshape(n, k, h * w).astype(np.float64)  # F_nᵀ, (N, K, hw)
    gram = f @ f.transpose(0, 2, 1)  # (N, K, K)
    norm = np.sqrt((gram**2).sum(axis=(1, 2))) + 1e-12
    unit = gram / norm[:, None, None]
    sim = np.einsum("nij,mij->nm", unit, unit)
    np.fill_diagonal(sim, 0.0)
    scale = 1.0 / (n * (n - 1))
    value = sim.sum() * scale
    # d value / d unit_n = 2·scale·Σ_{m≠n} unit_m (the sum is symmetric); through the normalisation:
    d_unit = 2 * scale * (unit.sum(axis=0)[None] - unit)
    d_gram = (d_unit - (d_unit * unit).sum(axis=(1, 2))[:, None, None] * unit) / norm[:, None, None]
    d_f = (d_gram + d_gram.transpose(0, 2, 1)) @ f  # d/dF of Fᵀ-layout Gram
    return float(value), d_f.reshape(a.shape).astype(a.dtype)


# --------------------------------------------------------------------------- the optimisation


def _check_channels(model, layer, channel, size):
    idx = explain.layer_index(model, layer)
    probe = explain.feature_maps(model, np.full((1, 3, size, size), 0.5, dtype=np.float32), idx)
    if probe.ndim != 4:
        raise ValueError(f"layer {idx} ({type(model.layers[idx]).__name__}) has no channels with a spatial "
                         f"output (shape {probe.shape}); choose a convolutional layer")
    k = probe.shape[1]
    many = np.ndim(channel) == 1
    chans = np.asarray(channel) if many else np.array([channel])
    if chans.dtype.kind not in "iu" or len(chans) == 0:
        raise ValueError(f"channel must be an int or a 1-D sequence of ints, got {channel!r}")
    if chans.min() < 0 or chans.max() >= k:
        raise ValueError(f"channel must be in [0, {k - 1}] (layer {idx} has {k} channels), got {channel!r}")
    return idx, chans.astype(np.int64), many


def feature_visualization(model, layer, channel, steps=256, rng=0, *, n_images=1, regularizers="full",
                          diversity=0.0, lr=None, size=64, jitter=4, scale=(0.9, 1.1), degrees=10.0,
                          return_history=False):
    """The image that maximises the mean activation of ``channel`` at the output of ``layer``.

    Args:
        model: a cnnlib Sequential taking (N, 3, size, size) images in [0, 1].
        layer: the layer (object or index) whose output holds the channel (a Conv2d's output is the usual
            choice: before the ReLU the objective has a gradient everywhere).
        channel: an int, or a 1-D sequence of channels (one image each, optimised together).
        steps: gradient steps (Adam, learning rate ``lr``; default 0.01 for ``"full"``, whose 1/f scale
            makes every coefficient move many pixels, and 0.1 for the pixel parameterisations; chosen on
            the texture network, where larger steps for ``"full"`` oscillate and end lower).
        rng: seed or Generator (initial image and random transformations); the same seed, the same image.
        n_images: several images of one channel (with ``diversity`` > 0 they are pushed apart).
        regularizers: ``"none"`` (pixel parameterisation, no transformation), ``"jitter"`` (pixels,
            random shifts of up to ``jitter`` px) or ``"full"`` (1/f Fourier + decorrelated colour
            parameterisation; random shift, scale in ``scale`` and rotation of up to ±``degrees``).
        diversity: weight of :func:`diversity_penalty` against the channel's mean activation (the
            objective is activation − diversity · penalty); used only with ``n_images`` > 1.
        return_history: also return the objective after every step, (steps, images).

    Returns:
        (3, size, size) in [0, 1] for one int channel and ``n_images=1``; otherwise
        (len(channel) · n_images, 3, size, size), channel-major. With ``return_history``, (images, history).
    """
    explain._check_model(model)
    if regularizers not in REGULARIZERS:
        raise ValueError(f"regularizers must be one of {REGULARIZERS}, got {regularizers!r}")
    steps = as_int(steps, "steps", 0)
    n_images = as_int(n_images, "n_images", 1)
    size = as_int(size, "size", 4)
    jitter = as_int(jitter, "jitter", 0)
    if not diversity >= 0:
        raise ValueError(f"diversity must be >= 0, got {diversity!r}")
    lr = (0.01 if regularizers == "full" else 0.1) if lr is None else lr
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    idx, chans, many = _check_channels(model, layer, channel, size)
    chans = np.repeat(chans, n_images)
    n = len(chans)
    rng = L.as_generator(rng)
    param = FourierImage(n, size, rng) if regularizers == "full" else PixelImage(n, size, rng)
    opt = optim.Adam([param.param], lr=lr)
    dtype = model.parameters()[0].data.dtype if model.parameters() else np.float64
    groups = chans.reshape(-1, n_images)
    history = np.empty((steps, n))
    # one BLAS thread: small products, where threads only contend (and the result is the same everywhere)
    with explain.preserved(model), training.one_blas_thread():
        for step in range(steps):
            img = param.image()
            if regularizers == "none":
                aff = None
                seen = img
            elif regularizers == "jitter":
                aff = random_affines(n, size, rng, jitter=jitter, scale=None, degrees=0.0)
                seen = affine_sample(img, aff)
            else:
                aff = random_affines(n, size, rng, jitter=jitter, scale=scale, degrees=degrees)
                seen = affine_sample(img, aff)

            def grad_fn(a, step=step):
                value, g = channel_objective(a, chans)
                history[step] = value
                if diversity and n_images > 1:
                    for grp in range(len(groups)):
                        sl = slice(grp * n_images, (grp + 1) * n_images)
                        _, dg = diversity_penalty(a[sl])
                        g[sl] -= diversity * dg
                return g.astype(a.dtype)

            _, d_seen = layer_gradient(model, seen.astype(dtype), idx, grad_fn)
            d_img = d_seen.astype(np.float64) if aff is None else affine_sample_adjoint(d_seen, aff)
            param.backward(d_img)
            param.param.grad *= -1  # ascent
            opt.step()
        out = param.image()
    out = out.astype(np.float32)
    if not many and n_images == 1:
        out = out[0]
    return (out, history) if return_history else out


def channel_activations(model, x, layer, batch_size=None) -> np.ndarray:
    """The mean activation of every channel of ``layer`` for every image: (N, K) — the objective
    :func:`feature_visualization` maximises, measured on any images (e.g. test scenes, or visualisations).
    ``batch_size``: images per pass, ``None`` for :func:`cnnlib.training.batch_size_for`."""
    x = as_float_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    if batch_size is None:
        batch_size = training.batch_size_for(x.shape[1:])
    batch_size = as_int(batch_size, "batch_size", 1)
    parts = []
    for start in range(0, len(x), batch_size):
        a = explain.feature_maps(model, x[start : start + batch_size], layer)
        if a.ndim != 4:
            raise ValueError(f"layer must have a spatial output (N, K, h, w), got shape {a.shape}")
        parts.append(a.mean(axis=(2, 3)))
    return np.concatenate(parts)

