"""Figures in the reader's language: matplotlib's text translated as it is set (the Chinese edition).

The chapters' figures get their titles, axis labels and legends from code that both editions share, often
as f-strings (``f"{name} (logit {z:.0f})"``). :func:`install` wraps :meth:`matplotlib.text.Text.set_text` so that
every text with a word in it is looked up in a catalogue when it is set. The lookup key is the text
with each number replaced by a numbered field (:func:`template`): ``"circle (logit 12)"`` is looked up as
``"circle (logit {0})"``, and its translation ``"圆形（logit {0}）"`` gets the numbers back. Maths (``$...$``)
never needs a translation.

``make book`` installs it, switched off, in every kernel of the English build (:mod:`cnnlib.twin_outputs`, an
IPython startup file) with the catalogue ``locale/zh_CN/figures.json`` and a file that collects every text
without a translation: each picture is drawn a second time inside :func:`speaking`, and the Chinese edition
shows that second picture. ``python tools/i18n.py check`` fails while the file of misses is not empty. The
CJK glyphs come from a subset of Noto Sans CJK SC made for the figures (``locale/zh_CN/figures-cjk.otf``, see
tools/cjk_font.py), so a machine without Chinese fonts draws the same figures.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager

from .translations import ZH

__all__ = ["template", "translate", "translate_installed", "load_catalogue", "install", "speaking",
           "translated_texts", "is_speaking", "has_cjk", "cjk_runs", "cjk_font", "CATALOGUE_ENV", "MISSES_ENV",
           "FONT_ENV"]

#: Environment variables read by :func:`install`: the catalogue (JSON, template -> translation), the file
#: that collects texts without a translation (one JSON string per line), the CJK font file.
CATALOGUE_ENV, MISSES_ENV, FONT_ENV = "CNNLIB_FIGURE_CATALOGUE", "CNNLIB_FIGURE_MISSES", "CNNLIB_FIGURE_FONT"

_NUMBER = re.compile(r"(?<![A-Za-z_])[-−]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")
_MATH = re.compile(r"\$[^$]*\$|<[^>]*>|&#?\w+;")  # maths, HTML tags and entities: no words to translate
_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")  # a text set while speaking: translated


def template(text: str) -> tuple[str, list[str]]:
    """``"conv 2: 10×26×26"`` -> ``("conv {0}: {1}×{2}×{3}", ["2", "10", "26", "26"])``; braces are doubled."""
    numbers: list[str] = []

    def field(m):
        numbers.append(m.group(0))
        return f"\0{len(numbers) - 1}\1"

    key = _NUMBER.sub(field, text).replace("{", "{{").replace("}", "}}")
    return key.replace("\0", "{").replace("\1", "}"), numbers


def needs_translation(text: str) -> bool:
    """A line with a word outside maths and HTML tags, and no Chinese yet: ``"$\\eta$"``, ``"<b>0.5</b>"``,
    ``"场景 1"`` need none, ``"loss"`` and ``"场景 1\\nprediction"`` do."""
    return any(_WORD.search(_MATH.sub(" ", line)) and not _CJK.search(line) for line in text.split("\n"))


def translate(text: str, catalogue: dict[str, str], misses: set[str] | None = None) -> str:
    """``text`` in the catalogue's language (``text`` itself when it has no entry; then added to ``misses``).

    A text of several lines is looked up whole (a sentence wrapped by hand is translated as one), else line
    by line (a title over a subtitle); a miss is recorded whole."""
    if not needs_translation(text):
        return text
    found = _lookup(text, catalogue)
    if found is not None:
        return found
    if "\n" in text:
        lines = [line if not needs_translation(line) else _lookup(line, catalogue) for line in text.split("\n")]
        if all(line is not None for line in lines):
            return "\n".join(lines)
    if misses is not None:
        misses.add(template(text)[0])
    return text


def _lookup(text: str, catalogue: dict[str, str]) -> str | None:
    key, numbers = template(text)
    found = catalogue.get(key)
    return None if found is None else found.format(*numbers)


_STATE: dict = {}


def translate_installed(text: str) -> str:
    """``text`` (plain or an HTML fragment, such as an explorer's caption) translated by the catalogue of
    :func:`install`, a miss recorded; unchanged where :func:`install` has not run or is switched off (the
    English edition)."""
    if not _STATE.get("active"):
        return text
    misses: set[str] = set()
    out = translate(text, _STATE["catalogue"], misses)
    _record(misses)
    return out


def load_catalogue(path: str | os.PathLike | None = None) -> dict[str, str]:
    """The figures' catalogue (JSON, template -> translation, at ``path``; default: the file named by
    ``$CNNLIB_FIGURE_CATALOGUE``, none if unset) over the explorers' (:data:`cnnlib.translations.ZH`), whose
    labels appear in their pictures too: what :func:`install` looks texts up in."""
    path = path or os.environ.get(CATALOGUE_ENV)
    figures = json.loads(open(path, encoding="utf-8").read()) if path else {}
    return {**ZH, **figures}


def install(catalogue: dict[str, str] | None = None, font: str | None = None, misses_file: str | None = None,
            active: bool = True):
    """Translate every matplotlib text as it is set, from now on in this process (``active=False``: only
    inside :func:`speaking`).

    Args:
        catalogue: template -> translation; default: the JSON file named by ``$CNNLIB_FIGURE_CATALOGUE``.
            The explorers' catalogue (:data:`cnnlib.translations.ZH`) is consulted too.
        font: a font file with the catalogue's CJK glyphs, added as matplotlib's fallback font; default:
            ``$CNNLIB_FIGURE_FONT``.
        misses_file: where texts without a translation are appended (one JSON string per line); default:
            ``$CNNLIB_FIGURE_MISSES`` (unset: not recorded).
        active: translate from now on; False: only inside :func:`speaking` (the English build, which draws
            each picture once more in Chinese).
    """
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.text import Text

    catalogue = load_catalogue() if catalogue is None else {**ZH, **catalogue}
    font = font or os.environ.get(FONT_ENV)
    misses_file = misses_file or os.environ.get(MISSES_ENV)
    if font:
        # matplotlib (>= 3.6) falls back along font.family for a glyph its first font lacks: the usual font
        # for Latin text and numbers, then the CJK subset
        font_manager.fontManager.addfont(font)
        name = font_manager.FontProperties(fname=font).get_name()
        usual = font_manager.FontProperties(fname=font_manager.findfont(font_manager.FontProperties())).get_name()
        matplotlib.rcParams["font.family"] = [usual, name]
    _STATE.update(catalogue=catalogue, misses_file=misses_file, seen=set(), active=active, font=font)
    if "set_text" in _STATE:
        return
    _STATE["set_text"] = Text.set_text

    # Translated when set, not when drawn: layouts (constrained, tight, bbox_inches) then measure the Chinese.
    def set_text(self, s):
        text = "" if s is None else str(s)
        return _STATE["set_text"](self, translate_installed(text) if text else text)

    Text.set_text = set_text


@contextmanager
def speaking():
    """Within: texts set are translated (after :func:`install`) and the explorers' labels (``cnnlib.widgets.tr``)
    are in the catalogue's language, ``zh``. Restores both on exit."""
    from .widgets import LANG_ENV_VAR

    before = _STATE.get("active", False), os.environ.get(LANG_ENV_VAR)
    _STATE["active"] = "catalogue" in _STATE
    os.environ[LANG_ENV_VAR] = "zh"
    try:
        yield
    finally:
        _STATE["active"] = before[0]
        if before[1] is None:
            os.environ.pop(LANG_ENV_VAR, None)
        else:
            os.environ[LANG_ENV_VAR] = before[1]


