"""The whole-network overview and unit view (cnnlib.explorers.overview).

An untrained Tiny VGG (same shapes as the trained texture network) stands in for the trained one, on
real test scenes; the numbers of the unit view are checked against cnnlib's own layers.
"""

import io

import numpy as np
import pytest
from PIL import Image

from cnnlib import layers as L
from cnnlib import models
from cnnlib.explorers import overview as ovm

# texture scenes are cut from scikit-image's sample photographs; the browser-pins environment (like the browser
# runtime the lite site serves) has no scikit-image, so these tests run in the main environment only
pytest.importorskip("skimage", reason="texture scenes need scikit-image's photographs")


@pytest.fixture(scope="module")
def scenes():
    names, x, classes = ovm.texture_inputs(8)
    return names, x, classes


@pytest.fixture(scope="module")
def ov(scenes):
    names, x, classes = scenes
    return ovm.Overview(models.tiny_vgg(len(classes), rng=0), dict(zip(names, x, strict=True)), classes)


def _pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_texture_inputs_cover_the_classes(scenes):
    names, x, classes = scenes
    assert len(names) == 8 and x.shape == (8, 3, 64, 64) and x.dtype == np.float32
    assert len({n.split(": ")[1] for n in names}) == min(8, len(classes))  # one class after another


def test_columns_of_tiny_vgg(ov):
    labels = [c.label for c in ov.columns]
    assert labels == ["conv 1", "conv 2", "max-pool 1", "conv 3", "conv 4", "max-pool 2"]
    assert [c.shape for c in ov.columns] == [(10, 62, 62), (10, 60, 60), (10, 30, 30), (10, 28, 28),
                                             (10, 26, 26), (10, 13, 13)]
    model = ov.model
    for c in ov.columns:
        if c.kind == "conv":
            assert isinstance(model.layers[c.conv], L.Conv2d) and isinstance(model.layers[c.index], L.ReLU)
    with pytest.raises(TypeError, match="Sequential"):
        ovm.network_columns(object())
    with pytest.raises(ValueError, match="no convolution"):
        ovm.network_columns(L.Sequential(L.Flatten(), L.Linear(12, 2)), (3, 2, 2))


@pytest.mark.parametrize("padding,stride", [(0, 1), (1, 2)])
def test_unit_numbers_match_the_layers(padding, stride):
    rng = np.random.default_rng(1)
    model = L.Sequential(L.Conv2d(3, 4, 3, padding=padding, stride=stride, rng=0), L.ReLU(),
                         L.Conv2d(4, 5, 3, padding=padding, rng=1), L.ReLU(), L.Flatten())
    x1 = rng.uniform(-1, 1, (1, 3, 12, 12)).astype(np.float32)
    outs = ovm._forward_all(model, x1)
    for conv in (0, 2):
        pre = outs[conv][0]
        for o, i, j in ((0, 0, 0), (3, 2, 1), (1, pre.shape[1] - 1, pre.shape[2] - 1)):
            n = ovm.unit_numbers(model, outs, x1, conv, o, i, j)
            assert n["z"] == pytest.approx(float(pre[o, i, j]), abs=1e-5)
            assert n["y"] == pytest.approx(float(outs[conv + 1][0, o, i, j]), abs=1e-5)
            np.testing.assert_allclose(n["products"], n["window"] * n["kernel"])
            assert n["sums"].sum() + n["bias"] == pytest.approx(n["z"])
            assert n["inputs"].shape[1] == (x1.shape[2] if conv == 0 else outs[1].shape[2]) + 2 * padding


def test_overview_picture_is_2x_and_changes_every_column(ov, scenes):
    names = scenes[0]
    a = _pixels(ov.render_overview(names[0]))
    b = _pixels(ov.render_overview(names[1]))
    assert a.shape == b.shape and a.shape[1] // 2 >= 700
    pic = ov._over
    for k, x in enumerate(pic.x_cols):  # the first map of every column differs between the two inputs
        y0, x0, m = 2 * pic.HEAD, 2 * (x + pic.LABEL), 2 * pic.MAP
        maps_a = a[y0: y0 + 10 * 2 * (pic.MAP + pic.GAP), x0: x0 + m]
        maps_b = b[y0: y0 + 10 * 2 * (pic.MAP + pic.GAP), x0: x0 + m]
        assert not np.array_equal(maps_a, maps_b), ov.columns[k].label
    sel = _pixels(ov.render_overview(names[0], "conv 3", 2))
    assert not np.array_equal(sel, a)  # the selected map is framed
    assert np.array_equal(_pixels(ov.render_overview(names[0])), a)  # pure: same input, same picture


