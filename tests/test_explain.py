"""cnnlib.explain: attributions against finite differences and hand-computed cases, the metrics, and
the promise that the model and x are left untouched."""

import numpy as np
import pytest

from cnnlib import explain as E
from cnnlib import layers as L
from cnnlib.gradcheck import numerical_gradient, relative_error
from cnnlib.models import digits_cnn


def tiny(act=L.ReLU, seed=0):
    """(N, 2, 8, 8) -> 3 logits, float64 so finite differences are exact enough."""
    rng = np.random.default_rng(seed)
    kw = dict(rng=rng, dtype=np.float64)
    return L.Sequential(
        L.Conv2d(2, 4, 3, padding=1, **kw), act(), L.MaxPool2d(2),
        L.Conv2d(4, 5, 3, padding=1, **kw), act(), L.Flatten(), L.Linear(5 * 4 * 4, 3, **kw),
    )


@pytest.fixture
def model():
    return tiny()


@pytest.fixture
def x(rng):
    return rng.standard_normal((3, 2, 8, 8))


def logit(model, x, i, c):
    return float(model.forward(x[None])[0, c]) if x.ndim == 3 else float(model.forward(x)[i, c])


# ----------------------------------------------------------------------------- gradients


def test_saliency_matches_finite_differences(model, x):
    target = np.array([0, 2, 1])
    g = E.saliency(model, x, target)
    assert g.shape == x.shape
    for i in range(len(x)):
        num = numerical_gradient(lambda xi, i=i: model.forward(xi[None])[0, target[i]], x[i])
        assert relative_error(g[i], num) < 1e-6


def test_integrated_gradients_completeness():
    m = tiny(act=L.Tanh, seed=3)
    xx = np.random.default_rng(5).standard_normal((4, 2, 8, 8))
    base = np.full_like(xx, 0.3)
    for baseline in (None, base):
        b = np.zeros_like(xx) if baseline is None else base
        attr = E.integrated_gradients(m, xx, 1, baseline=baseline, steps=64)
        diff = m.forward(xx)[:, 1] - m.forward(b)[:, 1]
        np.testing.assert_allclose(attr.sum(axis=(1, 2, 3)), diff, rtol=0.01)


def test_integrated_gradients_completeness_with_relu(model, x):
    attr = E.integrated_gradients(model, x, 0, steps=400)
    diff = model.forward(x)[:, 0] - model.forward(np.zeros_like(x))[:, 0]
    assert np.abs(attr.sum(axis=(1, 2, 3)) - diff).max() < 0.01 * np.abs(diff).max()
    # with a single step it is gradient × input at the midpoint: completeness fails visibly
    one = E.integrated_gradients(model, x, 0, steps=1)
    assert np.abs(one.sum(axis=(1, 2, 3)) - diff).max() > 0.01 * np.abs(diff).max()


def test_smoothgrad_is_deterministic_and_averages_gradients(model, x):
    a = E.smoothgrad(model, x, 1, n_samples=6, rng=7)
    b = E.smoothgrad(model, x, 1, n_samples=6, rng=7)
    c = E.smoothgrad(model, x, 1, n_samples=6, rng=8)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(E.smoothgrad(model, x, 1, n_samples=3), E.smoothgrad(model, x, 1, n_samples=3))
    # without noise it is the plain gradient
    np.testing.assert_allclose(E.smoothgrad(model, x, 1, n_samples=2, noise=0.0), E.saliency(model, x, 1))


def test_guided_backprop_against_hand_computation(rng):
    # one hidden ReLU layer: guided = W1ᵀ · (mask(h > 0) · max(w2, 0))
    lin1 = L.Linear(6, 5, rng=1, dtype=np.float64)
    lin2 = L.Linear(5, 2, rng=2, dtype=np.float64)
    m = L.Sequential(L.Flatten(), lin1, L.ReLU(), lin2)
    xx = rng.standard_normal((4, 1, 2, 3))
    h = xx.reshape(4, 6) @ lin1.weight.data.T + lin1.bias.data
    expected = ((h > 0) * np.maximum(lin2.weight.data[1], 0)) @ lin1.weight.data
    np.testing.assert_allclose(E.guided_backprop(m, xx, 1).reshape(4, 6), expected, atol=1e-12)
    plain = ((h > 0) * lin2.weight.data[1]) @ lin1.weight.data
    np.testing.assert_allclose(E.saliency(m, xx, 1).reshape(4, 6), plain, atol=1e-12)
    # nothing left behind: the ReLU's backward is the class's again
    assert "backward" not in m.layers[2].__dict__
    assert L.ReLU.backward is not None and type(m.layers[2]).backward is L.ReLU.backward


