"""The explorer framework (cnnlib.widgets) and the convolution explorer, without a browser."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from cnnlib import widgets as cw
from cnnlib.explorers.convolution import convolution_explorer, render_convolution
from cnnlib.widgets import (
    HTML,
    Choice,
    Explorer,
    ExplorerTooLarge,
    FloatRange,
    IntRange,
    Toggle,
    default_mode,
    new_figure,
)


def _fig_render(n, flag=False):
    fig, ax = new_figure(1.0, 1.0)
    ax.plot([0, n], [0, 1 if flag else -1])
    return fig, f"n={n} flag={flag}"


def _stacks(w):
    """All Stack widgets under w."""
    found = []
    todo = [w]
    while todo:
        x = todo.pop()
        if isinstance(x, widgets.Stack):
            found.append(x)
        todo.extend(getattr(x, "children", ()))
    return found


# --------------------------------------------------------------------------- controls


def test_choice_options_and_errors():
    c = Choice({"small": 1, "large": 5}, 5, static=[1])
    assert c.values == [1, 5] and c.value == 5 and c.static_values == [1]
    assert c.static_default() == 1
    with pytest.raises(ValueError, match="not one of the options"):
        Choice([1, 2], 3)
    with pytest.raises(ValueError, match="not one of the options"):
        Choice([1, 2], static=[4])
    with pytest.raises(ValueError, match="must not be empty"):
        Choice([])
    with pytest.raises(ValueError, match="style"):
        Choice([1], style="knob")


def test_ranges_and_toggle():
    assert IntRange(1, 4).values == [1, 2, 3, 4]
    assert FloatRange(0, 1, num=5).values == [0.0, 0.25, 0.5, 0.75, 1.0]
    t = Toggle(True)
    assert t.values == [False, True] and t.value is True
    # True is not confused with 1
    with pytest.raises(ValueError):
        Choice([0, 1], True)
    with pytest.raises(ValueError):
        IntRange(3, 1)


def test_explorer_declaration_errors():
    with pytest.raises(ValueError, match="at least one control"):
        Explorer({}, render=lambda: None)
    with pytest.raises(TypeError, match="must be a Choice"):
        Explorer({"n": [1, 2]}, render=lambda n: None)
    with pytest.raises(ValueError, match="identifier"):
        Explorer({"not ok": IntRange(1, 2)}, render=lambda **kw: None)
    e = Explorer({"n": IntRange(1, 2)}, render=lambda n: str(n))
    with pytest.raises(ValueError, match="mode"):
        e.build("sometimes")
    with pytest.raises(TypeError, match="unknown control"):
        e.render_state(m=1)


# --------------------------------------------------------------------------- rendering


def test_render_results_are_normalised():
    png = _fig_render(1)[0]
    e = Explorer({"n": IntRange(1, 2)}, render=lambda n: png)
    r = e.render_state()
    assert r.png.startswith(b"\x89PNG") and r.caption == "" and r.message == ""
    assert Explorer({"n": IntRange(1, 2)}, render=lambda n: "a<b").render_state().caption == "a&lt;b"
    assert Explorer({"n": IntRange(1, 2)}, render=lambda n: HTML("<b>x</b>")).render_state().caption == "<b>x</b>"
    r = Explorer({"n": IntRange(1, 2)}, render=_fig_render, caption=lambda n: "extra").render_state(n=2)
    assert r.png.startswith(b"\x89PNG") and "n=2" in r.caption and "extra" in r.caption
    with pytest.raises(TypeError, match="cannot show"):
        Explorer({"n": IntRange(1, 2)}, render=lambda n: 42).render_state()


def test_value_error_becomes_a_message_other_errors_propagate():
    def render(n):
        if n > 1:
            raise ValueError("n is too large for this input")
        return "fine"

    e = Explorer({"n": IntRange(1, 2)}, render=render)
    r = e.render_state(n=2)
    assert r.png is None and "n is too large for this input" in r.message and "Traceback" not in r.message

    def broken(n):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        Explorer({"n": IntRange(1, 2)}, render=broken).render_state()


# --------------------------------------------------------------------------- modes


def test_default_mode(monkeypatch):
    monkeypatch.delenv(cw.MODE_ENV_VAR, raising=False)
    assert default_mode() == "live"
    monkeypatch.setenv(cw.MODE_ENV_VAR, "static")
    assert default_mode() == "static"
    e = Explorer({"n": IntRange(1, 2)}, render=_fig_render)
    assert _stacks(e.build()), "static mode builds stacks"
    monkeypatch.setenv(cw.MODE_ENV_VAR, "sometimes")
    with pytest.raises(ValueError, match=cw.MODE_ENV_VAR):
        default_mode()


def test_static_structure_links_and_dedup():
    e = Explorer(
        {"n": IntRange(1, 3), "flag": Toggle(), "fixed": Choice([7, 8], static=[7])},
        render=lambda n, flag, fixed: "same" if n == 3 else _fig_render(n, flag),
    )
    assert e.n_static_states() == 6
    box = e.build("static")
    stacks = _stacks(box)
    assert len(stacks) == 1 + 3  # one for n, then one per n for flag; "fixed" has one static value
    assert len(box._explorer_links) == len(stacks)
    ctrl = box._explorer_controls
    # a control with one precomputed value is text, not an inert control
    assert isinstance(ctrl["fixed"], widgets.HTML) and "explorer-fixed" in ctrl["fixed"]._dom_classes
    assert "<b>7</b>" in ctrl["fixed"].value and not ctrl["n"].disabled
    assert isinstance(ctrl["n"], widgets.SelectionSlider) and isinstance(ctrl["flag"], widgets.ToggleButtons)
    assert "explorer-control-n" in ctrl["n"]._dom_classes
    # n == 3 renders the same text for both flags: one widget serves both states
    last = stacks[0].children[2]
    assert last.children[0] is last.children[1]


def test_static_limits():
    big = Explorer({"a": IntRange(1, 9), "b": IntRange(1, 9)}, render=lambda a, b: "x")
    with pytest.raises(ExplorerTooLarge, match="81 states.*limit of 64.*static="):
        big.build("static")
    assert Explorer({"a": IntRange(1, 9), "b": IntRange(1, 9)}, render=lambda a, b: "x", max_states=81).build(
        "static"
    )
    heavy = Explorer({"a": IntRange(1, 3)}, render=lambda a: bytes([a]) * 10_000, max_bytes=20_000)
    with pytest.raises(ExplorerTooLarge, match="MB"):
        heavy.build("static")
    assert issubclass(ExplorerTooLarge, ValueError)


def test_live_rerenders_on_change():
    e = Explorer({"n": IntRange(1, 3), "flag": Toggle()}, render=_fig_render)
    box = e.build("live")
    ctrl = box._explorer_controls
    image, caption, message = box.children[-1].children
    first = image.value
    ctrl["n"].value = 2
    assert image.value != first and "n=2" in caption.value and message.value == ""


# --------------------------------------------------------------------------- the convolution explorer


def test_convolution_render_shapes_and_formula():
    fig, cap = render_convolution("checkerboard", "sobel x", stride=2, padding=1)
    assert "output shape 16×16" in cap.markup
    assert "⌊(32 + 2·1 − 3) / 2⌋ + 1 = <b>16</b>" in cap.markup


def test_convolution_impossible_setting_is_a_message():
    r = convolution_explorer().render_state(image="digit", kernel="blur 9×9", padding=0)
    assert r.png is None and "larger than the padded input" in r.message


def test_convolution_static_fits_a_page():
    e = convolution_explorer()
    assert e.n_static_states() <= cw.MAX_STATIC_STATES
    box = e.build("static")  # raises ExplorerTooLarge if over 2 MB
    images = {id(w): len(w.value) for w in _walk(box) if isinstance(w, widgets.Image)}
    assert 0 < sum(images.values()) < 1_500_000


def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)


def test_convolution_live_updates_on_every_stride_and_padding_move():
    """Every stride or padding move on every input re-renders the picture (how fast: ``make bench``, never
    asserted here)."""
    box = convolution_explorer().build("live")
    ctrl = box._explorer_controls
    image = box.children[-1].children[0]
    for image_name in ("photo", "digit", "checkerboard"):
        ctrl["image"].value = image_name
        for stride, padding in [(2, 0), (3, 1), (1, 2), (2, 3)]:
            before = image.value
            ctrl["stride"].value = stride
            ctrl["padding"].value = padding
            assert image.value != before, (image_name, stride, padding)


# --------------------------------------------------------------------------- sharpness, text, translation


def test_explorer_png_has_twice_the_pixels_it_is_shown_at():
    from cnnlib import viz

    r = Explorer({"n": IntRange(1, 2)}, render=lambda n: _fig_render(n)[0]).render_state(n=1)
    px, _ = viz._png_size(r.png)
    assert px >= 2 * viz.png_display_width(r.png)
    img = cw._image_widget(r.png)
    assert int(img.width) * 2 <= px  # the Image widget is laid out at half the pixel width


def test_notebook_figures_are_retina_with_display_width():
    import base64

    from cnnlib import viz

    fig, ax = new_figure(3.0, 2.0)
    ax.plot([0, 1], [0, 1])
    data, meta = viz.sharp_png(fig)
    w, _ = viz._png_size(base64.b64decode(data))
    assert w >= 2 * meta["width"] and 200 < meta["width"] <= 3 * viz.DISPLAY_DPI + 10


def test_single_value_live_control_is_text():
    e = Explorer({"n": Choice([5]), "m": IntRange(1, 2)}, render=lambda n, m: f"{n}{m}")
    box = e.build("live")
    assert "explorer-fixed" in box._explorer_controls["n"]._dom_classes
    box._explorer_controls["m"].value = 2  # the other control still works


def test_tr_identity_and_catalogue(monkeypatch):
    monkeypatch.delenv(cw.LANG_ENV_VAR, raising=False)
    assert cw.tr("stride") == "stride" and cw.tr("no such text") == "no such text"
    monkeypatch.setenv(cw.LANG_ENV_VAR, "zh")
    assert cw.tr("stride") == cw.CATALOGUES["zh"]["stride"]
    assert cw.tr("no such text") == "no such text"
    note = cw.precomputed_note(3)
    assert "3" in note and "launch buttons" not in note


def test_static_note_points_to_the_live_button(monkeypatch):
    monkeypatch.delenv(cw.LANG_ENV_VAR, raising=False)
    box = Explorer({"n": IntRange(1, 3, static=[1, 2])}, render=lambda n: str(n)).build("static")
    notes = [c for c in box.children if "explorer-note" in c._dom_classes]
    assert notes and "Run this page live" in notes[0].value
