"""Chapter 3 (algorithms and formulas): the formulas of convolution and its gradients written out as
small explicit functions, a sliding-window stepper and a convolution-vs-cross-correlation explorer.

The functions here are *not* how :mod:`cnnlib.functional` computes things (it uses im2col). They are the
formulas of the chapter, spelled out, so that each formula can be checked against the library:

* :func:`conv2d_formula` evaluates the cross-correlation formula literally, one output value at a time;
* :func:`conv2d_input_grad` builds ∂L/∂x as a *full* correlation of the stride-dilated ∂L/∂y with the
  flipped kernel, from one :func:`~cnnlib.functional.conv2d` call;
* :func:`conv2d_weight_grad` builds ∂L/∂W as a correlation of the padded input with ∂L/∂y, again from one
  :func:`~cnnlib.functional.conv2d` call;
* :func:`convolve2d` is the convolution of mathematics (kernel flipped), for comparison.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import figure_language, twin_outputs, viz
from .._checks import as_float_array, as_int, as_pair, check_ndim
from ..functional import conv2d, conv_output_size
from ..widgets import HTML, Choice, Explorer, IntRange, new_figure

__all__ = [
    "conv2d_formula",
    "conv2d_input_grad",
    "conv2d_weight_grad",
    "convolve2d",
    "flip_kernel",
    "WindowStep",
    "window_step",
    "PRESETS",
    "STEP_INPUT",
    "STEP_KERNEL",
    "render_stepper",
    "sliding_window_explorer",
    "FLIP_KERNELS",
    "render_flip",
    "flip_explorer",
]


# --------------------------------------------------------------------------- formulas, spelled out


def conv2d_formula(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """The cross-correlation formula evaluated literally, one output value at a time
    (slow; for checking)::

        y[n, o, i, j] = b[o] + Σ_c Σ_u Σ_v x_pad[n, c, i·s_h + u·d_h, j·s_w + v·d_w]
                                           · w[o, c, u, v]

    Args:
        x: (N, C_in, H, W).  weight: (C_out, C_in, kH, kW).  bias: (C_out,) or None.
        stride, padding, dilation: an int or an (h, w) pair.

    Returns:
        y: (N, C_out, H_out, W_out), as :func:`cnnlib.functional.conv2d` gives it.
    """
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight")
    check_ndim(x, 4, "x", "(N, C_in, H, W)")
    check_ndim(weight, 4, "weight", "(C_out, C_in, kH, kW)")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(f"weight has C_in={weight.shape[1]} but x has "
                         f"C={x.shape[1]}; allowed: equal")
    (sh, sw), (ph, pw), (dh, dw) = spd = _triple(stride, padding, dilation)
    c_out, _, kh, kw = weight.shape
    n = x.shape[0]
    h_out, w_out = _out_hw(x.shape[2:], (kh, kw), *spd)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((n, c_out, h_out, w_out), dtype=np.result_type(x, weight))
    for b in range(n):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    # the receptive field: every d-th pixel from (i·s, j·s),
                    # kH×kW of them, all channels
                    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                    window = xp[b, :, rows, cols]
                    y[b, o, i, j] = np.sum(window * weight[o])
    if bias is not None:
        y += np.asarray(bias, dtype=y.dtype)[None, :, None, None]
    return y


def _triple(stride, padding, dilation):
    return as_pair(stride, "stride", 1), as_pair(padding, "padding", 0), as_pair(dilation, "dilation", 1)


def _out_hw(size_hw, kernel_hw, stride, padding, dilation) -> tuple[int, int]:
    """(H_out, W_out) from (H, W), (kH, kW) and the checked pairs."""
    return tuple(
        conv_output_size(*args) for args in zip(size_hw, kernel_hw, stride, padding, dilation, strict=True)
    )


def flip_kernel(weight):
    """The kernel rotated by 180°: ``w[..., ::-1, ::-1]`` (a copy). Flipping twice gives the kernel back."""
    weight = as_float_array(weight, "weight")
    if weight.ndim < 2:
        raise ValueError(f"weight must have at least 2 dimensions (kH, kW), got shape {weight.shape}")
    return weight[..., ::-1, ::-1].copy()


def convolve2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Convolution as mathematics defines it (the kernel flipped), with the arguments of
    :func:`cnnlib.functional.conv2d`: ``convolve2d(x, w) == conv2d(x, flip_kernel(w))``.

    ``y[i, j] = Σ_u Σ_v x[i − u, j − v] · w[u, v]`` (shifted so that the output starts where the
    cross-correlation's does). Deep-learning libraries never flip: since the kernel is learned, a network
    with flipped kernels is the same family of functions.
    """
    return conv2d(x, flip_kernel(weight), bias, stride, padding, dilation)