# ----------------------------------------------------------------------------- Grad-CAM and upsampling


def test_upsample_bilinear_hand_case_and_identity(rng):
    a = np.array([[[0.0, 1.0]]])
    np.testing.assert_allclose(E.upsample_bilinear(a, (1, 4)), [[[0, 0.25, 0.75, 1.0]]])
    m = rng.random((2, 5, 3))
    np.testing.assert_allclose(E.upsample_bilinear(m, (5, 3)), m)
    np.testing.assert_allclose(E.upsample_bilinear(np.full((1, 3, 3), 2.5), (7, 9)), np.full((1, 7, 9), 2.5))
    with pytest.raises(ValueError, match="maps must be 3-D"):
        E.upsample_bilinear(m[0], (4, 4))


def test_upsample_bilinear_matches_torch(torch, rng):
    m = rng.random((2, 4, 5))
    ours = E.upsample_bilinear(m, (9, 13))
    ref = torch.nn.functional.interpolate(torch.tensor(m)[:, None], size=(9, 13), mode="bilinear",
                                          align_corners=False)[:, 0].numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_grad_cam_against_hand_computation(rng):
    # A = 1×1 convolution (two channels), logits = W·flatten(A): dA is W reshaped, α_k its mean
    conv = L.Conv2d(1, 2, 1, rng=0, dtype=np.float64)
    conv.weight.data[:] = np.array([1.0, -2.0]).reshape(2, 1, 1, 1)
    conv.bias.data[:] = [0.5, 0.1]
    lin = L.Linear(2 * 3 * 3, 2, rng=1, dtype=np.float64)
    m = L.Sequential(conv, L.Flatten(), lin)
    xx = rng.standard_normal((2, 1, 3, 3))
    a = np.concatenate([xx + 0.5, -2 * xx + 0.1], axis=1)  # (2, 2, 3, 3)
    alpha = lin.weight.data[1].reshape(2, 3, 3).mean(axis=(1, 2))
    expected = np.maximum(np.einsum("k,nkij->nij", alpha, a), 0)
    np.testing.assert_allclose(E.grad_cam(m, xx, 1, 0), expected, atol=1e-12)
    np.testing.assert_allclose(E.grad_cam(m, xx, 1, conv), expected, atol=1e-12)


def test_grad_cam_upsamples_to_input(model, x):
    cam = E.grad_cam(model, x, 2, 4)  # 4×4 layer -> 8×8 input
    assert cam.shape == (3, 8, 8) and cam.min() >= 0
    small = E.grad_cam(model, x, 2, 1)  # 8×8 layer: no resize
    assert small.shape == (3, 8, 8)
    with pytest.raises(ValueError, match="spatial output"):
        E.grad_cam(model, x, 0, 6)
    with pytest.raises(ValueError, match="layer index"):
        E.grad_cam(model, x, 0, 99)


def test_upsample_to_input_agrees_with_stretching_for_same_padding(model, rng):
    """'Same' padding and 2×2 pools: receptive-field centres sit where a stretched resize puts them."""
    m = rng.random((2, 4, 4))
    np.testing.assert_array_equal(E.upsample_to_input(model, 4, m, (8, 8)), E.upsample_bilinear(m, (8, 8)))
    full = rng.random((2, 8, 8))
    np.testing.assert_array_equal(E.upsample_to_input(model, 1, full, (8, 8)), full)  # 8×8 layer: unchanged


