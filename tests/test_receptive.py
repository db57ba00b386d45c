"""cnnlib.receptive: the receptive-field recursion, its agreement with explain, influence maps, blob kernels."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlib.functional as F
from cnnlib import explain, layers, models, receptive


def test_receptive_field_formula_on_known_stacks():
    rf = receptive.receptive_field([(3, 1, 1)] * 3)
    assert [r.size for r in rf] == [3, 5, 7] and [r.jump for r in rf] == [1, 1, 1]
    rf = receptive.receptive_field([(3, 2, 1), (3, 2, 1)])
    assert [r.size for r in rf] == [3, 7] and rf[-1].jump == 4
    assert receptive.receptive_field([(3, 1, 2)])[0].size == 5          # dilation 2: a 3-tap kernel spans 5
    rf = receptive.receptive_field
    assert rf([dict(kernel=5)]) == rf([(5,)]) == rf([(5, 1, 1, 0)])


@pytest.mark.parametrize("model, layer_ids", [
    (models.digits_cnn(), (0, 2, 3, 5)),
    (models.shapes_cnn(), (0, 2, 3, 5, 6, 8)),
])
def test_receptive_field_agrees_with_explain(model, layer_ids):
    specs = [(layer.kernel_size[0], layer.stride[0], getattr(layer, "dilation", (1,))[0], layer.padding[0])
             for layer in model if isinstance(layer, layers.Conv2d | layers.MaxPool2d)]
    for rf, i in zip(receptive.receptive_field(specs), layer_ids, strict=True):
        assert explain.receptive_field(model, i) == (rf.size, rf.jump, rf.start)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 2), st.integers(1, 2)), min_size=1, max_size=3))
def test_influence_support_is_the_receptive_field(specs):
    """The input pixels that can change the last unit (its gradient through random weights) span exactly r."""
    r = receptive.receptive_field(specs)[-1].size
    m = receptive.receptive_field_influence(specs)
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
        receptive.receptive_field([(3, 1, 1), (3, 0, 1)])
    with pytest.raises(ValueError, match="a spec is"):
        receptive.receptive_field([(3, 1, 1, 0, 9)])
    with pytest.raises(ValueError, match="at least one layer"):
        receptive.receptive_field_influence([])


def test_blob_kernel():
    for size in (3, 9, 21):
        k = receptive.blob_kernel(size)
        assert k.shape == (size, size)
        assert abs(k.sum()) < 1e-12 and k[size // 2, size // 2] == k.max()
        np.testing.assert_allclose(k, k.T)
        np.testing.assert_allclose(k, k[::-1])
    with pytest.raises(ValueError, match="size must be >= 3"):
        receptive.blob_kernel(1)
