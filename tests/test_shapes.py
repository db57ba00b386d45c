"""cnnlib.data.shapes (the data set with a known answer) and the shapes network of cnnlib.models."""

import numpy as np
import pytest
from reproducible import KERNELS_REASON, kernels_as_pinned, pinned_numpy

from cnnlib import data, io, models


@pytest.fixture(scope="module")
def sample():
    return data.shapes(n=240, seed=3)


def test_shapes_layout_and_ranges(sample):
    x, y, masks = sample
    assert x.shape == (240, 3, 32, 32) and x.dtype == np.float32
    assert y.shape == (240,) and y.dtype == np.int64
    assert masks.shape == (240, 32, 32) and masks.dtype == bool
    assert x.min() >= 0 and x.max() <= 1
    assert {"circle", "square", "triangle", "cross"} <= set(data.SHAPE_CLASSES)
    assert set(np.unique(y)) == set(range(len(data.SHAPE_CLASSES)))
    area = masks.sum(axis=(1, 2))
    # half-size 3.5–8.5 px: from a small cross (~20 px) to a big circle (~230 px)
    assert area.min() >= 15 and area.max() <= 260


def test_shapes_is_deterministic_and_seeded():
    a = data.shapes(n=8, seed=11)
    b = data.shapes(n=8, seed=11)
    c = data.shapes(n=8, seed=12)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    x, _, m = data.shapes(n=3, size=48, seed=0)
    assert x.shape == (3, 3, 48, 48) and m.shape == (3, 48, 48)


def test_object_stands_out_and_colour_does_not_predict_the_class(sample):
    x, y, masks = sample
    inside = np.stack([x[i][:, masks[i]].mean(axis=1) for i in range(len(x))])  # (N, 3) object colour
    ring = np.stack([np.median(x[i][:, ~masks[i]], axis=1) for i in range(len(x))])  # background colour
    # anti-aliased edges and noise blur the contrast a little, but it stays clear
    assert np.percentile(np.linalg.norm(inside - ring, axis=1), 5) > 0.3
    class_means = np.stack([inside[y == k].mean(axis=0) for k in range(len(data.SHAPE_CLASSES))])
    assert np.abs(class_means - inside.mean(axis=0)).max() < 0.1


def test_mask_is_the_shape_and_lies_inside(sample):
    x, y, masks = sample
    for i in range(20):
        rows, cols = np.nonzero(masks[i])
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        fill = masks[i].sum() / (h * w)
        name = data.SHAPE_CLASSES[y[i]]
        # the share of its bounding box each shape fills tells them apart
        expected = {"circle": (0.7, 0.9), "square": (0.95, 1.0), "triangle": (0.35, 0.65), "cross": (0.35, 0.65)}
        lo, hi = expected[name]
        assert lo <= fill <= hi, (i, name, fill)


def test_shapes_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n must be >= 1"):
        data.shapes(n=0)
    with pytest.raises(ValueError, match="size must be >= 16"):
        data.shapes(n=2, size=8)