def test_upsample_to_input_puts_a_unit_at_its_receptive_field_centre():
    """Unpadded 3×3 then 3×3 on 10×10: the 6×6 map's unit (i, j) looks at input pixel (i + 2, j + 2)."""
    net = L.Sequential(L.Conv2d(1, 1, 3, rng=0), L.ReLU(), L.Conv2d(1, 1, 3, rng=0))
    one = np.zeros((1, 6, 6))
    one[0, 1, 3] = 1.0
    placed = E.upsample_to_input(net, 2, one, (10, 10))
    assert np.unravel_index(placed[0].argmax(), (10, 10)) == (3, 5)
    np.testing.assert_array_equal(placed[0, 2:8, 2:8], one[0])  # jump 1: each pixel on one unit
    stretched = E.upsample_bilinear(one, (10, 10))
    assert np.unravel_index(stretched[0].argmax(), (10, 10)) != (3, 5)  # the usual resize is off
    edge = np.zeros((1, 6, 6))
    edge[0, 0, 0] = 1.0  # the corner unit's value is held up to the corner of the image
    np.testing.assert_array_equal(E.upsample_to_input(net, 2, edge, (10, 10))[0, :3, :3], 1.0)
    with pytest.raises(ValueError, match="maps must be 3-D"):
        E.upsample_to_input(net, 2, one[0], (10, 10))
    with pytest.raises(ValueError, match=r"size must be \(H, W\)"):
        E.upsample_to_input(net, 2, one, (10,))


def test_grad_cam_placements(rng):
    net = L.Sequential(L.Conv2d(2, 3, 3, rng=0, dtype=np.float64), L.ReLU(), L.Flatten(),
                       L.Linear(3 * 6 * 6, 2, rng=1, dtype=np.float64))
    xx = rng.standard_normal((2, 2, 8, 8))
    raw = E.grad_cam(net, xx, 1, 1, placement=None)
    assert raw.shape == (2, 6, 6)
    np.testing.assert_array_equal(E.grad_cam(net, xx, 1, 1, placement="stretch"), E.upsample_bilinear(raw, (8, 8)))
    placed = E.grad_cam(net, xx, 1, 1)
    np.testing.assert_array_equal(placed, E.upsample_to_input(net, 1, raw, (8, 8)))
    np.testing.assert_array_equal(placed[:, 1:7, 1:7], raw)  # unit (i, j) sits on pixel (i + 1, j + 1)
    with pytest.raises(ValueError, match="placement must be one of"):
        E.grad_cam(net, xx, 1, 1, placement="nearest")


# ----------------------------------------------------------------------------- occlusion and maps


def one_pixel_model():
    """The logit of class 1 is 5 × pixel (2, 5) of channel 0; class 0's is 0."""
    lin = L.Linear(64, 2, rng=0, dtype=np.float64)
    lin.weight.data[:] = 0
    lin.bias.data[:] = 0
    lin.weight.data[1, 2 * 8 + 5] = 5.0
    return L.Sequential(L.Flatten(), lin)


def test_big_batches_are_explained_in_passes_with_the_same_results(rng, monkeypatch):
    """Methods push big batches through the network a few images at a time (memory, not meaning): a batch
    explained in passes of 4 gives what one image at a time gives."""
    monkeypatch.setattr(E, "_per_pass", lambda x: 4)
    model = tiny()
    x = rng.standard_normal((10, 2, 8, 8))
    t = rng.integers(0, 3, size=10)
    one_by_one = np.concatenate([E.saliency(model, x[i : i + 1], t[i : i + 1]) for i in range(10)])
    np.testing.assert_allclose(E.saliency(model, x, t), one_by_one, rtol=1e-10, atol=1e-12)
    one_by_one = np.concatenate([E.occlusion(model, x[i : i + 1], t[i : i + 1], patch_size=3, stride=2)
                                 for i in range(10)])
    np.testing.assert_allclose(E.occlusion(model, x, t, patch_size=3, stride=2), one_by_one, rtol=1e-10, atol=1e-12)


