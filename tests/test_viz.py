"""Tests of cnnlib.viz: what each helper draws (numbers, titles, colour limits) and its errors."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnlib import viz
from cnnlib.widgets import new_figure


def _images(ax):
    return ax.get_images()


def test_color_limits_signed_is_symmetric_and_nonnegative_is_grey():
    cmap, lo, hi = viz.color_limits(np.array([-1.0, 3.0]))
    assert (cmap, lo, hi) == (viz.SIGNED_CMAP, -3.0, 3.0)
    cmap, lo, hi = viz.color_limits(np.array([0.5, 2.0, np.nan]))
    assert (cmap, lo, hi) == (viz.IMAGE_CMAP, 0.5, 2.0)
    cmap, lo, hi = viz.color_limits(np.array([0.5, 2.0]), symmetric=True)
    assert (lo, hi) == (-2.0, 2.0)


def test_color_limits_constant_gets_a_range():
    _, lo, hi = viz.color_limits(np.zeros((3, 3)))
    assert lo < 0 < hi or lo < hi
    _, lo, hi = viz.color_limits(np.full(4, 2.0))
    assert lo < 2.0 < hi


def test_show_kernel_prints_every_number_and_centres_colours():
    k = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1.5]])
    fig, ax = new_figure(2, 2)
    im = viz.show_kernel(ax, k, title="sobel")
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{v:.2g}" for v in k.ravel()]
    assert im.get_clim() == (-2.0, 2.0)
    assert ax.get_title() == "sobel"
    # the darkest cells (±2) get white text, the zero cells black
    colors = {t.get_text(): t.get_color() for t in ax.texts}
    assert colors["-2"] == "white" and colors["0"] == "black"


def test_annotate_cells_never_prints_minus_zero():
    fig, ax = new_figure(2, 2)
    viz.annotate_cells(ax, np.array([[-0.04, 0.04], [-0.0, -0.5]]), fmt="{:.1f}")
    assert [t.get_text() for t in ax.texts] == ["0.0", "0.0", "0.0", "-0.5"]


def test_show_kernel_shared_vmax_and_no_numbers():
    fig, ax = new_figure(2, 2)
    im = viz.show_kernel(ax, np.ones((5, 5)), vmax=4.0, numbers=False)
    assert im.get_clim() == (-4.0, 4.0)
    assert len(ax.texts) == 0


@pytest.mark.parametrize("bad", [np.ones(3), np.ones((2, 2, 2)), np.ones((0, 3))])
def test_show_kernel_rejects_non_2d(bad):
    fig, ax = new_figure(2, 2)
    with pytest.raises(ValueError, match="kernel"):
        viz.show_kernel(ax, bad)


def test_show_image_colorbar_and_rgb():
    fig, ax = new_figure(2, 2)
    viz.show_image(ax, np.linspace(-1, 2, 16).reshape(4, 4), "map", colorbar=True)
    assert len(fig.axes) == 2  # the image and its colour bar
    fig, ax = new_figure(2, 2)
    im = viz.show_image(ax, np.ones((4, 4, 3)) * 0.5, colorbar=True)
    assert im.get_array().shape == (4, 4, 3) and len(fig.axes) == 1
    with pytest.raises(ValueError, match="image"):
        viz.show_image(ax, np.ones((2, 2, 2, 2)))


def test_image_grid_titles_and_shared_scale():
    rng = np.random.default_rng(0)
    imgs = [rng.normal(size=(4, 4)) * s for s in (1, 2, 3)]
    fig = viz.image_grid(imgs, titles=["a", "b", "c"], ncols=2, shared=True, suptitle="grid")
    panels = [ax for ax in fig.axes if _images(ax)]
    assert [ax.get_title() for ax in panels] == ["a", "b", "c"]
    m = max(np.abs(i).max() for i in imgs)
    assert all(np.allclose(ax.get_images()[0].get_clim(), (-m, m)) for ax in panels)
    assert fig._suptitle.get_text() == "grid"


def test_image_grid_errors():
    with pytest.raises(ValueError, match="at least one"):
        viz.image_grid([])
    with pytest.raises(ValueError, match="titles"):
        viz.image_grid([np.ones((2, 2))], titles=["a", "b"])
    with pytest.raises(ValueError, match=r"images\[1\]"):
        viz.image_grid([np.ones((2, 2)), np.ones(3)])


def test_filter_grid_draws_each_filter_with_its_numbers():
    w = np.random.default_rng(1).normal(size=(5, 2, 3, 3))
    fig = viz.filter_grid(w, channel=1, ncols=3, fmt="{:.2f}")
    panels = [ax for ax in fig.axes if _images(ax) and ax.get_title().startswith("filter")]
    assert len(panels) == 5
    for idx, ax in enumerate(panels):
        assert [t.get_text() for t in ax.texts] == [f"{v:.2f}".replace("-0.00", "0.00") for v in w[idx, 1].ravel()]
        assert np.allclose(ax.get_images()[0].get_clim(), (-np.abs(w[:, 1]).max(), np.abs(w[:, 1]).max()))


def test_filter_grid_errors():
    with pytest.raises(ValueError, match="channel"):
        viz.filter_grid(np.ones((2, 1, 3, 3)), channel=1)
    with pytest.raises(ValueError, match="weights"):
        viz.filter_grid(np.ones((3, 3)))


def test_feature_map_grid_accepts_a_batch_of_one():
    maps = np.arange(3 * 4 * 4, dtype=float).reshape(1, 3, 4, 4)
    fig = viz.feature_map_grid(maps, prefix="ch")
    titles = [ax.get_title() for ax in fig.axes if _images(ax)]
    assert titles == ["ch 0", "ch 1", "ch 2"]
    with pytest.raises(ValueError, match="maps"):
        viz.feature_map_grid(np.ones((4, 4)))


def test_figure_png_palette_is_smaller_and_valid():
    fig, ax = new_figure(3, 2)
    viz.show_image(ax, np.random.default_rng(0).random((32, 32)), "noise", colorbar=True)
    full = viz.figure_png(fig, colors=None)
    small = viz.figure_png(fig)
    assert Image.open(io.BytesIO(full)).mode in ("RGBA", "RGB")
    img = Image.open(io.BytesIO(small))
    assert img.mode == "P" and img.size == Image.open(io.BytesIO(full)).size
    assert len(small) < len(full)
    with pytest.raises(ValueError, match="colors"):
        viz.figure_png(fig, colors=300)