def test_standardise_removes_colour_and_contrast(sample):
    x = sample[0][:5]
    s = models.standardise(x)
    assert s.dtype == np.float32 and s.shape == x.shape
    np.testing.assert_allclose(s.mean(axis=(2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(s.std(axis=(1, 2, 3)), 1, atol=1e-4)
    np.testing.assert_allclose(models.standardise(0.5 * x + 0.2), s, atol=1e-4)
    with pytest.raises(ValueError, match="x must be 4-D"):
        models.standardise(x[0])


def test_shapes_cnn_layout():
    m = models.shapes_cnn(rng=0)
    x = np.zeros((2, 3, 32, 32), np.float32)
    assert m.forward(x).shape == (2, len(data.SHAPE_CLASSES))
    assert m.layers[4].forward(m.layers[3].forward(m.layers[2].forward(m.layers[1].forward(
        m.layers[0].forward(x))))).shape == (2, 32, 16, 16)
    assert sum(p.data.size for p in m.parameters()) == 14468
    np.testing.assert_array_equal(models.shapes_cnn(rng=0).layers[0].weight.data, m.layers[0].weight.data)


def test_trained_shapes_cnn_cache_roundtrip(tmp_path, monkeypatch):
    # one short epoch on a small set keeps the test fast; the recipe is stored with the weights
    monkeypatch.setitem(models.SHAPES_RECIPE, "n_train", 64)
    path = tmp_path / "shapes.npz"
    m1, h1 = models.trained_shapes_cnn(epochs=1, seed=0, cache=path)
    assert path.exists() and len(h1["loss"]) == 1 and not m1.training
    m2, h2 = models.trained_shapes_cnn(epochs=1, seed=0, cache=path)
    assert h2 == h1
    for p, q in zip(m1.parameters(), m2.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    _, meta = io.load(path, with_metadata=True)
    assert meta["recipe"]["n_train"] == 64 and meta["recipe"]["epochs"] == 1
    m3, _ = models.trained_shapes_cnn(epochs=2, seed=0, cache=path)  # another recipe retrains
    assert not np.array_equal(m3.layers[0].weight.data, m1.layers[0].weight.data)


# training is deterministic for one numpy build and one set of kernels (tests/reproducible.py)
@pytest.mark.skipif(np.__version__ != pinned_numpy(), reason="the shipped weights come from the pinned numpy")
@pytest.mark.skipif(not kernels_as_pinned(), reason=KERNELS_REASON)
@pytest.mark.parametrize("name, train", [("shapes_cnn", models.trained_shapes_cnn),
                                         ("digits_cnn", models.trained_digits_cnn)])
def test_shipped_weights_are_what_training_gives(name, train):
    """The weights the browser loads instead of training are those a fresh run of the recipe gives here."""
    fresh, history = train()
    shipped, meta = io.load(models.shipped_weights(name), with_metadata=True)
    assert meta["history"].keys() == history.keys()
    for key, values in history.items():
        assert meta["history"][key] == pytest.approx(values, rel=1e-3, abs=1e-6), key
    if name == "shapes_cnn":
        x, y, _ = data.shapes(500, seed=1)
        x = models.standardise(x)
    else:
        x, y = data.load_digits("val")
    agree = float(np.mean(fresh(x).argmax(1) == shipped(x).argmax(1)))
    assert agree >= 0.99, agree
    for p, q in zip(fresh.parameters(), shipped.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, atol=1e-3)


@pytest.mark.parametrize("in_browser", [True, False])
def test_a_missing_cache_loads_the_shipped_weights_only_in_the_browser(tmp_path, monkeypatch, in_browser):
    monkeypatch.setattr(models, "IN_BROWSER", in_browser)
    recipe = dict(models.SHAPES_RECIPE, epochs=12, seed=0)
    hit = models._cached(str(tmp_path / "shapes_cnn.npz"), recipe)  # no such file: a reader's fresh cache
    if in_browser:
        shipped, _ = io.load(models.shipped_weights("shapes_cnn"), with_metadata=True)
        assert hit is not None
        np.testing.assert_array_equal(hit[0].layers[0].weight.data, shipped.layers[0].weight.data)
        assert models._cached(str(tmp_path / "shapes_cnn.npz"), dict(recipe, epochs=3)) is None  # other recipe
        assert models._cached(str(tmp_path / "other.npz"), recipe) is None  # nothing shipped by that name
    else:
        assert hit is None  # CPython trains


def test_shipped_weights_can_be_ignored_so_the_book_trains_everything(tmp_path, monkeypatch):
    """``CNNLIB_SHIPPED_WEIGHTS=ignore`` (make book-from-scratch) sends every shipped-weights path to the
    weights cache; anything but use/ignore is refused with a message naming the variable."""
    shipped = models.shipped_weights("shapes_cnn")
    monkeypatch.setenv("CNNLIB_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv(models.SHIPPED_WEIGHTS_VARIABLE, "ignore")
    assert models.shipped_weights("shapes_cnn") == str(tmp_path / "shapes_cnn.npz")
    assert models.shipped_weights("texture_cnn") == str(tmp_path / "texture_cnn.npz")
    with pytest.raises(ValueError, match="shipped weights"):
        models.shipped_weights("no_such_cnn")  # names are still checked
    monkeypatch.setenv(models.SHIPPED_WEIGHTS_VARIABLE, "use")
    assert models.shipped_weights("shapes_cnn") == shipped
    monkeypatch.setenv(models.SHIPPED_WEIGHTS_VARIABLE, "no")
    with pytest.raises(ValueError, match="CNNLIB_SHIPPED_WEIGHTS.*'no'"):
        models.shipped_weights("shapes_cnn")