def _check_grad_args(dy, weight_or_x, name):
    dy = as_float_array(dy, "dy")
    check_ndim(dy, 4, "dy", "(N, C_out, H_out, W_out)")
    arr = as_float_array(weight_or_x, name)
    check_ndim(arr, 4, name, "(C_out, C_in, kH, kW)" if name == "weight" else "(N, C_in, H, W)")
    return dy, arr


def conv2d_input_grad(dy, weight, input_size, stride=1, padding=0, dilation=1):
    """∂L/∂x of a convolution as a *full correlation with the flipped kernel*, built
    from one conv2d call::

        ∂L/∂x_pad[n, c, p, q] = Σ_o Σ_u Σ_v dy_s[n, o, p − u·d_h, q − v·d_w]
                                            · w[o, c, u, v]

    where ``dy_s`` is ∂L/∂y with ``s − 1`` zeros inserted between its values (the
    stride undone). Written as a correlation, this is ``conv2d`` of ``dy_s`` padded by
    ``d·(k − 1)`` (a *full* correlation) with the kernel flipped by 180° and its
    in/out channels swapped, at the same dilation. Rows and columns of the input that
    no window reached (when the stride does not divide evenly) get zero; the padding
    is cut off.

    Args:
        dy: (N, C_out, H_out, W_out), the gradient of the loss with respect to the
            output.
        weight: (C_out, C_in, kH, kW).
        input_size: (H, W) of the forward pass's input (the output alone does not
            determine it when s > 1).
        stride, padding, dilation: as in the forward pass.

    Returns:
        dx: (N, C_in, H, W), equal to the first item of
        :func:`cnnlib.functional.conv2d_backward`.
    """
    dy, weight = _check_grad_args(dy, weight, "weight")
    (sh, sw), (ph, pw), (dh, dw) = spd = _triple(stride, padding, dilation)
    h, w = as_pair(input_size, "input_size", 1)
    c_out, _, kh, kw = weight.shape
    out_hw = _out_hw((h, w), (kh, kw), *spd)
    if dy.shape[1] != c_out or dy.shape[2:] != out_hw:
        raise ValueError(
            f"dy must have shape (N, {c_out}, {out_hw[0]}, {out_hw[1]}) "
            f"for input_size {(h, w)}, got {dy.shape}"
        )
    n, _, h_out, w_out = dy.shape
    # 1. undo the stride: put s − 1 zeros between the values of dy
    stretched_hw = ((h_out - 1) * sh + 1, (w_out - 1) * sw + 1)
    dy_s = np.zeros((n, c_out, *stretched_hw), dtype=dy.dtype)
    dy_s[:, :, ::sh, ::sw] = dy
    # 2. flip the kernel by 180° and swap its channels: (C_in, C_out, kH, kW)
    w_flipped = flip_kernel(weight).transpose(1, 0, 2, 3)
    # 3. a full correlation: pad by the dilated kernel's reach, so all overlaps count
    reach = (dh * (kh - 1), dw * (kw - 1))
    full = conv2d(dy_s, w_flipped, padding=reach, dilation=(dh, dw))
    # 4. the padded input's rows/columns beyond the last window got no gradient;
    #    then drop the padding
    extra_h, extra_w = h + 2 * ph - full.shape[2], w + 2 * pw - full.shape[3]
    dx_padded = np.pad(full, ((0, 0), (0, 0), (0, extra_h), (0, extra_w)))
    return dx_padded[:, :, ph : ph + h, pw : pw + w]


