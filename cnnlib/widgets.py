"""Explorers: interactive figures declared once, shown live (with a kernel) or static (in the built book).

An *explorer* is a set of named controls and a pure ``render`` function from control values to a
picture. Declare it once::

    from cnnlib.widgets import Choice, Explorer, IntRange, new_figure

    def render(stride, padding):
        fig, ax = new_figure(2.4, 2.0)
        ...                                  # draw with cnnlib and matplotlib
        return fig, f"output {h}×{w}"        # a figure and a one-line caption

    Explorer(
        controls={"stride": IntRange(1, 3), "padding": Choice([0, 1, 2], static=[0, 2])},
        render=render,
    ).show()

and it shows itself in one of two modes:

``live``
    ipywidgets callbacks call ``render`` again whenever a control moves (Jupyter, JupyterLab, Voilà,
    Binder, Colab). Keep ``render`` under ~100 ms for chapter-sized inputs (:meth:`Explorer.time_render`
    measures it).
``static``
    every combination of the controls' ``static`` values is rendered in advance into PNG images inside
    nested :class:`ipywidgets.Stack` widgets, and each control's ``index`` is linked client-side
    (``jslink``) to the stacks' ``selected_index``. In the built HTML page the controls switch the
    picture with no kernel at all.

The mode is chosen by :func:`default_mode`: ``static`` when the environment variable
``CNNLIB_EXPLORER_MODE`` is ``static`` (``make book`` sets it while it executes the notebooks),
``live`` otherwise. ``show(mode="live")`` or ``show(mode="static")`` forces one.

What ``render`` may return
    * a matplotlib :class:`~matplotlib.figure.Figure` (use :func:`new_figure`: no pyplot, rendered at
      twice the pixels it is shown at). For speed, a live explorer keeps *one* figure and returns it
      again after updating its artists in place (``set_data``, ``set_array``, ``set_text``): the framework
      only draws and encodes it (fast zlib PNG live; a palette PNG, about 3× smaller, for static pages);
    * PNG bytes (shown at the width their ``pHYs`` resolution gives: :func:`cnnlib.viz.png_display_width`);
    * a ``str``: plain text, shown as one line (escaped);
    * an object with ``_repr_html_`` (e.g. :class:`HTML`), shown as HTML;
    * a pair ``(picture, caption)``: a figure or PNG bytes and a ``str``/HTML line under it.

    A separate ``caption=`` function (same arguments as ``render``) is the cheap way to add a text line
    (a shape, a formula with the current numbers) to every state.

Impossible settings
    If ``render`` raises :class:`ValueError` (cnnlib does, with a message naming the parameter), the
    explorer shows that message in place of the output, never a traceback. Other exceptions are bugs
    and propagate.

Limits of static explorers
    A static explorer refuses (raises :class:`ExplorerTooLarge`) a grid of more than ``max_states``
    states (default :data:`MAX_STATIC_STATES`) or rendered output heavier than ``max_bytes`` (default
    :data:`MAX_STATIC_BYTES`, about 2 MB of page). Narrow the grid with ``static=[...]`` on a control:
    the live explorer still offers every option. Identical outputs (e.g. the same error message) are
    stored once.

No inert control
    A control with a single value (in static mode: a single precomputed value) is shown as text
    (``label: value``, CSS class ``explorer-fixed``), never as a slider or buttons that do nothing.

Translation
    Every user-visible string of the framework and the explorers goes through :func:`tr` (identity by
    default; ``CNNLIB_LANG=zh`` picks the catalogue :data:`CATALOGUES` ``["zh"]``).

Every control's widget carries the CSS class ``explorer-control-<name>`` (toggle buttons also
``explorer-toggle``) and the explorer the class ``cnn-explorer`` (its output area ``explorer-output``, a
light card also in dark mode), so browser tests and the book's CSS can find them.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import figure_language, twin_outputs
from .translations import ZH
from .viz import DPI, encode_png, figure_pixels, new_figure, png_display_width

__all__ = [
    "Choice",
    "IntRange",
    "FloatRange",
    "Toggle",
    "Explorer",
    "ExplorerTooLarge",
    "HTML",
    "Rendered",
    "new_figure",
    "tr",
    "control_value",
    "explorer_frame",
    "precomputed_note",
    "EXPLORER_CSS",
    "LANG_ENV_VAR",
    "CATALOGUES",
    "DESCRIPTION_WIDTH",
    "STATIC_COLORS",
    "default_mode",
    "MODE_ENV_VAR",
    "MAX_STATIC_STATES",
    "MAX_STATIC_BYTES",
    "DPI",
]

#: Environment variable that selects the default mode ("live" or "static").
MODE_ENV_VAR = "CNNLIB_EXPLORER_MODE"
#: Default upper bound on the number of precomputed states of a static explorer.
MAX_STATIC_STATES = 64
#: Default upper bound on the page weight of a static explorer (bytes, base64 included).
MAX_STATIC_BYTES = 2_000_000
#: Colours of the palette PNGs a static explorer stores (page weight); live explorers use full colour.
STATIC_COLORS = 128
#: The width of every control's label, so that the controls of an explorer line up.
DESCRIPTION_WIDTH = "10em"
#: Environment variable choosing the language of the explorers' text (e.g. ``zh``); unset: English.
LANG_ENV_VAR = "CNNLIB_LANG"
#: Translations of the explorers' fixed strings (:mod:`cnnlib.translations`): language -> English text ->
#: translation. A string missing from a catalogue is shown in English.
CATALOGUES: dict[str, dict[str, str]] = {"zh": ZH}

_MODES = ("live", "static")


def tr(text: str) -> str:
    """The user-visible ``text`` in the reader's language (``$CNNLIB_LANG``; English when unset or when
    the catalogue has no translation). Templates are translated before formatting:
    ``tr("output {h}×{w}").format(h=3, w=4)``."""
    lang = os.environ.get(LANG_ENV_VAR, "").strip().lower()
    if not lang or lang.startswith("en"):
        return text
    return CATALOGUES.get(lang, CATALOGUES.get(lang.split("-")[0], {})).get(text, text)

class ExplorerTooLarge(ValueError):
    """A static explorer's grid has too many states, or its rendered output is too heavy for a page."""


