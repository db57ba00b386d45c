"""The explain explorer (cnnlib.explorers.explain): methods, targets, no inert control, 2× pictures, upload.

An untrained shapes network stands in for the trained one (training takes too long for a test); the
texture tests use the shipped texture network when cnnlib has it.
"""

import io
import itertools

import numpy as np
import pytest

from cnnlib import models


@pytest.fixture
def ex(monkeypatch):
    from cnnlib.explorers import explain as ex

    untrained = models.shapes_cnn(rng=0)
    ex.clear_caches()
    real = ex.explorer_model
    monkeypatch.setattr(ex, "explorer_model", lambda network="shapes": untrained if network == "shapes"
                        else real(network))
    yield ex
    ex.clear_caches()


def _png_size(png):
    from PIL import Image

    return Image.open(io.BytesIO(png)).size


def test_methods_offer_grad_cam_per_layer_and_no_layer_control(ex):
    opts = ex.method_options()
    assert list(opts) == ["saliency", "SmoothGrad", "Integrated Gradients", "guided backprop",
                          "Grad-CAM (conv 1)", "Grad-CAM (conv 2)", "Grad-CAM (conv 3)", "occlusion"]
    assert list(ex.method_options(static=True).values()) == [
        "saliency", "smoothgrad", "integrated gradients", "guided backprop", "grad-cam 2", "grad-cam 3", "occlusion"]
    e = ex.explain_explorer()
    assert list(e.controls) == ["image", "method", "target"]
    assert e.controls["image"].static_values == ["circle", "square", "triangle", "cross"]  # all four shapes


def test_picture_is_2x_and_about_650_px_wide(ex):
    png, caption = ex.render_explanation("square", "saliency", "true class")
    w, h = _png_size(png)
    assert 620 <= w / 2 <= 680 and 180 <= h / 2 <= 260
    assert "prediction:" in caption.markup and "explained: <b>square</b>" in caption.markup


def test_grad_cam_layers_give_different_maps_and_layers_match_relus(ex):
    model = ex.explorer_model()
    spec = ex.network_spec()
    assert spec.conv_relus == (1, 4, 7)  # the ReLU after each conv of shapes_cnn
    maps = [ex._heat("shapes", "cross", 0, "grad-cam", k, 0) for k in (1, 2, 3)]
    for a, b in itertools.combinations(maps, 2):
        assert not np.allclose(a, b)
    from cnnlib import explain

    direct = explain.grad_cam(model, ex.explorer_images()[1][3:4], 0, layer=4)[0]
    np.testing.assert_allclose(maps[1], direct, rtol=1e-6)


def test_targets_true_other_and_named(ex):
    probs = ex._forward("shapes", "circle", 0)
    true = ex._target_index(ex.TRUE, probs, 0, ["circle", "square", "triangle", "cross"])
    other = ex._target_index(ex.OTHER, probs, 0, ["circle", "square", "triangle", "cross"])
    assert true == (0, "the true class")
    assert other[0] == int(np.argsort(-probs)[[k != 0 for k in np.argsort(-probs)]][0]) and other[0] != 0
    assert ex._target_index("cross", probs, 0, ["circle", "square", "triangle", "cross"])[0] == 3
    with pytest.raises(ValueError, match="target must be one of"):
        ex._target_index("dog", probs, 0, ["circle", "square", "triangle", "cross"])
    with pytest.raises(ValueError, match="network must be one of"):
        ex.render_explanation("circle", "saliency", ex.TRUE, network="imagenet")
    with pytest.raises(ValueError, match="image must be one of"):
        ex.render_explanation("hexagon", "saliency", ex.TRUE)


def test_every_control_changes_the_picture_in_every_static_state(ex):
    """No inert control: from every precomputed state, every other value of every control gives
    a different picture (the review found a layer control that changed nothing for 3 of 4 methods)."""
    e = ex.explain_explorer()
    grid = e.static_grid()
    assert len(grid) == 4 * 7 * 2
    keys = {tuple(s.values()): e.render_state(**s).key() for s in grid}
    names = list(e.controls)
    for state, key in keys.items():
        for k, name in enumerate(names):
            for v in e.controls[name].static_values:
                if v != state[k]:
                    other = (*state[:k], v, *state[k + 1:])
                    assert keys[other] != key, (state, name, v)


def test_static_build_weight_and_sharp_images(ex):
    import ipywidgets as widgets

    box = ex.explain_explorer().build("static")
    assert "cnn-explain" in box._dom_classes and "cnn-explorer" in box._dom_classes
    imgs = []

    def walk(w):
        if isinstance(w, widgets.Image):
            imgs.append(w)
        for c in getattr(w, "children", ()):
            walk(c)

    walk(box)
    assert len(imgs) == 56
    total = sum(len(i.value) for i in imgs) * 4 / 3
    assert total < 2.4e6
    for img in imgs[:3]:
        assert int(img.width) * 2 == _png_size(bytes(img.value))[0]
    ctrl = box._explorer_controls
    assert not any(getattr(w, "disabled", False) for w in ctrl.values())


def test_live_update_reuses_cached_maps(ex):
    box = ex.explain_explorer().build("live")
    ctrl = box._explorer_controls
    ctrl["method"].value = "smoothgrad"
    before = ex._heat.cache_info()
    ctrl["image"].value = "square"
    ctrl["image"].value = "circle"  # back: the map is cached
    after = ex._heat.cache_info()
    assert after.hits >= before.hits + 1
    assert not hasattr(box, "_explorer_upload")  # the shapes network takes no uploads


def test_overlay_uses_a_perceptually_uniform_map(ex):
    from matplotlib import colormaps

    assert ex.MAP_CMAP in ("inferno", "magma", "viridis", "cividis", "plasma")
    rgba = ex.overlay(np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(rgba[0, 1, :3], colormaps[ex.MAP_CMAP](1.0)[:3])