def conv2d_weight_grad(x, dy, kernel_size, stride=1, padding=0, dilation=1):
    """∂L/∂W of a convolution as a *correlation of the input with ∂L/∂y*, built from one conv2d call.

    ``∂L/∂w[o, c, u, v] = Σ_n Σ_i Σ_j x_pad[n, c, i·s_h + u·d_h, j·s_w + v·d_w] · dy[n, o, i, j]``

    ∂L/∂y plays the kernel, and the roles of stride and dilation swap: its taps are ``s`` apart, and
    it moves ``d`` pixels per step. (∂L/∂b[o] is simply ``dy.sum((0, 2, 3))``.)

    Args:
        x: (N, C_in, H, W), the forward pass's input.
        dy: (N, C_out, H_out, W_out).
        kernel_size: an int or (kH, kW).
        stride, padding, dilation: as in the forward pass.

    Returns:
        dweight: (C_out, C_in, kH, kW), equal to the second item of :func:`cnnlib.functional.conv2d_backward`.
    """
    dy, x = _check_grad_args(dy, x, "x")
    (sh, sw), (ph, pw), (dh, dw) = spd = _triple(stride, padding, dilation)
    kh, kw = as_pair(kernel_size, "kernel_size", 1)
    out_hw = _out_hw(x.shape[2:], (kh, kw), *spd)
    if dy.shape[0] != x.shape[0] or dy.shape[2:] != out_hw:
        raise ValueError(f"dy must have shape ({x.shape[0]}, C_out, {out_hw[0]}, {out_hw[1]}), got {dy.shape}")
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    # channels become the batch and the batch becomes the channels: the sum over n is the sum over "channels"
    g = conv2d(xp.transpose(1, 0, 2, 3), dy.transpose(1, 0, 2, 3), stride=(dh, dw), dilation=(sh, sw))
    return np.ascontiguousarray(g[:, :, :kh, :kw].transpose(1, 0, 2, 3))  # (C_out, C_in, kH, kW)


# --------------------------------------------------------------------------- the sliding-window stepper


@dataclass(frozen=True)
class WindowStep:
    """One position of the sliding window (single channel).

    Attributes:
        padded: the zero-padded input (Hp, Wp).
        padding: the padding p, so ``padded[p:-p, p:-p]`` is the input.
        rows, cols: the padded-input rows and columns the kernel taps touch (kH,) and (kW,).
        window: the input values under the taps (kH, kW).
        products: ``window * kernel`` (kH, kW).
        value: their sum, the output value at this position.
        index: the output position (i, j).
        out_shape: (H_out, W_out).
        output: the whole output (H_out, W_out), from :func:`cnnlib.functional.conv2d`.
    """

    padded: np.ndarray
    padding: int
    rows: np.ndarray
    cols: np.ndarray
    window: np.ndarray
    products: np.ndarray
    value: float
    index: tuple[int, int]
    out_shape: tuple[int, int]
    output: np.ndarray

    @property
    def flat_index(self) -> int:
        """The position in row-major order (0 is the top-left output)."""
        return self.index[0] * self.out_shape[1] + self.index[1]

    @property
    def n_positions(self) -> int:
        return self.out_shape[0] * self.out_shape[1]