class HTML:
    """Markup to show as HTML (a plain ``str`` is shown as escaped text).

    Args:
        markup: an HTML fragment, e.g. ``"<b>3×3</b> kernel"``.
    """

    def __init__(self, markup: str):
        self.markup = str(markup)

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return f"HTML({self.markup!r})"


# --------------------------------------------------------------------------- controls


class Choice:
    """A control offering a finite list of options.

    Args:
        options: a sequence of values (their ``str`` is the label) or a mapping ``label -> value``.
        value: the initial value (default: the first option).
        label: the text beside the control (default: the control's name in the explorer).
        style: ``"slider"`` (:class:`ipywidgets.SelectionSlider`), ``"dropdown"`` or ``"buttons"``
            (:class:`ipywidgets.ToggleButtons`).
        static: the values a static explorer precomputes (default: all options). Must be a subset
            of the option values; their order follows ``options``.

    Raises:
        ValueError: empty options, an unknown style, or ``value``/``static`` not among the options.
    """

    STYLES = ("slider", "dropdown", "buttons")

    def __init__(
        self,
        options: Sequence[Any] | Mapping[str, Any],
        value: Any = None,
        *,
        label: str | None = None,
        style: str = "slider",
        static: Iterable[Any] | None = None,
    ):
        if isinstance(options, Mapping):
            pairs = [(str(k), v) for k, v in options.items()]
        else:
            pairs = [(_label(v), v) for v in options]
        if not pairs:
            raise ValueError("options must not be empty")
        if style not in self.STYLES:
            raise ValueError(f"style must be one of {self.STYLES}, got {style!r}")
        self.pairs: list[tuple[str, Any]] = pairs
        self.values = [v for _, v in pairs]
        self.label = label
        self.style = style
        if value is None:
            value = self.values[0]
        self.value = value
        self._index(value, "value")
        if static is None:
            self.static_values = list(self.values)
        else:
            static = list(static)
            for v in static:
                self._index(v, "static")
            self.static_values = [v for v in self.values if any(_same(v, s) for s in static)]
            if not self.static_values:
                raise ValueError("static must name at least one option")

    def _index(self, value, what: str) -> int:
        for i, v in enumerate(self.values):
            if _same(v, value):
                return i
        raise ValueError(f"{what} {value!r} is not one of the options {self.values!r}")

    def static_default(self):
        """The value a static explorer starts at: ``value`` if precomputed, else the first static value."""
        for v in self.static_values:
            if _same(v, self.value):
                return v
        return self.static_values[0]

    def make_widget(self, name: str, static: bool = False):
        """The ipywidget for this control (its options restricted to ``static`` values if ``static``).

        A control left with a single value is shown as text (``label: value``), not as a control that
        does nothing. Labels and option names go through :func:`tr`; every label has the same width
        (:data:`DESCRIPTION_WIDTH`), so an explorer's controls line up.
        """
        import ipywidgets as widgets

        values = self.static_values if static else self.values
        pairs = [(tr(lab), v) for lab, v in self.pairs if any(_same(v, s) for s in values)]
        value = self.static_default() if static else self.value
        index = next(i for i, (_, v) in enumerate(pairs) if _same(v, value))
        label = tr(self.label or name)
        if len(pairs) == 1:
            w = widgets.HTML(
                f'<span class="explorer-fixed-label" style="display:inline-block;width:{DESCRIPTION_WIDTH};'
                f'text-align:right;padding-right:8px">{html.escape(label)}</span>'
                f"<b>{html.escape(pairs[0][0])}</b>"
            )
            w.add_class("explorer-fixed")
            w.add_class(f"explorer-control-{name}")
            w._fixed_value = pairs[0][1]  # what the explorer renders with (read by control_value)
            return w
        style = {"description_width": DESCRIPTION_WIDTH}
        common = dict(options=pairs, index=index, description=label)
        if self.style == "slider":
            w = widgets.SelectionSlider(continuous_update=True, style=style,
                                        layout=widgets.Layout(width="min(100%, 30em)"), **common)
        elif self.style == "dropdown":
            w = widgets.Dropdown(style=style, layout=widgets.Layout(width="min(100%, 30em)"), **common)
        else:
            w = widgets.ToggleButtons(style={**style, "button_width": "auto"}, **common)
            w.add_class("explorer-toggle")
        w.add_class(f"explorer-control-{name}")
        return w

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.values!r}, value={self.value!r}, style={self.style!r})"