def test_occlusion_finds_the_only_pixel_that_matters():
    m = one_pixel_model()
    xx = np.ones((1, 1, 8, 8))
    occ = E.occlusion(m, xx, 1, patch_size=2, stride=2)
    assert occ.shape == (1, 8, 8)
    hot = np.zeros((8, 8), bool)
    hot[2:4, 4:6] = True
    assert np.all(occ[0][hot] > 0.4) and np.all(occ[0][~hot] == 0)
    # the drop is p(x) − p(occluded) = sigmoid(5) − 1/2
    np.testing.assert_allclose(occ[0, 2, 5], 1 / (1 + np.exp(-5)) - 0.5)
    with pytest.raises(ValueError, match="patch_size"):
        E.occlusion(m, xx, 1, patch_size=9)


def test_maps_have_input_resolution(model, x):
    for name in E.METHODS:
        kw = {"layer": 4} if name == "grad-cam" else {}
        if name in ("smoothgrad",):
            kw["n_samples"] = 2
        if name == "integrated gradients":
            kw["steps"] = 3
        assert E.explain(model, x, 1, name, **kw).shape == (3, 8, 8)
    assert E.activation_map(model, x, 4).shape == (3, 8, 8)
    assert E.edge_map(x).shape == (3, 8, 8)
    with pytest.raises(ValueError, match="method must be one of"):
        E.explain(model, x, 1, "magic")


def test_edge_map_sees_a_step():
    xx = np.zeros((1, 3, 8, 8))
    xx[:, :, :, 4:] = 1
    e = E.edge_map(xx)[0]
    assert e[3, 3:5].min() > 0 and e[3, 0:2].max() == 0 and e[3, 6:].max() == 0


# ----------------------------------------------------------------------------- the model and x untouched


def test_nothing_is_modified(model, x):
    model.train()
    for p in model.parameters():
        p.grad[...] = 0.25
    model.forward(x[:1])  # caches of a previous pass
    weights = [p.data.copy() for p in model.parameters()]
    cache = model.layers[1]._x
    x0 = x.copy()
    calls = [
        lambda: E.saliency(model, x, 0), lambda: E.smoothgrad(model, x, 0, n_samples=2),
        lambda: E.integrated_gradients(model, x, 0, steps=2), lambda: E.guided_backprop(model, x, 0),
        lambda: E.grad_cam(model, x, 0, 4), lambda: E.occlusion(model, x, 0, patch_size=4, stride=4),
        lambda: E.feature_maps(model, x, 3), lambda: E.class_model(model, 0, (2, 8, 8), steps=3),
        lambda: E.top_patches(model, x, 4, 0, k=2), lambda: E.deletion_curve(model, x, 0, x[:, 0], steps=2),
        lambda: E.randomisation_check(model, x, 0, "saliency"), lambda: E.activation_map(model, x, 4),
    ]
    for call in calls:
        call()
        np.testing.assert_array_equal(x, x0)
        assert model.training and all(layer.training for layer in model.layers)
        for p, w in zip(model.parameters(), weights, strict=True):
            np.testing.assert_array_equal(p.data, w)
            assert np.all(p.grad == 0.25)
        assert model.layers[1]._x is cache
    model.eval()
    E.saliency(model, x, 0)
    assert not model.training


def test_errors_name_the_parameter(model, x):
    with pytest.raises(ValueError, match="target must be an int or have shape"):
        E.saliency(model, x, np.array([0, 1]))
    with pytest.raises(ValueError, match="target must be in"):
        E.saliency(model, x, 3)
    with pytest.raises(ValueError, match="x must be 4-D"):
        E.saliency(model, x[0], 0)
    with pytest.raises(ValueError, match="has no weights"):
        E.filters(model.layers[1])
    with pytest.raises(ValueError, match="not one of the model's"):
        E.feature_maps(model, x, L.ReLU())


# ----------------------------------------------------------------------------- looking inside


def test_feature_maps_filters_and_receptive_field(model, x):
    fm = E.feature_maps(model, x, 2)
    manual = model.layers[2].forward(model.layers[1].forward(model.layers[0].forward(x)))
    np.testing.assert_array_equal(fm, manual)
    w = E.filters(model.layers[0])
    assert w.shape == (4, 2, 3, 3)
    w[...] = 0
    assert np.any(model.layers[0].weight.data != 0)  # a copy
    assert E.receptive_field(model, 0) == (3, 1, 0.0)
    assert E.receptive_field(model, 2) == (4, 2, 0.5)
    assert E.receptive_field(model, 4) == (8, 2, 0.5)
    assert E.receptive_field(digits_cnn(), 5) == (10, 4, 1.5)


