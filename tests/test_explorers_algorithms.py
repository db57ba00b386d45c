"""Chapter 3: the formulas spelled out (cnnlib.explorers.algorithms) against cnnlib.functional, finite
differences, SciPy and (when installed) PyTorch; the sliding-window stepper and the flip explorer."""

import numpy as np
import pytest

from cnnlib import functional as F
from cnnlib.explorers import algorithms as A
from cnnlib.gradcheck import numerical_gradient, relative_error
from cnnlib.widgets import MAX_STATIC_BYTES

# (H, W, k, stride, padding, dilation): even and uneven strides, dilation, padding wider than the kernel
CASES = [
    (5, 5, 3, 1, 0, 1),
    (7, 6, 3, 2, 1, 1),
    (9, 8, 2, 3, 2, 2),
    (6, 6, 3, 2, 0, 1),  # the last input row and column are never reached by a window
    (5, 7, 3, 1, 3, 2),
    (4, 9, (2, 3), (1, 2), (0, 1), (2, 1)),  # rectangular kernel, pairs
]


def _arrays(rng, h, w, k, c_in=2, c_out=3, n=2):
    kh, kw = (k, k) if isinstance(k, int) else k
    return rng.standard_normal((n, c_in, h, w)), rng.standard_normal((c_out, c_in, kh, kw)), rng.standard_normal(c_out)


@pytest.mark.parametrize("h, w, k, s, p, d", CASES)
def test_formula_matches_conv2d(rng, h, w, k, s, p, d):
    x, wt, b = _arrays(rng, h, w, k)
    np.testing.assert_allclose(A.conv2d_formula(x, wt, b, s, p, d), F.conv2d(x, wt, b, s, p, d), atol=1e-12)


@pytest.mark.parametrize("h, w, k, s, p, d", CASES)
def test_gradients_built_from_conv2d_match_backward(rng, h, w, k, s, p, d):
    x, wt, b = _arrays(rng, h, w, k)
    dy = rng.standard_normal(F.conv2d(x, wt, b, s, p, d).shape)
    dx, dw, _ = F.conv2d_backward(dy, x, wt, s, p, d)
    np.testing.assert_allclose(A.conv2d_input_grad(dy, wt, (h, w), s, p, d), dx, atol=1e-12)
    np.testing.assert_allclose(A.conv2d_weight_grad(x, dy, wt.shape[2:], s, p, d), dw, atol=1e-12)


def test_gradients_match_finite_differences(rng):
    h, w, k, s, p, d = 6, 5, 3, 2, 1, 1
    x, wt, b = _arrays(rng, h, w, k, c_in=2, c_out=2, n=1)
    r = rng.standard_normal(F.conv2d(x, wt, b, s, p, d).shape)  # L = Σ y·r, so ∂L/∂y = r
    num_dx = numerical_gradient(lambda v: np.sum(F.conv2d(v, wt, b, s, p, d) * r), x)
    num_dw = numerical_gradient(lambda v: np.sum(F.conv2d(x, v, b, s, p, d) * r), wt)
    assert relative_error(A.conv2d_input_grad(r, wt, (h, w), s, p, d), num_dx) < 1e-8
    assert relative_error(A.conv2d_weight_grad(x, r, k, s, p, d), num_dw) < 1e-8


def test_unreached_input_gets_zero_gradient(rng):
    x, wt, _ = _arrays(rng, 6, 6, 3)
    dy = rng.standard_normal(F.conv2d(x, wt, stride=2).shape)  # windows start at 0 and 2: row 5 unseen
    dx = A.conv2d_input_grad(dy, wt, (6, 6), stride=2)
    assert np.all(dx[:, :, 5, :] == 0) and np.all(dx[:, :, :, 5] == 0)
    assert np.any(dx[:, :, 4, :] != 0)


