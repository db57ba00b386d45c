"""Tests of the chapter 1–2 computations and explorers (cnnlib.explorers.core_concepts)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlib import functional as F
from cnnlib import losses, models
from cnnlib.explorers import core_concepts as cc
from cnnlib.gradcheck import numerical_gradient, relative_error
from cnnlib.widgets import MAX_STATIC_BYTES, MAX_STATIC_STATES

# --------------------------------------------------------------------------- kernels and channels


def test_parse_kernel():
    k = cc.parse_kernel(range(9))
    assert k.shape == (3, 3) and k[2, 0] == 6
    with pytest.raises(ValueError, match="needs 9 values"):
        cc.parse_kernel([1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        cc.parse_kernel([0] * 8 + [np.nan])
    with pytest.raises(ValueError, match="numbers"):
        cc.parse_kernel(["a"] * 9)


def test_closest_preset():
    name, cos = cc.closest_preset(-2 * cc.data.KERNELS["sobel x"])
    assert name == "sobel x" and cos == pytest.approx(-1.0)
    name, cos = cc.closest_preset(cc.data.KERNELS["sobel y"] + 0.01 * np.eye(3))
    assert name == "sobel y" and 0.99 < cos < 1
    with pytest.raises(ValueError, match="all zeros"):
        cc.closest_preset(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="preset"):
        cc.closest_preset(np.ones((5, 5)))


def test_render_kernel_output_matches_conv2d():
    fig, caption = cc.render_kernel("checkerboard", np.eye(3))
    out = [im.get_array() for im in fig.axes[2].get_images()][0]
    x = cc._input("checkerboard")
    expected = F.conv2d(x[None, None], np.eye(3)[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(out, expected)
    assert "kernel sum 3" in caption


def test_rgb_parts_sum_to_the_multichannel_convolution(rng):
    x = rng.random((3, 9, 7))
    k = rng.normal(size=(3, 3, 3))
    parts, y = cc.rgb_convolution_parts(x, k, bias=0.25)
    assert parts.shape == (3, 9, 7)
    full = F.conv2d(x[None], k[None], np.array([0.25]), padding=1)[0, 0]
    np.testing.assert_allclose(y, full, atol=1e-12)
    # each part is the convolution of one channel with its own slice only
    np.testing.assert_allclose(parts[1], F.conv2d(x[None, 1:2], k[None, 1:2], padding=1)[0, 0])


def test_rgb_parts_errors():
    with pytest.raises(ValueError, match="one slice per input channel"):
        cc.rgb_convolution_parts(np.ones((3, 5, 5)), np.ones((2, 3, 3)))
    with pytest.raises(ValueError, match="kernel must be one of"):
        cc.render_rgb("nope")


# --------------------------------------------------------------------------- pooling


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 4), seed=st.integers(0, 99))
def test_max_pool_sources_point_at_the_pooled_values(h, w, k, s, seed):
    if k > min(h, w):
        with pytest.raises(ValueError):
            cc.pool_windows((h, w), k, s)
        return
    x = np.random.default_rng(seed).integers(0, 4, size=(h, w)).astype(float)  # many ties
    src = cc.max_pool_sources(x, k, s)
    y = F.max_pool2d(x[None, None], k, s)[0, 0]
    np.testing.assert_array_equal(x[src[..., 0], src[..., 1]], y)
    # each source lies inside its window
    corners = cc.pool_windows(x.shape, k, s)
    assert np.all((src >= corners) & (src < corners + k))
    # the gradient of max pooling goes exactly to the sources (counted with multiplicity)
    dx = F.max_pool2d_backward(np.ones_like(y)[None, None], x[None, None], k, s)[0, 0]
    counts = np.zeros_like(x)
    np.add.at(counts, (src[..., 0].ravel(), src[..., 1].ravel()), 1)
    np.testing.assert_array_equal(dx, counts)


def test_uncovered_cells_against_brute_force():
    un = cc.uncovered_cells((7, 7), 2, 2)
    assert un.sum() == 13 and un[6].all() and un[:, 6].all()
    assert not cc.uncovered_cells((7, 7), 3, 2).any()
    un = cc.uncovered_cells((8, 8), 2, 3)  # windows at 0, 3, 6: a stride larger than the window skips cells
    covered_rows = {0, 1, 3, 4, 6, 7}
    expected = np.array([[not (r in covered_rows and c in covered_rows) for c in range(8)] for r in range(8)])
    np.testing.assert_array_equal(un, expected)


def test_pooling_render_and_errors():
    fig, caption = cc.render_pooling("numbers 7×7", "max", 2, 2)
    assert "13 input cell(s) never looked at" in caption and "3×3" in caption
    fig, caption = cc.render_pooling("digit 8×8", "avg", 3, 1)
    out = fig.axes[1].get_images()[0].get_array()
    np.testing.assert_allclose(out, F.avg_pool2d(cc._pool_input("digit 8×8")[None, None], 3, 1)[0, 0])
    with pytest.raises(ValueError, match="mode"):
        cc.render_pooling("numbers 7×7", "min", 2, 2)
    with pytest.raises(ValueError, match="input"):
        cc.render_pooling("photo", "max", 2, 2)


# --------------------------------------------------------------------------- activations and losses


@pytest.mark.parametrize("name", cc.ACTIVATIONS)
def test_activation_derivative_matches_finite_differences(name):
    x = np.array([-3.0, -1.2, -0.3, 0.4, 1.1, 2.5])
    y, dy = cc.activation(name, x)
    num = np.array([numerical_gradient(lambda v: float(cc.activation(name, v)[0].sum()), np.array([xi]))[0]
                    for xi in x])
    np.testing.assert_allclose(dy, num, atol=1e-6)
    assert y.shape == dy.shape == x.shape


def test_activation_values_and_errors():
    y, dy = cc.activation("leaky relu", np.array([-2.0, 0.0, 3.0]), negative_slope=0.1)
    np.testing.assert_allclose(y, [-0.2, 0.0, 3.0])
    np.testing.assert_allclose(dy, [0.1, 0.1, 1.0])
    with pytest.raises(ValueError, match="activation must be one of"):
        cc.activation("softplus", np.zeros(2))


@pytest.mark.parametrize("p", [0.02, 0.3, 0.5, 0.93])
def test_binary_losses_agree_with_cnnlib_losses_and_finite_differences(p):
    b = cc.binary_losses(p)
    z = np.log(p / (1 - p))
    ce = losses.CrossEntropyLoss()
    assert ce(np.array([[0.0, z]]), np.array([1])) == pytest.approx(float(b["ce"]), rel=1e-12)
    assert ce.backward()[0, 1] == pytest.approx(float(b["dce_dz"]), rel=1e-9)
    mse = losses.MSELoss()
    assert mse(np.array([[1 - p, p]]), np.array([[0.0, 1.0]])) == pytest.approx(float(b["mse"]), rel=1e-12)

    def mse_of_logit(zv):
        q = F.softmax(np.array([0.0, float(zv[0])]))
        return losses.MSELoss()(q[None], np.array([[0.0, 1.0]]))

    assert numerical_gradient(mse_of_logit, np.array([z]))[0] == pytest.approx(float(b["dmse_dz"]), abs=1e-7)


def test_confidently_wrong_mse_barely_learns():
    b = cc.binary_losses(0.01)
    assert abs(b["dce_dz"]) > 0.98 and abs(b["dmse_dz"]) < 0.02
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        cc.binary_losses([0.5, 1.0])


# --------------------------------------------------------------------------- gradient descent, chain rule


@pytest.mark.parametrize("name", list(cc.SURFACES))
def test_surface_gradients(name):
    s = cc.SURFACES[name]
    for w in ([0.3, -1.1], [1.7, 0.4]):
        num = numerical_gradient(lambda v: s.f(v[0], v[1]), np.array(w))
        assert relative_error(s.grad(np.array(w)), num) < 1e-7


@pytest.mark.parametrize("lr", [0.05, 0.3, 0.9, 1.05])
def test_gradient_descent_on_a_quadratic_follows_the_closed_form(lr):
    s = cc.SURFACES["round bowl"]  # ½(2x² + 2y²): each step multiplies w by (1 − 2η)
    path = cc.gradient_descent(s.grad, s.start, lr, 12)
    expected = np.array(s.start)[None] * (1 - 2 * lr) ** np.arange(13)[:, None]
    np.testing.assert_allclose(path, expected, rtol=1e-12)
    final = np.abs(path[-1]).max()
    assert (final > 2.5) == (lr > 1.0)  # diverges exactly when η > 2 / max curvature


def test_gradient_descent_stops_when_it_blows_up_and_checks_arguments():
    s = cc.SURFACES["narrow valley"]
    path = cc.gradient_descent(s.grad, s.start, 1.05, 500)
    assert len(path) < 501 and np.abs(path[-1]).max() > 1e6
    assert len(cc.gradient_descent(s.grad, s.start, 0.1, 0)) == 1
    with pytest.raises(ValueError, match="lr"):
        cc.gradient_descent(s.grad, s.start, 0.0, 5)
    _, caption = cc.render_gradient_descent("narrow valley", 0.45, 20)
    assert "DIVERGED" in caption
    _, caption = cc.render_gradient_descent("narrow valley", 0.3, 20)
    assert "DIVERGED" not in caption


def test_tiny_network_chain_rule_matches_finite_differences():
    args = dict(x=1.5, w1=0.8, b1=-0.5, w2=2.0, b2=0.1, target=1.0)
    out = cc.tiny_network(**args)
    assert out["h"] == pytest.approx(1 / (1 + np.exp(-(0.8 * 1.5 - 0.5))))
    for name in ("x", "w1", "b1", "w2", "b2"):
        def loss_of(v, name=name):
            return cc.tiny_network(**{**args, name: float(v[0])})["loss"]

        num = numerical_gradient(loss_of, np.array([args[name]]))[0]
        assert out[f"dL_d{name}"] == pytest.approx(num, rel=1e-6), name


# --------------------------------------------------------------------------- dense head and explorers


@pytest.fixture(scope="module")
def untrained():
    return models.digits_cnn(0)


def test_dense_head_matches_the_model(untrained):
    xs, ys = cc.digit_examples()
    assert list(ys) == list(range(10))
    feats, logits, probs = cc.dense_head(untrained, xs)
    assert feats.shape == (10, 128)
    np.testing.assert_allclose(logits, untrained.forward(xs), rtol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)
    from cnnlib import layers as L

    with pytest.raises(ValueError, match="Flatten, Linear"):
        cc.dense_head(L.Sequential(L.Flatten()), xs)


def test_static_grids_fit_the_limits(untrained):
    explorers = [cc.kernel_explorer().static_explorer(), cc.rgb_explorer(), cc.pooling_explorer(),
                 cc.activation_explorer(), cc.loss_explorer(), cc.gradient_descent_explorer(),
                 cc.dense_explorer(untrained), cc.feature_map_explorer(untrained)]
    for e in explorers:
        assert 1 < e.n_static_states() <= MAX_STATIC_STATES
    # the heaviest state of the heaviest explorers, times the number of states, stays well under a page's budget
    for e, state in ((cc.gradient_descent_explorer(), dict(surface="two minima", lr=0.05, steps=20)),
                     (cc.rgb_explorer(), {})):
        r = e.render_state(_compact=True, **state)  # what a static page stores
        assert r.png is not None and not r.message
        assert r.nbytes * e.n_static_states() < MAX_STATIC_BYTES / 2


def test_loss_explorer_static_builds_and_caption_numbers():
    w = cc.loss_explorer().build("static")
    assert "cnn-explorer" in w._dom_classes
    r = cc.loss_explorer().render_state(p=0.1)
    assert "cross-entropy 2.303" in r.caption and "squared error 0.810" in r.caption


def test_kernel_editor_live_edits_and_presets():
    ed = cc.kernel_explorer()
    box = ed.build("live")
    ctrl = box._explorer_controls
    output = next(c for c in box.children if "explorer-output" in c._dom_classes)
    picture = output.children[0]
    np.testing.assert_allclose([b.value for b in ctrl["kernel"]], cc.data.KERNELS["sobel x"].ravel())
    before = picture.value
    ctrl["kernel"][4].value = 5.0  # edit the centre weight
    assert picture.value != before
    ctrl["preset"].value = "identity"
    assert [b.value for b in ctrl["kernel"]] == [0, 0, 0, 0, 1, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="mode"):
        ed.build("both")
    # the static page offers presets only, and says so; its one-option input is text, not a control
    static = ed.build("static")
    assert "presets" in static.children[0].value.lower()
    assert "explorer-fixed" in static._explorer_controls["image"]._dom_classes
    with pytest.raises(ValueError, match="static_presets"):
        cc.KernelEditor(static_presets=["nope"])


def test_feature_map_explorer_reports_silent_filters(untrained):
    r = cc.feature_map_explorer(untrained).render_state(digit=0)
    xs, _ = cc.digit_examples()
    maps = F.relu(untrained.layers[0].forward(xs[:1]))
    silent = int(np.sum(maps[0].max(axis=(1, 2)) == 0))
    assert f"{silent} of them are all zero" in r.caption


def test_gradient_descent_surfaces_made_at_the_first_view_draw_as_if_made_when_shown():
    # live, every surface's figure is made and drawn at the first view (so switching is not a wait);
    # a surface shown later must look exactly as it would had it been made then
    e = cc.gradient_descent_explorer()
    bad = e.render_state(surface="round bowl", lr=-1.0, steps=20)  # a first view that is a message
    assert bad.png is None and "lr must be a positive number" in bad.message
    e.render_state(surface="round bowl", lr=0.3, steps=20)
    for surface, lr, steps in (("two minima", 0.3, 20), ("narrow valley", 0.45, 10)):
        fresh = cc.gradient_descent_explorer().render_state(surface=surface, lr=lr, steps=steps)
        assert e.render_state(surface=surface, lr=lr, steps=steps).png == fresh.png
