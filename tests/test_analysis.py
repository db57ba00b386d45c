"""cnnlib.analysis: cost counts, receptive fields, shifts and rotations, augmentation, many-class scores."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlib.functional as F
from cnnlib import analysis as A
from cnnlib import explain, gridworld, layers, models, sequences

# --------------------------------------------------------------------------- cost


def _brute_force_macs(layer, x):
    """Multiply–adds of a conv or dense layer, counted: with that weight alone set to 1 and an input of
    ones, the sum of the output is the number of times the weight is used."""
    if isinstance(layer, layers.Linear):
        return layer.in_features * layer.out_features
    w = layer.weight.data
    total = 0
    ones = np.ones_like(x, dtype=np.float64)
    for idx in np.ndindex(w.shape):
        probe = np.zeros_like(w, dtype=np.float64)
        probe[idx] = 1
        if w.ndim == 3:
            y = F.conv1d(ones, probe, stride=layer.stride[1], padding=layer.padding[1], dilation=layer.dilation[1])
        else:
            y = F.conv2d(ones, probe, stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
        total += int(y.sum())  # how many times this weight met a real (non-padding) input value
    return total


@pytest.mark.parametrize("name, model, shape", [
    ("digits", models.digits_cnn(), (1, 8, 8)),
    ("motif", sequences.motif_cnn(), (12, 20)),
    ("policy", gridworld.policy_cnn(), (3, 6, 6)),
    ("strided", layers.Sequential(layers.Conv2d(2, 3, 3, stride=2, padding=0, rng=0), layers.ReLU(),
                                  layers.Flatten(), layers.Linear(3 * 4 * 4, 2, rng=0)), (2, 9, 9)),
])
def test_layer_costs_counts_parameters_and_work(name, model, shape):
    costs = A.layer_costs(model, shape)
    assert sum(c.params for c in costs) == A.count_parameters(model)
    x = np.zeros((1, *shape))
    for c, layer in zip(costs, model, strict=True):
        y = layer.forward(x)
        assert c.output_shape == y.shape[1:]
        if isinstance(layer, layers.Conv2d | layers.Linear) and not any(getattr(layer, "padding", (0, 0))):
            # without padding every multiply-add meets a real input: the count is exact
            bias = y.size if layer.bias is not None else 0      # one addition per output
            assert c.flops == 2 * _brute_force_macs(layer, x) + bias
        x = y


def test_conv_flops_formula_and_padding():
    costs = A.layer_costs(models.digits_cnn(), (1, 8, 8))
    assert costs[0].flops == A.conv2d_flops(8, 8, 1, 16, 3) == 2 * 8 * 8 * 16 * 9 + 8 * 8 * 16
    assert A.conv2d_flops(4, 4, 16, 32, (3, 3), bias=False) == 2 * 16 * 32 * 16 * 9
    assert [c.flops for c in costs if c.params == 0 and c.output_shape == (128,)] == [0]


def test_dense_equivalent_matches_real_layers():
    h = w = 5
    p = A.dense_equivalent_parameters(h, w, 2, 3, 3)
    conv = layers.Conv2d(2, 3, 3, padding=1)
    dense = layers.Linear(2 * h * w, 3 * h * w)
    assert p["conv"] == A.count_parameters(conv)
    assert p["dense"] == A.count_parameters(dense)
    assert conv(np.zeros((1, 2, h, w))).size == dense(np.zeros((1, 2 * h * w))).size
    assert p["ratio"] == pytest.approx(p["dense"] / p["conv"])


def test_dense_digits_net_has_the_cnns_budget():
    assert A.count_parameters(A.dense_digits_net(80)) == 6010
    assert abs(A.count_parameters(A.dense_digits_net(80)) - A.count_parameters(models.digits_cnn())) < 100


def test_conv_growth_flops_grow_with_pixels_and_channels_squared():
    g = A.conv_growth(sizes=(8, 16), channels=(2, 4), base_size=8, base_channels=2, repeat=1)
    assert [r["flops"] for r in g["size"]] == [A.conv2d_flops(n, n, 2, 2, 3, bias=False) for n in (8, 16)]
    assert g["size"][1]["flops"] == 4 * g["size"][0]["flops"]
    assert g["channels"][1]["flops"] == 4 * g["channels"][0]["flops"]
    assert all(r["seconds"] > 0 for rows in g.values() for r in rows)   # measured, never compared


def test_figures_are_built():
    assert len(A.cost_figure(A.layer_costs(models.digits_cnn(), (1, 8, 8))).axes) == 2
    assert A.parameters_figure(sides=(8, 16)).axes[0].get_xlabel()
    g = A.conv_growth(sizes=(8, 16), channels=(2, 4), base_size=8, base_channels=2, repeat=1)
    assert len(A.growth_figure(g).axes) == 4
    assert len(A.robustness_figure([0, 1], {"a": [1.0, 0.5]}, "x", "t").axes[0].lines) == 2
    assert A.probabilities_figure(np.zeros(10), 3).axes[0].patches[3].get_height() == pytest.approx(0.1)


# --------------------------------------------------------------------------- receptive field


def test_receptive_field_formula_on_known_stacks():
    rf = A.receptive_field([(3, 1, 1)] * 3)
    assert [r.size for r in rf] == [3, 5, 7] and [r.jump for r in rf] == [1, 1, 1]
    rf = A.receptive_field([(3, 2, 1), (3, 2, 1)])
    assert [r.size for r in rf] == [3, 7] and rf[-1].jump == 4
    assert A.receptive_field([(3, 1, 2)])[0].size == 5          # dilation 2: a 3-tap kernel spans 5
    assert A.receptive_field([dict(kernel=5)]) == A.receptive_field([(5,)]) == A.receptive_field([(5, 1, 1, 0)])


@pytest.mark.parametrize("model, layer_ids", [
    (models.digits_cnn(), (0, 2, 3, 5)),
    (models.shapes_cnn(), (0, 2, 3, 5, 6, 8)),
])
def test_receptive_field_agrees_with_explain(model, layer_ids):
    specs = [(layer.kernel_size[0], layer.stride[0], getattr(layer, "dilation", (1,))[0], layer.padding[0])
             for layer in model if isinstance(layer, layers.Conv2d | layers.MaxPool2d)]
    for rf, i in zip(A.receptive_field(specs), layer_ids, strict=True):
        assert explain.receptive_field(model, i) == (rf.size, rf.jump, rf.start)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 2), st.integers(1, 2)), min_size=1, max_size=3))
def test_influence_support_is_the_receptive_field(specs):
    """The input pixels that can change the last unit (its gradient through random weights) span exactly r."""
    r = A.receptive_field(specs)[-1].size
    m = A.receptive_field_influence(specs)
    assert m.shape == (r, r)
    assert m[0].any() and m[-1].any() and m[:, 0].any() and m[:, -1].any()   # the field reaches every edge
    # gradient of the single output of random-weight convolutions on an r×r input
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, r, r))
    weights = [rng.uniform(0.5, 1.5, (1, 1, k, k)) for k, _, _ in specs]
    acts = [x]
    for (_k, s, d), w in zip(specs, weights, strict=True):
        acts.append(F.conv2d(acts[-1], w, stride=s, dilation=d))
    assert acts[-1].shape == (1, 1, 1, 1)
    dy = np.ones((1, 1, 1, 1))
    for (_k, s, d), w, a in zip(reversed(specs), reversed(weights), reversed(acts[:-1]), strict=True):
        dy = F.conv2d_backward(dy, a, w, stride=s, dilation=d)[0]
    np.testing.assert_array_equal(dy[0, 0] != 0, m != 0)


def test_receptive_field_errors():
    with pytest.raises(ValueError, match=r"stride \(layer 1\) must be >= 1"):
        A.receptive_field([(3, 1, 1), (3, 0, 1)])
    with pytest.raises(ValueError, match="a spec is"):
        A.receptive_field([(3, 1, 1, 0, 9)])
    with pytest.raises(ValueError, match="at least one layer"):
        A.receptive_field_influence([])


def test_blob_kernel():
    for size in (3, 9, 21):
        k = A.blob_kernel(size)
        assert k.shape == (size, size)
        assert abs(k.sum()) < 1e-12 and k[size // 2, size // 2] == k.max()
        np.testing.assert_allclose(k, k.T)
        np.testing.assert_allclose(k, k[::-1])
    with pytest.raises(ValueError, match="size must be >= 3"):
        A.blob_kernel(1)


# --------------------------------------------------------------------------- shifts, rotations, augmentation


def test_shift_images_moves_and_fills_with_zeros():
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    y = A.shift_images(x, 1, -2)
    np.testing.assert_array_equal(y[0, 0, 1:, :2], x[0, 0, :3, 2:])
    assert (y[0, 0, 0] == 0).all() and (y[0, 0, :, 2:] == 0).all()
    np.testing.assert_array_equal(A.shift_images(x, 4, 0), 0)
    np.testing.assert_array_equal(A.shift_images(x, 0, 0), x)
    assert A.shift_images(x.astype(np.float32), 1, 1).dtype == np.float32
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        A.shift_images(np.zeros(3), 1, 1)


@settings(max_examples=30, deadline=None)
@given(st.integers(-4, 4), st.integers(-4, 4), st.integers(1, 3), st.integers(0, 10_000))
def test_convolution_is_translation_equivariant(dy, dx, k, seed):
    """conv(shift(x)) == shift(conv(x)) wherever neither side saw the border."""
    rng = np.random.default_rng(seed)
    x = np.zeros((1, 2, 20, 20))
    x[:, :, 6:14, 6:14] = rng.standard_normal((1, 2, 8, 8))   # content away from the border
    w = rng.standard_normal((3, 2, 2 * k + 1, 2 * k + 1))
    a = F.conv2d(A.shift_images(x, dy, dx), w, padding=k)
    b = A.shift_images(F.conv2d(x, w, padding=k), dy, dx)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_rotate_images():
    x = np.random.default_rng(0).random((2, 1, 6, 6))
    np.testing.assert_allclose(A.rotate_images(x, 90), np.rot90(x, 1, axes=(-2, -1)), atol=1e-12)
    np.testing.assert_array_equal(A.rotate_images(x, 0), x)
    y = A.rotate_images(x.astype(np.float32), 30)
    assert y.shape == x.shape and y.dtype == np.float32
    assert not np.allclose(y, x)


def test_augment_keeps_originals_first_and_is_deterministic():
    x = np.random.default_rng(1).random((10, 1, 8, 8)).astype(np.float32)
    y = np.arange(10)
    xa, ya = A.augment(x, y, copies=2, max_shift=1, max_angle=20, seed=3)
    assert xa.shape == (30, 1, 8, 8) and xa.dtype == np.float32
    np.testing.assert_array_equal(xa[:10], x)
    np.testing.assert_array_equal(ya, np.tile(y, 3))
    assert not np.allclose(xa[10:20], x)
    xb, _ = A.augment(x, y, copies=2, max_shift=1, max_angle=20, seed=3)
    np.testing.assert_array_equal(xa, xb)
    x0, _ = A.augment(x, y, copies=1, max_shift=0, max_angle=0)
    np.testing.assert_array_equal(x0[10:], x)
    with pytest.raises(ValueError, match="same length"):
        A.augment(x, y[:5])
    with pytest.raises(ValueError, match="max_angle"):
        A.augment(x, y, max_angle=-1)


def test_accuracy_under_and_feature_change():
    model = models.digits_cnn()
    x = np.random.default_rng(0).random((20, 1, 8, 8)).astype(np.float32)
    y = np.zeros(20, dtype=np.int64)
    acc = A.accuracy_under(model, x, y, lambda a, v: A.shift_images(a, 0, v), [0, 1])
    assert len(acc) == 2 and all(0 <= a <= 1 for a in acc)
    same = A.feature_change(model, x, x.copy(), [1, 5, 7])
    assert same == {1: 0.0, 5: 0.0, 7: 0.0}
    moved = A.feature_change(model, x, A.shift_images(x, 0, 1), [1])
    assert moved[1] > 0


# --------------------------------------------------------------------------- many classes


def test_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    np.testing.assert_array_equal(A.confusion_matrix(t, p, 5), confusion_matrix(t, p, labels=range(5)))
    assert A.confusion_matrix([0, 1], [1, 1]).shape == (2, 2)
    with pytest.raises(ValueError, match="labels must be in"):
        A.confusion_matrix([0, 5], [0, 1], 3)
    with pytest.raises(ValueError, match="same length"):
        A.confusion_matrix([0, 1], [0])


def test_top_k_accuracy_matches_scikit_learn():
    from sklearn.metrics import top_k_accuracy_score

    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((100, 6)), rng.integers(0, 6, 100)
    for k in (1, 2, 3, 5):
        assert A.top_k_accuracy(logits, y, k) == pytest.approx(top_k_accuracy_score(y, logits, k=k, labels=range(6)))
    with pytest.raises(ValueError, match="k must be at most"):
        A.top_k_accuracy(logits, y, 7)