def window_step(x, kernel, position, stride=1, padding=0, dilation=1) -> WindowStep:
    """What the sliding window does at one output position: where it sits, the products, their sum.

    Args:
        x: (H, W) one image, one channel.
        kernel: (kH, kW).
        position: the output position, a row-major index ``0 … H_out·W_out − 1`` or an (i, j) pair.
        stride, padding, dilation: ints.

    Raises:
        ValueError: the kernel does not fit, or the position is outside the output.
    """
    x = as_float_array(x, "x")
    kernel = as_float_array(kernel, "kernel")
    check_ndim(x, 2, "x", "(H, W)")
    check_ndim(kernel, 2, "kernel", "(kH, kW)")
    s, p, d = as_int(stride, "stride", 1), as_int(padding, "padding", 0), as_int(dilation, "dilation", 1)
    output = conv2d(x[None, None], kernel[None, None], stride=s, padding=p, dilation=d)[0, 0]
    h_out, w_out = output.shape
    if isinstance(position, tuple | list):
        i, j = (as_int(v, "position", 0) for v in position)
        if i >= h_out or j >= w_out:
            raise ValueError(f"position must be inside the {h_out}×{w_out} output, got {(i, j)}")
    else:
        flat = as_int(position, "position", 0)
        if flat >= h_out * w_out:
            raise ValueError(
                f"position must be 0 … {h_out * w_out - 1} for a {h_out}×{w_out} output, got {flat}"
            )
        i, j = divmod(flat, w_out)
    kh, kw = kernel.shape
    padded = np.pad(x, p)
    rows = i * s + d * np.arange(kh)
    cols = j * s + d * np.arange(kw)
    window = padded[np.ix_(rows, cols)]
    products = window * kernel
    return WindowStep(padded, p, rows, cols, window, products, float(products.sum()), (i, j), (h_out, w_out), output)


#: The classic settings of a 3×3 kernel, as (stride, padding, dilation).
PRESETS = {
    "no padding": (1, 0, 1),
    "same": (1, 1, 1),
    "full": (1, 2, 1),
    "strided": (2, 1, 1),
    "dilated": (1, 2, 2),
}

#: The stepper's 5×5 input: small integers, so the products can be read.
STEP_INPUT = np.array(
    [[3, 1, 0, 2, 1], [0, 4, 2, 1, 3], [1, 2, 5, 0, 2], [2, 0, 1, 3, 1], [1, 3, 2, 1, 0]], dtype=np.float64
)
#: The stepper's kernel: not symmetric, so that flipping it would change the result.
STEP_KERNEL = np.array([[1, 0, -1], [2, 1, 0], [0, -1, 1]], dtype=np.float64)
for _a in (STEP_INPUT, STEP_KERNEL):
    _a.setflags(write=False)

_TAP = (1.0, 0.72, 0.35)  # orange: a kernel tap
_PAD = (0.86, 0.86, 0.86)  # grey: padding
_SPAN = (214, 39, 40)


def _num(v: float) -> str:
    v = float(v) + 0.0  # no "-0"
    return f"{v:.0f}" if v.is_integer() else f"{v:.2g}"


_S = 2  # drawn at twice the displayed pixels (sharp on HiDPI; the PNG records 192 dpi)
_PX = 27 * _S  # pixels per table cell