def has_cjk(text: str) -> bool:
    """True for a text with Chinese characters or full-width punctuation in it."""
    return bool(_CJK.search(text))


def cjk_runs(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into runs of Chinese and of other characters: ``"卷积核 3×3"`` ->
    ``[("卷积核", True), (" 3×3", False)]`` (to draw each run in a font that has it)."""
    return [(m.group(0), bool(m.group(1))) for m in re.finditer(f"({_CJK.pattern}+)|(?:(?!{_CJK.pattern}).)+", text)]


def cjk_font() -> str | None:
    """The CJK font file :func:`install` added (for pictures drawn without matplotlib), or None."""
    return _STATE.get("font")


def is_speaking() -> bool:
    """True while texts are being translated (the Chinese build, or inside :func:`speaking`)."""
    return bool(_STATE.get("active"))


@contextmanager
def translated_texts(fig):
    """Within: every text already in ``fig`` translated (a figure made in English and drawn again while
    :func:`speaking`, such as a live explorer's figure updated in place); the English texts are put back on
    exit. Does nothing when not translating."""
    if not _STATE.get("active"):
        yield
        return
    from matplotlib.text import Text

    set_text = _STATE["set_text"]
    saved = [(t, t.get_text()) for t in fig.findobj(Text)]
    for t, text in saved:
        if text:
            set_text(t, translate_installed(text))
    try:
        yield
    finally:
        for t, text in saved:
            set_text(t, text)


def _record(misses: set[str]) -> None:
    new = misses - _STATE["seen"]
    if not new or not _STATE.get("misses_file"):
        return
    _STATE["seen"] |= new
    with open(_STATE["misses_file"], "a", encoding="utf-8") as f:
        for key in sorted(new):
            f.write(json.dumps(key, ensure_ascii=False) + "\n")