def test_top_patches_finds_the_brightest_spot():
    # a 3×3 box-sum unit: the strongest unit sits on the brightest 3×3 block
    conv = L.Conv2d(1, 1, 3, padding=1, rng=0, dtype=np.float64)
    conv.weight.data[:] = 1.0
    conv.bias.data[:] = 0
    m = L.Sequential(conv, L.ReLU(), L.Flatten(), L.Linear(36, 2, rng=0, dtype=np.float64))
    xx = np.zeros((4, 1, 6, 6))
    for i in range(4):
        xx[i, 0, 1:4, 2:5] = i + 1  # image 3 is the brightest
    patches, info = E.top_patches(m, xx, 1, 0, k=2, return_info=True)
    assert patches.shape == (2, 1, 3, 3)
    assert list(info["index"]) == [3, 2]
    assert tuple(info["position"][0]) == (2, 3)
    np.testing.assert_array_equal(patches[0, 0], np.full((3, 3), 4.0))
    assert E.top_patches(m, xx, 1, 0, k=9).shape == (4, 1, 3, 3)  # k is capped at N
    with pytest.raises(ValueError, match="channel must be"):
        E.top_patches(m, xx, 1, 5)


def test_class_model_raises_the_target_logit(model):
    img = E.class_model(model, 2, (2, 8, 8), steps=30, lr=0.1)
    assert img.shape == (2, 8, 8)
    start = E.class_model(model, 2, (2, 8, 8), steps=0)
    assert model.forward(img[None])[0, 2] > model.forward(start[None])[0, 2] + 0.5
    np.testing.assert_array_equal(img, E.class_model(model, 2, (1, 2, 8, 8), steps=30, lr=0.1)[0])
    with pytest.raises(ValueError, match="shape must be"):
        E.class_model(model, 2, (8, 8))


# ----------------------------------------------------------------------------- metrics


def test_pointing_game_hand_cases():
    masks = np.zeros((3, 6, 6), bool)
    masks[:, 2:4, 2:4] = True
    maps = np.zeros((3, 6, 6))
    maps[0, 3, 3] = 1  # on the object
    maps[1, 5, 3] = 1  # 2 px below it
    maps[2, 0, 0] = 1  # far away (distance √8)
    assert E.pointing_game(maps, masks) == pytest.approx(1 / 3)
    assert E.pointing_game(maps, masks, tolerance=2) == pytest.approx(2 / 3)
    assert E.pointing_game(maps, masks, tolerance=3) == pytest.approx(1.0)
    assert E.pointing_hits(maps, masks, tolerance=2).tolist() == [True, True, False]
    empty = masks.copy()
    empty[0] = False  # no object: never a hit
    assert E.pointing_hits(maps, empty).tolist() == [False, False, False]
    with pytest.raises(ValueError, match="same shape"):
        E.pointing_game(maps, masks[:2])
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        E.pointing_hits(maps, masks, tolerance=-1)


def test_deletion_curve_falls_for_the_right_map():
    m = one_pixel_model()
    xx = np.ones((2, 1, 8, 8))
    right = np.zeros((2, 8, 8))
    right[:, 2, 5] = 1
    wrong = -right
    good = E.deletion_curve(m, xx, 1, right, steps=4, fill=0.0)
    bad = E.deletion_curve(m, xx, 1, wrong, steps=4, fill=0.0)
    assert good.shape == (5,) and good[0] == 1.0 and good[1] == 0.0
    assert list(bad[:-1]) == [1.0] * 4 and bad[-1] == 0.0
    with pytest.raises(ValueError, match="fill must be"):
        E.deletion_curve(m, xx, 1, right, fill="mean")


def test_spearman_matches_scipy_with_ties(rng):
    stats = pytest.importorskip("scipy.stats")
    for _ in range(5):
        a, b = rng.integers(0, 6, 40), rng.normal(size=40)
        assert E.spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert E.spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert E.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert E.spearman([1, 1, 1], [1, 2, 3]) == 0.0


