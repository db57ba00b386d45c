"""Feature visualisation (cnnlib.featurevis; the book re-exports it as cnnlib.explain.feature_visualization),
channel attribution (cnnlib.building_blocks): gradients checked against finite differences and PyTorch,
the optimum checked to excite its channel, the model left untouched, bad arguments refused."""

import numpy as np
import pytest

from cnnlib import building_blocks as bb
from cnnlib import data
from cnnlib import featurevis as fv
from cnnlib import layers as L

SIZE = 16


def small_net(seed=0):
    rng = np.random.default_rng(seed)
    return L.Sequential(
        L.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
        L.Conv2d(3, 4, 3, rng=rng), L.ReLU(), L.Conv2d(4, 5, 3, rng=rng), L.ReLU(), L.MaxPool2d(2),
        L.Flatten(), L.Linear(5 * 6 * 6, 3, rng=rng),
    )


def photo_crops(n, size=SIZE, seed=0):
    """Crops of a real photograph (matplotlib/skimage's sample image), (n, 3, size, size) in [0, 1]."""
    img = np.asarray(data.sample_image(rgb=True), dtype=np.float32)
    if img.shape[-1] == 3:
        img = img.transpose(2, 0, 1)
    rng = np.random.default_rng(seed)
    _, h, w = img.shape
    out = np.empty((n, 3, size, size), dtype=np.float32)
    for i in range(n):
        t, left = rng.integers(0, h - size), rng.integers(0, w - size)
        out[i] = img[:, t : t + size, left : left + size]
    return out


def snapshot(model):
    return [(p.data.copy(), p.grad.copy()) for p in model.parameters()]


def same(model, snap):
    return all(np.array_equal(p.data, d) and np.array_equal(p.grad, g)
               for p, (d, g) in zip(model.parameters(), snap, strict=True))


def numeric_grad(f, arr, idxs, eps=1e-6):
    out = []
    for i in idxs:
        old = arr[i]
        arr[i] = old + eps
        fp = f()
        arr[i] = old - eps
        fm = f()
        arr[i] = old
        out.append((fp - fm) / (2 * eps))
    return np.array(out)


def test_affine_sample_adjoint_and_identity(rng):
    img = rng.standard_normal((3, 2, 12, 12))
    aff = fv.random_affines(3, 12, rng)
    d = rng.standard_normal((3, 2, 12, 12))
    lhs = (fv.affine_sample(img, aff, fill=0.0) * d).sum()
    rhs = (img * fv.affine_sample_adjoint(d, aff)).sum()
    assert abs(lhs - rhs) < 1e-9 * max(1, abs(lhs))
    ident = fv.random_affines(3, 12, rng, jitter=0, scale=None, degrees=0.0)
    np.testing.assert_allclose(fv.affine_sample(img, ident), img, atol=1e-12)
    # an integer shift by (1, 2) moves the picture and fills the border with the fill value
    shift = ident.copy()
    shift[:, :, 2] = [1, 2]
    out = fv.affine_sample(img, shift, fill=0.5)
    np.testing.assert_allclose(out[:, :, :-1, :-2], img[:, :, 1:, 2:], atol=1e-12)
    assert np.all(out[:, :, -1, :] == 0.5)


@pytest.mark.parametrize("kind", ["fourier", "pixel"])
def test_parameterisations_backward_matches_finite_differences(rng, kind):
    p = fv.FourierImage(2, 8, rng, sd=0.5) if kind == "fourier" else fv.PixelImage(2, 8, rng, sd=0.5)
    w = rng.standard_normal((2, 3, 8, 8))

    def f():
        return float((p.image() * w).sum())

    f()
    p.backward(w)
    idxs = [tuple(int(rng.integers(0, s)) for s in p.param.data.shape) for _ in range(6)]
    num = numeric_grad(f, p.param.data, idxs)
    np.testing.assert_allclose([p.param.grad[i] for i in idxs], num, rtol=1e-5, atol=1e-8)
    img = p.image()
    assert img.shape == (2, 3, 8, 8) and img.min() >= 0 and img.max() <= 1


def test_fourier_scaling_is_one_over_f():
    p = fv.FourierImage(1, 16, np.random.default_rng(0))
    assert p.scale[0, 0] == 16  # DC clamped at 1/size
    assert p.scale[0, 1] == pytest.approx(16) and p.scale[0, 8] == pytest.approx(2)
    assert p.scale[4, 3] == pytest.approx(1 / np.hypot(4 / 16, 3 / 16))


