"""cnnlib.data.texture_scenes (real textures, no leakage), layers.Normalize and the Tiny VGG texture network."""

import sys

import numpy as np
import pytest
from reproducible import KERNELS_REASON, kernels_as_pinned

from cnnlib import data, io, layers, models, training

# texture scenes are cut from scikit-image's sample photographs; the browser-pins environment (like the browser
# runtime the lite site serves) has no scikit-image, so these tests run in the main environment only
pytest.importorskip("skimage", reason="texture scenes need scikit-image's photographs")


def test_texture_scenes_shapes_dtypes_ranges():
    x, y, masks = data.texture_scenes(40, size=48, split="val", seed=3)
    assert x.shape == (40, 3, 48, 48) and x.dtype == np.float32
    assert y.shape == (40,) and y.dtype == np.int64
    assert masks.shape == (40, 48, 48) and masks.dtype == bool
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert set(np.unique(y)) <= set(range(len(data.TEXTURE_CLASSES)))
    assert len(data.TEXTURE_CLASSES) >= 6 and len(set(data.TEXTURE_CLASSES)) == len(data.TEXTURE_CLASSES)
    area = masks.mean(axis=(1, 2))
    assert area.min() > 0.05 and area.max() < 0.5  # a region, smaller than the background


def test_blobs_lie_inside_the_scene():
    """The background frames every scene (the cue that tells which texture is the pasted region)."""
    _, _, masks = data.texture_scenes(1000, split="test", seed=1)
    assert not masks[:, 0].any() and not masks[:, -1].any() and not masks[:, :, 0].any() and not masks[:, :, -1].any()
    area = masks.mean(axis=(1, 2))
    assert 0.08 < area.min() and area.max() < 0.3


def test_texture_scenes_deterministic_and_splits_differ():
    a = data.texture_scenes(20, seed=5)
    b = data.texture_scenes(20, seed=5)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    c = data.texture_scenes(20, seed=6)
    d = data.texture_scenes(20, split="test", seed=5)
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[0], d[0])


def test_texture_scene_pixels_come_from_the_labelled_classes():
    """Inside the mask a scene shows the label's texture, outside another class's: each class is
    recognisable by the photograph it was cut from (checked here by grey versus colour)."""
    x, y, masks = data.texture_scenes(200, split="train", seed=1)
    colour = {source[0]: source[2] for source in data.TEXTURE_SOURCES}
    spread = x.max(axis=1) - x.min(axis=1)  # (n, H, W): 0 for grey pixels
    for k in range(len(y)):
        inside_grey = bool(np.all(spread[k][masks[k]] == 0))
        assert inside_grey == (not colour[data.TEXTURE_CLASSES[y[k]]])


def _box(a, b):
    """Sums over every b×b window of the last two axes (positions at stride 1), by integral images."""
    c = np.pad(a, [(0, 0)] * (a.ndim - 2) + [(1, 0), (1, 0)]).cumsum(-2).cumsum(-1)
    return c[..., b:, b:] - c[..., :-b, b:] - c[..., b:, :-b] + c[..., :-b, :-b]