def test_randomisation_check_catches_a_model_blind_method(model, x):
    res = E.randomisation_check(model, x, 0, "saliency")
    assert res["layers"] == ["6 Linear", "3 Conv2d", "0 Conv2d"]
    assert res["per_image"].shape == (3, 3)
    assert res["correlation"][-1] < 0.9
    blind = E.randomisation_check(model, x, 0, lambda m, xx, t: E.edge_map(xx))
    np.testing.assert_allclose(blind["correlation"], 1.0)
    cam = E.randomisation_check(model, x, 0, "grad-cam", layer=model.layers[4])  # object translated
    assert len(cam["correlation"]) == 3


def test_randomised_copy_leaves_the_model_alone(model):
    before = [p.data.copy() for p in model.parameters()]
    top = E.randomised_copy(model, rng=0, n_layers=1)
    everything = E.randomised_copy(model, rng=0)
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    assert not np.array_equal(top.layers[6].weight.data, model.layers[6].weight.data)
    np.testing.assert_array_equal(top.layers[0].weight.data, model.layers[0].weight.data)
    assert not np.array_equal(everything.layers[0].weight.data, model.layers[0].weight.data)


# ----------------------------------------------------------------------------- the explorer


@pytest.fixture
def explorer(monkeypatch):
    """The explain explorer with an untrained network (training the real one takes too long for a test)."""
    from cnnlib.explorers import explain as ex
    from cnnlib.models import shapes_cnn

    untrained = shapes_cnn(rng=0)
    ex.clear_caches()
    monkeypatch.setattr(ex, "explorer_model", lambda network="shapes": untrained)
    yield ex
    ex.clear_caches()


def test_explorer_renders_every_method(explorer):
    e = explorer.explain_explorer()
    assert e.n_static_states() <= 64
    for method in explorer.method_options():
        r = e.render_state(method=explorer.method_options()[method], image="cross", target="circle")
        assert r.message == "" and r.png is not None and r.nbytes > 1000
    png, caption = explorer.render_explanation("triangle", "grad-cam 3", "true class")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and "explained: <b>triangle</b>, the true class" in caption.markup
    with pytest.raises(ValueError, match="method must be one of"):
        explorer.render_explanation("triangle", "lime", "true class")
    with pytest.raises(ValueError, match="target must be one of"):
        explorer.render_explanation("triangle", "saliency", "hexagon")


def test_overlay_and_table_helpers():
    from cnnlib.explorers import explain as ex

    rgba = ex.overlay(np.array([[0.0, 1.0], [2.0, 4.0]]))
    assert rgba.shape == (2, 2, 4) and rgba[0, 0, 3] == 0 and rgba[1, 1, 3] == pytest.approx(0.8)
    assert ex.overlay(np.zeros((2, 2)))[..., 3].max() == 0
    html = ex.html_table(["a", "b"], [["x", 0.123456]]).markup
    assert "<td>0.12</td>" in html and "<th>b</th>" in html


def test_class_model_batches_targets(model):
    both = E.class_model(model, np.array([2, 0]), (2, 8, 8), steps=10)
    assert both.shape == (2, 2, 8, 8)
    start = E.class_model(model, np.array([2, 0]), (2, 8, 8), steps=0)
    assert np.all(model.forward(both)[[0, 1], [2, 0]] > model.forward(start)[[0, 1], [2, 0]])


def test_randomisation_check_rejects_unknown_method_with_value_error(model, x):
    with pytest.raises(ValueError, match="method must be a function or one of"):
        E.randomisation_check(model, x, 0, "integrated_gradients")


# ----------------------------------------------------------------------------- receptive fields of other layers


def _support(model, x_shape, unit):
    """Input positions (along the last axis) whose gradient reaches one output unit: the true field."""
    x = np.random.default_rng(0).standard_normal(x_shape)
    y = model.forward(x)
    dy = np.zeros_like(y)
    dy[(0, 0, *unit)] = 1.0
    g = np.abs(model.backward(dy))[0].sum(axis=0)
    cols = np.flatnonzero(g.reshape(-1, g.shape[-1]).sum(axis=0) > 0)
    return cols.min(), cols.max()