class IntRange(Choice):
    """Integers ``start, start+step, ..., stop`` (``stop`` included) on a slider.

    Args:
        start, stop, step: the range (``stop`` included).
        value, label, style, static: as for :class:`Choice`.
    """

    def __init__(self, start: int, stop: int, step: int = 1, value=None, *, label=None, style="slider", static=None):
        if step < 1 or stop < start:
            raise ValueError(f"need step >= 1 and stop >= start, got start={start}, stop={stop}, step={step}")
        super().__init__(list(range(start, stop + 1, step)), value, label=label, style=style, static=static)


class FloatRange(Choice):
    """``num`` evenly spaced floats from ``start`` to ``stop`` (both included) on a slider.

    Args:
        start, stop: the ends of the range.
        num: how many values (>= 2).
        decimals: the values are rounded to this many decimals (labels too).
        value, label, style, static: as for :class:`Choice` (``value``/``static`` are rounded the same way).
    """

    def __init__(self, start, stop, num=11, value=None, *, decimals=3, label=None, style="slider", static=None):
        if num < 2:
            raise ValueError(f"num must be >= 2, got {num}")
        vals = [round(start + (stop - start) * i / (num - 1), decimals) for i in range(num)]
        value = None if value is None else round(value, decimals)
        static = None if static is None else [round(v, decimals) for v in static]
        super().__init__(vals, value, label=label, style=style, static=static)


