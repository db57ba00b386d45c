"""The explorers of chapters 6 and 7: the 1-D sliding kernel and the receptive field."""

import numpy as np
import pytest

from cnnlib import receptive, sequences
from cnnlib.explorers.beyond import SIGNAL_LENGTH, render_sliding, sliding_kernel_explorer
from cnnlib.explorers.questions import MAX_FIELD, receptive_field_explorer, render_receptive_field
from cnnlib.widgets import MAX_STATIC_BYTES, MAX_STATIC_STATES


@pytest.mark.parametrize("kernel", list(sequences.SIGNAL_KERNELS))
def test_sliding_caption_shows_the_output_value(kernel):
    x = sequences.synthetic_signal(SIGNAL_LENGTH)
    k = sequences.SIGNAL_KERNELS[kernel]
    expected = np.correlate(x, k, mode="valid")
    for position in (0, 9, len(expected) - 1):
        fig, caption = render_sliding(kernel, position)
        assert f"y[{position}]" in caption.markup
        assert f"<b>{expected[position]:.3g}</b>" in caption.markup
        assert len(fig.axes) == 2


def test_sliding_impossible_settings_are_messages():
    e = sliding_kernel_explorer()
    r = e.render_state(position=SIGNAL_LENGTH)          # past the end of the signal
    assert r.png is None and "position must be in 0..17" in r.message
    with pytest.raises(ValueError, match="kernel must be one of"):
        render_sliding("nope", 0)


def test_receptive_field_caption_follows_the_recursion():
    for layers_, k, s, d in [(1, 3, 1, 1), (2, 5, 2, 1), (4, 3, 2, 2), (4, 5, 2, 2)]:
        fig, caption = render_receptive_field(layers_, k, s, d)
        r = receptive.receptive_field([(k, s, d)] * layers_)[-1].size
        assert caption.markup.endswith(f"= {r}")
        assert caption.markup.count("→") == layers_ - 1
    assert MAX_FIELD == receptive.receptive_field([(5, 2, 2)] * 4)[-1].size == 121


@pytest.mark.parametrize("make", [sliding_kernel_explorer, receptive_field_explorer])
def test_static_explorers_fit_a_page(make):
    e = make()
    assert e.n_static_states() <= MAX_STATIC_STATES
    box = e.build("static")                            # raises ExplorerTooLarge if too heavy
    assert box is not None
    sizes = [e.render_state(_compact=True, **state).nbytes for state in e.static_grid()[:4]]  # as stored
    assert max(sizes) * e.n_static_states() < MAX_STATIC_BYTES


@pytest.mark.parametrize("make", [sliding_kernel_explorer, receptive_field_explorer])
def test_live_explorers_update(make):
    e = make()
    box = e.build("live")
    first = next(iter(box._explorer_controls.values()))
    old = e.render_state(**{n: w.value for n, w in box._explorer_controls.items()}).key()
    first.index = (first.index + 1) % len(first.options)
    new = e.render_state(**{n: w.value for n, w in box._explorer_controls.items()}).key()
    assert old != new


def test_sliding_kernels_made_at_the_first_view_draw_as_if_made_when_shown():
    # live, every kernel's figure is made at the first view; one shown later looks as if made then
    e = sliding_kernel_explorer()
    kernels = list(sequences.SIGNAL_KERNELS)
    bad = e.render_state(kernel=kernels[0], position=SIGNAL_LENGTH)  # a first view that is a message
    assert bad.png is None and "position must be in" in bad.message
    e.render_state(kernel=kernels[0], position=3)
    for kernel, position in ((kernels[1], 3), (kernels[2], 11)):
        fresh = sliding_kernel_explorer().render_state(kernel=kernel, position=position)
        assert e.render_state(kernel=kernel, position=position).png == fresh.png