def test_receptive_field_counts_average_pooling():
    kw = dict(rng=0, dtype=np.float64)
    avg = L.Sequential(L.Conv2d(1, 2, 3, **kw), L.AvgPool2d(2), L.Conv2d(2, 2, 3, **kw))
    mx = L.Sequential(L.Conv2d(1, 2, 3, **kw), L.MaxPool2d(2), L.Conv2d(2, 2, 3, **kw))
    assert E.receptive_field(avg, 2) == E.receptive_field(mx, 2) == (8, 2, 3.5)
    lo, hi = _support(avg, (1, 1, 16, 16), (1, 1))  # average pooling: every input has a path
    assert hi - lo + 1 == 8 and (lo + hi) / 2 == 3.5 + 1 * 2


def test_receptive_field_of_1d_layers():
    kw = dict(rng=0, dtype=np.float64)
    seq = L.Sequential(L.Conv1d(1, 3, 5, **kw), L.MaxPool1d(2), L.Conv1d(3, 2, 3, dilation=2, **kw))
    assert E.receptive_field(seq, 0) == (5, 1, 2.0)
    assert E.receptive_field(seq, 1) == (6, 2, 2.5)
    assert E.receptive_field(seq, 2) == (14, 2, 6.5)  # 6 + dilation 2 · (3 − 1) · jump 2
    lo, hi = _support(L.Sequential(seq.layers[0], seq.layers[2]), (1, 1, 30), (3,))
    assert hi - lo + 1 == E.receptive_field(L.Sequential(seq.layers[0], seq.layers[2]), 1)[0] == 9
    with pytest.raises(ValueError, match="axis must be None or 1"):
        E.receptive_field(seq, 2, axis=0)


def test_receptive_field_refuses_what_has_none(model):
    with pytest.raises(ValueError, match="whole input"):
        E.receptive_field(model, 6)  # the Linear layer
    mixed = L.Sequential(L.Conv2d(1, 1, 3, rng=0), L.MaxPool1d(2))
    with pytest.raises(ValueError, match="mixes 1-D and 2-D"):
        E.receptive_field(mixed, 1)
    with pytest.raises(ValueError, match="axis must be 0"):
        E.receptive_field(model, 2, axis=2)
    wide = L.Sequential(L.Conv2d(1, 1, (3, 5), rng=0))
    assert E.receptive_field(wide, 0)[0] == 3 and E.receptive_field(wide, 0, axis=1)[0] == 5


def test_top_patches_cut_from_other_images():
    conv = L.Conv2d(1, 1, 3, padding=1, rng=0, dtype=np.float64)
    conv.weight.data[:] = 1.0
    conv.bias.data[:] = 0
    m = L.Sequential(conv, L.ReLU())
    xx = np.zeros((2, 1, 6, 6))
    xx[1, 0, 1:4, 2:5] = 1
    raw = np.arange(2 * 3 * 36, dtype=float).reshape(2, 3, 6, 6)
    patches, info = E.top_patches(m, xx, 1, 0, k=1, return_info=True, images=raw)
    assert patches.shape == (1, 3, 3, 3) and info["index"][0] == 1
    np.testing.assert_array_equal(patches[0], raw[1, :, 1:4, 2:5])
    with pytest.raises(ValueError, match="images must be"):
        E.top_patches(m, xx, 1, 0, images=raw[:1])


# ----------------------------------------------------------------------------- Petsiuk's deletion and insertion


def test_probability_curves_on_the_one_pixel_model():
    m = one_pixel_model()
    xx = np.ones((2, 1, 8, 8))
    right = np.zeros((2, 8, 8))
    right[:, 2, 5] = 1
    p_on, p_off = 1 / (1 + np.exp(-5)), 0.5
    dele = E.probability_curve(m, xx, 1, right, "deletion", steps=64, fill=0.0)
    ins = E.probability_curve(m, xx, 1, right, "insertion", steps=64, fill=0.0)
    assert dele.shape == ins.shape == (65,)
    np.testing.assert_allclose(dele, np.r_[p_on, np.full(64, p_off)])   # gone after one pixel
    np.testing.assert_allclose(ins, np.r_[p_off, np.full(64, p_on)])    # back after one pixel
    wrong = E.probability_curve(m, xx, 1, -right, "deletion", steps=64, fill=0.0)
    np.testing.assert_allclose(wrong, np.r_[np.full(64, p_on), p_off])  # the pixel goes last
    assert E.auc(dele) < E.auc(wrong) and E.auc(ins) > E.auc(dele)
    per = E.probability_curve(m, xx, 1, right, "deletion", steps=4, fill=0.0, per_image=True)
    assert per.shape == (2, 5)