class Toggle(Choice):
    """An on/off switch (two toggle buttons); the render function receives ``False`` or ``True``.

    Args:
        value: the initial state.
        labels: the texts of the two buttons, off first.
        label, static: as for :class:`Choice`.
    """

    def __init__(self, value: bool = False, *, labels=("off", "on"), label=None, static=None):
        super().__init__({labels[0]: False, labels[1]: True}, bool(value), label=label, style="buttons", static=static)


def control_value(w):
    """The value a control widget made by :meth:`Choice.make_widget` stands for (a fixed one included)."""
    return getattr(w, "_fixed_value", None) if hasattr(w, "_fixed_value") else w.value


def _label(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, bool) or isinstance(b, bool):  # True must not match 1
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays and other odd values: identity only
        return False


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Rendered:
    """What one state of an explorer shows.

    Attributes:
        png: the picture as PNG bytes, or None.
        caption: an HTML fragment shown under the picture ('' for none).
        message: an HTML fragment shown *instead* of the output (an impossible setting), or ''.
    """

    png: bytes | None = None
    caption: str = ""
    message: str = ""

    @property
    def nbytes(self) -> int:
        """Approximate page weight: PNG base64-encoded, plus the text."""
        png = 0 if self.png is None else (len(self.png) + 2) // 3 * 4
        return png + len(self.caption.encode()) + len(self.message.encode())

    def key(self) -> str:
        h = hashlib.sha1(self.png or b"")
        h.update(self.caption.encode() + b"\0" + self.message.encode())
        return h.hexdigest()


def _image_widget(png: bytes | None = None, layout=None):
    """An Image shown at its natural size (Voilà and JupyterLab would otherwise stretch it), never wider
    than its container. ``layout``: a Layout to share (static explorers share one across all images)."""
    import ipywidgets as widgets

    if layout is None:
        layout = widgets.Layout(max_width="100%", height="auto")
    img = widgets.Image(format="png", layout=layout)
    if png is not None:
        _set_png(img, png)
    return img


def _set_png(img, png: bytes) -> None:
    """Show ``png`` at its display width (half its pixels for the book's 2× figures: sharp on HiDPI)."""
    width = png_display_width(png)
    if width:
        img.width = str(width)
    img.value = png


def _to_html(obj) -> str:
    if obj is None:
        return ""
    if hasattr(obj, "_repr_html_"):
        return obj._repr_html_() or ""
    return html.escape(str(obj))


def _figure_png(fig, compact: bool = False) -> bytes:
    """Draw and encode a figure: fast full-colour PNG (live), or a palette PNG (``compact``: static pages)."""
    png = encode_png(figure_pixels(fig), colors=STATIC_COLORS if compact else None, dpi=fig.dpi)
    if getattr(fig, "number", None) is not None:  # made with pyplot: release it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return png


def _picture_png(obj, compact: bool = False) -> bytes | None:
    if obj is None:
        return None
    if isinstance(obj, bytes | bytearray):
        return bytes(obj)
    if hasattr(obj, "to_png"):  # a LiveFigure: one figure updated in place
        return obj.to_png(compact)
    if hasattr(obj, "savefig"):
        return _figure_png(obj, compact)
    raise TypeError(f"cannot show {type(obj).__name__} as a picture: return a matplotlib Figure or PNG bytes")


def _normalise(result, caption: str = "", compact: bool = False) -> Rendered:
    if isinstance(result, tuple):
        if len(result) != 2:
            raise TypeError(f"render may return a pair (picture, caption), got a tuple of {len(result)}")
        pic, cap = result
        cap_html = _to_html(cap)
        if caption:
            cap_html = f"{cap_html}<br>{caption}" if cap_html else caption
        return Rendered(png=_picture_png(pic, compact), caption=cap_html)
    if isinstance(result, str) or (hasattr(result, "_repr_html_") and not hasattr(result, "savefig")):
        text = _to_html(result)
        return Rendered(caption=f"{text}<br>{caption}" if caption else text)
    return Rendered(png=_picture_png(result, compact), caption=caption)