def _block_keys(x, step, b=8, min_std=0.02):
    """{hash: (image, row, col)} of the textured (std > min_std) b×b×3 pixel blocks of x (N, 3, H, W) at
    every `step`-th position. The hash is an exact integer function of the pixels' bits (wrapping uint64
    arithmetic), so equal blocks always get equal keys; equal keys are confirmed pixel by pixel."""
    rng = np.random.default_rng(0)
    w = rng.integers(1, 2**63, size=(3, 3, b), dtype=np.uint64)  # separable weights per channel, row, col
    bits = np.ascontiguousarray(x).view(np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        rows = sum(bits[..., :, v:v + x.shape[3] - b + 1] * w[2, :, v, None, None] for v in range(b))
        full = sum(rows[..., u:u + x.shape[2] - b + 1, :] * w[1, :, u, None, None] for u in range(b))
        keys = (full * w[0, :, 0, None, None]).sum(axis=1, dtype=np.uint64)  # (N, H-b+1, W-b+1)
    xd = x.astype(np.float64)
    var = (_box(xd * xd, b) - _box(xd, b) ** 2 / b**2).sum(axis=1) / (3 * b * b)
    keep = np.zeros(keys.shape, bool)
    keep[:, ::step, ::step] = True
    keep &= var > min_std**2
    n, i, j = np.nonzero(keep)
    return dict(zip(keys[n, i, j].tolist(), zip(n.tolist(), i.tolist(), j.tolist(), strict=True), strict=True))


def _shared_blocks(x_a, keys_a, x_b, keys_b, b=8, min_values=8):
    """How many blocks of b really are (pixel for pixel) blocks of a. A block of fewer than ``min_values``
    distinct values (black sky with the edge of one faint star, say) can recur by chance in any photograph,
    so it is no evidence of a shared crop and is not counted."""
    shared = 0
    for key in keys_b.keys() & keys_a.keys():
        (na, ia, ja), (nb, ib, jb) = keys_a[key], keys_b[key]
        block = x_a[na, :, ia:ia + b, ja:ja + b]
        if np.unique(block).size >= min_values:
            shared += np.array_equal(block, x_b[nb, :, ib:ib + b, jb:jb + b])
    return shared


def test_no_test_block_appears_in_any_training_scene():
    train = data.texture_scenes(300, split="train", seed=0)[0]
    seen = _block_keys(train, step=1)
    for split in ("test", "val"):
        held = data.texture_scenes(200, split=split, seed=0)[0]
        keys = _block_keys(held, step=4)
        assert len(keys) > 10_000 and _shared_blocks(train, seen, held, keys) == 0, split
    # the check can fail: training scenes of another seed cut the same band and do share blocks
    other = data.texture_scenes(200, split="train", seed=1)[0]
    assert _shared_blocks(train, seen, other, _block_keys(other, step=4)) > 100


def test_texture_bands_are_disjoint_and_cover_the_photographs():
    edges = sorted(data.TEXTURE_BANDS.values())
    assert edges[0][0] == 0.0 and edges[-1][1] == 1.0
    assert all(a[1] == b[0] for a, b in zip(edges, edges[1:], strict=False))  # touching, never overlapping


@pytest.fixture
def without_scikit_image(monkeypatch):
    """``import skimage`` fails (as in the browser) and the photographs' caches start empty and end empty."""
    monkeypatch.setitem(sys.modules, "skimage", None)
    monkeypatch.setitem(sys.modules, "skimage.data", None)
    data.texture_photograph_regions.cache_clear()
    data._texture_photo.cache_clear()
    yield
    data.texture_photograph_regions.cache_clear()
    data._texture_photo.cache_clear()


def test_scenes_without_scikit_image_come_from_the_bundled_photographs(tmp_path, monkeypatch):
    """The browser's cnnlib (no scikit-image) makes the very same scenes from the bundled regions."""
    reference = data.texture_scenes(60, split="val", seed=5)
    bundle = tmp_path / "texture_sources.npz"
    data.write_texture_photographs(bundle)
    assert 2e6 < bundle.stat().st_size < 4e6
    monkeypatch.setattr(data, "_bundled_photographs", lambda: bundle)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, "skimage", None)
        mp.setitem(sys.modules, "skimage.data", None)
        data.texture_photograph_regions.cache_clear()
        data._texture_photo.cache_clear()
        try:
            with pytest.raises(ImportError):
                import skimage.data  # noqa: F401
            again = data.texture_scenes(60, split="val", seed=5)
        finally:
            data.texture_photograph_regions.cache_clear()
            data._texture_photo.cache_clear()
    for a, b in zip(reference, again, strict=True):
        assert np.array_equal(a, b)


def test_scenes_without_scikit_image_or_bundle_say_what_to_install(tmp_path, monkeypatch, without_scikit_image):
    monkeypatch.setattr(data, "_bundled_photographs", lambda: tmp_path / "missing.npz")
    with pytest.raises(ImportError, match="pip install scikit-image"):
        data.texture_scenes(2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=0), "n must be >= 1"),
    (dict(n=2.5), "n must be an integer"),
    (dict(n=4, size=8), "size must be >= 16"),
    (dict(n=4, size=500), "size must be <="),
    (dict(n=4, split="training"), r"split must be one of \['train', 'val', 'test'\]"),
    (dict(n=4, seed=-1), "seed must be >= 0"),
])
def test_texture_scenes_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        data.texture_scenes(**kwargs)


def test_normalize_matches_torch_and_has_the_right_gradient(torch):
    x = np.random.default_rng(0).random((2, 3, 5, 4)).astype(np.float32)
    keep = x.copy()
    norm = layers.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))
    y = norm(x)
    xt = torch.tensor(x, requires_grad=True)
    mean = torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1)
    std = torch.tensor([0.2, 0.25, 0.3]).view(1, 3, 1, 1)
    yt = (xt - mean) / std
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(norm.backward(dy), xt.grad.numpy(), rtol=1e-6, atol=1e-6)
    assert y.dtype == np.float32 and np.array_equal(x, keep)
    assert norm.parameters() == []