def test_against_torch(torch, rng):
    h, w, k, s, p, d = 9, 8, 3, 2, 2, 2
    x, wt, b = _arrays(rng, h, w, k)
    xt = torch.tensor(x, requires_grad=True)
    wtt = torch.tensor(wt, requires_grad=True)
    y = torch.nn.functional.conv2d(xt, wtt, torch.tensor(b), stride=s, padding=p, dilation=d)
    dy = rng.standard_normal(tuple(y.shape))
    y.backward(torch.tensor(dy))
    np.testing.assert_allclose(A.conv2d_formula(x, wt, b, s, p, d), y.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(A.conv2d_input_grad(dy, wt, (h, w), s, p, d), xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(A.conv2d_weight_grad(x, dy, k, s, p, d), wtt.grad.numpy(), atol=1e-10)


def test_grad_arguments_are_checked(rng):
    x, wt, _ = _arrays(rng, 5, 5, 3)
    with pytest.raises(ValueError, match="dy must have shape"):
        A.conv2d_input_grad(np.zeros((2, 3, 4, 4)), wt, (5, 5))
    with pytest.raises(ValueError, match="dy must have shape"):
        A.conv2d_weight_grad(x, np.zeros((2, 3, 2, 2)), 3)
    with pytest.raises(ValueError, match="weight"):
        A.conv2d_formula(x, np.zeros((3, 4, 3, 3)))


def test_convolve2d_is_the_flipped_correlation(rng):
    scipy_signal = pytest.importorskip("scipy.signal")
    x, k = rng.standard_normal((7, 6)), rng.standard_normal((3, 2))
    ours = A.convolve2d(x[None, None], k[None, None])[0, 0]
    np.testing.assert_allclose(ours, scipy_signal.convolve2d(x, k, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(F.conv2d(x[None, None], k[None, None])[0, 0],
                               scipy_signal.correlate2d(x, k, mode="valid"), atol=1e-12)
    assert not np.allclose(ours, F.conv2d(x[None, None], k[None, None])[0, 0])
    np.testing.assert_array_equal(A.flip_kernel(A.flip_kernel(k)), k)
    with pytest.raises(ValueError, match="at least 2"):
        A.flip_kernel(np.ones(3))


@pytest.mark.parametrize("preset", list(A.PRESETS))
def test_window_step_every_position(preset):
    s, p, d = A.PRESETS[preset]
    first = A.window_step(A.STEP_INPUT, A.STEP_KERNEL, 0, s, p, d)
    assert first.out_shape == (F.conv_output_size(5, 3, s, p, d),) * 2
    for pos in range(first.n_positions):
        st = A.window_step(A.STEP_INPUT, A.STEP_KERNEL, pos, s, p, d)
        i, j = divmod(pos, st.out_shape[1])
        assert st.index == (i, j) and st.flat_index == pos
        assert st.value == pytest.approx(st.output[i, j])
        np.testing.assert_array_equal(st.products, st.window * A.STEP_KERNEL)
        np.testing.assert_array_equal(st.rows, i * s + d * np.arange(3))
        # the window read from the *padded* input, by the formula's indices
        np.testing.assert_array_equal(st.window, np.pad(A.STEP_INPUT, p)[np.ix_(st.rows, st.cols)])


def test_window_step_position_errors():
    with pytest.raises(ValueError, match=r"position must be 0 … 8 for a 3×3 output, got 9"):
        A.window_step(A.STEP_INPUT, A.STEP_KERNEL, 9)
    with pytest.raises(ValueError, match="position must be inside"):
        A.window_step(A.STEP_INPUT, A.STEP_KERNEL, (0, 3))
    assert A.window_step(A.STEP_INPUT, A.STEP_KERNEL, (2, 1)).flat_index == 7


def test_render_stepper_clamps_and_explains():
    png, caption = A.render_stepper(100, *A.PRESETS["strided"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    last = A.window_step(A.STEP_INPUT, A.STEP_KERNEL, 8, *A.PRESETS["strided"])
    assert "position 9 of 9" in caption.markup and f"<b>{last.value:.0f}</b>" in caption.markup
    png8, caption8 = A.render_stepper(8, *A.PRESETS["strided"])
    assert (png, caption.markup) == (png8, caption8.markup)
    with pytest.raises(ValueError, match="kernel_size"):  # dilation 3 spans 7 > 5 without padding
        A.render_stepper(0, 1, 0, 3)


def test_stepper_static_page_is_small_and_complete():
    stepper = A.sliding_window_explorer()
    total = 0
    for preset, spd in A.PRESETS.items():
        static = stepper._static_preset(preset)
        n = A.window_step(A.STEP_INPUT, A.STEP_KERNEL, 0, *spd).n_positions
        # the position slider of each preset ends at its last window: no position that shows nothing new
        assert static.controls["position"].values == list(range(n))
        unique = {r.key(): r for r in (static.render_state(_compact=True, **st) for st in static.static_grid())}
        assert len(unique) == n
        total += sum(r.nbytes for r in unique.values())
    assert total < 2 * MAX_STATIC_BYTES
    box = stepper.build("static")
    assert set(box._explorer_controls) == {"preset", "position"}
    sliders = box._explorer_controls["position"]
    assert [len(w.options) for w in sliders] == [
        A.window_step(A.STEP_INPUT, A.STEP_KERNEL, 0, *v).n_positions for v in A.PRESETS.values()]


def test_stepper_live_presets_drive_the_sliders():
    box = A.sliding_window_explorer().build("live")
    ctrl = box._explorer_controls
    ctrl["preset"].value = "dilated"
    assert (ctrl["stride"].value, ctrl["padding"].value, ctrl["dilation"].value) == A.PRESETS["dilated"]
    ctrl["stride"].value = 2
    assert ctrl["preset"].value == "custom"
    ctrl["preset"].value = "same"
    assert (ctrl["stride"].value, ctrl["padding"].value, ctrl["dilation"].value) == A.PRESETS["same"]
    # a custom setting that cannot work shows a message, not a traceback
    r = A.sliding_window_explorer().render_state(preset="custom", stride=1, padding=0, dilation=3, position=0)
    assert "kernel_size" in r.message


def test_render_flip():
    _, cap = A.render_flip("gaussian (symmetric)", "letter F")
    assert "identical" in cap.markup
    _, cap = A.render_flip("corner (shift)", "impulse")
    assert "differ by up to <b>1</b>" in cap.markup
    x = A._impulse()[None, None]
    k = A.FLIP_KERNELS["ramp 1…9"]
    conv = A.convolve2d(x, k[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(conv[2:5, 2:5], k)  # the impulse response of a convolution is the kernel
    corr = F.conv2d(x, k[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(corr[2:5, 2:5], k[::-1, ::-1])  # correlation draws it flipped
    with pytest.raises(ValueError, match="kernel must be one of"):
        A.render_flip("nope", "impulse")


def test_flip_explorer_static():
    box = A.flip_explorer().build("static")
    assert set(box._explorer_controls) == {"kernel", "image"}