def test_unit_view_defaults_to_the_strongest_response(ov, scenes):
    names = scenes[0]
    png, caption = ov.render_unit(names[0], "conv 2", 4)
    x, outs, _ = ov.state(names[0])
    col = ov.conv_column("conv 2")[1]
    i, j = np.unravel_index(int(np.argmax(outs[col.index][0, 4])), col.shape[1:])
    assert f"y[o=4, i={i}, j={j}]" in caption.markup
    other, _ = ov.render_unit(names[0], "conv 2", 4, 0, 0)
    assert other != png
    assert _pixels(png).shape[1] // 2 >= 560


def test_bad_arguments(ov, scenes):
    names = scenes[0]
    with pytest.raises(ValueError, match="input must be one of"):
        ov.render_overview("scene 99")
    with pytest.raises(ValueError, match="layer must be one of"):
        ov.render_unit(names[0], "max-pool 1", 0)
    with pytest.raises(ValueError, match="channel must be in 0..9"):
        ov.render_unit(names[0], "conv 1", 10)
    with pytest.raises(ValueError, match="position must be within the 28×28"):
        ov.render_unit(names[0], "conv 3", 0, 28, 0)
    with pytest.raises(ValueError, match="image must have shape"):
        ov.set_input("photo", np.zeros((3, 32, 32)))
    with pytest.raises(ValueError, match="mode must be"):
        ovm.overview_explorer(mode="print", model=ov.model, inputs=ov.inputs, classes=ov.classes)


def _images(widget):
    import ipywidgets as widgets

    out = []

    def walk(w):
        if isinstance(w, widgets.Image):
            out.append(w)
        for c in getattr(w, "children", ()):
            walk(c)

    walk(widget)
    return out


def test_static_face(ov):
    box = ovm.overview_explorer(mode="static", model=ov.model, inputs=ov.inputs, classes=ov.classes)
    assert "cnn-overview" in box._dom_classes
    over_box, unit_box = box._overview_parts
    over_imgs, unit_imgs = _images(over_box), _images(unit_box)
    assert len(over_imgs) == 8 and len(unit_imgs) == 4 * 3
    assert len({bytes(i.value) for i in over_imgs}) == 8
    total = sum(len(i.value) for i in over_imgs + unit_imgs) * 4 / 3
    assert total < 1.6e6, total  # the chapter's page must stay under 3 MB
    for img in over_imgs[:2] + unit_imgs[:2]:
        assert int(img.width) * 2 == Image.open(io.BytesIO(bytes(img.value))).size[0]  # 2× pixels
    controls = over_box._explorer_controls
    assert list(controls["input"].options)[0][0] == next(iter(ov.inputs))


def test_live_face_input_upload_and_bad_files(ov):
    box = ovm.overview_explorer(mode="live", model=ov.model, inputs=dict(ov.inputs), classes=ov.classes)
    assert "cnn-overview" in box._dom_classes
    c = box._overview_controls
    img_over, img_unit = box._overview_images
    first = bytes(img_over.value)
    c["input"].value = c["input"].options[3]
    assert bytes(img_over.value) != first
    unit_before = bytes(img_unit.value)
    c["row"].value = 5
    assert bytes(img_unit.value) != unit_before
    c["layer"].value = "conv 4"
    assert c["row"].max == 25 and c["col"].max == 25
    # a bad file: a one-line message, nothing else changes
    state = (bytes(img_over.value), bytes(img_unit.value), tuple(c["input"].options), c["input"].value)
    upload = box._overview_upload
    assert upload._upload_handle(({"name": "notes.txt", "content": b"not a picture at all"},)) is False
    assert "not an image" in upload.children[1].value
    assert state == (bytes(img_over.value), bytes(img_unit.value), tuple(c["input"].options), c["input"].value)
    # a good file becomes the input
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (90, 120, 3), dtype=np.uint8)).save(buf, "PNG")
    assert upload._upload_handle(({"name": "me.png", "content": buf.getvalue()},)) is True
    assert c["input"].value == "your photo: me.png" and bytes(img_over.value) != state[0]
    assert int(img_over.width) * 2 == Image.open(io.BytesIO(bytes(img_over.value))).size[0]


@pytest.mark.parametrize("mode", ["static", "live"])
def test_preview_without_unit_view(ov, mode):
    """Chapter 1's preview: the columns and the input control only; the input still changes the picture."""
    box = ovm.overview_explorer(mode=mode, model=ov.model, inputs=dict(ov.inputs), classes=ov.classes,
                                n_inputs=4, unit_view=False)
    imgs = _images(box)
    if mode == "static":
        assert len(imgs) == 4 and len({bytes(i.value) for i in imgs}) == 4
        assert len(box._overview_parts) == 1
    else:
        (img,) = imgs
        first = bytes(img.value)
        c = box._overview_controls
        c["input"].value = c["input"].options[2]
        assert bytes(img.value) != first