@pytest.mark.parametrize("mean, std, match", [
    ((0.5, 0.5), (0.2,), "equal-length"),
    ((0.5,), (0.0,), "std must be finite and > 0"),
    ((), (), "equal-length"),
])
def test_normalize_bad_arguments(mean, std, match):
    with pytest.raises(ValueError, match=match):
        layers.Normalize(mean, std)


def test_normalize_checks_channels_and_roundtrips(tmp_path):
    norm = layers.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))
    with pytest.raises(ValueError, match=r"x must be \(N, 3, ...\)"):
        norm(np.zeros((1, 2, 4, 4), np.float32))
    with pytest.raises(RuntimeError, match="before forward"):
        layers.Normalize((0.0,), (1.0,)).backward(np.zeros((1, 1)))
    model = layers.Sequential(norm, layers.Flatten())
    io.save(model, tmp_path / "n.npz")
    x = np.random.default_rng(0).random((2, 3, 2, 2)).astype(np.float32)
    np.testing.assert_array_equal(io.load(tmp_path / "n.npz")(x), model(x))


def test_tiny_vgg_shapes_parameters_and_deterministic_init():
    model = models.tiny_vgg(7, rng=0)
    x = data.texture_scenes(4, seed=0)[0]
    assert model(x).shape == (4, 7)
    h, shapes = x, []
    for layer in model:
        h = layer(h)
        shapes.append(h.shape[1:])
    assert shapes[1] == (10, 62, 62) and shapes[5] == (10, 30, 30) and shapes[9] == (10, 26, 26)
    assert shapes[10] == (10, 13, 13) and shapes[11] == (1690,)
    assert sum(p.data.size for p in model.parameters()) == 14_847
    for a, b in zip(model.parameters(), models.tiny_vgg(7, rng=0).parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(model[1].weight.data, models.tiny_vgg(7, rng=1)[1].weight.data)
    with pytest.raises(ValueError, match="n_classes must be >= 2"):
        models.tiny_vgg(1)
    # He's initialisation for the convolutions: uniform within √(6 / fan_in), biases zero
    for i, fan_in in ((1, 27), (3, 90), (6, 90), (8, 90)):
        w = model[i].weight.data
        assert np.abs(w).max() <= np.sqrt(6 / fan_in) and np.abs(w).max() > 0.9 * np.sqrt(6 / fan_in)
        assert not model[i].bias.data.any()


def test_texture_normalisation_constants_match_the_training_data():
    x = data.texture_scenes(2000, split="train", seed=0)[0]
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), models.TEXTURE_MEAN, atol=0.01)
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), models.TEXTURE_STD, atol=0.01)


def test_trained_texture_cnn_from_scratch_matches_the_shipped_weights(tmp_path):
    """CI retrains the texture network once, from scratch (about three minutes), and checks it: test
    accuracy >= 90 % on a fresh test split, and the same predictions as the weights the book ships
    (``python -m cnnlib.models texture`` rebuilt them; one BLAS thread, so the run is reproducible)."""
    model, history = models.trained_texture_cnn(cache=None)
    assert len(history["val_accuracy"]) == models.TEXTURE_RECIPE["epochs"]  # validation monitored
    x, y, _ = data.texture_scenes(1000, split="test", seed=7)
    pred = training.predict(model, x).argmax(axis=1)
    assert np.mean(pred == y) >= 0.90
    # the cache round trip: a second call loads, it does not train
    cache = tmp_path / "texture.npz"
    io.save(model, cache, metadata={"recipe": dict(models.TEXTURE_RECIPE), "history": history})
    again, _ = models.trained_texture_cnn(cache=cache)
    np.testing.assert_array_equal(again(x[:8]), model(x[:8]))
    if not kernels_as_pinned():
        pytest.skip(KERNELS_REASON + " (the fresh network's accuracy and cache were checked)")
    shipped, shipped_history = models.trained_texture_cnn(cache=models.shipped_weights())
    assert np.mean(training.predict(shipped, x).argmax(axis=1) == pred) >= 0.99
    np.testing.assert_allclose(history["val_accuracy"], shipped_history["val_accuracy"], atol=0.01)
