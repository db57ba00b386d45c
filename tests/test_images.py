"""Decoding uploaded image files (cnnlib.images), with real files made in the test."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnlib import images


def _file(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _gradient(w=120, h=80) -> Image.Image:
    """A wide RGB picture: red grows left to right, green top to bottom, a blue bar in the middle third."""
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = np.linspace(0, 255, w)[None, :]
    a[..., 1] = np.linspace(0, 255, h)[:, None]
    a[:, w // 3: 2 * w // 3, 2] = 255
    return Image.fromarray(a)


def test_png_is_centre_cropped_and_resized():
    x = images.decode_image(_file(_gradient(), "PNG"))
    assert x.shape == (3, 64, 64) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    # the centred 80×80 square of a 120-wide picture spans columns 20..100: red from ~0.17 to ~0.83
    assert x[0, 32, 0] == pytest.approx(20 / 119, abs=0.03)
    assert x[0, 32, -1] == pytest.approx(99 / 119, abs=0.03)
    # the blue bar (columns 40..80 of 120) covers the middle half of the crop
    assert x[2, 32, 32] > 0.95 and x[2, 32, 2] < 0.05
    assert x[1, 0, 32] < 0.05 and x[1, -1, 32] > 0.95


def test_jpeg_and_tall_image_and_size():
    x = images.decode_image(_file(_gradient(50, 200), "JPEG", quality=90), size=32)
    assert x.shape == (3, 32, 32)
    # a tall picture keeps its middle rows: green around 0.5 in the crop's centre
    assert x[1, 16, 16] == pytest.approx(0.5, abs=0.08)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "I;16", "CMYK"])
def test_other_modes_become_rgb(mode):
    base = _gradient(64, 64)
    if mode == "P":
        img = base.quantize(16)
    elif mode == "I;16":
        img = Image.fromarray(np.asarray(base.convert("L"), np.uint16) * 257)
    else:
        img = base.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    x = images.decode_image(_file(img, fmt))
    assert x.shape == (3, 64, 64) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    if mode in ("L", "I;16", "LA"):
        np.testing.assert_allclose(x[0], x[1], atol=1e-6)  # grey stays grey
        assert x[0, 0, -1] > x[0, 0, 0] + 0.2  # and keeps its brightness ramp


def test_transparent_pixels_become_white():
    a = np.zeros((40, 40, 4), np.uint8)
    a[..., 0] = 255
    a[:, :20, 3] = 255  # left half opaque red, right half fully transparent
    x = images.decode_image(_file(Image.fromarray(a), "PNG"), size=40)
    np.testing.assert_allclose(x[:, 20, 5], [1, 0, 0], atol=0.02)
    np.testing.assert_allclose(x[:, 20, 35], [1, 1, 1], atol=0.02)
    pal = Image.fromarray(a).convert("P")  # palette with a transparent entry
    assert images.decode_image(_file(pal, "PNG")).shape == (3, 64, 64)


def test_exif_orientation_is_applied():
    img = _gradient(120, 60)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    x = images.decode_image(_file(img, "JPEG", exif=exif, quality=95))
    # shown upright, the picture is 60 wide and 120 tall: the green ramp now runs right to left
    assert x[1, 32, 0] > x[1, 32, -1] + 0.2


def test_input_is_not_modified():
    data = bytearray(_file(_gradient(), "PNG"))
    copy = bytes(data)
    images.decode_image(data)
    assert bytes(data) == copy


def test_bad_files_raise_one_line_value_errors():
    png = _file(_gradient(), "PNG")
    jpeg = _file(_gradient(300, 300), "JPEG")
    rng = np.random.default_rng(0)
    cases = {
        "truncated png": (png[: len(png) // 2], "corrupt or truncated"),
        "truncated jpeg": (jpeg[: len(jpeg) // 3], "corrupt or truncated"),
        "random bytes": (rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), "not an image"),
        "text": (b"hello, this is not a picture\n" * 10, "not an image"),
        "empty": (b"", "empty"),
        "too big": (png + bytes(images.MAX_UPLOAD_BYTES), "limit is 10.5 MB"),
    }
    for name, (data, message) in cases.items():
        with pytest.raises(ValueError, match=message) as info:
            images.decode_image(data)
        assert "\n" not in str(info.value), name


def test_decompression_bomb_is_refused():
    # a small PNG that claims 10000×10000 pixels
    big = Image.new("L", (10000, 10000))
    data = _file(big, "PNG", optimize=True)
    assert len(data) < images.MAX_UPLOAD_BYTES
    with pytest.raises(ValueError, match="megapixels"):
        images.decode_image(data)


def test_bad_arguments():
    with pytest.raises(TypeError, match="data must be bytes"):
        images.decode_image("photo.png")
    with pytest.raises(ValueError, match="size must be >= 8"):
        images.decode_image(_file(_gradient(), "PNG"), size=4)


def test_decode_upload_reads_filepload_values():
    png = _file(_gradient(), "PNG")
    name, x = images.decode_upload(({"name": "cat.png", "content": memoryview(png), "size": len(png)},))
    assert name == "cat.png" and x.shape == (3, 64, 64)
    with pytest.raises(ValueError, match="no file"):
        images.decode_upload(())


def test_upload_control_shows_one_line_and_calls_back_only_for_good_files():
    got = []
    box = images.upload_control(lambda name, x: got.append((name, x.shape)))
    status = box.children[1]
    assert box._upload_handle(({"name": "junk.png", "content": b"\x89PNG junk"},)) is False
    assert got == [] and "upload-error" in status.value and "not an image" in status.value
    png = _file(_gradient(), "PNG")
    assert box._upload_handle(({"name": "ok.png", "content": png},)) is True
    assert got == [("ok.png", (3, 64, 64))] and "upload-ok" in status.value

    def refuse(name, x):
        raise ValueError("the network needs a colour image")

    box2 = images.upload_control(refuse)
    assert box2._upload_handle(({"name": "ok.png", "content": png},)) is False
    assert "colour image" in box2.children[1].value


def test_sharp_images_halves_png_widths_and_follows_updates():
    import ipywidgets as widgets

    png = _file(_gradient(200, 100), "PNG")
    img = widgets.Image(value=png, format="png", width="200")
    box = images.sharp_images(widgets.VBox([widgets.HBox([img])]))
    assert img.width == "100"
    img.width = "200"  # what the explorer framework does before each new picture
    img.value = _file(_gradient(300, 100), "PNG")
    assert img.width == "150"
    assert box.children[0].children[0] is img