def _message_html(exc: Exception) -> str:
    reason = figure_language.translate_installed(html.escape(str(exc)))
    return (
        '<div class="explorer-message" style="padding:0.6em 0.8em;border-left:4px solid #c77c02;'
        'background:#fff6e5;color:#5a3b00;max-width:32em">'
        f"<b>{html.escape(tr('Not possible with these settings:'))}</b> {reason}</div>"
    )


def _caption_html(inner: str) -> str:
    # the Chinese edition's build translates captions by the figures' catalogue (cnnlib.figure_language)
    inner = figure_language.translate_installed(inner)
    return f'<div class="explorer-caption" style="font-family:monospace;font-size:90%;line-height:1.5">{inner}</div>'


def default_mode() -> str:
    """The mode explorers use when none is given: ``$CNNLIB_EXPLORER_MODE`` or ``"live"``.

    Raises:
        ValueError: the environment variable holds something other than ``live`` or ``static``.
    """
    mode = os.environ.get(MODE_ENV_VAR, "").strip().lower() or "live"
    if mode not in _MODES:
        raise ValueError(f"{MODE_ENV_VAR} must be 'live' or 'static', got {os.environ[MODE_ENV_VAR]!r}")
    return mode


# --------------------------------------------------------------------------- the explorer


class Explorer:
    """An interactive figure: named controls and a pure render function, shown live or static.

    Args:
        controls: ``name -> control`` (:class:`Choice`, :class:`IntRange`, :class:`FloatRange`,
            :class:`Toggle`). The names are the keyword arguments of ``render``; their order is the
            order on screen.
        render: ``render(**values)`` returns what to show (see the module documentation). It must be
            pure (same values, same picture) and raise :class:`ValueError` for impossible settings.
        caption: optional ``caption(**values) -> str | HTML``, a text line under the output of each
            state (cheap: no figure needed).
        title: optional heading shown above the controls.
        max_states: a static explorer with more states raises :class:`ExplorerTooLarge`.
        max_bytes: a static explorer heavier than this (PNG base64 plus text) raises :class:`ExplorerTooLarge`.

    Example::

        Explorer(
            controls={"size": IntRange(1, 5), "mode": Choice(["max", "avg"], style="buttons")},
            render=lambda size, mode: f"{mode} pooling with a {size}×{size} window",
        ).show()
    """

    def __init__(
        self,
        controls: Mapping[str, Choice],
        render: Callable[..., Any],
        *,
        caption: Callable[..., Any] | None = None,
        title: str | None = None,
        max_states: int = MAX_STATIC_STATES,
        max_bytes: int = MAX_STATIC_BYTES,
    ):
        if not controls:
            raise ValueError("an explorer needs at least one control")
        for name, c in controls.items():
            if not isinstance(c, Choice):
                raise TypeError(f"control {name!r} must be a Choice, IntRange, FloatRange or Toggle, got {c!r}")
            if not name.isidentifier():
                raise ValueError(f"control name {name!r} must be a Python identifier (it is a keyword of render)")
        if not callable(render):
            raise TypeError("render must be callable")
        self.controls = dict(controls)
        self.render = render
        self.caption = caption
        self.title = title
        self.max_states = int(max_states)
        self.max_bytes = int(max_bytes)
        self.widget = None  # the last widget built by show()/build()

    # ----------------------------------------------------------------- states
    def defaults(self) -> dict[str, Any]:
        """The initial value of every control."""
        return {n: c.value for n, c in self.controls.items()}

    def static_grid(self) -> list[dict[str, Any]]:
        """Every state a static explorer precomputes, in order (the last control varies fastest)."""
        names = list(self.controls)
        values = [self.controls[n].static_values for n in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]

    def n_static_states(self) -> int:
        """How many states a static explorer would precompute."""
        n = 1
        for c in self.controls.values():
            n *= len(c.static_values)
        return n

    def render_state(self, *, _compact: bool = False, **values) -> Rendered:
        """Render one state (missing controls take their initial value); ValueError becomes a message.

        The PNG is full colour and fast to encode (a live update); static explorers pass ``_compact=True``
        for palette PNGs (page weight)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise TypeError(f"unknown control(s) {sorted(unknown)}; controls are {list(self.controls)}")
        kw = {**self.defaults(), **values}
        try:
            cap = _to_html(self.caption(**kw)) if self.caption is not None else ""
            out = _normalise(self.render(**kw), cap, _compact)
        except ValueError as exc:
            return Rendered(message=_message_html(exc))
        return out

    def time_render(self, repeat: int = 5, **values) -> float:
        """Median wall time in seconds of one live update (render plus PNG encoding) at ``values``."""
        times = []
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            self.render_state(**values)
            times.append(time.perf_counter() - t0)
        times.sort()
        return times[len(times) // 2]

    # ----------------------------------------------------------------- display
    @twin_outputs.bilingual  # the Chinese edition's twin, when make book's English kernels build it
    def build(self, mode: str | None = None):
        """Build the explorer's widget in ``mode`` (``None``: :func:`default_mode`) without showing it.

        Raises:
            ValueError: unknown mode.
            ExplorerTooLarge: static mode with too many states or too heavy an output.
        """
        mode = default_mode() if mode is None else mode
        if mode not in _MODES:
            raise ValueError(f"mode must be 'live', 'static' or None, got {mode!r}")
        self.widget = self._build_static() if mode == "static" else self._build_live()
        return self.widget

    def show(self, mode: str | None = None) -> None:
        """Display the explorer (in a notebook cell) in ``mode``; see :meth:`build`."""
        from IPython.display import display

        display(self.build(mode))

    def _ipython_display_(self):
        self.show()

    def _frame(self, control_widgets, output, note: str | None = None):
        return explorer_frame(self.title, control_widgets, output, note)

    def _build_live(self):
        import ipywidgets as widgets

        ctrl = {n: c.make_widget(n) for n, c in self.controls.items()}
        image = _image_widget()
        caption = widgets.HTML()
        message = widgets.HTML()
        output = widgets.VBox([image, caption, message])

        def update(_change=None):
            r = self.render_state(**{n: control_value(w) for n, w in ctrl.items()})
            if r.png is not None:
                _set_png(image, r.png)
            image.layout.display = "none" if (r.png is None or r.message) else ""
            caption.value = _caption_html(r.caption) if r.caption and not r.message else ""
            message.value = r.message

        for w in ctrl.values():
            if not hasattr(w, "_fixed_value"):
                w.observe(update, names="value")
        update()
        box = self._frame(list(ctrl.values()), output)
        box._explorer_update = update  # for tests: re-render synchronously
        box._explorer_controls = ctrl
        return box

    def _leaf(self, r: Rendered, cache: dict, shared: dict):
        import ipywidgets as widgets

        key = r.key()
        if key not in cache:
            html_kw = {"layout": shared["layout"], "style": shared["html_style"]}
            if r.message:
                cache[key] = widgets.HTML(r.message, **html_kw)
            else:
                parts = []
                if r.png is not None:
                    parts.append(_image_widget(r.png, layout=shared["image_layout"]))
                if r.caption:
                    parts.append(widgets.HTML(_caption_html(r.caption), **html_kw))
                cache[key] = widgets.VBox(parts, layout=shared["layout"])
        return cache[key]

    @staticmethod
    def _shared_models() -> dict:
        """Layout and style models shared by every widget of one static explorer: each widget would
        otherwise embed its own copies in the page (hundreds of KB on a big grid)."""
        import ipywidgets as widgets
        from ipywidgets.widgets.widget_string import HTMLStyle  # not exported at the package's top level

        return {
            "layout": widgets.Layout(),
            "image_layout": widgets.Layout(max_width="100%", height="auto"),
            "html_style": HTMLStyle(),
        }

    def _build_static(self):
        import ipywidgets as widgets

        n = self.n_static_states()
        if n > self.max_states:
            sizes = " × ".join(f"{len(c.static_values)} {name}" for name, c in self.controls.items())
            raise ExplorerTooLarge(
                f"a static explorer would precompute {n} states ({sizes}), over the limit of {self.max_states}: "
                f"narrow the grid with static=[...] on some controls (the live explorer keeps every option), "
                f"or pass max_states= if the page can afford it"
            )
        names = list(self.controls)
        rendered = {}
        total = 0
        seen = set()
        for state in self.static_grid():
            r = self.render_state(_compact=True, **state)
            rendered[tuple(state[k] for k in names)] = r
            if r.key() not in seen:
                seen.add(r.key())
                total += r.nbytes
        if total > self.max_bytes:
            raise ExplorerTooLarge(
                f"a static explorer's {n} states weigh {total / 1e6:.2f} MB, over the limit of "
                f"{self.max_bytes / 1e6:.2f} MB: use fewer static values, smaller figures (new_figure, dpi={DPI}) "
                f"or pass max_bytes="
            )

        ctrl = {name: c.make_widget(name, static=True) for name, c in self.controls.items()}
        varying = [name for name in names if len(self.controls[name].static_values) > 1]
        fixed = {name: self.controls[name].static_values[0] for name in names if name not in varying}
        links = []
        cache: dict = {}
        shared = self._shared_models()

        def build(level: int, prefix: dict):
            if level == len(varying):
                full = {**fixed, **prefix}
                return self._leaf(rendered[tuple(full[k] for k in names)], cache, shared)
            name = varying[level]
            c = self.controls[name]
            children = [build(level + 1, {**prefix, name: v}) for v in c.static_values]
            stack = widgets.Stack(children=children, selected_index=ctrl[name].index, layout=shared["layout"])
            links.append(widgets.jslink((ctrl[name], "index"), (stack, "selected_index")))
            return stack

        output = widgets.Box([build(0, {})])
        note = None
        if any(len(c.static_values) < len(c.values) for c in self.controls.values()):
            note = precomputed_note(n)
        box = self._frame(list(ctrl.values()), output, note)
        box._explorer_links = links  # keep the links reachable from the widget
        box._explorer_controls = ctrl
        return box


# --------------------------------------------------------------------------- the frame

#: Style of every explorer, shipped with it (so it also holds in JupyterLab, Voilà and JupyterLite): the
#: output on a light card (legible in dark mode), the selected toggle button clearly coloured, the notice
#: readable. The book's CSS may refine it (same class names).
EXPLORER_CSS = """
.cnn-explorer .explorer-output { background: #ffffff; color: #1a1a1a; border-radius: 6px; padding: 6px;
  max-width: 100%; }
