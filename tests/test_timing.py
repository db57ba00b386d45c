"""Tests of cnnlib.timing: the measuring helpers chapter 4 uses (never asserting how fast anything is)."""

import time

import numpy as np
import pytest

from cnnlib import timing


def test_time_call_best_of_and_call_count():
    calls = []
    t = timing.time_call(lambda: calls.append(1), repeat=4, number=3)
    assert len(calls) == 12  # repeat × number, no warm-up when number is given
    assert t > 0


def test_time_call_measures_a_sleep():
    t = timing.time_call(lambda: time.sleep(0.004), repeat=2)
    assert 0.0035 < t < 0.5


def test_time_call_loops_fast_calls_until_measurable():
    calls = []
    timing.time_call(lambda: calls.append(1), repeat=2, min_time=1e-3)
    assert len(calls) > 3  # a nanosecond call is repeated, not timed once


@pytest.mark.parametrize("kw", [{"repeat": 0}, {"number": 0}, {"min_time": -1.0}])
def test_time_call_rejects_bad_arguments(kw):
    with pytest.raises(ValueError):
        timing.time_call(lambda: None, **kw)


def test_conv_implementations_agree():
    rng = np.random.default_rng(0)
    image, kernel = rng.standard_normal((9, 7)), rng.standard_normal((3, 3))
    outs = [f(image, kernel) for f in timing.conv_implementations().values()]
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-12)


def test_speed_table_rows_and_columns():
    rows = timing.speed_table(sizes=(6, 10), kernel_size=3, repeat=1)
    assert [r["size"] for r in rows] == [6, 10]
    assert list(rows[0]) == ["size", "loops", "cnnlib"]
    assert all(r[k] > 0 for r in rows for k in ("loops", "cnnlib"))


def test_speed_table_refuses_a_wrong_implementation():
    impls = dict(timing.conv_implementations(), wrong=lambda image, kernel: np.zeros((image.shape[0] - 2,) * 2))
    with pytest.raises(ValueError, match="wrong"):
        timing.speed_table(sizes=(5,), implementations=impls, repeat=1)


def test_speed_table_rejects_image_smaller_than_kernel():
    with pytest.raises(ValueError, match="size"):
        timing.speed_table(sizes=(2,), kernel_size=3, repeat=1)


def test_speed_table_with_torch(torch):
    def torch_conv(image, kernel):
        with torch.inference_mode():
            return torch.nn.functional.conv2d(torch.from_numpy(image)[None, None],
                                              torch.from_numpy(kernel)[None, None])[0, 0].numpy()

    rows = timing.speed_table(sizes=(8,), implementations=dict(timing.conv_implementations(), PyTorch=torch_conv),
                              repeat=1)
    assert rows[0]["PyTorch"] > 0


def test_loglog_slope_recovers_the_power():
    n = np.array([16, 32, 64, 128])
    assert timing.loglog_slope(n, 3e-7 * n**2) == pytest.approx(2.0)
    assert timing.loglog_slope(n, 5e-5 * n**1.5) == pytest.approx(1.5)


@pytest.mark.parametrize("sizes,times", [([4], [1.0]), ([4, 8], [1.0, 0.0]), ([4, 8], [1.0])])
def test_loglog_slope_rejects_bad_input(sizes, times):
    with pytest.raises(ValueError):
        timing.loglog_slope(sizes, times)


@pytest.mark.parametrize("t,text", [(2.5, "2.5 s"), (0.0123, "12.3 ms"), (4.56e-6, "4.56 µs")])
def test_format_seconds(t, text):
    assert timing.format_seconds(t) == text


def test_table_markdown_shows_speedups():
    rows = [{"size": 8, "loops": 1e-3, "cnnlib": 1e-5}]
    md = timing.table_markdown(rows, baseline="loops")
    assert "| 8×8 | 1 ms | 10 µs (100× faster) |" in md
    with pytest.raises(ValueError, match="baseline"):
        timing.table_markdown(rows, baseline="torch")
    with pytest.raises(ValueError):
        timing.table_markdown([])


def test_speed_figure_is_log_log_with_one_line_per_implementation():
    rows = [{"size": n, "loops": 1e-6 * n**2, "cnnlib": 1e-8 * n**2} for n in (8, 16, 32)]
    fig = timing.speed_figure(rows)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 2
    assert "slope 2.00" in ax.get_legend().get_texts()[0].get_text()


def test_speed_figure_fits_slopes_on_large_sizes_only():
    rows = [{"size": n, "cnnlib": max(1e-5, 1e-10 * n**2)} for n in (8, 16, 512, 1024)]
    label = timing.speed_figure(rows, fit_from=512).axes[0].get_legend().get_texts()[0].get_text()
    assert "n ≥ 512" in label and "slope 2.00" in label
    full = timing.speed_figure(rows).axes[0].get_legend().get_texts()[0].get_text()
    assert "slope 2.0" not in full  # the flat small sizes pull the slope down