@functools.lru_cache(maxsize=8)
def _font(size: int, cjk: bool = False):
    """DejaVu Sans (shipped with matplotlib) at ``size`` pixels, for the PIL-drawn stepper; ``cjk``: the
    Chinese edition's font for Chinese characters (:func:`cnnlib.figure_language.cjk_font`)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(figure_language.cjk_font() if cjk else font_manager.findfont("DejaVu Sans"), size)


def _title(draw, x0, bottom, text: str, size: int) -> None:
    """Draw ``text`` (lines) ending at pixel row ``bottom``, translated for the Chinese edition. PIL has no
    font fallback, so a line with Chinese is drawn in runs: Chinese characters in the CJK font, the rest
    (numbers, ×, Σ) in DejaVu Sans, on one baseline."""
    text = figure_language.translate_installed(text)
    if not figure_language.has_cjk(text) or not figure_language.cjk_font():
        draw.multiline_text((x0, bottom), text, fill=(0, 0, 0), font=_font(size), anchor="ld", spacing=2 * _S)
        return
    lines = text.split("\n")
    step = size + 2 * _S
    for k, line in enumerate(lines):
        x, y = x0, bottom - _font(size).getmetrics()[1] - (len(lines) - 1 - k) * step
        for run, chinese in figure_language.cjk_runs(line):
            font = _font(size, chinese)
            draw.text((x, y), run, fill=(0, 0, 0), font=font, anchor="ls")
            x += font.getlength(run)


def _rgb(c) -> tuple[int, int, int]:
    return tuple(round(255 * v) for v in c)


def _par(v: float) -> str:
    """A number for a written-out sum: negative ones in parentheses, ``2·(−1)``."""
    return f"({_num(v)})" if v < 0 else _num(v)


def _table(draw, values, x0, y0, fill, title, shown=None):
    """Draw a table of numbers with its top-left corner at pixel (x0, y0); ``fill`` (H, W, 3) in [0, 1]."""
    h, w = values.shape
    for (r, c), v in np.ndenumerate(values):
        box = (x0 + c * _PX, y0 + r * _PX, x0 + (c + 1) * _PX, y0 + (r + 1) * _PX)
        draw.rectangle(box, fill=_rgb(fill[r, c]), outline=(136, 136, 136))
        if shown is None or shown[r, c]:
            draw.text((box[0] + _PX / 2, box[1] + _PX / 2 + 1), _num(v), fill=(0, 0, 0), font=_font(12 * _S),
                      anchor="mm")
    _title(draw, x0, y0 - 5 * _S, title, 12 * _S)


def _white(shape):
    return np.ones((*shape, 3))


def render_stepper(position: int, stride: int = 1, padding: int = 0, dilation: int = 1, x=None, kernel=None):
    """One step of the sliding window: padded input with the window, kernel, products and the output so far.

    Drawn with PIL rather than matplotlib (a table of numbers needs no axes, and this is ~30× faster,
    which matters for the ~120 steps a static page precomputes). ``position`` beyond the last output
    position shows the last one (the static page's slider is shared by settings with different
    numbers of positions).

    Returns:
        (PNG bytes, HTML caption with the sum written out).

    Raises:
        ValueError: the kernel does not fit in the padded input.
    """
    import io

    from PIL import Image, ImageDraw

    x = STEP_INPUT if x is None else x
    kernel = STEP_KERNEL if kernel is None else kernel
    total = window_step(x, kernel, 0, stride, padding, dilation).n_positions
    step = window_step(x, kernel, min(as_int(position, "position", 0), total - 1), stride, padding, dilation)
    hp, wp = step.padded.shape
    kh, kw = kernel.shape
    h_out, w_out = step.out_shape
    gap = 24 * _S
    x_in = 6 * _S
    x_k = x_in + wp * _PX + gap
    x_p = x_k + max(kw, 4) * _PX + gap
    x_o = x_p + max(kw, 4) * _PX + gap
    top = 40 * _S  # two lines of title
    width = x_o + max(w_out, 5) * _PX + 8 * _S
    height = top + max(hp, h_out, kh) * _PX + 8 * _S

    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    colours = _white((hp, wp))
    p = step.padding
    if p:
        colours[:p], colours[-p:], colours[:, :p], colours[:, -p:] = _PAD, _PAD, _PAD, _PAD
    colours[np.ix_(step.rows, step.cols)] = _TAP
    _table(draw, step.padded, x_in, top, colours, f"input {x.shape[0]}×{x.shape[1]}\npadded {hp}×{wp} (grey: p={p})")
    r0, c0, r1, c1 = step.rows[0], step.cols[0], step.rows[-1] + 1, step.cols[-1] + 1
    draw.rectangle((x_in + c0 * _PX - 1, top + r0 * _PX - 1, x_in + c1 * _PX + 1, top + r1 * _PX + 1),
                   outline=_SPAN, width=2 * _S)
    _table(draw, kernel, x_k, top, _white(kernel.shape), f"kernel {kh}×{kw}")
    _table(draw, step.products, x_p, top, _white(kernel.shape) * 0 + _TAP, f"products\nΣ = {_num(step.value)}")
    for xs, sym in ((x_k - gap / 2, "×"), (x_p - gap / 2, "=")):
        draw.text((xs, top + kh * _PX / 2), sym, fill=(0, 0, 0), font=_font(16 * _S), anchor="mm")
    shown = np.zeros(step.out_shape, dtype=bool)
    shown.reshape(-1)[: step.flat_index + 1] = True
    colours = _white(step.out_shape)
    colours[step.index] = _TAP
    _table(draw, step.output, x_o, top, colours, f"output {h_out}×{w_out}\nstep {step.flat_index + 1} of {total}",
           shown=shown)
    buf = io.BytesIO()
    img.quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(buf, format="png", optimize=True,
                                                                  dpi=(96 * _S, 96 * _S))

    i, j = step.index
    terms = " + ".join(f"{_par(a)}·{_par(b)}" for a, b in zip(step.window.ravel(), kernel.ravel(), strict=True))
    caption = (
        f"stride s={stride}, padding p={padding}, dilation d={dilation} — position {step.flat_index + 1} of "
        f"{total}: y[{i},{j}] = {terms} = <b>{_num(step.value)}</b><br>"
        f"window rows {', '.join(map(str, step.rows))} and columns {', '.join(map(str, step.cols))} of the "
        f"padded input (i·s + u·d, j·s + v·d)"
    )
    return buf.getvalue(), HTML(caption)


def _cached_step(position: int, stride: int, padding: int, dilation: int):
    """render_stepper on the chapter's input and kernel, once per real position (clamped positions share)
    and language (the Chinese edition's build draws each step again, translated)."""
    total = window_step(STEP_INPUT, STEP_KERNEL, 0, stride, padding, dilation).n_positions
    return _step(min(position, total - 1), stride, padding, dilation, figure_language.is_speaking())


@functools.lru_cache(maxsize=512)
def _step(position: int, stride: int, padding: int, dilation: int, _speaking: bool):
    return render_stepper(position, stride, padding, dilation)


class _Stepper(Explorer):
    """The stepper: live, a preset menu that sets the stride/padding/dilation sliders (and "custom" when
    they are moved by hand); static, only the presets and the position (the sliders could not be linked
    to a preset client-side)."""

    def __init__(self, title, max_positions):
        self._title = title
        controls = {
            "preset": Choice([*PRESETS, "custom"], "no padding", style="buttons"),
            "stride": IntRange(1, 3),
            "padding": IntRange(0, 3),
            "dilation": IntRange(1, 3),
            "position": IntRange(0, max_positions - 1, label="output position"),
        }
        super().__init__(controls, self._render_live, title=title)

    @staticmethod
    def _render_live(preset, stride, padding, dilation, position):
        if preset != "custom":
            stride, padding, dilation = PRESETS[preset]
        return _cached_step(position, stride, padding, dilation)

    def _static_preset(self, preset: str) -> Explorer:
        """The static explorer of one preset: its own position slider, 0 … its last window."""
        n = window_step(STEP_INPUT, STEP_KERNEL, 0, *PRESETS[preset]).n_positions
        return Explorer(
            controls={"position": IntRange(0, n - 1, label="output position")},
            render=lambda position: _cached_step(position, *PRESETS[preset]),
            max_states=n,
        )

    def _build_static(self):
        """Static: the preset buttons switch between one precomputed stepper per preset, each with a
        position slider of its own range (no position past the last window exists)."""
        import ipywidgets as widgets

        from ..widgets import explorer_frame

        presets = list(PRESETS)
        control = Choice(presets, style="buttons").make_widget("preset", static=True)
        boxes = [self._static_preset(p).build("static") for p in presets]
        stack = widgets.Stack(children=boxes, selected_index=0)
        link = widgets.jslink((control, "index"), (stack, "selected_index"))
        box = explorer_frame(self._title, [control], stack)
        box._explorer_links = [link, *(li for b in boxes for li in b._explorer_links)]
        box._explorer_controls = {"preset": control, "position": [b._explorer_controls["position"] for b in boxes]}
        return box

    @twin_outputs.bilingual
    def build(self, mode=None):
        from ..widgets import default_mode

        mode = default_mode() if mode is None else mode
        if mode == "static":
            self.widget = self._build_static()
            return self.widget
        box = super().build(mode)
        ctrl = box._explorer_controls
        syncing = [False]

        def preset_changed(change):
            if change["new"] == "custom":
                return
            syncing[0] = True
            try:
                for name, v in zip(("stride", "padding", "dilation"), PRESETS[change["new"]], strict=True):
                    ctrl[name].value = v
            finally:
                syncing[0] = False

        def slider_moved(_change):
            if syncing[0]:
                return
            now = tuple(ctrl[k].value for k in ("stride", "padding", "dilation"))
            if ctrl["preset"].value != "custom" and PRESETS[ctrl["preset"].value] != now:
                ctrl["preset"].value = "custom"

        ctrl["preset"].observe(preset_changed, names="value")
        for name in ("stride", "padding", "dilation"):
            ctrl[name].observe(slider_moved, names="value")
        return box


def sliding_window_explorer(title: str | None = "Sliding-window stepper") -> Explorer:
    """The stepper of chapter 3: move the output position and watch the window, the nine products and
    their sum, for the classic settings (no padding, same, full, strided, dilated).

    Live: a preset menu plus stride (1–3), padding (0–3) and dilation (1–3) sliders; moving a slider by
    hand selects "custom". Static (the built book): the five presets, each with its own position slider
    running from the first to the last window of that preset.
    """
    live_max = max(
        conv_output_size(5, 3, 1, 3, 1) ** 2,
        *(window_step(STEP_INPUT, STEP_KERNEL, 0, *v).n_positions for v in PRESETS.values()),
    )
    return _Stepper(title, live_max)


# --------------------------------------------------------------------------- convolution vs cross-correlation


def _impulse(size=7):
    a = np.zeros((size, size))
    a[size // 2, size // 2] = 1.0
    return a


def _letter_f(size=9):
    """A capital F: not symmetric in any way, so every flip shows."""
    a = np.zeros((size, size))
    a[1:8, 2] = 1
    a[1, 2:7] = 1
    a[4, 2:6] = 1
    return a


@functools.cache
def _flip_inputs():
    return {"impulse": _impulse(), "letter F": _letter_f()}


def _read_only(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


#: Kernels for the comparison: three that flipping changes and one it does not.
FLIP_KERNELS = {
    "corner (shift)": _read_only([[1, 0, 0], [0, 0, 0], [0, 0, 0]]),
    "ramp 1…9": _read_only(np.arange(1, 10).reshape(3, 3) / 9),
    "sobel x": _read_only([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "gaussian (symmetric)": _read_only(np.outer([1, 2, 1], [1, 2, 1]) / 16),
}


class _FlipView:
    """The flip explorer's figure, built once (fixed margins, the colour bar in its own axes): images, the
    kernels' numbers and the colour scale are updated in place."""

    def __init__(self, live: bool = True):
        fig, axes = new_figure(7.0, 2.3, ncols=5, layout=None)
        fig.subplots_adjust(left=0.01, right=0.9, bottom=0.04, top=0.78, wspace=0.18)
        self.lf = lf = viz.LiveFigure(fig, live=live)
        ax_x, ax_k, ax_f, ax_c, ax_v = axes
        z = np.zeros((3, 3))
        self.im_x = lf.moving(viz.show_image(ax_x, z, " ", vmin=0, vmax=1, cmap=viz.IMAGE_CMAP))
        self.title_x = lf.moving(ax_x.title)
        self.im_k = lf.moving(viz.show_kernel(ax_k, z, "kernel w", numbers=False))
        self.im_f = lf.moving(viz.show_kernel(ax_f, z, "flipped w[::-1, ::-1]", numbers=False))
        self.num_k = viz.CellNumbers(ax_k, 9, live=lf)
        self.num_f = viz.CellNumbers(ax_f, 9, live=lf)
        self.im_c = lf.moving(viz.show_image(ax_c, z, "cross-correlation\n(conv2d)", cmap=viz.SIGNED_CMAP,
                                             vmin=-1, vmax=1))
        self.im_v = lf.moving(viz.show_image(ax_v, z, "convolution\n(flipped kernel)", cmap=viz.SIGNED_CMAP,
                                             vmin=-1, vmax=1))
        cax = fig.add_axes((0.915, 0.12, 0.012, 0.58))
        cb = fig.colorbar(self.im_v, cax=cax)
        cb.ax.tick_params(labelsize=9)
        lf.moving(cax)  # its ticks follow the colour limits

    def __call__(self, kernel: str, image: str):
        if kernel not in FLIP_KERNELS:
            raise ValueError(f"kernel must be one of {list(FLIP_KERNELS)}, got {kernel!r}")
        inputs = _flip_inputs()
        if image not in inputs:
            raise ValueError(f"image must be one of {list(inputs)}, got {image!r}")
        x, k = inputs[image], FLIP_KERNELS[kernel]
        corr = conv2d(x[None, None], k[None, None], padding=1)[0, 0]
        conv = convolve2d(x[None, None], k[None, None], padding=1)[0, 0]
        vmax = max(float(np.abs(corr).max()), float(np.abs(conv).max())) or 1.0
        kmax = float(np.abs(k).max()) or 1.0
        for im, a in ((self.im_x, x), (self.im_c, corr), (self.im_v, conv), (self.im_k, k),
                      (self.im_f, flip_kernel(k))):
            im.set_data(a)
            im.set_extent((-0.5, a.shape[1] - 0.5, a.shape[0] - 0.5, -0.5))
        self.title_x.set_text(f"input ({image})")
        for im in (self.im_k, self.im_f):
            im.set_clim(-kmax, kmax)
        self.num_k.show(k, cmap=viz.SIGNED_CMAP, vmin=-kmax, vmax=kmax)
        self.num_f.show(flip_kernel(k), cmap=viz.SIGNED_CMAP, vmin=-kmax, vmax=kmax)
        self.im_c.set_clim(-vmax, vmax)
        self.im_v.set_clim(-vmax, vmax)  # the colour bar listens to this image
        for ax in self.lf.fig.axes[:5]:
            ax.set_xlim(-0.5, ax.images[0].get_array().shape[1] - 0.5)
            ax.set_ylim(ax.images[0].get_array().shape[0] - 0.5, -0.5)
            ax.apply_aspect()
        self.lf.key = image  # the input's size sets the panels' boxes
        diff = float(np.abs(corr - conv).max())
        if diff == 0:
            verdict = "identical: this kernel equals its 180° rotation, so flipping changes nothing"
        else:
            verdict = f"they differ by up to <b>{diff:.3g}</b>"
        note = (
            " — on an impulse, convolution draws the kernel itself, correlation draws it flipped"
            if image == "impulse" and diff
            else ""
        )
        return self.lf, HTML(f"cross-correlation vs convolution: {verdict}{note}")


def render_flip(kernel: str, image: str):
    """Cross-correlation (what conv2d computes) against true convolution (the kernel flipped).

    Panels: the input, the kernel and its 180° flip (numbers printed), the two outputs on one colour scale.
    Returns (figure, HTML caption with the largest difference).
    """
    lf, caption = _FlipView(live=False)(kernel, image)
    return lf.fig, caption


def flip_explorer(title: str | None = "Convolution vs cross-correlation") -> Explorer:
    """Kernel × input (impulse or a letter F): cross-correlation next to true convolution (8 states)."""
    return Explorer(
        controls={
            "kernel": Choice(list(FLIP_KERNELS), style="buttons"),
            "image": Choice(list(_flip_inputs()), label="input", style="buttons"),
        },
        render=_FlipView(),
        title=title,
    )