def test_probability_curves_are_monotone_for_a_linear_model(rng):
    # logit 1 = sum of positive weights × pixels: deleting by weight × pixel lowers it at every step
    lin = L.Linear(16, 2, rng=0, dtype=np.float64)
    lin.weight.data[0] = 0
    lin.weight.data[1] = rng.random(16)
    lin.bias.data[:] = 0
    m = L.Sequential(L.Flatten(), lin)
    xx = rng.random((3, 1, 4, 4)) + 0.1
    maps = xx[:, 0] * lin.weight.data[1].reshape(4, 4)
    dele = E.probability_curve(m, xx, 1, maps, "deletion", steps=16, fill=0.0, per_image=True)
    ins = E.probability_curve(m, xx, 1, maps, "insertion", steps=16, fill=0.0, per_image=True)
    assert np.all(np.diff(dele, axis=1) < 0) and np.all(np.diff(ins, axis=1) > 0)
    np.testing.assert_allclose(dele[:, 0], ins[:, -1])   # both curves share their end points
    np.testing.assert_allclose(dele[:, -1], ins[:, 0])


def test_probability_curve_rejects_bad_arguments(model, x):
    maps = x[:, 0]
    with pytest.raises(ValueError, match="mode must be"):
        E.probability_curve(model, x, 0, maps, mode="erase")
    with pytest.raises(ValueError, match="maps must have shape"):
        E.probability_curve(model, x, 0, maps[:, :4])
    with pytest.raises(ValueError, match="fill must be"):
        E.probability_curve(model, x, 0, maps, fill="mean")
    with pytest.raises(ValueError, match="steps"):
        E.probability_curve(model, x, 0, maps, steps=0)


def test_auc_of_known_curves():
    assert E.auc(np.ones(5)) == pytest.approx(1.0)
    assert E.auc(np.linspace(1, 0, 11)) == pytest.approx(0.5)
    assert E.auc([0.0, 1.0], x=[0.0, 2.0]) == pytest.approx(1.0)
    xs = np.linspace(0, 1, 201)
    assert E.auc(xs**2, xs) == pytest.approx(1 / 3, abs=1e-4)
    with pytest.raises(ValueError, match="at least 2 points"):
        E.auc([1.0])
    with pytest.raises(ValueError, match="shape of y"):
        E.auc([1.0, 2.0], x=[0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        E.auc([1.0, 2.0], x=[1.0, 0.0])


def test_bootstrap_interval_covers_the_mean(rng):
    v = rng.normal(0.3, 1.0, 400)
    lo, hi = E.bootstrap_interval(v)
    assert lo < v.mean() < hi
    assert hi - lo == pytest.approx(2 * 1.96 * v.std() / np.sqrt(len(v)), rel=0.15)
    assert E.bootstrap_interval(v) == (lo, hi)  # seeded
    narrow = E.bootstrap_interval(v, level=0.5)
    assert lo < narrow[0] < narrow[1] < hi
    with pytest.raises(ValueError, match="at least 2"):
        E.bootstrap_interval([1.0])
    with pytest.raises(ValueError, match="level must be"):
        E.bootstrap_interval(v, level=1.5)


def test_randomisation_check_reports_an_interval(model, x):
    res = E.randomisation_check(model, x, 0, "saliency")
    assert res["interval"].shape == (3, 2)
    assert np.all(res["interval"][:, 0] <= res["correlation"])
    assert np.all(res["correlation"] <= res["interval"][:, 1])
    one = E.randomisation_check(model, x[:1], 0, "saliency")
    assert np.isnan(one["interval"]).all()