.cnn-explorer .explorer-toggle .widget-toggle-button.mod-active,
.cnn-explorer .explorer-toggle button.mod-active { background: #1f5f99; color: #ffffff; font-weight: 600; }
.cnn-explorer .explorer-note { font-size: 0.9rem; opacity: 0.85; }
.cnn-explorer .explorer-title { font-size: 1.05rem; }
"""


def precomputed_note(n: int) -> str:
    """The notice of a static explorer that offers only some settings."""
    return tr("Precomputed view: {n} settings. Run this page live (button at the top) for every setting.").format(n=n)


def explorer_frame(title, control_widgets, output, note: str | None = None):
    """An explorer's box: title, controls, an optional notice, and the output (a light card).

    Args:
        title: heading text (None for none); translated with :func:`tr`.
        control_widgets: the control widgets, top to bottom.
        output: the output widget (gets the CSS class ``explorer-output``).
        note: a line under the controls (e.g. :func:`precomputed_note`).
    """
    import ipywidgets as widgets

    head = f"<style>{EXPLORER_CSS}</style>"
    if title:
        head += f'<b class="explorer-title">{html.escape(tr(title))}</b>'
    parts = [widgets.HTML(head), widgets.VBox(list(control_widgets))]
    if note:
        w = widgets.HTML(f'<span class="explorer-note">{html.escape(note)}</span>')
        w.add_class("explorer-note")
        parts.append(w)
    output.add_class("explorer-output")
    parts.append(output)
    box = widgets.VBox(parts)
    box.add_class("cnn-explorer")
    return box
