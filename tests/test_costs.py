"""cnnlib.costs: parameter and FLOP counts, checked against brute-force counts and real layers."""

import numpy as np
import pytest

import cnnlib.functional as F
from cnnlib import costs, gridworld, layers, models, sequences


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
    rows = costs.layer_costs(model, shape)
    assert sum(c.params for c in rows) == costs.count_parameters(model)
    x = np.zeros((1, *shape))
    for c, layer in zip(rows, model, strict=True):
        y = layer.forward(x)
        assert c.output_shape == y.shape[1:]
        if isinstance(layer, layers.Conv2d | layers.Linear) and not any(getattr(layer, "padding", (0, 0))):
            # without padding every multiply-add meets a real input: the count is exact
            bias = y.size if layer.bias is not None else 0      # one addition per output
            assert c.flops == 2 * _brute_force_macs(layer, x) + bias
        x = y


def test_conv_flops_formula_and_padding():
    rows = costs.layer_costs(models.digits_cnn(), (1, 8, 8))
    assert rows[0].flops == costs.conv2d_flops(8, 8, 1, 16, 3) == 2 * 8 * 8 * 16 * 9 + 8 * 8 * 16
    assert costs.conv2d_flops(4, 4, 16, 32, (3, 3), bias=False) == 2 * 16 * 32 * 16 * 9
    assert [c.flops for c in rows if c.params == 0 and c.output_shape == (128,)] == [0]


def test_dense_equivalent_matches_real_layers():
    h = w = 5
    p = costs.dense_equivalent_parameters(h, w, 2, 3, 3)
    conv = layers.Conv2d(2, 3, 3, padding=1)
    dense = layers.Linear(2 * h * w, 3 * h * w)
    assert p["conv"] == costs.count_parameters(conv)
    assert p["dense"] == costs.count_parameters(dense)
    assert conv(np.zeros((1, 2, h, w))).size == dense(np.zeros((1, 2 * h * w))).size
    assert p["ratio"] == pytest.approx(p["dense"] / p["conv"])


def test_conv_growth_flops_grow_with_pixels_and_channels_squared():
    g = costs.conv_growth(sizes=(8, 16), channels=(2, 4), base_size=8, base_channels=2, repeat=1)
    assert [r["flops"] for r in g["size"]] == [costs.conv2d_flops(n, n, 2, 2, 3, bias=False) for n in (8, 16)]
    assert g["size"][1]["flops"] == 4 * g["size"][0]["flops"]
    assert g["channels"][1]["flops"] == 4 * g["channels"][0]["flops"]
    assert all(r["seconds"] > 0 for rows in g.values() for r in rows)   # measured, never compared


def test_figures_are_built():
    assert len(costs.cost_figure(costs.layer_costs(models.digits_cnn(), (1, 8, 8))).axes) == 2
    assert costs.parameters_figure(sides=(8, 16)).axes[0].get_xlabel()
    g = costs.conv_growth(sizes=(8, 16), channels=(2, 4), base_size=8, base_channels=2, repeat=1)
    assert len(costs.growth_figure(g).axes) == 4