def test_diversity_penalty_value_and_gradient(rng):
    a = rng.standard_normal((3, 4, 5, 5))
    v, g = fv.diversity_penalty(a)
    idxs = [tuple(int(rng.integers(0, s)) for s in a.shape) for _ in range(6)]
    num = numeric_grad(lambda: fv.diversity_penalty(a)[0], a, idxs)
    np.testing.assert_allclose([g[i] for i in idxs], num, rtol=1e-5, atol=1e-9)
    same_images = np.repeat(a[:1], 3, axis=0)
    assert fv.diversity_penalty(same_images)[0] == pytest.approx(1.0)
    assert fv.diversity_penalty(a[:1])[0] == 0.0


def test_layer_gradient_matches_torch(torch):
    model = small_net()
    rng = np.random.default_rng(3)
    x = rng.random((2, 3, SIZE, SIZE))
    chans = np.array([1, 4])

    def grad_fn(a):
        return fv.channel_objective(a, chans)[1]

    with fv.explain.preserved(model):
        a, dx = fv.layer_gradient(model, x, 3, grad_fn)
    nn = torch.nn
    theirs = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 5, 3)).double()
    ours = [layer for layer in model.layers if isinstance(layer, L.Conv2d)]
    for t_layer, o_layer in zip([theirs[0], theirs[2]], ours, strict=True):
        t_layer.weight.data = torch.tensor(o_layer.weight.data, dtype=torch.float64)
        t_layer.bias.data = torch.tensor(o_layer.bias.data, dtype=torch.float64)
    xt = torch.tensor((x - 0.5) / 0.25, requires_grad=True)
    out = theirs(xt)
    obj = out[0, 1].mean() + out[1, 4].mean()
    obj.backward()
    np.testing.assert_allclose(a, out.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx, xt.grad.numpy() / 0.25, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("reg", fv.REGULARIZERS)
def test_visualisation_excites_its_channel(reg):
    model = small_net()
    crops = photo_crops(200)
    layer = 3
    chans = [0, 1, 2, 3, 4]
    snap = snapshot(model)
    steps = 256 if reg == "full" else 64  # the full recipe takes smaller steps (lr 0.01)
    vis = fv.feature_visualization(model, layer, chans, steps=steps, regularizers=reg, size=SIZE, jitter=1)
    assert same(model, snap)
    assert vis.shape == (5, 3, SIZE, SIZE) and vis.dtype == np.float32
    assert vis.min() >= 0 and vis.max() <= 1
    act = fv.channel_activations(model, vis, layer)  # (5 images, 5 channels)
    own = act[np.arange(5), chans]
    best = fv.channel_activations(model, crops, layer).max(axis=0)[chans]
    crops_mean = fv.channel_activations(model, crops, layer).mean(axis=0)[chans]
    assert np.all(own > crops_mean)
    if reg == "full":
        # the random transformations cost some activation: on this random 5-channel toy, one channel in
        # five may stay just below the best photograph (the chapter checks the trained network in full)
        assert np.sum(own > best) >= 4 and np.all(own > 0.8 * best), (own, best)
    else:
        assert np.all(own > best), (own, best)
    others = (act.sum(axis=0) - own) / 4  # each channel's mean excitation by the other channels' images
    assert np.all(own > others)


def test_visualisation_is_deterministic_and_single_channel_shape():
    model = small_net()
    a = fv.feature_visualization(model, 3, 2, steps=8, rng=5, size=SIZE)
    b = fv.feature_visualization(model, 3, 2, steps=8, rng=5, size=SIZE)
    c = fv.feature_visualization(model, 3, 2, steps=8, rng=6, size=SIZE)
    assert a.shape == (3, SIZE, SIZE)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_diversity_pushes_images_apart():
    model = small_net()
    kw = dict(steps=48, n_images=3, size=SIZE, rng=1, lr=0.1, jitter=1)
    plain = fv.feature_visualization(model, 3, 1, **kw)
    diverse = fv.feature_visualization(model, 3, 1, diversity=5.0, **kw)
    assert plain.shape == diverse.shape == (3, 3, SIZE, SIZE)
    pen = [fv.diversity_penalty(fv.explain.feature_maps(model, v, 3))[0] for v in (plain, diverse)]
    assert pen[1] < pen[0]


def test_bad_arguments():
    model = small_net()
    with pytest.raises(ValueError, match="regularizers"):
        fv.feature_visualization(model, 3, 0, steps=1, regularizers="blur", size=SIZE)
    with pytest.raises(ValueError, match="channel"):
        fv.feature_visualization(model, 3, 5, steps=1, size=SIZE)
    with pytest.raises(ValueError, match="channel"):
        fv.feature_visualization(model, 3, [0, -1], steps=1, size=SIZE)
    with pytest.raises(ValueError, match="convolutional"):
        fv.feature_visualization(model, 7, 0, steps=1, size=SIZE)
    with pytest.raises(ValueError, match="layer"):
        fv.feature_visualization(model, 20, 0, steps=1, size=SIZE)
    with pytest.raises(ValueError, match="diversity"):
        fv.feature_visualization(model, 3, 0, steps=1, size=SIZE, diversity=-1)
    with pytest.raises(ValueError, match="lr"):
        fv.feature_visualization(model, 3, 0, steps=1, size=SIZE, lr=0)
    with pytest.raises(ValueError, match="steps"):
        fv.feature_visualization(model, 3, 0, steps=-1, size=SIZE)


# --------------------------------------------------------------------------- building blocks


def test_channel_attribution_against_torch(torch):
    model = small_net()
    x = photo_crops(3)
    x0 = x.copy()
    snap = snapshot(model)
    attr = bb.channel_attribution(model, x, 4, target=[0, 2, 1])
    assert attr.shape == (3, 5)
    assert same(model, snap) and np.array_equal(x, x0)
    nn = torch.nn
    convs = [layer for layer in model.layers if isinstance(layer, L.Conv2d)]
    lin = model.layers[-1]
    c1, c2 = nn.Conv2d(3, 4, 3).double(), nn.Conv2d(4, 5, 3).double()
    fc = nn.Linear(5 * 36, 3).double()
    for t_layer, o_layer in ((c1, convs[0]), (c2, convs[1]), (fc, lin)):
        t_layer.weight.data = torch.tensor(o_layer.weight.data, dtype=torch.float64)
        t_layer.bias.data = torch.tensor(o_layer.bias.data, dtype=torch.float64)
    xt = torch.tensor((x.astype(np.float64) - 0.5) / 0.25)
    a = torch.relu(c2(torch.relu(c1(xt))))
    a.retain_grad()
    logits = fc(torch.flatten(nn.functional.max_pool2d(a, 2), 1))
    logits[[0, 1, 2], [0, 2, 1]].sum().backward()
    expected = (a * a.grad).sum(dim=(2, 3)).detach().numpy()
    np.testing.assert_allclose(attr, expected, rtol=1e-3, atol=1e-5)


def test_channel_attribution_sums_to_a_first_order_logit_change():
    """For a layer followed only by linear maps, attribution summed over channels is the logit minus the
    part due to the bias (activation × gradient is exact for a linear function of the activation)."""
    rng = np.random.default_rng(0)
    model = L.Sequential(L.Conv2d(3, 4, 3, rng=rng), L.Flatten(), L.Linear(4 * 6 * 6, 2, rng=rng))
    x = rng.random((2, 3, 8, 8)).astype(np.float32)
    attr = bb.channel_attribution(model, x, 0, target=1)
    logits = model.forward(x)
    np.testing.assert_allclose(attr.sum(axis=1), logits[:, 1] - model.layers[2].bias.data[1], rtol=1e-4)


def test_top_channels_and_bad_arguments():
    attr = np.array([[0.1, -3.0, 2.0, 0.5]])
    np.testing.assert_array_equal(bb.top_channels(attr[0], 2), [2, 3])
    np.testing.assert_array_equal(bb.top_channels(attr[0], 2, by="abs"), [1, 2])
    with pytest.raises(ValueError, match="by"):
        bb.top_channels(attr[0], 2, by="size")
    with pytest.raises(ValueError, match="attributions"):
        bb.top_channels(attr, 2)
    model = small_net()
    with pytest.raises(ValueError, match="spatial"):
        bb.channel_attribution(model, photo_crops(1), 6, target=0)
