"""The Chinese edition's outputs, drawn by the English build's kernels: every chapter executes once.

The two editions run the same code cells; only the text inside pictures and explorers differs. Executing every
chapter twice cost the Chinese build as long as the English one (about four minutes), so ``make book`` runs
the English kernels with this module installed (an IPython startup file) and each output is made twice:

* a matplotlib figure saved as PNG (the inline display, :func:`cnnlib.viz.sharp_png`) is saved again with its
  texts translated (:func:`cnnlib.figure_language.translated_texts`);
* an explorer built in static mode (:meth:`cnnlib.widgets.Explorer.build`, :func:`overview_explorer
  <cnnlib.explorers.overview.overview_explorer>`: the functions decorated with :func:`bilingual`) is built
  again inside :func:`cnnlib.figure_language.speaking`, its widgets kept out of the kernel's comms and
  serialised as the embedding widget state.

Each second output is written to a folder (``$CNNLIB_TWIN_DIR``) under a name derived from the first: the
SHA-256 of the English PNG, or the English root widget's model id. ``tools/i18n.py build-zh`` then copies
the English execution cache with each output replaced by its twin, and the Chinese build executes nothing.
Nothing here changes an English output: a figure's PNG is byte-identical with and without it (tested), and so
were the pictures of chapters 2, 4 and 7 executed both ways (but for chapter 4's measured timings).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import os
from contextlib import contextmanager
from pathlib import Path

from . import figure_language

__all__ = ["install", "bilingual", "png_twin_name", "widget_twin_name", "DIR_ENV"]

#: Environment variable naming the folder the twins are written to (unset: nothing is made twice).
DIR_ENV = "CNNLIB_TWIN_DIR"
_STATE: dict = {"dir": None, "busy": False}


def png_twin_name(png: bytes) -> str:
    """The file name of the Chinese twin of the English picture ``png``."""
    return f"png-{hashlib.sha256(png).hexdigest()}.json"


def widget_twin_name(model_id: str) -> str:
    """The file name of the Chinese twin of the explorer whose English root widget is ``model_id``."""
    return f"widget-{model_id}.json"


def install(directory: str | os.PathLike | None = None) -> None:
    """Make every picture and static explorer twice from now on in this process: English as usual, and
    Chinese into ``directory`` (default ``$CNNLIB_TWIN_DIR``). The figures' catalogue, font and misses file
    come from the environment as for :func:`cnnlib.figure_language.install`."""
    from matplotlib.backend_bases import FigureCanvasBase

    directory = directory or os.environ.get(DIR_ENV)
    if not directory:
        raise ValueError(f"directory must be given (or ${DIR_ENV} set), got {directory!r}")
    Path(directory).mkdir(parents=True, exist_ok=True)
    figure_language.install(active=False)
    _STATE["dir"] = Path(directory)
    if "print_figure" in _STATE:
        return
    from .viz import _png_size  # (width, height) from a PNG's header, None for anything else

    _STATE["print_figure"] = original = FigureCanvasBase.print_figure

    def print_figure(self, filename, *args, **kwargs):
        if _STATE["busy"] or not isinstance(filename, io.BytesIO):
            return original(self, filename, *args, **kwargs)
        start = filename.tell()
        result = original(self, filename, *args, **kwargs)
        english = filename.getvalue()[start:]
        if _png_size(english) is not None:  # a PNG (the inline display), not an SVG or a PDF
            chinese = io.BytesIO()
            with _busy(), figure_language.speaking(), figure_language.translated_texts(self.figure):
                original(self, chinese, *args, **kwargs)
            _write(png_twin_name(english), {"png": base64.b64encode(chinese.getvalue()).decode("ascii")})
        return result

    FigureCanvasBase.print_figure = print_figure


def bilingual(build):
    """Decorate a function that builds an explorer's root widget: once :func:`install` has run, the build is
    repeated inside :func:`cnnlib.figure_language.speaking` and its widgets saved as the twin of the English
    root (the book executes in static mode). Otherwise, and inside another bilingual build, it is ``build``."""

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        if _STATE["dir"] is None or _STATE["busy"]:
            return build(*args, **kwargs)
        from ipywidgets.widgets import widget as widget_module

        with _busy():
            before = set(widget_module._instances)
            root = build(*args, **kwargs)
            english = sorted(set(widget_module._instances) - before)
            if not hasattr(root, "model_id"):
                return root
            owner = args[0] if args else None
            kept = getattr(owner, "widget", None)
            with figure_language.speaking(), _without_comms():
                before_zh = set(widget_module._instances)
                zh_root = build(*args, **kwargs).model_id
                made = [widget_module._instances[k] for k in set(widget_module._instances) - before_zh]
                state = _embed_state(made)
                for w in made:
                    w.close()
            if owner is not None and kept is not None:
                owner.widget = kept  # Explorer.build remembers the widget it built: the English one
            _write(widget_twin_name(root.model_id), {"root": zh_root, "drop": english, "state": state})
        return root

    return wrapper


def _embed_state(widgets) -> dict:
    """The widgets' states as a notebook's widget metadata stores them (binary values base64-encoded)."""
    from ipywidgets.embed import dependency_state

    return json.loads(json.dumps(dependency_state(widgets, drop_defaults=True)))


@contextmanager
def _without_comms():
    """Widgets made within talk to no frontend: nbclient never records them in the English notebook."""
    from ipywidgets.widgets import widget as widget_module

    shim = widget_module.comm  # ipywidgets.comm opens every widget's comm through the package ``comm``
    create = shim.create_comm
    shim.create_comm = lambda *a, **kw: shim.comm.DummyComm(*a, **kw)  # a comm that talks to nobody
    try:
        yield
    finally:
        shim.create_comm = create


@contextmanager
def _busy():
    was = _STATE["busy"]
    _STATE["busy"] = True
    try:
        yield
    finally:
        _STATE["busy"] = was


def _write(name: str, payload: dict) -> None:
    path = _STATE["dir"] / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    tmp.replace(path)
