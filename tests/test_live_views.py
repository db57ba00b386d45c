"""Explorers drawn in place (one figure per explorer, updated on every control move) must show what a fresh
one-off figure of the same setting shows: no artist left over from an earlier setting, nothing missing.

Pictures are compared by 16×16-pixel block means: numbers pasted from glyphs (live) and drawn as text (one-off)
may sit a pixel apart, which moves a block mean by at most ~22 of 255; a frame, image or number of another
setting moves it by far more (the self-check below sees 170).
"""

import io

import numpy as np
import pytest
from PIL import Image

from cnnlib import viz
from cnnlib.explorers import algorithms as A
from cnnlib.explorers import core_concepts as cc
from cnnlib.widgets import _figure_png

TOLERANCE = 40


def _blocks(png, s=16):
    a = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float)
    h, w = a.shape[0] // s * s, a.shape[1] // s * s
    return a[:h, :w].reshape(h // s, s, w // s, s, 3).mean((1, 3))


def _distance(live_png, fig):
    a, b = _blocks(live_png), _blocks(_figure_png(fig))
    assert a.shape == b.shape
    return float(np.abs(a - b).max())


# largest first, so a smaller setting after a larger one would show any leftover frame or number
POOLING = [("digit 8×8", "max", 1, 1), ("numbers 7×7", "max", 3, 3), ("digit 8×8", "avg", 2, 1),
           ("numbers 7×7", "avg", 4, 1), ("digit 8×8", "max", 3, 3)]


def test_pooling_live_matches_a_fresh_figure_after_every_move():
    e = cc.pooling_explorer()
    for st in POOLING:
        live = e.render_state(image=st[0], mode=st[1], size=st[2], stride=st[3]).png
        assert _distance(live, cc.render_pooling(*st)[0]) < TOLERANCE, st


def test_the_comparison_sees_a_wrong_setting():
    e = cc.pooling_explorer()
    live = e.render_state(image="numbers 7×7", mode="max", size=3, stride=3).png
    assert _distance(live, cc.render_pooling("numbers 7×7", "max", 3, 2)[0]) > 3 * TOLERANCE


def test_rgb_flip_and_kernel_live_match_fresh_figures():
    e = cc.rgb_explorer()
    for k in list(cc.RGB_KERNELS)[::-1]:
        assert _distance(e.render_state(kernel=k).png, cc.render_rgb(k)[0]) < TOLERANCE, k
    e = A.flip_explorer()
    for st in [("sobel x", "letter F"), ("corner (shift)", "impulse"), ("gaussian (symmetric)", "letter F")]:
        assert _distance(e.render_state(kernel=st[0], image=st[1]).png, A.render_flip(*st)[0]) < TOLERANCE, st
    e = cc.kernel_explorer()
    for image, kernel in [("photo", [1] * 9), ("checkerboard", [0, -1, 0, -1, 4, -1, 0, -1, 0]),
                          ("digit", [0, 0, 0, 0, 1, 0, 0, 0, 0])]:
        assert _distance(e.render_state(image, kernel).png, cc.render_kernel(image, kernel)[0]) < TOLERANCE


def _one_cell_figure(live):
    fig, ax = viz.new_figure(1.0, 1.0, layout=None)
    fig.subplots_adjust(0, 0, 1, 1)
    lf = viz.LiveFigure(fig, live=live)
    im = lf.moving(ax.imshow(np.zeros((1, 1)), cmap="gray", vmin=0, vmax=1))
    ax.set_xticks([])
    ax.set_yticks([])
    return lf, ax, im


@pytest.mark.parametrize("live", [True, False])
def test_cell_numbers_print_replace_and_hide(live):
    lf, ax, im = _one_cell_figure(live)
    im.set_data(np.ones((1, 1)))  # white: black numbers
    numbers = viz.CellNumbers(ax, 1, live=lf, fontsize=20)
    blank = lf.pixels()[..., :3].copy()
    numbers.show(np.array([[8.0]]), fmt="{:.0f}")
    eight = lf.pixels()[..., :3].copy()
    assert (eight < 100).all(-1).sum() > 50  # dark pixels: the number is there
    numbers.show(np.array([[1.0]]), fmt="{:.0f}")
    one = lf.pixels()[..., :3].copy()
    assert (one < 100).all(-1).sum() < (eight < 100).all(-1).sum()  # "1" replaced "8", not drawn over it
    numbers.hide()
    assert np.array_equal(lf.pixels()[..., :3], blank)
    with pytest.raises(ValueError, match="more than this pool"):
        numbers.show(np.zeros((2, 1)))


def test_live_figure_redraws_the_frame_over_a_moving_image():
    lf, ax, im = _one_cell_figure(True)
    im.set_data(np.ones((1, 1)))  # a white image reaching the axes' edges
    px = lf.pixels()
    assert px[px.shape[0] // 2, 0, :3].max() < 100  # the left spine is drawn on top (dark)
    ax.set_axis_off()
    lf.invalidate()
    px = lf.pixels()
    assert px[px.shape[0] // 2, 0, :3].min() > 200  # no frame for an axes shown without one


def test_fast_png_round_trip_and_resolution():
    rgba = (np.random.default_rng(0).random((30, 40, 4)) * 255).astype(np.uint8)
    png = viz.encode_png(rgba, dpi=144)
    back = np.asarray(Image.open(io.BytesIO(png)))
    assert back.shape == (30, 40, 3) and np.array_equal(back, rgba[..., :3])
    assert viz.png_display_width(png) == round(40 * viz.DISPLAY_DPI / 144)
    with pytest.raises(ValueError, match="pixels must be"):
        viz.encode_png(rgba.astype(np.float32))
